"""The order feed beside statistics and FBS: an order WB leaves out of supplier/orders (payment
not confirmed) still reaches the seller, once, whichever source sees an order first; statistics
later fills in the stored order; cancellations still alert once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.sync import feed
from bot.timeutil import MSK

pytestmark = pytest.mark.asyncio

ALL = ("statistics", "analytics", "marketplace")


async def connect(rig, categories):
    return await rig.connect_earlier(categories=categories)


async def baselines_done(rig, shop_id):
    done = await rig.rows("SELECT method, baseline_done FROM polls WHERE shop_id = ?", (shop_id,))
    jobs = dict(done)
    return all(jobs.get(job) for job in ("orders", "sales", "feed", "fbs"))


async def events(rig, kind):
    return [r[0] for r in await rig.rows("SELECT ref FROM events WHERE kind = ?", (kind,))]


async def test_an_unpaid_order_alerts_from_the_feed_once_and_statistics_fills_it_in_later(rig):
    shop, sid = await connect(rig, ALL)
    history = rig.wb.add_order(
        sid, paid=False, date=datetime.now(MSK).replace(tzinfo=None) - timedelta(hours=3)
    )
    await rig.run_until(lambda: baselines_done(rig, shop.id))
    assert await events(rig, "order") == [], "the first sync is a silent baseline"
    stored = await rig.rows("SELECT source FROM orders WHERE srid = ?", (history["srid"],))
    assert stored == [("feed",)], "an unpaid order before /connect is kept, silently"

    unpaid = rig.wb.add_order(sid, paid=False)  # instalments: not in supplier/orders
    await rig.run_until(lambda: events(rig, "order"))
    assert await events(rig, "order") == [unpaid["srid"]]
    payload = await rig.rows("SELECT payload FROM events WHERE kind = 'order'")
    assert '"source": "feed"' in payload[0][0]
    assert str(unpaid["priceWithDisc"]) in payload[0][0]

    # Hours later WB confirms the payment: statistics lists it, and it is not news again.
    rig.wb.confirm_payment(sid, unpaid["srid"])
    fbs = rig.wb.add_order(sid, fbs=True)  # in orders/new, the feed and statistics at once
    await rig.run_until(lambda: _stored_from_statistics(rig, unpaid["srid"]))
    await rig.run_until(lambda: _stored_from_statistics(rig, fbs["srid"]))
    await rig.run_for(0.3)
    assert sorted(await events(rig, "order")) == sorted([unpaid["srid"], fbs["srid"]])
    article, region, source = (
        await rig.rows(
            "SELECT supplier_article, region, source FROM orders WHERE srid = ?",
            (unpaid["srid"],),
        )
    )[0]
    assert (article, region, source) == (
        unpaid["supplierArticle"],
        unpaid["regionName"],
        "statistics",
    )

    # A cancellation alerts once, whether the feed or statistics tells it first.
    rig.wb.cancel_order(sid, unpaid["srid"])
    rig.wb.cancel_order(sid, fbs["srid"])
    await rig.run_until(lambda: _count_is(rig, "cancel", 2))
    await rig.run_for(0.3)
    assert sorted(await events(rig, "cancel")) == sorted([unpaid["srid"], fbs["srid"]])
    assert await rig.scalar("SELECT SUM(cancels) FROM rollup_hours") == 2
    assert rig.wb.total_violations() == 0


async def test_an_order_wb_never_confirms_stays_in_the_shops_numbers(rig):
    shop, sid = await connect(rig, ("statistics", "analytics"))
    await rig.run_until(lambda: _jobs_done(rig, shop.id, ("orders", "feed")))
    never = rig.wb.add_order(sid, paid=False, priceWithDisc=1234.5)
    await rig.run_until(lambda: events(rig, "order"))
    assert await rig.scalar("SELECT SUM(orders) FROM rollup_hours") == 1
    assert await rig.scalar("SELECT SUM(orders_sum) FROM rollup_hours") == 1234.5
    rig.wb.cancel_order(sid, never["srid"])  # only the feed will ever say so
    await rig.run_until(lambda: events(rig, "cancel"))
    assert await rig.scalar("SELECT SUM(cancels) FROM rollup_hours") == 1
    assert await events(rig, "cancel") == [never["srid"]]


async def _stored_from_statistics(rig, srid):
    return await rig.scalar("SELECT source = 'statistics' FROM orders WHERE srid = ?", (srid,))


async def _count_is(rig, kind, n):
    return len(await events(rig, kind)) == n


async def _jobs_done(rig, shop_id, jobs):
    done = dict(
        await rig.rows("SELECT method, baseline_done FROM polls WHERE shop_id = ?", (shop_id,))
    )
    return all(done.get(j) for j in jobs)


async def test_the_feed_pages_within_one_snapshot_and_a_cancelled_older_order_alerts(
    rig, monkeypatch
):
    monkeypatch.setattr(feed, "FEED_PAGE", 2)  # WB allows 10,000; pages of 2 here
    shop, sid = await connect(rig, ("analytics",))
    before = datetime.now(MSK).replace(tzinfo=None) - timedelta(hours=2)
    old = rig.wb.add_order(sid, date=before)  # placed before /connect
    await rig.run_until(lambda: _jobs_done(rig, shop.id, ("feed",)))
    assert await events(rig, "order") == []
    placed = [rig.wb.add_order(sid, paid=False)["srid"] for _ in range(5)]
    await rig.run_until(lambda: _count_is(rig, "order", 5))
    await rig.run_for(0.3)
    assert sorted(await events(rig, "order")) == sorted(placed)
    calls = rig.wb.requests_for(sid, "order_feed")
    assert len(calls) >= 3 and all(r.status == 200 for r in calls)  # 5 orders in pages of 2
    assert rig.wb.total_violations() == 0
    # An order from before /connect that is cancelled now: the seller hears of it once.
    rig.wb.cancel_order(sid, old["srid"])
    await rig.run_until(lambda: events(rig, "cancel"))
    assert await events(rig, "cancel") == [old["srid"]]


async def test_feed_buyouts_and_returns_are_no_new_orders_or_cancellations(rig):
    # 11-analytics.yaml postV1OrderFeed: an order's status moves on to buyout, return or
    # returnDefective, and the order comes back in the feed with that status and a new
    # updatedAt. It is no news from the feed: the buyout and the return are told once, from
    # supplier/sales.
    shop, sid = await connect(rig, ALL)
    await rig.run_until(lambda: baselines_done(rig, shop.id))
    placed = [rig.wb.add_order(sid) for _ in range(3)]
    await rig.run_until(lambda: _count_is(rig, "order", 3))
    bought, returned, defective = placed
    rig.wb.add_sale(sid, bought["srid"])
    rig.wb.add_sale(sid, returned["srid"], is_return=True)
    rig.wb.add_sale(sid, defective["srid"], is_return=True, defective=True)
    feeds = len(rig.wb.requests_for(sid, "order_feed"))
    await rig.run_until(lambda: _count_is(rig, "return", 2))
    await rig.run_until(lambda: len(rig.wb.requests_for(sid, "order_feed")) >= feeds + 3)

    assert sorted(await events(rig, "order")) == sorted(o["srid"] for o in placed)
    assert await events(rig, "cancel") == []
    assert len(await events(rig, "buyout")) == 1 and len(await events(rig, "return")) == 2
    cancelled = await rig.rows("SELECT srid FROM orders WHERE is_cancel = 1")
    assert cancelled == []


@pytest.mark.parametrize("rig", [{"aggregated_warehouses": True}], indirect=True)
async def test_an_order_from_the_aggregated_warehouse_alerts_with_its_name(rig):
    # 12-reports.yaml, the supplier/orders example: "warehouseName": "Склад WB РФ".
    shop, sid = await connect(rig, ("statistics",))
    await rig.run_until(lambda: baselines_done_statistics(rig, shop.id))
    order = rig.wb.add_order(sid)
    await rig.run_until(lambda: events(rig, "order"))

    [payload] = await rig.rows("SELECT payload FROM events WHERE kind = 'order'")
    assert '"warehouse": "Склад WB РФ"' in payload[0]
    stored = await rig.rows("SELECT warehouse FROM orders WHERE srid = ?", (order["srid"],))
    assert stored == [("Склад WB РФ",)]


async def baselines_done_statistics(rig, shop_id):
    return await _jobs_done(rig, shop_id, ("orders", "sales"))
