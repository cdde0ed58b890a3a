"""Roles through the real dispatcher and the real outbox sender, as each person's chat shows it:
the owner decides where a shop's alerts go, a member can only ask (the owner gets buttons) or
get a private copy, removing a member takes back what they brought, and a key for the same
seller from someone else keeps the owners and tells them who brought it."""

from __future__ import annotations

import time
import uuid
from functools import partial

from aiogram.types import Update

from bot.notify import make_sender
from bot.notify.sender import place
from bot.store import db as db_module
from bot.store import outbox
from bot.store.db import Database
from bot.store.shops import create_invite, fingerprint, get_shop
from tests.dispatch import running_app
from tests.fakes.tokens import ACC_PERSONAL, make_token
from tests.fakes.wb import FakeWB
from tests.notify.conftest import drain, order, put_events
from tests.reports.seed import make_shop
from tests.team.conftest import press, say

OWNER, MEMBER, CO_OWNER, NEWCOMER = 901, 902, 903, 904
GROUP = -100777
OLGA = {"first_name": "Olga", "username": "olga_shop"}
MAX = {"first_name": "Max <i>", "username": "max_team"}  # a name that must not break the markup
IN_GROUP = {"chat_id": GROUP, "title": "Max's friends", **MAX}


def buttons(call) -> list[tuple[str, str]]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def got(tg, chat_id: int, text: str) -> bool:
    return any(text in t for t in tg.texts(chat_id))


async def team(app, tg, *, co_owner: bool = False):
    """Olga owns «Лавка»; Max joined through her invite link; maybe Ivan owns it with her."""
    shop = await make_shop(app.db, app.keyring, OWNER, "Лавка")
    await say(app, tg, OWNER, "/start", **OLGA)
    code = await create_invite(app.db, shop.id, OWNER, 3600)
    await say(app, tg, MEMBER, f"/start {code}", **MAX)
    assert "member of Лавка" in tg.texts(MEMBER)[-1]
    if co_owner:
        await say(app, tg, CO_OWNER, "/start", first_name="Ivan")
        await app.db.write(
            "INSERT INTO memberships(user_id, shop_id, role, created_at) VALUES (?,?,'owner',?)",
            (CO_OWNER, shop.id, time.time()),
        )
    return shop, make_sender(app.db, app.bot, app.i18n, app.settings)


def request_to(tg, owner: int):
    found = [c for c in tg.sent(owner) if "asks to send" in (c.text or "")]
    assert found, f"the owner got no request: {tg.texts(owner)}"
    return found[-1]


async def test_a_members_notify_here_asks_the_owner_and_the_alerts_stay_with_the_owner(
    app, tg
) -> None:
    shop, sender = await team(app, tg)

    await say(app, tg, MEMBER, "/notify_here", **IN_GROUP)
    assert "owner's decision" in tg.texts(GROUP)[-1]
    await put_events(app.db, shop.id, [order("ART-1")])
    await drain(sender)

    assert got(tg, OWNER, "ART-1") and got(tg, MEMBER, "ART-1")
    assert not got(tg, GROUP, "ART-1")
    ask = request_to(tg, OWNER)
    assert ask.text.startswith(
        "🔔 Max <i> (@max_team) asks to send the alerts of «Лавка» to the group «Max's friends»."
    )
    assert [text for text, _data in buttons(ask)] == ["Allow", "Refuse"]
    assert not any("asks to send" in t for t in tg.texts(MEMBER))


async def test_the_owner_allows_a_members_group_and_removing_the_member_takes_it_back(
    app, tg
) -> None:
    shop, sender = await team(app, tg, co_owner=True)
    await say(app, tg, MEMBER, "/notify_here", **IN_GROUP)
    await drain(sender)
    ask = request_to(tg, OWNER)
    (_allow, allow), (_refuse, _data) = buttons(ask)

    # The member cannot press the owner's button for themselves (a forged press).
    group_before = len(tg.sent(GROUP))
    await press(app, tg, MEMBER, ask.result["message_id"], allow)
    assert "Only the shop's owner" in str(list(tg.answered.values())[-1].get("text"))
    assert len(tg.sent(GROUP)) == group_before

    await press(app, tg, OWNER, ask.result["message_id"], allow)
    assert "the owner allowed it" in tg.texts(GROUP)[-1]
    assert "Allowed: the alerts of «Лавка» go to «Max's friends» now." in (
        tg.message(OWNER, ask.result["message_id"]) or {}
    ).get("text", "")
    await put_events(app.db, shop.id, [order("ART-2")], batch="b2")
    await drain(sender)
    assert got(tg, GROUP, "ART-2")
    assert not got(tg, OWNER, "ART-2") and not got(tg, MEMBER, "ART-2")
    assert got(tg, CO_OWNER, "🔀 Alerts of «Лавка» now go to the group «Max's friends»: Olga")
    assert got(tg, CO_OWNER, "allowed the request of Max <i> (@max_team).")

    await say(app, tg, OWNER, "/members", **OLGA)
    listing = tg.sent(OWNER)[-1]
    remove = next(data for text, data in buttons(listing) if text.startswith("Remove Max"))
    await press(app, tg, OWNER, listing.result["message_id"], remove)
    await put_events(app.db, shop.id, [order("ART-3")], batch="b3")
    await drain(sender)

    assert got(tg, OWNER, "ART-3") and got(tg, CO_OWNER, "ART-3")
    assert not got(tg, GROUP, "ART-3") and not got(tg, MEMBER, "ART-3")
    assert got(
        tg, CO_OWNER, "🔀 Max <i> (@max_team) is no longer a member of «Лавка», so its alerts no"
    )


