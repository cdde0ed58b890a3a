"""Orders, sales and returns: upserts inside the caller's transaction (which then recomputes
the rollups of the hours they report touched, bot.store.rollups), and the raw rows' reads.

Definitions used everywhere (alerts, summary, reports):
- orders: orders placed in the period, cancelled ones included; their sum is `priceWithDisc`
  (the price after the seller's discount, before WB's own discount);
- cancellations: orders cancelled in the period (by cancellation time);
- buyouts: sales rows (`saleID` S…) dated in the period; returns: `saleID` R… rows;
- to be paid: the sum of `forPay` over buyouts less that of returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from bot.rows import NewFbsOrder, NewFeedOrder, NewOrder, NewSale
from bot.store.db import Conn, Database, Row, executemany_counted, marks, unix
from bot.store.rollups import hour_of

IN_CHUNK = 500


#: The rows the store takes, of the store's shapes or any subclass (bot.wb's models): the
#: store hands back the very objects it was given, of the caller's type.
Ord = TypeVar("Ord", bound=NewOrder)
Fbs = TypeVar("Fbs", bound=NewFbsOrder)
Feed = TypeVar("Feed", bound=NewFeedOrder)
Sal = TypeVar("Sal", bound=NewSale)


@dataclass
class OrderChanges(Generic[Ord]):
    new: list[Ord] = field(default_factory=list)
    cancelled: list[Ord] = field(default_factory=list)
    hours: set[int] = field(default_factory=set)


K = TypeVar("K", str, int)


def _chunks(keys: Sequence[K]) -> Iterator[tuple[Sequence[K], str]]:
    """`keys` IN_CHUNK at a time, each chunk with the placeholders of its `IN (...)`."""
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        yield chunk, marks(chunk)


async def _known(conn: Conn, sql: str, shop_id: int, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk, qs in _chunks(keys):
        async with conn.execute(sql.format(marks=qs), (shop_id, *chunk)) as cur:
            for row in await cur.fetchall():
                found[str(row[0])] = int(row[1])
    return found


async def _stored_orders(conn: Conn, shop_id: int, srids: Sequence[str]) -> dict[str, int]:
    """The orders among `srids` the shop has stored, each with its is_cancel."""
    return await _known(
        conn,
        "SELECT srid, is_cancel FROM orders WHERE shop_id = ? AND srid IN ({marks})",
        shop_id,
        srids,
    )


async def _old_hours(conn: Conn, shop_id: int, srids: Sequence[str]) -> set[int]:
    hours: set[int] = set()
    for chunk, qs in _chunks(srids):
        async with conn.execute(
            f"SELECT ts, cancel_ts FROM orders WHERE shop_id = ? AND srid IN ({qs})",
            (shop_id, *chunk),
        ) as cur:
            for ts, cancel_ts in await cur.fetchall():
                hours.add(hour_of(ts))
                if cancel_ts is not None:
                    hours.add(hour_of(cancel_ts))
    return hours


async def upsert_orders(conn: Conn, shop_id: int, orders: Sequence[Ord]) -> OrderChanges[Ord]:
    """Stores orders by `srid`; reports which are new and which were cancelled just now."""
    changes: OrderChanges[Ord] = OrderChanges()
    if not orders:
        return changes
    # WB sends the boundary row again and may repeat a row within a page: the last copy wins.
    latest = {o.srid: o for o in orders}
    known = await _stored_orders(conn, shop_id, list(latest))
    # A row WB moves to another hour (its date or cancel time corrected, or an FBS order whose
    # statistics twin carries a later time) must leave its old hour's rollup too.
    for hours in await _old_hours(conn, shop_id, [s for s in latest if s in known]):
        changes.hours.add(hours)
    now = time.time()
    rows = []
    for o in latest.values():
        ts = int(o.date.timestamp())
        cancel_ts = int(o.cancel_date.timestamp()) if o.cancel_date else None
        if o.is_cancel and cancel_ts is None:
            cancel_ts = int(o.last_change.timestamp())
        if o.srid not in known:
            changes.new.append(o)
        if o.is_cancel and not known.get(o.srid, 0):
            changes.cancelled.append(o)
        changes.hours.add(hour_of(ts))
        if cancel_ts is not None:
            changes.hours.add(hour_of(cancel_ts))
        rows.append(
            (
                shop_id,
                o.srid,
                ts,
                o.last_change_raw,
                o.nm_id,
                o.supplier_article,
                o.barcode,
                o.tech_size,
                o.subject,
                o.brand,
                o.category,
                o.warehouse_name,
                o.warehouse_type,
                o.region_name,
                o.oblast_name,
                o.country_name,
                o.total_price,
                o.discount_percent,
                o.spp,
                o.finished_price,
                o.price_with_disc,
                int(o.is_cancel),
                cancel_ts,
                o.g_number,
                now,
            )
        )
    await conn.executemany(
        "INSERT INTO orders(shop_id, srid, ts, last_change, nm_id, supplier_article, barcode, "
        "tech_size, subject, brand, category, warehouse, warehouse_type, region, oblast, "
        "country, total_price, discount_percent, spp, finished_price, price_with_disc, "
        "is_cancel, cancel_ts, g_number, source, first_seen) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'statistics',?) "
        "ON CONFLICT(shop_id, srid) DO UPDATE SET ts = excluded.ts, "
        "last_change = excluded.last_change, nm_id = excluded.nm_id, "
        "supplier_article = excluded.supplier_article, barcode = excluded.barcode, "
        "tech_size = excluded.tech_size, subject = excluded.subject, brand = excluded.brand, "
        "category = excluded.category, warehouse = excluded.warehouse, "
        "warehouse_type = excluded.warehouse_type, region = excluded.region, "
        "oblast = excluded.oblast, country = excluded.country, "
        # WB fills amounts in late (0 for up to a day): a 0 never replaces a known amount,
        # and a cancellation, once known (the order feed tells it first), stays.
        "total_price = COALESCE(NULLIF(excluded.total_price, 0), orders.total_price), "
        "discount_percent = excluded.discount_percent, spp = excluded.spp, "
        "finished_price = COALESCE(NULLIF(excluded.finished_price, 0), orders.finished_price), "
        "price_with_disc = COALESCE(NULLIF(excluded.price_with_disc, 0), "
        "orders.price_with_disc), "
        "is_cancel = CASE WHEN excluded.is_cancel > orders.is_cancel "
        "THEN excluded.is_cancel ELSE orders.is_cancel END, "
        "cancel_ts = COALESCE(excluded.cancel_ts, orders.cancel_ts), "
        "g_number = excluded.g_number, source = 'statistics' "
        "WHERE orders.source != 'statistics' OR orders.last_change IS NULL "
        "OR excluded.last_change >= orders.last_change",
        rows,
    )
    return changes


async def insert_fbs_orders(conn: Conn, shop_id: int, orders: Sequence[Fbs]) -> list[Fbs]:
    """Real-time FBS orders: `rid` is the statistics `srid`, so an order stored here is not new
    again when statistics reports it later. Returns the ones not seen before."""
    if not orders:
        return []
    latest = {o.rid: o for o in orders}
    known = await _stored_orders(conn, shop_id, list(latest))
    fresh = [o for o in latest.values() if o.rid not in known]
    now = time.time()
    await conn.executemany(
        "INSERT INTO orders(shop_id, srid, ts, nm_id, supplier_article, price_with_disc, "
        "finished_price, warehouse_type, source, first_seen) "
        "VALUES (?,?,?,?,?,?,?,'Склад продавца','fbs',?) ON CONFLICT DO NOTHING",
        [
            (
                shop_id,
                o.rid,
                int(o.created_at.timestamp()),
                o.nm_id,
                o.article,
                o.price,
                o.price,
                now,
            )
            for o in fresh
        ],
    )
    return fresh


@dataclass
class FeedChanges(Generic[Feed]):
    new: list[Feed] = field(default_factory=list)
    cancelled: list[Feed] = field(default_factory=list)
    hours: set[int] = field(default_factory=set)
    # nm_id -> (seller article, subject, brand) from the cards or earlier statistics rows: the
    # feed names the product by nmId only.
    names: dict[int, tuple[str, str, str]] = field(default_factory=dict)


async def _names(
    conn: Conn, shop_id: int, nm_ids: Sequence[int]
) -> dict[int, tuple[str, str, str]]:
    names: dict[int, tuple[str, str, str]] = {}
    for chunk, qs in _chunks(nm_ids):
        # The cards' names, read last, win over those of earlier statistics rows.
        for sql in (
            "SELECT nm_id, MAX(supplier_article), MAX(subject), MAX(brand) FROM orders "
            f"WHERE shop_id = ? AND nm_id IN ({qs}) AND supplier_article != '' GROUP BY nm_id",
            "SELECT nm_id, vendor_code, subject, brand FROM products "
            f"WHERE shop_id = ? AND nm_id IN ({qs}) AND vendor_code != ''",
        ):
            async with conn.execute(sql, (shop_id, *chunk)) as cur:
                for nm_id, article, subject, brand in await cur.fetchall():
                    names[int(nm_id)] = (str(article), str(subject), str(brand))
    return names


async def insert_feed_orders(
    conn: Conn, shop_id: int, orders: Sequence[Feed]
) -> FeedChanges[Feed]:
    """Orders from the real-time order feed, keyed by `srid` like every source: an order not
    seen before is stored (and is news); a stored one is only told what the feed knows first,
    that it was cancelled, or its price while the statistics row still says 0. The statistics
    row, when it comes, fills in the rest (article, region, discounts)."""
    changes: FeedChanges[Feed] = FeedChanges()
    if not orders:
        return changes
    latest: dict[str, Feed] = {}
    for o in orders:
        if o.srid not in latest or o.updated_at > latest[o.srid].updated_at:
            latest[o.srid] = o
    known = await _stored_orders(conn, shop_id, list(latest))
    changes.names = await _names(conn, shop_id, sorted({o.nm_id for o in latest.values()}))
    now = time.time()
    fresh = []
    for o in latest.values():
        cancel = o.status == "cancel"
        ts = int(o.created_at.timestamp())
        cancel_ts = int(o.updated_at.timestamp()) if cancel else None
        if o.srid not in known:
            changes.new.append(o)
            article, subject, brand = changes.names.get(o.nm_id, ("", "", ""))
            fresh.append(
                (
                    shop_id,
                    o.srid,
                    ts,
                    o.nm_id,
                    article,
                    subject,
                    brand,
                    o.warehouse_name,
                    "Склад продавца" if o.is_mp else "Склад WB",
                    o.city,
                    o.district,
                    o.seller_price,
                    int(cancel),
                    cancel_ts,
                    now,
                )
            )
            changes.hours.add(hour_of(ts))
        elif cancel and not known[o.srid]:
            changes.cancelled.append(o)
        if cancel_ts is not None:
            changes.hours.add(hour_of(cancel_ts))
    await conn.executemany(
        "INSERT INTO orders(shop_id, srid, ts, nm_id, supplier_article, subject, brand, "
        "warehouse, warehouse_type, region, oblast, price_with_disc, is_cancel, cancel_ts, "
        "source, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'feed',?) "
        "ON CONFLICT DO NOTHING",
        fresh,
    )
    await conn.executemany(
        "UPDATE orders SET is_cancel = 1, cancel_ts = ? WHERE shop_id = ? AND srid = ? "
        "AND is_cancel = 0",
        [(int(o.updated_at.timestamp()), shop_id, o.srid) for o in changes.cancelled],
    )
    # A price WB has not filled in yet (0 in statistics) is taken from the feed meanwhile.
    priced = [
        (o.seller_price, shop_id, o.srid)
        for o in latest.values()
        if o.srid in known and o.seller_price > 0
    ]
    if priced:
        if await executemany_counted(
            conn,
            "UPDATE orders SET price_with_disc = ? WHERE shop_id = ? AND srid = ? "
            "AND price_with_disc = 0",
            priced,
        ):
            changes.hours |= await _old_hours(conn, shop_id, [srid for _p, _s, srid in priced])
    return changes


async def upsert_sales(
    conn: Conn, shop_id: int, sales: Sequence[Sal]
) -> tuple[list[Sal], set[int]]:
    """Stores sales and returns by `saleID`; returns the new ones and the hours touched."""
    if not sales:
        return [], set()
    latest = {s.sale_id: s for s in sales}
    known = await _known(
        conn,
        "SELECT sale_id, ts FROM sales WHERE shop_id = ? AND sale_id IN ({marks})",
        shop_id,
        list(latest),
    )
    now = time.time()
    # A sale WB re-dates leaves its old hour: recomputed too, or it would count twice.
    hours: set[int] = {hour_of(ts) for ts in known.values()}
    rows = []
    for s in latest.values():
        ts = int(s.date.timestamp())
        hours.add(hour_of(ts))
        rows.append(
            (
                shop_id,
                s.sale_id,
                s.srid,
                ts,
                s.last_change_raw,
                s.nm_id,
                s.supplier_article,
                s.barcode,
                s.tech_size,
                s.subject,
                s.brand,
                s.warehouse_name,
                s.region_name,
                s.total_price,
                s.finished_price,
                s.price_with_disc,
                s.for_pay,
                int(s.is_return),
                now,
            )
        )
    await conn.executemany(
        "INSERT INTO sales(shop_id, sale_id, srid, ts, last_change, nm_id, supplier_article, "
        "barcode, tech_size, subject, brand, warehouse, region, total_price, finished_price, "
        "price_with_disc, for_pay, is_return, first_seen) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(shop_id, sale_id) DO UPDATE SET srid = excluded.srid, ts = excluded.ts, "
        "last_change = excluded.last_change, nm_id = excluded.nm_id, "
        "supplier_article = excluded.supplier_article, barcode = excluded.barcode, "
        "tech_size = excluded.tech_size, subject = excluded.subject, brand = excluded.brand, "
        "warehouse = excluded.warehouse, region = excluded.region, "
        # A 0 is an amount WB has not filled in yet: it never replaces a known one.
        "total_price = COALESCE(NULLIF(excluded.total_price, 0), sales.total_price), "
        "finished_price = COALESCE(NULLIF(excluded.finished_price, 0), sales.finished_price), "
        "price_with_disc = COALESCE(NULLIF(excluded.price_with_disc, 0), "
        "sales.price_with_disc), for_pay = COALESCE(NULLIF(excluded.for_pay, 0), sales.for_pay), "
        "is_return = excluded.is_return "
        "WHERE sales.last_change IS NULL OR excluded.last_change >= sales.last_change",
        rows,
    )
    return [s for s in latest.values() if s.sale_id not in known], hours


async def orders_per_size(
    db: Database, shop_ids: Sequence[int], since: float
) -> dict[int, dict[tuple[int, str], int]]:
    """Orders placed since `since` (cancelled ones included: a cancelled order still shows
    demand) per shop and (nm_id, tech_size)."""
    if not shop_ids:
        return {}
    qs = marks(shop_ids)
    rows = await db.fetchall(
        "SELECT shop_id, nm_id, tech_size, COUNT(*) FROM orders "
        f"WHERE shop_id IN ({qs}) AND ts >= ? GROUP BY shop_id, nm_id, tech_size",
        (*shop_ids, int(since)),
    )
    found: dict[int, dict[tuple[int, str], int]] = {}
    for r in rows:
        found.setdefault(int(r[0]), {})[(int(r[1]), str(r[2] or ""))] = int(r[3])
    return found


async def today_totals(db: Database, shop_id: int, since: float) -> tuple[int, float]:
    """Orders of a shop since `since` (the recipient's local midnight): count and sum."""
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(price_with_disc), 0) FROM orders "
        "WHERE shop_id = ? AND ts >= ?",
        (shop_id, int(since)),
    )
    return (int(row[0]), float(row[1])) if row else (0, 0.0)


