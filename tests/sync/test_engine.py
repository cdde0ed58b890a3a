"""The sync engine against the fake WB enforcing WB's limits: what a seller would notice is
that every order is stored and alerted once, WB is never pushed into a 429, and a dead key
stops polling and tells the owner once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from bot.sync.engine import SyncEngine
from bot.timeutil import MSK
from bot.wb.limiter import Limiter

pytestmark = pytest.mark.asyncio


async def count(rig, sql, params=()):
    return await rig.scalar(sql, params)


async def baseline_done(rig, shop_id, job="orders"):
    return await count(
        rig, "SELECT baseline_done FROM polls WHERE shop_id = ? AND method = ?", (shop_id, job)
    )


@pytest.mark.parametrize("rig", [{"page_cap": 5}], indirect=True)
async def test_baseline_is_silent_then_new_orders_alert_once_across_pages(rig):
    shop, sid, _ = await rig.connect()
    old = datetime.now(MSK).replace(tzinfo=None) - timedelta(days=10)
    for i in range(12):
        rig.wb.add_order(
            sid, date=old + timedelta(hours=i), lastChangeDate=old + timedelta(hours=i)
        )
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    assert await count(rig, "SELECT COUNT(*) FROM orders WHERE shop_id = ?", (shop.id,)) == 12
    assert await count(rig, "SELECT COUNT(*) FROM events") == 0

    now = datetime.now(MSK).replace(tzinfo=None)
    new = [rig.wb.add_order(sid, lastChangeDate=now - timedelta(seconds=30 - i)) for i in range(7)]
    first_srid = await count(rig, "SELECT srid FROM orders ORDER BY ts LIMIT 1")
    rig.wb.cancel_order(sid, first_srid)
    await rig.run_until(
        lambda: count(rig, "SELECT COUNT(*) FROM events WHERE kind = 'order'"), within=5
    )
    await rig.run_for(0.5)  # more polls: the repeated boundary rows must change nothing

    assert await count(rig, "SELECT COUNT(*) FROM orders") == 19
    srids = [r[0] for r in await rig.db.fetchall("SELECT ref FROM events WHERE kind='order'")]
    assert sorted(srids) == sorted(o["srid"] for o in new)
    assert [r[0] for r in await rig.db.fetchall("SELECT ref FROM events WHERE kind='cancel'")] == [
        first_srid
    ]
    assert rig.wb.total_violations() == 0


@pytest.mark.parametrize("rig", [{"page_cap": 5}], indirect=True)
async def test_every_page_found_after_downtime_joins_the_while_i_was_away_digest(rig):
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    # The bot was down for a long while: the last good poll is an hour (of scaled time) ago.
    async with rig.db.transaction() as conn:
        await conn.execute(
            "UPDATE polls SET last_ok_at = last_ok_at - 3600, next_due_at = 0 "
            "WHERE shop_id = ? AND method = 'orders'",
            (shop.id,),
        )
    now = datetime.now(MSK).replace(tzinfo=None)
    for i in range(12):  # three pages
        rig.wb.add_order(sid, lastChangeDate=now - timedelta(seconds=60 - i))
    await rig.run_until(
        lambda: count(rig, "SELECT COUNT(*) = 12 FROM events WHERE kind = 'order'"), within=5
    )
    flags = [r[0] for r in await rig.db.fetchall("SELECT catch_up FROM events")]
    assert flags == [1] * 12


async def test_sales_become_buyout_and_return_events(rig):
    shop, sid, _ = await rig.connect()
    order = rig.wb.add_order(sid, date=datetime.now(MSK).replace(tzinfo=None) - timedelta(days=1))
    await rig.run_until(lambda: baseline_done(rig, shop.id, "sales"))
    rig.wb.add_sale(sid, order["srid"])
    rig.wb.add_sale(sid, order["srid"], is_return=True)
    await rig.run_until(
        lambda: count(rig, "SELECT COUNT(*) = 2 FROM events WHERE kind IN ('buyout','return')")
    )
    kinds = sorted(r[0] for r in await rig.db.fetchall("SELECT kind FROM events"))
    assert kinds == ["buyout", "return"]
    returns = await count(
        rig, "SELECT SUM(returns) FROM rollup_hours WHERE shop_id = ?", (shop.id,)
    )
    assert returns == 1


async def test_forced_429_is_waited_out_exactly(rig):
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    rig.wb.fail_next("orders", 429, retry=0.5)
    t0 = time.monotonic()

    def resumed() -> bool:
        seen = [r for r in rig.wb.requests_for(sid, "orders") if r.t >= t0]
        return any(r.status == 429 for r in seen) and seen[-1].status != 429

    await rig.run_until(resumed, within=10)
    orders = [r for r in rig.wb.requests_for(sid, "orders") if r.t >= t0]
    limited = [r for r in orders if r.status == 429]
    assert len(limited) == 1
    after = [r for r in orders if r.t > limited[0].t]
    assert after, "polling resumed"
    assert min(r.t for r in after) - limited[0].t >= 0.5
    assert rig.wb.total_violations() == 0
    error = await count(
        rig, "SELECT last_error FROM polls WHERE shop_id=? AND method='orders'", (shop.id,)
    )
    assert error.startswith("429")


async def test_revoked_key_marks_the_shop_dead_once_and_stops_polling(rig):
    shop, sid, token = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    rig.wb.revoke(token)
    await rig.run_until(lambda: count(rig, "SELECT state = 'dead' FROM shops"))
    await rig.run_for(0.3)
    before = len(rig.wb.requests_for(sid))
    await rig.run_for(0.5)
    assert len(rig.wb.requests_for(sid)) == before
    assert await count(rig, "SELECT COUNT(*) FROM events WHERE kind = 'token_dead'") == 1


async def test_server_errors_back_off_and_keep_data(rig):
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    rig.wb.fail_next("orders", 503, times=3)
    rig.wb.malformed_next("sales", b"{not json", times=2)
    order = rig.wb.add_order(sid)
    await rig.run_until(lambda: count(rig, "SELECT COUNT(*) FROM events WHERE kind='order'"))
    assert await count(rig, "SELECT ref FROM events WHERE kind='order'") == order["srid"]
    failures = await count(rig, "SELECT last_error FROM polls WHERE method='orders'")
    assert failures is not None


async def test_fbs_and_statistics_alert_an_order_once(rig):
    shop, sid, _ = await rig.connect(categories=("statistics", "marketplace"))
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    await rig.run_until(lambda: baseline_done(rig, shop.id, "fbs"))
    order = rig.wb.add_order(sid, fbs=True)
    await rig.run_until(lambda: count(rig, "SELECT COUNT(*) FROM events WHERE kind='order'"))
    # Until the statistics row has come in as well (whichever source saw the order first).
    await rig.run_until(
        lambda: count(
            rig, "SELECT source = 'statistics' FROM orders WHERE srid = ?", (order["srid"],)
        )
    )
    await rig.run_for(0.3)
    refs = [r[0] for r in await rig.db.fetchall("SELECT ref FROM events WHERE kind='order'")]
    assert refs == [order["srid"]]
    source = await count(rig, "SELECT source FROM orders WHERE srid = ?", (order["srid"],))
    assert source == "statistics"  # the fuller statistics row replaced the FBS one


async def test_stock_report_flow_stores_real_warehouses_only(rig):
    shop, sid, _ = await rig.connect(categories=("statistics", "analytics"))
    product = rig.wb.catalogue(sid)[0]
    size = product.sizes[0]
    rig.wb.set_stock(
        sid,
        product.nm_id,
        size.barcode,
        size.tech_size,
        {"Коледино": 5, "Казань": 2},
        in_way_to_client=3,
    )
    await rig.run_until(lambda: baseline_done(rig, shop.id, "stock"))
    rows = await rig.db.fetchall("SELECT warehouse, quantity FROM stock ORDER BY warehouse")
    assert [(r[0], r[1]) for r in rows] == [("Казань", 2), ("Коледино", 5)]


async def test_many_shops_steady_orders_cause_no_rate_limit_violations(rig):
    shops = []
    for i in range(30):
        shops.append(
            await rig.connect(
                acc=3 if i % 2 else 1,
                user_id=100 + i,
                categories=("statistics", "analytics", "marketplace"),
            )
        )
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        for _, sid, _ in shops[:10]:
            rig.wb.add_order(sid)
        await rig.run_for(0.1)
    assert rig.wb.total_violations() == 0
    personal = [sid for i, (_, sid, _) in enumerate(shops) if i % 2]
    assert all(rig.wb.requests_for(sid, "orders") for sid in personal)


async def test_base_token_gets_stock_despite_four_calls_an_hour(rig):
    shop, sid, _ = await rig.connect(acc=1, categories=("statistics", "analytics"))
    product = rig.wb.catalogue(sid)[0]
    size = product.sizes[0]
    rig.wb.set_stock(sid, product.nm_id, size.barcode, size.tech_size, {"Коледино": 4})
    await rig.run_until(lambda: baseline_done(rig, shop.id, "stock"), within=15)
    assert await count(rig, "SELECT SUM(quantity) FROM stock") == 4
    assert rig.wb.total_violations() == 0


async def test_a_restarted_engine_does_not_call_wb_sooner(rig):
    shop, sid, _ = await rig.connect(acc=1)  # Base: orders once per 3 h (10.8 s scaled)
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    calls = len(rig.wb.requests_for(sid, "orders"))
    await rig.db.write("UPDATE polls SET next_due_at = 0")  # everything due at once
    restarted = SyncEngine(rig.db, rig.keyring, rig.engine.wb, Limiter(), rig.engine.settings)
    rig.engine = restarted
    await rig.run_for(1.0)
    assert len(rig.wb.requests_for(sid, "orders")) == calls
    assert rig.wb.total_violations() == 0


async def test_an_order_moved_to_another_hour_leaves_its_old_rollup(db):
    from datetime import UTC

    from bot.store.rollups import refresh_rollups
    from bot.sync.rows import insert_fbs_orders, upsert_orders
    from bot.wb.models import FbsOrder, parse_orders

    early = datetime(2026, 11, 20, 9, 59, 50, tzinfo=UTC)
    fbs = FbsOrder(
        rid="r1",
        order_id=1,
        created_at=early,
        nm_id=5,
        chrt_id=None,
        article="ART",
        price=1000.0,
        warehouse_id=None,
    )
    async with db.transaction() as conn:
        await insert_fbs_orders(conn, 1, [fbs])
        await refresh_rollups(conn, 1, {int(early.timestamp()) // 3600 * 3600})
    row = {
        "srid": "r1",
        "nmId": 5,
        "date": "2026-11-20T13:00:10",
        "lastChangeDate": "2026-11-20T13:00:10",
        "priceWithDisc": 1000,
    }
    async with db.transaction() as conn:
        changes = await upsert_orders(conn, 1, parse_orders([row]).rows)
        await refresh_rollups(conn, 1, changes.hours)
    totals = await db.fetchone("SELECT SUM(orders), SUM(orders_sum) FROM rollup_hours")
    assert (totals[0], totals[1]) == (1, 1000.0)


async def test_a_refused_optional_category_stops_only_that_job(rig):
    shop, sid, _ = await rig.connect(categories=("statistics", "marketplace"))
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    rig.wb.fail_next(
        "fbs_new",
        401,
        body={"title": "unauthorized", "detail": "token scope not allowed", "status": 401},
    )
    await rig.run_until(
        lambda: count(rig, "SELECT last_error FROM polls WHERE method = 'fbs'"), within=5
    )
    assert await count(rig, "SELECT state FROM shops") == "active"
    order = rig.wb.add_order(sid)
    await rig.run_until(lambda: count(rig, "SELECT COUNT(*) FROM events WHERE kind='order'"))
    assert await count(rig, "SELECT ref FROM events WHERE kind='order'") == order["srid"]


async def test_a_row_stamped_in_the_future_does_not_move_the_cursor_past_real_orders(rig):
    shop, sid, _ = await rig.connect()
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    rig.wb.add_order(sid, lastChangeDate=datetime(2099, 1, 1))
    await rig.run_for(0.3)
    later = rig.wb.add_order(sid)
    await rig.run_until(
        lambda: count(rig, "SELECT COUNT(*) FROM events WHERE ref = ?", (later["srid"],))
    )
    cursor = await count(rig, "SELECT cursor FROM polls WHERE method = 'orders'")
    assert not cursor.startswith("2099")


@pytest.mark.parametrize("rig", [{"page_cap": 10, "page_cap_spread": 7}], indirect=True)
async def test_short_pages_are_not_the_last_the_bot_pages_until_nothing_is_past_the_cursor(rig):
    # WB's cap is "примерно 80000": pages here hold 3 to 10 rows. Every old order is loaded
    # silently, and only orders placed afterwards alert, once each.
    shop, sid, _ = await rig.connect()
    old = datetime.now(MSK).replace(tzinfo=None) - timedelta(days=20)
    srids = rig.wb.bulk_add_orders(sid, 60, start=old, step=timedelta(hours=1))
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    assert await count(rig, "SELECT COUNT(*) FROM orders WHERE shop_id = ?", (shop.id,)) == 60
    assert await count(rig, "SELECT COUNT(*) FROM events") == 0

    now = datetime.now(MSK).replace(tzinfo=None)
    stamps = [now - timedelta(seconds=40 - k) for k in range(23)]
    new = [rig.wb.add_order(sid, lastChangeDate=stamp) for stamp in stamps]
    await rig.run_until(
        lambda: count(rig, "SELECT COUNT(*) >= 23 FROM events WHERE kind = 'order'"), within=5
    )
    await rig.run_for(0.3)
    refs = sorted(r[0] for r in await rig.db.fetchall("SELECT ref FROM events"))
    assert refs == sorted(o["srid"] for o in new)
    stored = {r[0] for r in await rig.db.fetchall("SELECT srid FROM orders")}
    assert stored == set(srids) | {o["srid"] for o in new}
    assert rig.wb.total_violations() == 0


async def test_an_order_placed_after_connect_alerts_even_while_the_baseline_loads(rig):
    shop, sid, _ = await rig.connect()
    old = rig.wb.add_order(sid, date=datetime.now(MSK).replace(tzinfo=None) - timedelta(days=3))
    # placed after /connect (WB stamps to the second), before the first sync
    fresh = rig.wb.add_order(
        sid, date=datetime.now(MSK).replace(tzinfo=None) + timedelta(seconds=2)
    )
    await rig.run_until(lambda: baseline_done(rig, shop.id))
    refs = [r[0] for r in await rig.db.fetchall("SELECT ref FROM events WHERE kind = 'order'")]
    assert refs == [fresh["srid"]]
    assert old["srid"] not in refs
