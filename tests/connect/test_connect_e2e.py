"""/connect end to end: the real process against the fake Telegram and WB.

Every key's message is deleted, bad keys store nothing and say why, and a canary token never
appears in clear in the log, the database files or anything the bot sent."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tokens import ACC_PERSONAL, ACC_TEST, OLD_STYLE_KEY, make_token
from tests.fakes.wb import FakeWB

pytestmark = pytest.mark.e2e

CANARY_SID = "c0ffee00-0000-4000-8000-00000000ca11"
ALL = ("statistics", "analytics", "marketplace", "content")


def shops_in(bot: BotProcess) -> list[tuple[str, str, str]]:
    path = bot.data_dir / "wbpulse.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT seller_id, name, state FROM shops ORDER BY id").fetchall()


def query(bot: BotProcess, sql: str, *args: object) -> list[tuple[object, ...]]:
    path = bot.data_dir / "wbpulse.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def data_files(data_dir: Path) -> dict[str, bytes]:
    """Every file in DATA_DIR (the database, its -wal and -shm, the master key...)."""
    return {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()}


_last_reply: dict[int, float] = {}


async def send(
    tg: FakeTelegram, user: int, text: str, expect: str, language_code: str = "en", **sender: str
) -> tuple[int, str]:
    """The user sends ``text``; returns its message id and the bot's reply containing
    ``expect``. Paced like a person (Telegram allows a bot about one message a second per
    private chat)."""
    await asyncio.sleep(max(0.0, _last_reply.get(user, 0.0) + 1.0 - time.monotonic()))
    after = len(tg.calls)
    msg = tg.user_message(user, text, language_code=language_code, **sender)
    call = await tg.wait_for_text(user, expect, timeout=15, after=after)
    _last_reply[user] = time.monotonic()
    return msg["message_id"], call.text


async def test_bad_keys_refused_good_key_connects_and_canary_never_leaks(
    bot: BotProcess, tg: FakeTelegram, wb: FakeWB
) -> None:
    # One user per scenario: each is a separate private chat, so nothing waits on Telegram's
    # per-chat limit.
    bad = [
        (f"/connect {OLD_STYLE_KEY}", "old-style statistics key"),
        ("/connect eyJhbGciOiJFUzI1NiJ9.bm90LWpzb24tYXQtYWxs.c2lnbmF0dXJl", "cannot be read"),
        (f"/connect {make_token(acc=ACC_PERSONAL, exp=int(time.time()) - 3600)}", "expired on"),
        (f"/connect {make_token(acc=ACC_TEST)}", "Test token"),
        (
            f"/connect {make_token(acc=ACC_PERSONAL, categories=('analytics',))}",
            "lacks the Statistics",
        ),
    ]
    for user, (text, expect) in enumerate(bad, start=2001):
        message_id, reply = await send(tg, user, text, expect)
        assert "Nothing was saved" in reply
        assert (user, message_id) in tg.deleted
    message_id, reply = await send(
        tg, 2008, f"/connect {OLD_STYLE_KEY}", "старого образца", language_code="ru"
    )
    assert "Ничего не сохранено" in reply and (2008, message_id) in tg.deleted
    revoked = make_token(acc=ACC_PERSONAL)
    wb.add_seller(revoked, name="Revoked shop")
    wb.revoke(revoked)
    message_id, _ = await send(tg, 2006, f"/connect {revoked}", "revoked")
    assert (2006, message_id) in tg.deleted
    down = make_token(acc=ACC_PERSONAL)
    wb.add_seller(down, name="Down shop")
    wb.fail_next("ping", 503)
    started = time.monotonic()
    message_id, _ = await send(tg, 2007, f"/connect {down}", "could not be reached")
    assert time.monotonic() - started < 10
    assert (2007, message_id) in tg.deleted
    assert shops_in(bot) == []

    user = 2010
    canary = make_token(acc=ACC_PERSONAL, categories=ALL, sid=CANARY_SID)
    wb.add_seller(canary, name="ИП Канарейкин")
    wb.add_order(CANARY_SID)
    message_id, reply = await send(tg, user, f"/connect {canary}", "is connected")
    assert (user, message_id) in tg.deleted
    assert "ИП Канарейкин" in reply
    # The feed alerts within a minute; statistics then only fills in details, every 10 min.
    assert "order feed (every order, deferred payment too): every 1 min" in reply
    assert "orders and cancellations: every 10 min" in reply
    assert "90 days" in reply
    assert shops_in(bot) == [(CANARY_SID, "ИП Канарейкин", "active")]
    jobs = {row[0] for row in query(bot, "SELECT method FROM polls")}
    # tariffs: WB's commission by subject, common-api, which any key may call
    assert jobs == {"orders", "feed", "sales", "stock", "fbs", "cards", "tariffs"}

    # The same shop again with a new key: replaced, not duplicated.
    wb.reset_limits()
    again = make_token(acc=ACC_PERSONAL, categories=ALL, sid=CANARY_SID)
    wb.add_seller(again, name="ИП Канарейкин")
    message_id, reply = await send(tg, user, f"/connect {again}", "Key updated")
    assert (user, message_id) in tg.deleted
    assert len(shops_in(bot)) == 1

    for _ in range(100):  # the first sync starts at once; wait for its orders
        if query(bot, "SELECT 1 FROM polls WHERE method = 'orders' AND newest_change > ''"):
            break
        await asyncio.sleep(0.1)
    _, status = await send(tg, user, "/status", "Token: Personal")
    assert "orders and cancellations: last sync 2" in status and "days left" in status
    assert "WB's data is as of" in status

    assert bot.alive
    secrets = [canary, again, canary.split(".")[1], again.split(".")[1]]
    log = bot.log()
    files = data_files(bot.data_dir)
    assert "wbpulse.sqlite3" in files
    blobs = list(files.values())
    sent = json.dumps([c.params for c in tg.calls], ensure_ascii=False)
    for secret in secrets:
        assert secret not in log
        assert secret not in sent
        assert all(secret.encode() not in blob for blob in blobs)


async def test_group_keys_fsm_invites_status_and_disconnect(
    bot: BotProcess, tg: FakeTelegram, wb: FakeWB
) -> None:
    owner, mate, group = 2101, 2102, -1001234
    leaked = make_token(acc=ACC_PERSONAL)
    after = len(tg.calls)
    msg = tg.group_message(owner, group, f"here is our key {leaked}")
    call = await tg.wait_for_text(group, "Revoke it now", timeout=15, after=after)
    assert (group, msg["message_id"]) in tg.deleted
    assert leaked not in call.text
    after = len(tg.calls)
    msg = tg.group_message(owner, group, f"/connect {leaked}")
    await tg.wait_for_text(group, "Revoke it now", timeout=15, after=after)
    assert (group, msg["message_id"]) in tg.deleted
    # An edit that adds a key reaches the running bot (it asks Telegram for edited_message).
    msg = tg.group_message(owner, group, "key coming")
    after = len(tg.calls)
    tg.edit_user_message(group, msg["message_id"], f"key:\n{leaked[:30]}\n{leaked[30:]}")
    await tg.wait_for_text(group, "Revoke it now", timeout=15, after=after)
    assert (group, msg["message_id"]) in tg.deleted
    assert tg.dropped_updates == []
    assert shops_in(bot) == []

    # /connect alone asks for the key; chatter gets a hint, the key connects.
    base = make_token(categories=("statistics",))
    wb.add_seller(base, name="Base shop")
    await send(tg, owner, "/connect", "Send me your WB API token")
    await send(tg, owner, "hello?", "does not look like a WB token")
    message_id, reply = await send(tg, owner, base, "is connected")
    assert (owner, message_id) in tg.deleted
    assert "every 3 h" in reply and "Personal" in reply and "stock" in reply

    # A teammate joins through a one-time link, without the key.
    _, invite = await send(tg, owner, "/invite", "Send this link")
    code = re.search(r"\?start=([\w-]+)", invite)
    assert code is not None
    marina = {"first_name": "Marina <b>", "username": "marina_wb"}
    await send(tg, mate, f"/start {code.group(1)}", "member of Base shop", **marina)
    assert (mate, "member") in query(bot, "SELECT user_id, role FROM memberships")
    await send(tg, mate, f"/start {code.group(1)}", "expired or was already used", **marina)
    _, shops = await send(tg, mate, "/shops", "Base shop", **marina)
    assert "member" in shops
    await send(tg, mate, "/status", "Token: Base", **marina)
    _, listing = await send(tg, owner, "/members", "who sees this shop")
    # Teammates by the name Telegram shows (escaped: a name cannot break the markup).
    assert "Marina <b> (@marina_wb) (member)" in listing
    assert "Remove Marina <b> (@marina_wb)" in json.dumps(tg.calls[-1].params, ensure_ascii=False)

    # Only the owner disconnects; wiping removes the shop.
    after = len(tg.calls)
    tg.user_message(owner, "/disconnect")
    ask = await tg.wait_for_text(owner, "Disconnect", timeout=15, after=after)
    shop_id = query(bot, "SELECT id FROM shops")[0][0]
    after = len(tg.calls)
    tg.callback(owner, ask.result["message_id"], f"sh:dsy:{shop_id}")
    await tg.wait_for(lambda c: "Delete everything" in json.dumps(c.params), after=after)
    after = len(tg.calls)
    tg.callback(owner, ask.result["message_id"], f"sh:dsw:{shop_id}")
    await tg.wait_for(lambda c: "data deleted" in (c.text or ""), after=after)
    assert shops_in(bot) == []
    assert bot.alive
