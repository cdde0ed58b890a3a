"""The real Dispatcher and Bot (as bot.app.build makes them) against the fake Bot API, plus
helpers that store stock and orders the way the sync engine does."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.rows import NewStock
from bot.store import Database
from bot.store.users import User
from bot.sync.rows import replace_stock
from tests.dispatch import app, press, say, tg
from tests.reports.seed import order, store_rows
from tests.users import user

__all__ = ["app", "press", "say", "tg"]


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def put_stock(db: Database, shop_id: int, rows: list[tuple[int, str, str, int]]) -> None:
    """Stock rows (nm_id, tech_size, warehouse, quantity) as one snapshot."""
    stock = [
        NewStock(
            nm_id=nm_id,
            barcode=f"{nm_id}-{size}",
            tech_size=size,
            vendor_code=f"ART-{nm_id}",
            brand="Acme",
            subject="Платья",
            warehouse=warehouse,
            quantity=quantity,
        )
        for nm_id, size, warehouse, quantity in rows
    ]
    async with db.transaction() as conn:
        await replace_stock(conn, shop_id, stock)


async def put_orders(
    db: Database, shop_id: int, nm_id: int, count: int, end: float, size: str = "0"
) -> None:
    """`count` orders of the product, one an hour before `end`."""
    rows = [
        replace(
            order(f"{nm_id}-{size}-{i}-{end}", at(end - 3600 * (i + 1)), 1000, nm_id),
            tech_size=size,
        )
        for i in range(count)
    ]
    await store_rows(db, shop_id, rows)


@pytest.fixture
def make_user():
    def make(**values) -> User:
        return user(**{"language": "en", **values})

    return make