@dataclass(frozen=True)
class OrderRow:
    shop_id: int
    srid: str
    ts: datetime
    nm_id: int
    supplier_article: str
    subject: str
    tech_size: str
    warehouse: str
    region: str
    price_with_disc: float
    is_cancel: bool


def _raw_orders_query(
    shop_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> tuple[str, tuple[object, ...]]:
    return (
        "SELECT shop_id, srid, ts, nm_id, supplier_article, subject, tech_size, warehouse, "
        "region, price_with_disc, is_cancel FROM orders "
        f"WHERE shop_id IN ({marks(shop_ids)}) AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
        (*shop_ids, unix(start), unix(end), limit),
    )


def _order_row(r: Row) -> OrderRow:
    return OrderRow(
        shop_id=int(r[0]),
        srid=str(r[1]),
        ts=datetime.fromtimestamp(int(r[2]), UTC),
        nm_id=int(r[3]),
        supplier_article=str(r[4]),
        subject=str(r[5]),
        tech_size=str(r[6]),
        warehouse=str(r[7]),
        region=str(r[8]),
        price_with_disc=float(r[9]),
        is_cancel=bool(r[10]),
    )


async def raw_orders(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> list[OrderRow]:
    """Orders placed in [start, end), oldest first, at most `limit` of them."""
    if not shop_ids:
        return []
    rows = await db.fetchall(*_raw_orders_query(shop_ids, start, end, limit))
    return [_order_row(r) for r in rows]


def stream_raw_orders(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> Iterator[OrderRow]:
    """The same orders one at a time, for a thread writing the Excel file: read on a read-only
    connection of that thread's own, so 50,000 of them never sit in memory at once."""
    if not shop_ids:
        return
    for row in db.stream(*_raw_orders_query(shop_ids, start, end, limit)):
        yield _order_row(row)


async def has_more_orders(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> bool:
    """Whether more than `limit` orders were placed in [start, end)."""
    if not shop_ids:
        return False
    sql, params = _raw_orders_query(shop_ids, start, end, limit + 1)
    row = await db.fetchone(f"SELECT COUNT(*) FROM ({sql}) q", params)
    return row is not None and int(row[0]) > limit


async def first_order_at(db: Database, shop_ids: Sequence[int]) -> datetime | None:
    """When the shops' stored data starts (the oldest order or sale)."""
    if not shop_ids:
        return None
    qs = marks(shop_ids)
    row = await db.fetchone(
        f"SELECT MIN(t) FROM (SELECT MIN(ts) AS t FROM orders WHERE shop_id IN ({qs}) "
        f"UNION ALL SELECT MIN(ts) FROM sales WHERE shop_id IN ({qs})) q",
        (*shop_ids, *shop_ids),
    )
    if row is None or row[0] is None:
        return None
    return datetime.fromtimestamp(int(row[0]), UTC)
