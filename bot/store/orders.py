"""Orders, sales and returns: upserts inside the caller's transaction, and the rollups.

Definitions used everywhere (alerts, summary, reports):
- orders: orders placed in the period, cancelled ones included; their sum is `priceWithDisc`
  (the price after the seller's discount, before WB's own discount);
- cancellations: orders cancelled in the period (by cancellation time);
- buyouts: sales rows (`saleID` S…) dated in the period; returns: `saleID` R… rows;
- to be paid: the sum of `forPay` over buyouts less that of returns.

Rollups, all recomputed from the raw rows for every touched bucket in the caller's transaction
(so they are exact, and a row that moves leaves its old bucket):
- `rollup_hours`: the totals above per shop and UTC hour;
- `rollup_products`, `rollup_warehouses`, `rollup_regions`: orders (count and `priceWithDisc`
  sum, by order time) per shop and UTC day and per product / warehouse / region; products also
  keep MAX(supplier_article) and MAX(subject) of the day. Reports read whole UTC days from them
  and the partial days at a period's edges from the raw rows;
- `rollup_product_weeks`: `rollup_products` summed per UTC week (Monday to Monday), recomputed
  from the days just recomputed, for long periods.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiosqlite

if TYPE_CHECKING:
    from bot.wb.models import FbsOrder, FeedOrder, Order, Sale

HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
MONDAY = 4 * DAY  # 1970-01-05, the first Monday: weeks run Monday to Monday, UTC
IN_CHUNK = 500


def hour_of(ts: float) -> int:
    return int(ts // HOUR * HOUR)


def day_of(ts: float) -> int:
    return int(ts // DAY * DAY)


def week_of(ts: float) -> int:
    """The start of the UTC week (Monday 00:00) holding `ts`."""
    return int((ts - MONDAY) // WEEK * WEEK + MONDAY)


@dataclass
class OrderChanges:
    new: list[Order] = field(default_factory=list)
    cancelled: list[Order] = field(default_factory=list)
    hours: set[int] = field(default_factory=set)


async def _known(
    conn: aiosqlite.Connection, sql: str, shop_id: int, keys: Sequence[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(sql.format(marks=marks), (shop_id, *chunk)) as cur:
            for row in await cur.fetchall():
                found[str(row[0])] = int(row[1])
    return found


async def _old_hours(conn: aiosqlite.Connection, shop_id: int, srids: Sequence[str]) -> set[int]:
    hours: set[int] = set()
    for start in range(0, len(srids), IN_CHUNK):
        chunk = srids[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT ts, cancel_ts FROM orders WHERE shop_id = ? AND srid IN ({marks})",
            (shop_id, *chunk),
        ) as cur:
            for ts, cancel_ts in await cur.fetchall():
                hours.add(hour_of(ts))
                if cancel_ts is not None:
                    hours.add(hour_of(cancel_ts))
    return hours


async def upsert_orders(
    conn: aiosqlite.Connection, shop_id: int, orders: Sequence[Order]
) -> OrderChanges:
    """Stores orders by `srid`; reports which are new and which were cancelled just now."""
    changes = OrderChanges()
    if not orders:
        return changes
    # WB sends the boundary row again and may repeat a row within a page: the last copy wins.
    latest = {o.srid: o for o in orders}
    known = await _known(
        conn,
        "SELECT srid, is_cancel FROM orders WHERE shop_id = ? AND srid IN ({marks})",
        shop_id,
        list(latest),
    )
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
        "orders.price_with_disc), is_cancel = MAX(excluded.is_cancel, orders.is_cancel), "
        "cancel_ts = COALESCE(excluded.cancel_ts, orders.cancel_ts), "
        "g_number = excluded.g_number, source = 'statistics' "
        "WHERE orders.source != 'statistics' OR orders.last_change IS NULL "
        "OR excluded.last_change >= orders.last_change",
        rows,
    )
    return changes


async def insert_fbs_orders(
    conn: aiosqlite.Connection, shop_id: int, orders: Sequence[FbsOrder]
) -> list[FbsOrder]:
    """Real-time FBS orders: `rid` is the statistics `srid`, so an order stored here is not new
    again when statistics reports it later. Returns the ones not seen before."""
    if not orders:
        return []
    latest = {o.rid: o for o in orders}
    known = await _known(
        conn,
        "SELECT srid, 0 FROM orders WHERE shop_id = ? AND srid IN ({marks})",
        shop_id,
        list(latest),
    )
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
class FeedChanges:
    new: list[FeedOrder] = field(default_factory=list)
    cancelled: list[FeedOrder] = field(default_factory=list)
    hours: set[int] = field(default_factory=set)
    # nm_id -> (seller article, subject, brand) from the cards or earlier statistics rows: the
    # feed names the product by nmId only.
    names: dict[int, tuple[str, str, str]] = field(default_factory=dict)


async def _names(
    conn: aiosqlite.Connection, shop_id: int, nm_ids: Sequence[int]
) -> dict[int, tuple[str, str, str]]:
    names: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(nm_ids), IN_CHUNK):
        chunk = nm_ids[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT nm_id, MAX(supplier_article), MAX(subject), MAX(brand) FROM orders "
            f"WHERE shop_id = ? AND nm_id IN ({marks}) AND supplier_article != '' GROUP BY nm_id",
            (shop_id, *chunk),
        ) as cur:
            for nm_id, article, subject, brand in await cur.fetchall():
                names[int(nm_id)] = (str(article), str(subject), str(brand))
        async with conn.execute(
            f"SELECT nm_id, vendor_code, subject, brand FROM products "
            f"WHERE shop_id = ? AND nm_id IN ({marks}) AND vendor_code != ''",
            (shop_id, *chunk),
        ) as cur:
            for nm_id, article, subject, brand in await cur.fetchall():
                names[int(nm_id)] = (str(article), str(subject), str(brand))
    return names


async def insert_feed_orders(
    conn: aiosqlite.Connection, shop_id: int, orders: Sequence[FeedOrder]
) -> FeedChanges:
    """Orders from the real-time order feed, keyed by `srid` like every source: an order not
    seen before is stored (and is news); a stored one is only told what the feed knows first,
    that it was cancelled, or its price while the statistics row still says 0. The statistics
    row, when it comes, fills in the rest (article, region, discounts)."""
    changes = FeedChanges()
    if not orders:
        return changes
    latest: dict[str, FeedOrder] = {}
    for o in orders:
        if o.srid not in latest or o.updated_at > latest[o.srid].updated_at:
            latest[o.srid] = o
    known = await _known(
        conn,
        "SELECT srid, is_cancel FROM orders WHERE shop_id = ? AND srid IN ({marks})",
        shop_id,
        list(latest),
    )
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
        before = conn.total_changes
        await conn.executemany(
            "UPDATE orders SET price_with_disc = ? WHERE shop_id = ? AND srid = ? "
            "AND price_with_disc = 0",
            priced,
        )
        if conn.total_changes != before:
            changes.hours |= await _old_hours(conn, shop_id, [srid for _p, _s, srid in priced])
    return changes


async def upsert_sales(
    conn: aiosqlite.Connection, shop_id: int, sales: Sequence[Sale]
) -> tuple[list[Sale], set[int]]:
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


# Per-day recomputation of the order splits: each day is deleted and rebuilt from its raw rows
# (through the orders_report index, which covers every column read), so a key that has no orders
# left that day disappears. (table, key column, the extra columns, their aggregates)
_DAILY_SPLITS = (
    (
        "rollup_products",
        "nm_id",
        ", supplier_article, subject",
        ", MAX(supplier_article), MAX(subject)",
    ),
    ("rollup_warehouses", "warehouse", "", ""),
    ("rollup_regions", "region", "", ""),
)


async def refresh_rollups(
    conn: aiosqlite.Connection, shop_id: int, hours: Iterable[int], *, orders: bool = True
) -> None:
    """Recomputes the given hours (and the UTC days they fall in) from the raw rows, so every
    rollup is always exact. ``orders=False`` (only sales changed) leaves the per-product, -
    warehouse and -region order rollups alone: sales cannot change them."""
    touched = sorted(set(hours))
    params = [(shop_id, h, h + HOUR) for h in touched]
    if not params:
        return
    days = [(shop_id, d, d + DAY) for d in sorted({day_of(h) for h in touched})] if orders else []
    for table, key, columns, aggregates in _DAILY_SPLITS:
        await conn.executemany(
            f"DELETE FROM {table} WHERE shop_id = ?1 AND day >= ?2 AND day < ?3", days
        )
        await conn.executemany(
            f"INSERT INTO {table}(shop_id, day, {key}, orders, orders_sum{columns}) "
            f"SELECT ?1, ?2, {key}, COUNT(*), SUM(price_with_disc){aggregates} FROM orders "
            f"WHERE shop_id = ?1 AND ts >= ?2 AND ts < ?3 GROUP BY {key}",
            days,
        )
    # Weeks of products from the days just recomputed (exact, so the weeks are too).
    weeks = [(shop_id, w, w + WEEK) for w in sorted({week_of(d) for _s, d, _e in days})]
    await conn.executemany(
        "DELETE FROM rollup_product_weeks WHERE shop_id = ?1 AND week >= ?2 AND week < ?3", weeks
    )
    await conn.executemany(
        "INSERT INTO rollup_product_weeks(shop_id, week, nm_id, orders, orders_sum, "
        "supplier_article, subject) SELECT ?1, ?2, nm_id, SUM(orders), SUM(orders_sum), "
        "MAX(supplier_article), MAX(subject) FROM rollup_products "
        "WHERE shop_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY nm_id",
        weeks,
    )
    await conn.executemany(
        "INSERT INTO rollup_hours(shop_id, hour, orders, orders_sum, cancels, cancels_sum, "
        "buyouts, buyouts_sum, returns, returns_sum, for_pay) "
        "SELECT s, h, o.n, o.total, c.n, c.total, b.n, b.total, r.n, r.total, "
        "b.pay - r.pay FROM (SELECT ?1 AS s, ?2 AS h, ?3 AS e) "
        "JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(price_with_disc), 0) AS total FROM orders "
        "      WHERE shop_id = ?1 AND ts >= ?2 AND ts < ?3) o "
        "JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(price_with_disc), 0) AS total FROM orders "
        "      WHERE shop_id = ?1 AND cancel_ts >= ?2 AND cancel_ts < ?3) c "
        "JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(price_with_disc), 0) AS total, "
        "      COALESCE(SUM(ABS(for_pay)), 0) AS pay FROM sales "
        "      WHERE shop_id = ?1 AND ts >= ?2 AND ts < ?3 AND is_return = 0) b "
        "JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(ABS(price_with_disc)), 0) AS total, "
        "      COALESCE(SUM(ABS(for_pay)), 0) AS pay FROM sales "
        "      WHERE shop_id = ?1 AND ts >= ?2 AND ts < ?3 AND is_return = 1) r "
        # WHERE true: without it SQLite would read ON CONFLICT as a join constraint.
        "WHERE true ON CONFLICT(shop_id, hour) DO UPDATE SET orders = excluded.orders, "
        "orders_sum = excluded.orders_sum, cancels = excluded.cancels, "
        "cancels_sum = excluded.cancels_sum, buyouts = excluded.buyouts, "
        "buyouts_sum = excluded.buyouts_sum, returns = excluded.returns, "
        "returns_sum = excluded.returns_sum, for_pay = excluded.for_pay",
        params,
    )
