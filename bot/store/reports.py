"""Read-only queries for reports (/report, /stock, the daily summary). Reports read the store,
never WB; the numbers' definitions are those of bot.store.orders and bot.reports.metrics.

Totals come from `rollup_hours` (UTC hours kept exact at ingest), so any period in any time zone
is a sum of at most a few thousand small rows. A period's bounds are floored to the UTC hour: for
zones with whole-hour offsets this is exact; for zones offset by :30 or :45 (India, Nepal, parts
of Australia) a "day" is counted from the UTC hour that contains local midnight — off by up to 45
minutes. Per-product, warehouse and region splits read raw `orders` through the (shop_id, ts)
index with exact bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.reports.metrics import Totals
from bot.store.db import Database
from bot.wb.models import msk_to_utc

HOUR = 3600
_TOTALS_COLUMNS = (
    "orders, orders_sum, cancels, cancels_sum, buyouts, buyouts_sum, returns, returns_sum, for_pay"
)


def _ts(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return int(moment.timestamp())


def _hour_floor(moment: datetime) -> int:
    return _ts(moment) // HOUR * HOUR


def _hour_ceil(moment: datetime) -> int:
    """An end that falls inside an hour takes that hour in: "today" includes the last minutes."""
    return -(-_ts(moment) // HOUR) * HOUR


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _totals_of(row: Sequence[object] | None) -> Totals:
    if row is None:
        return Totals()
    v = list(row)
    return Totals(
        orders=int(v[0] or 0),  # type: ignore[call-overload]
        orders_sum=float(v[1] or 0),  # type: ignore[arg-type]
        cancels=int(v[2] or 0),  # type: ignore[call-overload]
        cancels_sum=float(v[3] or 0),  # type: ignore[arg-type]
        buyouts=int(v[4] or 0),  # type: ignore[call-overload]
        buyouts_sum=float(v[5] or 0),  # type: ignore[arg-type]
        returns=int(v[6] or 0),  # type: ignore[call-overload]
        returns_sum=float(v[7] or 0),  # type: ignore[arg-type]
        for_pay=float(v[8] or 0),  # type: ignore[arg-type]
    )


async def totals(db: Database, shop_ids: Sequence[int], start: datetime, end: datetime) -> Totals:
    """The shops' numbers for [start, end) (aware datetimes), from the hourly rollups."""
    if not shop_ids:
        return Totals()
    sums = ", ".join(f"COALESCE(SUM({c.strip()}), 0)" for c in _TOTALS_COLUMNS.split(","))
    row = await db.fetchone(
        f"SELECT {sums} FROM rollup_hours "
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND hour >= ? AND hour < ?",
        (*shop_ids, _hour_floor(start), _hour_ceil(end)),
    )
    return _totals_of(row)


async def hourly(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[datetime, Totals]]:
    """Non-empty UTC hours in [start, end), all shops summed, oldest first; the caller buckets
    them into local days (a day is 23 to 25 hours where clocks change)."""
    if not shop_ids:
        return []
    sums = ", ".join(f"SUM({c.strip()})" for c in _TOTALS_COLUMNS.split(","))
    rows = await db.fetchall(
        f"SELECT hour, {sums} FROM rollup_hours "
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND hour >= ? AND hour < ? "
        "GROUP BY hour ORDER BY hour",
        (*shop_ids, _hour_floor(start), _hour_ceil(end)),
    )
    return [(datetime.fromtimestamp(int(r[0]), UTC), _totals_of(tuple(r)[1:])) for r in rows]


@dataclass(frozen=True)
class ProductTotals:
    nm_id: int
    supplier_article: str
    subject: str
    title: str
    orders: int
    orders_sum: float


