"""The sender against the fake Telegram: limits kept, every order told once, trouble handled."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.events import KeyDead
from bot.notify import chat_returned
from bot.notify.sender import Sender
from bot.store import outbox
from bot.store.outbox import NewEvent
from bot.store.shops import get_shop
from tests.lang import nb
from tests.notify.conftest import add_shop, drain, order, put_events


def _occurrences(tg, needle: str) -> int:
    return sum(text.count(needle) for text in tg.texts())


async def test_twenty_shops_bursting_orders_each_order_told_once_within_limits(
    db, keyring, tg, sender
):
    shops = [await add_shop(db, keyring, owner, f"Shop {owner}") for owner in range(1, 21)]
    articles = []
    for batch in range(3):  # three polls, each drained before the next one's orders come in
        for owner, shop_id in enumerate(shops, start=1):
            burst = [order(f"ART-{owner:02d}-{batch}-{n}") for n in range(4)]
            articles += [e.event.supplier_article for e in burst]
            await put_events(db, shop_id, burst, batch=f"poll-{batch}")
        await drain(sender)

    assert tg.total_violations() == 0, tg.violation_log
    assert all(_occurrences(tg, a) == 1 for a in articles)
    # A poll's burst is one message: 20 chats x 3 polls.
    assert len(tg.sent()) == 60
    assert {c.chat_id for c in tg.sent()} == set(range(1, 21))


async def test_polls_waiting_together_for_a_chat_go_out_as_one_message(db, keyring, tg, sender):
    first = await add_shop(db, keyring, 1, "Shop A")
    second = await add_shop(db, keyring, 1, "Shop B")
    articles = []
    for batch in range(5):  # e.g. Telegram was unreachable while five polls found orders
        for shop_id, name in ((first, "A"), (second, "B")):
            burst = [order(f"ART-{name}-{batch}-{n}") for n in range(2)]
            articles += [e.event.supplier_article for e in burst]
            await put_events(db, shop_id, burst, batch=f"poll-{batch}")

    await drain(sender)

    assert len(tg.sent()) == 1
    text = tg.texts()[0]
    assert "Shop A" in text and "Shop B" in text
    assert all(_occurrences(tg, a) == 1 for a in articles)


async def test_retry_after_is_obeyed_and_the_alert_still_arrives(db, keyring, tg, sender):
    shop_id = await add_shop(db, keyring, 7)
    tg.fail_next("sendMessage", 429, retry_after=1)
    await put_events(db, shop_id, [order("ART-429")])

    await drain(sender)

    assert tg.violations["ignored_retry_after"] == 0
    assert _occurrences(tg, "ART-429") == 1
    assert await db.counter("tg_retry_after") == 1


async def test_blocked_chat_gets_nothing_more_while_others_continue(db, keyring, tg, sender):
    blocked = await add_shop(db, keyring, 1, "A")
    other = await add_shop(db, keyring, 2, "B")
    tg.block(1)
    await put_events(db, blocked, [order("ART-A1")])
    await put_events(db, other, [order("ART-B1")])
    await drain(sender)

    await put_events(db, blocked, [order("ART-A2")], batch="b2")
    await put_events(db, other, [order("ART-B2")], batch="b2")
    await drain(sender)

    assert len(tg.calls_of("sendMessage", chat_id=1)) == 1  # the one that found out
    assert tg.texts(1) == []
    assert _occurrences(tg, "ART-B1") == 1 and _occurrences(tg, "ART-B2") == 1
    assert await outbox.is_blocked(db, 1)

    # The user comes back (/start): alerts flow again.
    tg.unblock(1)
    assert await chat_returned(db, 1)
    await put_events(db, blocked, [order("ART-A3")], batch="b3")
    await drain(sender)
    assert _occurrences(tg, "ART-A3") == 1


async def test_group_migrated_to_supergroup_is_followed(db, keyring, tg, sender):
    shop_id = await add_shop(db, keyring, 1, group=-555)
    tg.migrate(-555, -100555)
    await put_events(db, shop_id, [order("ART-MIG")])

    await drain(sender)

    assert any("ART-MIG" in t for t in tg.texts(-100555))
    shop = await get_shop(db, shop_id)
    assert shop is not None and shop.alert_chat_id == -100555
    assert tg.total_violations() == 0


async def test_timeout_after_delivery_is_not_sent_again(db, keyring, tg, bot, i18n):
    sender = Sender(db, bot, i18n, idle_seconds=0.05, send_timeout=0.5)
    shop_id = await add_shop(db, keyring, 3)
    tg.delay_after_delivery("sendMessage", 1.5)
    await put_events(db, shop_id, [order("ART-SLOW")])

    await drain(sender)
    await asyncio.sleep(1.6)
    await sender.drain_once()

    assert _occurrences(tg, "ART-SLOW") == 1
    assert await db.counter("tg_maybe_delivered") == 1
    assert (await outbox.delivery_states(db)) == {"sent": 1}


async def test_thirty_order_burst_is_one_message_naming_at_least_ten(db, keyring, tg, sender):
    shop_id = await add_shop(db, keyring, 4)
    long = "X" * 68  # 75 characters in all, WB's maximum
    subject = "Очень длинное название предмета " * 3
    burst = [order(f"ART-{n:02d}-{long}", nm_id=500000 + n, subject=subject) for n in range(30)]
    await put_events(db, shop_id, burst)

    await drain(sender)

    assert len(tg.sent(4)) == 1
    raw = tg.texts(4, raw=True)[0]
    assert len(raw) <= 4096
    named = [n for n in range(30) if f"ART-{n:02d}-" in raw and f"nmId {500000 + n}" in raw]
    assert len(named) >= 10
    more = re.search(r"\+(\d+) more", raw)
    assert more and int(more.group(1)) == 30 - len(named)


async def test_catch_up_after_downtime_is_one_digest_per_shop(db, keyring, tg, sender):
    shop_id = await add_shop(db, keyring, 5)
    for batch in range(4):
        await put_events(
            db,
            shop_id,
            [order(f"ART-CU-{batch}-{n}") for n in range(3)],
            batch=f"p{batch}",
            catch_up=True,
        )
    await drain(sender)
    assert len(tg.sent(5)) == 1
    assert "While I was away" in tg.texts(5)[0]
    assert "orders — 12" in tg.texts(5)[0]


async def test_quiet_hours_hold_alerts_then_send_one_digest(db, keyring, tg, i18n, bot):
    zone = ZoneInfo("Europe/Moscow")
    now = datetime.now(zone)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1)).strftime("%H:%M")
    shop_id = await add_shop(db, keyring, 6, quiet_start=start, quiet_end=end)
    offset = 0.0
    sender = Sender(db, bot, i18n, send_timeout=5.0, wall=lambda: time.time() + offset)
    await put_events(db, shop_id, [order("ART-Q1"), order("ART-Q2")], batch="p1")
    await put_events(db, shop_id, [order("ART-Q3")], batch="p2")

    await sender.drain_once()
    assert tg.sent(6) == []
    assert (await outbox.delivery_states(db)) == {"held": 3}

    offset = 2 * 3600 + 60
    await sender.drain_once()
    assert len(tg.sent(6)) == 1
    text = tg.texts(6)[0]
    assert "During your quiet hours" in text
    assert all(a in text for a in ("ART-Q1", "ART-Q2", "ART-Q3"))


async def test_rows_left_sending_by_a_crash_are_sent_again(db, keyring, tg, sender, bot, i18n):
    shop_id = await add_shop(db, keyring, 8)
    await put_events(db, shop_id, [order("ART-CRASH")])
    await outbox.route_events(db, lambda e, u: ("pending", 0.0))
    due = await outbox.due_deliveries(db, time.time())
    await outbox.claim(db, [d.id for d in due], time.time())  # then the process died

    await drain(Sender(db, bot, i18n, send_timeout=5.0))

    assert _occurrences(tg, "ART-CRASH") == 1
    assert await db.counter("tg_resent_after_crash") == 1


async def test_single_order_alert_has_photo_title_price_and_todays_total(db, keyring, tg, sender):
    shop_id = await add_shop(db, keyring, 9, "Моя лавка")
    await db.write(
        "INSERT INTO products(shop_id, nm_id, title, photo_url, updated_at) VALUES (?,?,?,?,?)",
        (shop_id, 4242, "Футболка оверсайз", "https://img.example/4242.webp", time.time()),
    )
    for n, price in enumerate((12345.0, 1000.0)):
        await db.write(
            "INSERT INTO orders(shop_id, srid, ts, nm_id, price_with_disc, first_seen) "
            "VALUES (?,?,?,?,?,?)",
            (shop_id, f"s{n}", int(time.time()), 4242, price, time.time()),
        )
    await put_events(db, shop_id, [order("ART-PHOTO", nm_id=4242, price=12345)])

    await drain(sender)

    [call] = tg.sent(9)
    assert call.method == "sendPhoto"
    text = call.text or ""
    for part in (
        "Футболка оверсайз",
        "ART-PHOTO",
        "4242",
        nb("12 345 ₽"),
        "50%",
        "10%",
        "Коледино",
        "Московская область",
        nb("orders — 2, 13 345 ₽"),
        "Моя лавка",
    ):
        assert part in text, part


async def test_photo_refused_falls_back_to_text(db, keyring, tg, sender):
    shop_id = await add_shop(db, keyring, 10)
    await db.write(
        "INSERT INTO products(shop_id, nm_id, title, photo_url, updated_at) VALUES (?,?,?,?,?)",
        (shop_id, 77, "Кружка", "https://img.example/77.webp", time.time()),
    )
    tg.fail_next("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified")
    await put_events(db, shop_id, [order("ART-NOPIC", nm_id=77)])

    await drain(sender)

    [call] = tg.sent(10)
    assert call.method == "sendMessage" and "ART-NOPIC" in (call.text or "")


async def test_switched_off_kinds_are_not_sent_and_dead_key_says_what_to_do(
    db, keyring, tg, sender
):
    shop_id = await add_shop(db, keyring, 11, "Лавка", alert_orders=False)
    await put_events(db, shop_id, [order("ART-OFF")])
    await put_events(
        db,
        shop_id,
        [NewEvent(KeyDead(reason="expired", shop_name="Лавка"), "fp1")],
        batch="b2",
    )
    await drain(sender)

    texts = tg.texts(11)
    assert len(texts) == 1
    assert "Лавка" in texts[0] and "expired" in texts[0] and "/connect" in texts[0]


async def test_of_two_processes_one_sends_and_the_other_takes_over_when_its_role_lapses(
    db, keyring, tg, bot, i18n
):
    clock = [time.time()]
    senders = [
        Sender(db, bot, i18n, worker=name, lease_seconds=30, wall=lambda: clock[0])
        for name in ("host:1:aaaaaa", "host:2:bbbbbb")
    ]
    first, second = senders
    shop_id = await add_shop(db, keyring, 11)

    assert await first.hold_role()
    assert not await second.hold_role()
    await put_events(db, shop_id, [order("ART-FIRST")])
    assert await second.drain_once() == 0  # stands by: sends nothing
    assert tg.sent() == []
    await drain(first)
    assert _occurrences(tg, "ART-FIRST") == 1

    # The first claims a message, then dies before Telegram answers: the message is leased to
    # it, so nothing is sent twice while its lease may still be running.
    await put_events(db, shop_id, [order("ART-DIED")], batch="later")
    await outbox.route_events(db, lambda e, u: ("pending", 0.0))
    due = await outbox.due_deliveries(db, clock[0])
    await outbox.claim(db, [d.id for d in due], clock[0], first.worker, clock[0] + 30)
    clock[0] += 10
    assert not await second.hold_role()
    clock[0] += 31  # the first stopped renewing: its role and its lease lapse
    assert await second.hold_role()
    await drain(second)

    assert _occurrences(tg, "ART-DIED") == 1
    assert await db.counter("tg_resent_after_crash") == 1
    assert tg.total_violations() == 0