async def test_removing_a_member_drops_the_alerts_still_waiting_for_them(app, tg) -> None:
    shop, sender = await team(app, tg)
    await put_events(app.db, shop.id, [order("ART-WAITING")])
    # Routed to both private chats, not sent yet (Telegram slow, or quiet hours).
    assert await outbox.route_events(app.db, partial(place, now=time.time())) == 1

    await say(app, tg, OWNER, "/members", **OLGA)
    listing = tg.sent(OWNER)[-1]
    remove = next(data for text, data in buttons(listing) if text.startswith("Remove Max"))
    await press(app, tg, OWNER, listing.result["message_id"], remove)
    await drain(sender)

    assert got(tg, OWNER, "ART-WAITING")
    assert not got(tg, MEMBER, "ART-WAITING")


async def test_a_member_gets_a_private_copy_but_cannot_move_the_owners_group(app, tg) -> None:
    shop, sender = await team(app, tg)
    await say(app, tg, OWNER, "/notify_here", chat_id=GROUP, title="Shop team", **OLGA)
    assert "will come to this chat now" in tg.texts(GROUP)[-1]

    await say(app, tg, MEMBER, "/notify_private", **MAX)
    assert "also come to your private chat" in tg.texts(MEMBER)[-1]
    await put_events(app.db, shop.id, [order("ART-4")])
    await drain(sender)

    assert got(tg, GROUP, "ART-4") and got(tg, MEMBER, "ART-4")
    assert not got(tg, OWNER, "ART-4")  # Olga chose the group for herself


async def test_the_owner_is_told_of_a_members_private_copy_and_the_member_can_stop_it(
    app, tg
) -> None:
    shop, sender = await team(app, tg, co_owner=True)
    await say(app, tg, OWNER, "/notify_here", chat_id=GROUP, title="Shop team", **OLGA)

    await say(app, tg, MEMBER, "/notify_private", **MAX)
    assert tg.texts(MEMBER)[-1] == (
        "Alerts of «Лавка» will also come to your private chat with me; where the shop's "
        "alerts go is the owner's decision. /notify_private off stops the copy."
    )
    await drain(sender)
    told = "🔀 Max <i> (@max_team), a member of «Лавка», now also gets its alerts in a private "
    assert got(tg, OWNER, told) and got(tg, CO_OWNER, told)
    assert not got(tg, MEMBER, told) and not got(tg, GROUP, told)

    await say(app, tg, MEMBER, "/notify_private off", **MAX)
    assert tg.texts(MEMBER)[-1] == (
        "Alerts of «Лавка» no longer come to your private chat with me. /notify_private turns "
        "the copy on again."
    )
    await put_events(app.db, shop.id, [order("ART-COPY")], batch="b2")
    await drain(sender)
    assert got(tg, GROUP, "ART-COPY") and not got(tg, MEMBER, "ART-COPY")
    stopped = "🔀 Max <i> (@max_team), a member of «Лавка», no longer gets a private copy of its"
    assert got(tg, OWNER, stopped) and got(tg, CO_OWNER, stopped)

    await say(app, tg, MEMBER, "/notify_private off", **MAX)
    assert tg.texts(MEMBER)[-1] == "You get no private copy of a shop's alerts."


async def test_a_forged_answer_to_a_request_nobody_made_changes_nothing(app, tg) -> None:
    shop, sender = await team(app, tg)
    await say(app, tg, OWNER, "/start", **OLGA)
    forged = f"nha:{shop.id}:-100555:{MEMBER}:1"
    await press(app, tg, OWNER, tg.sent(OWNER)[-1].result["message_id"], forged)
    assert "out of date" in str(list(tg.answered.values())[-1].get("text"))
    assert tg.sent(-100555) == []
    await put_events(app.db, shop.id, [order("ART-5")])
    await drain(sender)
    assert got(tg, OWNER, "ART-5")