async def product_totals_pair(
    db: Database,
    shop_ids: Sequence[int],
    previous: tuple[datetime, datetime],
    start: datetime,
    end: datetime,
) -> tuple[list[ProductTotals], list[ProductTotals]]:
    """Orders per product in [start, end) and in the previous period (which ends by `start`),
    biggest sum first; one pass over the orders_report index for both periods."""
    if not shop_ids:
        return [], []
    marks = _marks(shop_ids)
    rows = await db.fetchall(
        "SELECT o.nm_id, o.article, o.subject, COALESCE(MAX(p.title), ''), "
        "o.n, o.total, o.pn, o.ptotal "
        "FROM (SELECT nm_id, MAX(supplier_article) AS article, MAX(subject) AS subject, "
        "      MIN(shop_id) AS shop_id, SUM(ts >= ?1) AS n, "
        "      SUM(CASE WHEN ts >= ?1 THEN price_with_disc END) AS total, "
        "      SUM(ts < ?4) AS pn, SUM(CASE WHEN ts < ?4 THEN price_with_disc END) AS ptotal "
        f"      FROM orders WHERE shop_id IN ({marks}) AND ts >= ?2 AND ts < ?3 "
        "      GROUP BY nm_id) o "
        "LEFT JOIN products p ON p.nm_id = o.nm_id AND p.shop_id = o.shop_id "
        "GROUP BY o.nm_id",
        (_ts(start), _ts(previous[0]), _ts(end), min(_ts(previous[1]), _ts(start)), *shop_ids),
    )
    current: list[ProductTotals] = []
    before: list[ProductTotals] = []
    for r in rows:
        names = (int(r[0]), str(r[1] or ""), str(r[2] or ""), str(r[3] or ""))
        if r[4]:
            current.append(ProductTotals(*names, orders=int(r[4]), orders_sum=float(r[5] or 0)))
        if r[6]:
            before.append(ProductTotals(*names, orders=int(r[6]), orders_sum=float(r[7] or 0)))
    for found in (current, before):
        found.sort(key=lambda p: (-p.orders_sum, -p.orders, p.nm_id))
    return current, before


async def top_products(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime, limit: int = 5
) -> list[ProductTotals]:
    """The `limit` products with the biggest orders sum in [start, end)."""
    current, _previous = await product_totals_pair(db, shop_ids, (start, start), start, end)
    return current[:limit]


@dataclass(frozen=True)
class SplitRow:
    name: str
    orders: int
    orders_sum: float


async def splits(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime
) -> tuple[list[SplitRow], list[SplitRow]]:
    """Orders per warehouse and per region in [start, end), biggest sum first (one pass)."""
    if not shop_ids:
        return [], []
    rows = await db.fetchall(
        "SELECT warehouse, region, COUNT(*), SUM(price_with_disc) FROM orders "
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND ts >= ? AND ts < ? "
        "GROUP BY warehouse, region",
        (*shop_ids, _ts(start), _ts(end)),
    )
    warehouses: dict[str, tuple[int, float]] = {}
    regions: dict[str, tuple[int, float]] = {}
    for r in rows:
        n, total = int(r[2]), float(r[3] or 0)
        for sums, name in ((warehouses, str(r[0] or "")), (regions, str(r[1] or ""))):
            had = sums.get(name, (0, 0.0))
            sums[name] = (had[0] + n, had[1] + total)

    def ranked(sums: dict[str, tuple[int, float]]) -> list[SplitRow]:
        found = [SplitRow(name, n, total) for name, (n, total) in sums.items()]
        return sorted(found, key=lambda s: (-s.orders_sum, -s.orders, s.name))

    return ranked(warehouses), ranked(regions)


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


