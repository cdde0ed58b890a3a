"""WB's rows reach the store in the store's own types (bot.sync.rows): every field the store
keeps is WB's field of the same name, and the sync gets back WB's own rows for its events."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.store.shops import Shop
from bot.sync import rows
from bot.wb.models import Card, FbsOrder, FeedOrder, Order, Sale, StockRow
from tests.reports.seed import make_shop, order, sale, utc


def _distinct(model: type) -> object:
    """An instance whose fields all differ, so a field copied from the wrong one shows."""
    values: dict[str, object] = {}
    for i, f in enumerate(dataclasses.fields(model)):
        kind = str(f.type)
        if "datetime" in kind:
            values[f.name] = utc(2026, 11, 1) + timedelta(hours=i)
        elif kind.startswith("bool"):
            values[f.name] = i % 2 == 0
        elif kind.startswith("int"):
            values[f.name] = 1000 + i
        elif kind.startswith("float"):
            values[f.name] = 0.5 + i
        elif kind.startswith("tuple"):
            values[f.name] = ()
        else:
            values[f.name] = f"{f.name}-{i}"
    return model(**values)


@pytest.mark.parametrize(
    ("model", "convert"),
    [
        (Order, rows.new_order),
        (Sale, rows.new_sale),
        (FbsOrder, rows.new_fbs_order),
        (FeedOrder, rows.new_feed_order),
        (StockRow, rows.new_stock),
        (Card, rows.new_card),
    ],
)
def test_each_stored_field_is_wbs_field_of_that_name(model, convert) -> None:
    wb_row = _distinct(model)
    stored = convert(wb_row)
    for f in dataclasses.fields(stored):
        assert getattr(stored, f.name) == getattr(wb_row, f.name), f.name


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
