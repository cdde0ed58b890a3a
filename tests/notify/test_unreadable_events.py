"""An event the outbox cannot load (a kind this version does not know, a damaged payload) is
logged, counted and skipped: the alerts beside it still go out, and the sender never stops."""

from __future__ import annotations

import time

from bot.store.outbox import UNREADABLE_COUNTER
from tests.notify.conftest import add_shop, drain, order, put_events


async def _raw_event(db, shop_id: int, kind: str, ref: str, payload: str) -> None:
    await db.write(
        "INSERT INTO events(shop_id, kind, ref, batch, payload, created_at) "
        "VALUES (?, ?, ?, 'raw', ?, ?)",
        (shop_id, kind, ref, payload, time.time()),
    )


async def test_unreadable_events_are_skipped_and_counted_while_the_rest_is_sent(
    db, keyring, tg, sender, caplog
):
    shop_id = await add_shop(db, keyring, 21, "Лавка")
    await _raw_event(db, shop_id, "order", "broken", '{"srid": "x", "nm_id": ')
    await _raw_event(db, shop_id, "coupon_issued", "future", "{}")  # a later version's kind
    await put_events(db, shop_id, [order("ART-OK")])

    await drain(sender)

    assert len(tg.texts(21)) == 1 and "ART-OK" in tg.texts(21)[0]
    assert await db.counter(UNREADABLE_COUNTER) == 2
    assert "does not load" in caplog.text
    # Marked routed: not read (nor counted) again on every pass.
    await drain(sender)
    assert await db.counter(UNREADABLE_COUNTER) == 2


async def test_a_delivery_whose_event_no_longer_loads_is_dropped_not_retried(
    db, keyring, tg, sender
):
    shop_id = await add_shop(db, keyring, 22, "Лавка", quiet_start="00:00", quiet_end="23:59")
    await put_events(db, shop_id, [order("ART-HELD")])
    await sender.drain_once()  # routed and held for the quiet hours
    await db.write("UPDATE events SET payload = 'garbage'")  # e.g. written by another version
    await db.write("UPDATE deliveries SET not_before = 0")  # the morning has come

    await drain(sender)

    assert tg.texts(22) == []
    states = await db.fetchall("SELECT state, error FROM deliveries")
    assert [tuple(r) for r in states] == [("dropped", "unreadable event")]
    assert await db.counter(UNREADABLE_COUNTER) == 1