async def test_a_key_for_the_same_seller_from_someone_else_keeps_the_owner_and_tells_them(
    tmp_path, tg
) -> None:
    sid = str(uuid.uuid4())
    first = make_token(acc=ACC_PERSONAL, sid=sid, categories=("statistics", "analytics"))
    second = make_token(acc=ACC_PERSONAL, sid=sid, categories=("statistics",))
    eve = {"first_name": "Eve <script>", "username": "eve"}
    async with (
        FakeWB(rate_scale=0.001) as wb,
        running_app(tmp_path, tg, wb_api_url_template=wb.url_template, wb_rate_scale=0.001) as app,
    ):
        wb.add_seller(first, name="Лавка")
        await say(app, tg, OWNER, f"/connect {first}", **OLGA)
        assert "Shop Лавка is connected" in tg.texts(OWNER)[-1]

        await say(app, tg, NEWCOMER, f"/connect {second}", **eve)
        reply = tg.texts(NEWCOMER)[-1]
        assert "Key updated for Лавка" in reply
        assert "Лавка already has an owner here, so you joined it as a member" in reply
        await drain(make_sender(app.db, app.bot, app.i18n, app.settings))

        assert got(
            tg,
            OWNER,
            "🔑 Eve <script> (@eve) connected a new WB key for «Лавка» and joined it as a member.",
        )
        assert got(tg, OWNER, "The new key is in use now; you stay the owner.")
        shop = await get_shop(app.db, 1)
        assert shop is not None and shop.token_fingerprint == fingerprint(second)
        await say(app, tg, OWNER, "/members", **OLGA)
        listing = tg.texts(OWNER)[-1]
        assert "Olga (@olga_shop) (owner)" in listing
        assert "Eve <script> (@eve) (member)" in listing
        await say(app, tg, NEWCOMER, "/members", **eve)
        assert "Only a shop's owner" in tg.texts(NEWCOMER)[-1]
        assert first not in " ".join(tg.texts()) and second not in " ".join(tg.texts())


async def test_the_bot_removed_from_the_alert_group_sends_alerts_to_private_chats_again(
    app, tg
) -> None:
    shop, sender = await team(app, tg, co_owner=True)
    await say(app, tg, OWNER, "/notify_here", chat_id=GROUP, title="Shop team", **OLGA)
    await put_events(app.db, shop.id, [order("ART-6")])
    await drain(sender)
    assert got(tg, GROUP, "ART-6") and not got(tg, OWNER, "ART-6")

    # Max removes the bot from the group: the shop's alerts must not go nowhere.
    removed = tg.my_chat_member(MEMBER, GROUP, "member", "kicked")
    await app.dp.feed_update(
        app.bot, Update.model_validate({"update_id": 9, "my_chat_member": removed})
    )
    await put_events(app.db, shop.id, [order("ART-7")], batch="b7")
    await drain(sender)

    assert got(tg, OWNER, "ART-7") and got(tg, CO_OWNER, "ART-7") and got(tg, MEMBER, "ART-7")
    assert got(
        tg, OWNER, "🔀 I was removed from the group «Shop team», so the alerts of «Лавка» come to"
    )


async def test_a_member_repeating_notify_here_asks_the_owner_once(app, tg) -> None:
    _shop, sender = await team(app, tg)
    for _ in range(3):
        await say(app, tg, MEMBER, "/notify_here", **IN_GROUP)
    await drain(sender)
    assert sum("asks to send" in t for t in tg.texts(OWNER)) == 1
    assert all("I asked the owner" in t for t in tg.texts(GROUP))


async def test_owners_hear_once_of_a_group_route_set_before_roles(
    tmp_path, tg, monkeypatch
) -> None:
    # A database as the version before roles left it: a shop whose alerts a member had sent
    # to their group, and a shop whose alerts go to private chats.
    path = tmp_path / "data" / "wbpulse.sqlite3"
    with monkeypatch.context() as m:
        older = [s for s in db_module.migration_scripts() if s[0] < 11]
        m.setattr(db_module, "migration_scripts", lambda: older)
        old = Database(path)
        await old.open()
        now = time.time()
        for user, shop, group in ((OWNER, 1, GROUP), (CO_OWNER, 2, None)):
            await old.write(
                "INSERT INTO users(id, tg_language, timezone, created_at) VALUES (?,?,?,?)",
                (user, "en", "Europe/Moscow", now),
            )
            await old.write(
                "INSERT INTO shops(id, seller_id, name, alert_chat_id, connected_at, updated_at) "
                "VALUES (?,?,?,?,?,?)",
                (shop, f"sid-{shop}", f"Shop {shop}", group, now, now),
            )
            await old.write(
                "INSERT INTO memberships(user_id, shop_id, role, created_at) "
                "VALUES (?,?,'owner',?)",
                (user, shop, now),
            )
        await old.close()

    for _restart in range(2):  # told once, not at every start
        async with running_app(tmp_path, tg) as app:
            await drain(make_sender(app.db, app.bot, app.i18n, app.settings))

    told = [t for t in tg.texts(OWNER) if "chosen before only owners could decide" in t]
    assert len(told) == 1 and told[0].startswith("🔀 Alerts of «Shop 1» go to a group")
    assert "/notify_private from an owner brings" in told[0]
    assert tg.texts(CO_OWNER) == []
