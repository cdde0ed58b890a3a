"""WB's rows reach the store as they are (bot.sync.rows): WB's models extend the store's row
shapes (bot.rows), and the sync gets back WB's own rows, the very objects, for its events."""

from __future__ import annotations

import dataclasses

import pytest

from bot.rows import NewCard, NewFbsOrder, NewFeedOrder, NewOrder, NewSale
from bot.store.shops import Shop
from bot.sync import rows
from bot.wb.models import Card, FbsOrder, FeedOrder, Order, Sale
from tests.reports.seed import make_shop, order, sale, utc


@pytest.mark.parametrize(
    ("model", "shape", "wb_only"),
    [
        (Order, NewOrder, {"income_id", "sticker"}),
        (Sale, NewSale, {"payment_sale_amount"}),
        (FbsOrder, NewFbsOrder, {"order_id", "chrt_id", "warehouse_id"}),
        (FeedOrder, NewFeedOrder, {"chrt_id", "is_b2b"}),
        (Card, NewCard, {"sizes"}),
    ],
)
def test_wbs_rows_are_the_stores_shapes_plus_wbs_own_fields(model, shape, wb_only) -> None:
    """The store takes WB's rows as they are (no copy per row): each WB model is the store's
    shape (bot.rows) with only the fields the store has no use for added."""
    assert issubclass(model, shape)
    names = {f.name for f in dataclasses.fields(model)}
    assert names - {f.name for f in dataclasses.fields(shape)} == wb_only


async def test_the_sync_gets_back_wbs_rows_new_and_cancelled(db, keyring) -> None:
    shop: Shop = await make_shop(db, keyring, 1)
    placed = order("s1", utc(2026, 11, 20, 10), 500.0)
    async with db.transaction() as conn:
        first = await rows.upsert_orders(conn, shop.id, [placed])
    assert first.new == [placed] and first.new[0] is placed
    assert first.cancelled == []
    cancelled = order("s1", utc(2026, 11, 20, 10), 500.0, cancelled_at=utc(2026, 11, 20, 12))
    async with db.transaction() as conn:
        second = await rows.upsert_orders(conn, shop.id, [placed, cancelled])
    assert second.new == [] and second.cancelled[0] is cancelled
    bought = sale("S1", utc(2026, 11, 21, 9), 500.0, 430.0)
    async with db.transaction() as conn:
        new_sales, hours = await rows.upsert_sales(conn, shop.id, [bought])
    assert new_sales[0] is bought and hours == {int(utc(2026, 11, 21, 9).timestamp())}


async def test_the_feed_and_fbs_rows_come_back_as_wbs_rows(db, keyring) -> None:
    shop: Shop = await make_shop(db, keyring, 1)
    at = utc(2026, 11, 20, 10)
    feed = {
        "srid": "f1", "nm_id": 7, "chrt_id": 70, "created_at": at, "updated_at": at,
        "warehouse_name": "Коледино", "is_mp": False, "city": "Москва", "district": "ЦФО",
        "seller_price": 900.0, "is_b2b": True,
    }  # fmt: skip
    placed = FeedOrder(status="created", **feed)
    cancelled = FeedOrder(status="cancel", **{**feed, "updated_at": utc(2026, 11, 20, 11)})
    fbs = FbsOrder(
        rid="r1", order_id=1, created_at=at, nm_id=5, chrt_id=None, article="ART", price=1000.0,
        warehouse_id=3,
    )  # fmt: skip
    async with db.transaction() as conn:
        first = await rows.insert_feed_orders(conn, shop.id, [placed])
        second = await rows.insert_feed_orders(conn, shop.id, [cancelled])
        fresh = await rows.insert_fbs_orders(conn, shop.id, [fbs])
    assert first.new[0] is placed and second.cancelled[0] is cancelled
    assert second.cancelled[0].is_b2b and fresh[0].warehouse_id == 3
