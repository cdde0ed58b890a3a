"""Rows WB publishes late, and what a poll downloads: a poll asks only for what is past its
cursor, so one new order costs one row; a look-back an hour (scaled) later still finds a row WB
serves with a stamp up to the overlap behind the cursor, however far newer rows have moved the
cursor meanwhile, and the seller hears of it once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.sync import feed, lookback
from bot.sync.engine import SyncEngine
from bot.sync.statistics import CURSOR_OVERLAP
from bot.timeutil import MSK, parse_utc
from bot.wb.limiter import Limiter

pytestmark = pytest.mark.asyncio


async def order_events(rig, srid):
    return await rig.scalar(
        "SELECT COUNT(*) FROM events WHERE kind = 'order' AND ref = ?", (srid,)
    )


async def look_back_of(rig, job):
    task = await rig.scalar("SELECT task FROM polls WHERE method = ?", (job,))
    return json.loads(task).get("back_at") if task else None


async def fresh_look_back(rig, job):
    """Waits for the job's next look-back to begin, so the next hour (3.6 s scaled) has none."""
    before = await look_back_of(rig, job)
    await rig.run_until(lambda: _changed(rig, job, before), within=10)


async def _changed(rig, job, before):
    now = await look_back_of(rig, job)
    return now is not None and now != before


def count_rows(rig, name):
    """Counts the rows WB serves the engine's client for one method."""
    served = {"rows": 0}
    method = getattr(rig.engine.wb, name)

    async def counted(*args, **kwargs):
        page = await method(*args, **kwargs)
        served["rows"] += len(page["orders"]) if name == "order_feed" else len(page.rows)
        return page

    setattr(rig.engine.wb, name, counted)
    return served


async def test_a_poll_downloads_only_new_rows_not_the_one_at_its_cursor(rig, monkeypatch):
    _shop, sid = await rig.connect_earlier()
    before = datetime.now(MSK).replace(tzinfo=None) - timedelta(days=2)
    rig.wb.add_order(sid, date=before, lastChangeDate=before)
    await rig.run_until(lambda: rig.scalar("SELECT MIN(baseline_done) FROM polls"))
    await rig.run_until(lambda: look_back_of(rig, "orders"))
    monkeypatch.setattr(lookback, "LOOK_BACK_EVERY", timedelta(days=365))
    served = count_rows(rig, "orders")
    calls = len(rig.wb.requests_for(sid, "orders"))

    await rig.run_for(0.5)  # about eight polls with nothing new at WB
    assert len(rig.wb.requests_for(sid, "orders")) - calls >= 5
    assert served["rows"] == 0, "a poll with nothing new downloaded rows"

    order = rig.wb.add_order(sid)
    await rig.run_until(lambda: order_events(rig, order["srid"]))
    await rig.run_for(0.5)
    assert served["rows"] == 1
    assert await order_events(rig, order["srid"]) == 1


async def test_a_row_published_late_alerts_once_though_newer_orders_moved_the_cursor_on(rig):
    # WB serves a row stamped 5 minutes before the cursor (within the 10-minute overlap) at the
    # moment orders stamped up to 20 minutes later arrive: the narrow polls move the cursor past
    # it by more than the overlap, so only a look-back from where the cursor stood at the
    # previous look-back finds it ("the last 10 minutes" at the next look-back would not).
    _shop, sid = await rig.connect_earlier()
    await rig.run_until(lambda: rig.scalar("SELECT MIN(baseline_done) FROM polls"))
    await fresh_look_back(rig, "orders")
    t0 = datetime.now(MSK).replace(tzinfo=None, microsecond=0)
    first = rig.wb.add_order(sid, lastChangeDate=t0)
    await rig.run_until(lambda: order_events(rig, first["srid"]))

    late_stamp = t0 - CURSOR_OVERLAP / 2
    late = rig.wb.add_order(sid, date=late_stamp, lastChangeDate=late_stamp)
    same = rig.wb.add_order(sid, lastChangeDate=t0)  # the cursor's very stamp, read past already
    newer = [
        rig.wb.add_order(sid, lastChangeDate=t0 + CURSOR_OVERLAP / 2 * k) for k in range(1, 5)
    ]
    cursor = (t0 + CURSOR_OVERLAP * 2).isoformat()
    await rig.run_until(lambda: rig.scalar("SELECT cursor = ? FROM polls", (cursor,)))

    # A restart before the look-back: what it reads from is kept in the poll.
    await rig.engine.stop()
    old = rig.engine
    rig.engine = SyncEngine(rig.db, rig.keyring, old.wb, Limiter(), old.settings)
    try:
        await rig.run_until(lambda: order_events(rig, same["srid"]), within=10)
        await rig.run_until(lambda: order_events(rig, late["srid"]), within=10)
        await rig.run_for(0.3)
    finally:
        await rig.engine.stop()

    refs = [r[0] for r in await rig.rows("SELECT ref FROM events WHERE kind = 'order'")]
    assert sorted(refs) == sorted(o["srid"] for o in [first, late, same, *newer])
    text = await rig.scalar("SELECT payload FROM events WHERE ref = ?", (late["srid"],))
    assert late["supplierArticle"] in text
    assert rig.wb.total_violations() == 0


