"""WB's rows in the store's terms. The store takes its own row types (bot.store.orders,
bot.store.stock) and knows nothing of WB's models; these wrappers, under the store's names,
convert WB's rows (field by field of the same name), store them in the caller's transaction,
and hand back the WB rows the store found new or newly cancelled, which the sync turns into
events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.store import orders as store_orders
from bot.store import stock as store_stock
from bot.store.db import Conn
from bot.store.orders import NewFbsOrder, NewFeedOrder, NewOrder, NewSale
from bot.store.stock import NewCard, NewStock
from bot.wb.models import Card, FbsOrder, FeedOrder, Order, Sale, StockRow

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
R = TypeVar("R")
D = TypeVar("D", bound="DataclassInstance")


@dataclass
class Changes(Generic[T]):
    """What storing a page changed, in WB's rows: the new ones, the newly cancelled ones, the
    UTC hours whose rollups must be recomputed, and (from the order feed) the names the store
    knows for the feed's products: nm_id -> (seller article, subject, brand)."""

    new: list[T] = field(default_factory=list)
    cancelled: list[T] = field(default_factory=list)
    hours: set[int] = field(default_factory=set)
    names: dict[int, tuple[str, str, str]] = field(default_factory=dict)


class _Origins(Generic[T, R]):
    """The store's rows built from WB's, and the way back: the store hands back the very row
    objects it was given."""

    def __init__(self, models: Sequence[T], rows: list[R]) -> None:
        self.rows = rows
        self._back = {id(row): model for row, model in zip(rows, models, strict=True)}

    def back(self, rows: Sequence[R]) -> list[T]:
        return [self._back[id(row)] for row in rows]


def stored(kind: type[D], row: object) -> D:
    """The store's row of type `kind` made of WB's `row`: each of its fields is WB's field of
    the same name (tests/sync/test_rows.py holds every pair to that)."""
    return kind(**{f.name: getattr(row, f.name) for f in fields(kind)})


def new_order(o: Order) -> NewOrder:
    return stored(NewOrder, o)


def new_sale(s: Sale) -> NewSale:
    return stored(NewSale, s)


def new_fbs_order(o: FbsOrder) -> NewFbsOrder:
    return stored(NewFbsOrder, o)


def new_feed_order(o: FeedOrder) -> NewFeedOrder:
    return stored(NewFeedOrder, o)


def new_stock(r: StockRow) -> NewStock:
    return stored(NewStock, r)


def new_card(c: Card) -> NewCard:
    return stored(NewCard, c)


async def upsert_orders(conn: Conn, shop_id: int, orders: Sequence[Order]) -> Changes[Order]:
    """bot.store.orders.upsert_orders for WB's rows."""
    rows = _Origins(orders, [new_order(o) for o in orders])
    changes = await store_orders.upsert_orders(conn, shop_id, rows.rows)
    return Changes(rows.back(changes.new), rows.back(changes.cancelled), changes.hours)


async def insert_fbs_orders(
    conn: Conn, shop_id: int, orders: Sequence[FbsOrder]
) -> list[FbsOrder]:
    """bot.store.orders.insert_fbs_orders for WB's rows."""
    rows = _Origins(orders, [new_fbs_order(o) for o in orders])
    return rows.back(await store_orders.insert_fbs_orders(conn, shop_id, rows.rows))


async def insert_feed_orders(
    conn: Conn, shop_id: int, orders: Sequence[FeedOrder]
) -> Changes[FeedOrder]:
    """bot.store.orders.insert_feed_orders for WB's rows."""
    rows = _Origins(orders, [new_feed_order(o) for o in orders])
    changes = await store_orders.insert_feed_orders(conn, shop_id, rows.rows)
    return Changes(
        rows.back(changes.new), rows.back(changes.cancelled), changes.hours, changes.names
    )


async def upsert_sales(
    conn: Conn, shop_id: int, sales: Sequence[Sale]
) -> tuple[list[Sale], set[int]]:
    """bot.store.orders.upsert_sales for WB's rows."""
    rows = _Origins(sales, [new_sale(s) for s in sales])
    new, hours = await store_orders.upsert_sales(conn, shop_id, rows.rows)
    return rows.back(new), hours


async def replace_stock(
    conn: Conn, shop_id: int, rows: Sequence[StockRow], now: float | None = None
) -> None:
    """bot.store.stock.replace_stock for WB's rows."""
    await store_stock.replace_stock(conn, shop_id, [new_stock(r) for r in rows], now)


async def upsert_products(conn: Conn, shop_id: int, cards: Sequence[Card]) -> None:
    """bot.store.stock.upsert_products for WB's cards."""
    await store_stock.upsert_products(conn, shop_id, [new_card(c) for c in cards])
