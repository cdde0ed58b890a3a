"""The store's writers of WB's rows, as the sync's modules call them. WB's models (bot.wb.models)
extend the row shapes the store takes (bot.rows), so WB's rows are stored as they are, without
a copy, and what the store hands back (the new, the newly cancelled) are the very WB rows it was
given, of WB's types, which the sync turns into events."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import orders as store_orders
from bot.store.db import Conn
from bot.store.orders import OrderChanges, insert_fbs_orders, insert_feed_orders
from bot.store.stock import replace_stock, upsert_products
from bot.wb.models import Order, Sale

__all__ = [
    "insert_fbs_orders",
    "insert_feed_orders",
    "replace_stock",
    "upsert_orders",
    "upsert_products",
    "upsert_sales",
]


async def upsert_orders(conn: Conn, shop_id: int, orders: Sequence[Order]) -> OrderChanges[Order]:
    """bot.store.orders.upsert_orders for WB's orders (the statistics flow holds a page of
    orders or of sales, one type for both)."""
    return await store_orders.upsert_orders(conn, shop_id, orders)


async def upsert_sales(
    conn: Conn, shop_id: int, sales: Sequence[Sale]
) -> tuple[list[Sale], set[int]]:
    """bot.store.orders.upsert_sales for WB's sales."""
    return await store_orders.upsert_sales(conn, shop_id, sales)