async def test_an_order_the_feed_lists_late_alerts_once(rig, monkeypatch):
    # The feed's cursor moves with WB's snapshot time on every poll. An unpaid order (the feed
    # alone has it) that appears with a status time before the cursor, within the overlap (5 s
    # here), is found by the next look-back; the cursor has moved on by more than the overlap by
    # then, so a look-back from the current cursor would miss it.
    monkeypatch.setattr(feed, "FEED_OVERLAP", timedelta(seconds=5))
    _shop, sid = await rig.connect_earlier(categories=("statistics", "analytics"))
    await rig.db.write("UPDATE shops SET connected_at = connected_at - 60")  # placed after it
    await rig.run_until(
        lambda: rig.scalar(
            "SELECT MIN(baseline_done) FROM polls WHERE method IN ('orders', 'sales', 'feed')"
        )
    )
    await fresh_look_back(rig, "feed")
    cursor = parse_utc(await rig.scalar("SELECT cursor FROM polls WHERE method = 'feed'"))
    placed = (cursor - timedelta(seconds=4)).astimezone(MSK).replace(tzinfo=None)
    late = rig.wb.add_order(sid, paid=False, date=placed)
    await rig.run_until(lambda: order_events(rig, late["srid"]), within=10)
    assert parse_utc(await rig.scalar("SELECT cursor FROM polls WHERE method = 'feed'")) > (
        cursor + timedelta(seconds=1)
    ), "the order was found before the cursor moved on"
    await rig.run_for(0.3)
    assert await order_events(rig, late["srid"]) == 1
    text = await rig.scalar("SELECT payload FROM events WHERE ref = ?", (late["srid"],))
    assert '"source": "feed"' in text


@pytest.mark.parametrize("rig", [{"page_cap": 1200, "page_cap_spread": 0}], indirect=True)
async def test_a_page_cut_inside_rows_of_one_stamp_goes_on_at_that_stamp(rig, monkeypatch):
    # 3,000 orders at once in 1,200-row pages, the first cut in the middle of 500 orders sharing
    # one lastChangeDate: the rest of them come with the next page, not an hour later.
    _shop, sid = await rig.connect_earlier()
    await rig.db.write("UPDATE shops SET connected_at = connected_at - 86400")
    await rig.run_until(lambda: rig.scalar("SELECT MIN(baseline_done) FROM polls"))
    await rig.run_until(lambda: look_back_of(rig, "orders"))
    monkeypatch.setattr(lookback, "LOOK_BACK_EVERY", timedelta(days=365))
    start = datetime.now(MSK).replace(tzinfo=None, microsecond=0) - timedelta(hours=3)
    srids = rig.wb.bulk_add_orders(sid, 1000, start=start)
    srids += rig.wb.bulk_add_orders(sid, 500, start=start + timedelta(hours=1), step=timedelta(0))
    srids += rig.wb.bulk_add_orders(sid, 1500, start=start + timedelta(hours=2))
    await rig.run_until(
        lambda: rig.scalar("SELECT COUNT(*) = 3000 FROM events WHERE kind = 'order'"), within=20
    )
    await rig.run_for(0.3)
    refs = [r[0] for r in await rig.rows("SELECT ref FROM events WHERE kind = 'order'")]
    assert sorted(refs) == sorted(srids)