async def raw_orders(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> list[OrderRow]:
    """Orders placed in [start, end), oldest first, at most `limit` of them."""
    if not shop_ids:
        return []
    rows = await db.fetchall(
        "SELECT shop_id, srid, ts, nm_id, supplier_article, subject, tech_size, warehouse, "
        "region, price_with_disc, is_cancel FROM orders "
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
        (*shop_ids, _ts(start), _ts(end), limit),
    )
    return [
        OrderRow(
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
        for r in rows
    ]


async def first_order_at(db: Database, shop_ids: Sequence[int]) -> datetime | None:
    """When the shops' stored data starts (the oldest order or sale)."""
    if not shop_ids:
        return None
    marks = _marks(shop_ids)
    row = await db.fetchone(
        f"SELECT MIN(t) FROM (SELECT MIN(ts) AS t FROM orders WHERE shop_id IN ({marks}) "
        f"UNION ALL SELECT MIN(ts) FROM sales WHERE shop_id IN ({marks}))",
        (*shop_ids, *shop_ids),
    )
    if row is None or row[0] is None:
        return None
    return datetime.fromtimestamp(int(row[0]), UTC)


async def data_as_of(db: Database, shop_ids: Sequence[int]) -> datetime | None:
    """How fresh WB's data is: per shop, the newest `lastChangeDate` WB returned for orders or
    sales (or, before WB returned any row, the last successful poll of them); over several shops
    the stalest one, since the sum is only as fresh as its oldest part. None: never polled."""
    if not shop_ids:
        return None
    rows = await db.fetchall(
        "SELECT shop_id, newest_change, last_ok_at FROM polls "
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND method IN ('orders', 'sales')",
        tuple(shop_ids),
    )
    per_shop: dict[int, datetime] = {}
    for r in rows:
        moment: datetime | None = None
        if r[1]:
            try:
                moment = msk_to_utc(str(r[1]))
            except ValueError:
                moment = None
        if moment is None and r[2] is not None:
            moment = datetime.fromtimestamp(float(r[2]), UTC)
        if moment is None:
            continue
        shop = int(r[0])
        if shop not in per_shop or moment > per_shop[shop]:
            per_shop[shop] = moment
    return min(per_shop.values()) if per_shop else None


async def last_checked(db: Database, shop_ids: Sequence[int]) -> datetime | None:
    """The last successful poll of orders or sales of any of the shops."""
    if not shop_ids:
        return None
    row = await db.fetchone(
        "SELECT MAX(last_ok_at) FROM polls "
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND method IN ('orders', 'sales')",
        tuple(shop_ids),
    )
    if row is None or row[0] is None:
        return None
    return datetime.fromtimestamp(float(row[0]), UTC)


@dataclass(frozen=True)
class StockRecord:
    shop_id: int
    nm_id: int
    vendor_code: str
    subject: str
    warehouse: str
    quantity: int
    orders_14d: int
    updated_at: datetime


async def stock_with_orders(
    db: Database, shop_ids: Sequence[int], since: datetime
) -> list[StockRecord]:
    """Stock per product and warehouse (sizes summed), with the orders of that product from that
    warehouse since `since` (the window for days of cover)."""
    if not shop_ids:
        return []
    marks = _marks(shop_ids)
    # One pass over the window's orders (by the (shop_id, ts) index), joined to the snapshot.
    rows = await db.fetchall(
        "WITH recent AS (SELECT shop_id, nm_id, warehouse, COUNT(*) AS n FROM orders "
        f"  WHERE shop_id IN ({marks}) AND ts >= ? GROUP BY shop_id, nm_id, warehouse) "
        "SELECT s.shop_id, s.nm_id, MAX(s.vendor_code), MAX(s.subject), s.warehouse, "
        "SUM(s.quantity), MAX(s.updated_at), COALESCE(MAX(r.n), 0) "
        "FROM stock s LEFT JOIN recent r ON r.shop_id = s.shop_id AND r.nm_id = s.nm_id "
        "AND r.warehouse = s.warehouse "
        f"WHERE s.shop_id IN ({marks}) GROUP BY s.shop_id, s.nm_id, s.warehouse",
        (*shop_ids, _ts(since), *shop_ids),
    )
    return [
        StockRecord(
            shop_id=int(r[0]),
            nm_id=int(r[1]),
            vendor_code=str(r[2] or ""),
            subject=str(r[3] or ""),
            warehouse=str(r[4]),
            quantity=int(r[5] or 0),
            orders_14d=int(r[6] or 0),
            updated_at=datetime.fromtimestamp(float(r[7]), UTC),
        )
        for r in rows
    ]
