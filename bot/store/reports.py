"""Read-only queries for reports (/report, /stock, the daily summary). Reports read the store,
never WB; the numbers' definitions are those of bot.store.orders and bot.reports.metrics.

Totals come from `rollup_hours` (UTC hours kept exact at ingest), so any period in any time zone
is a sum of at most a few thousand small rows. A period's bounds are floored to the UTC hour: for
zones with whole-hour offsets this is exact; for zones offset by :30 or :45 (India, Nepal, parts
of Australia) a "day" is counted from the UTC hour that contains local midnight — off by up to 45
minutes.

Per-product, warehouse and region splits use exact bounds (to the second), as they did when
they scanned raw `orders`. They now read whole UTC days from the daily rollups
(`rollup_products`, `rollup_warehouses`, `rollup_regions`; whole UTC weeks from
`rollup_product_weeks`), all kept exact at ingest, and raw `orders` (the orders_report index)
only where a period's bound cuts an UTC day — local midnight falls at an arbitrary UTC hour —
and only the smaller side of such a cut (see `_plan`): the raw work is bounded by about a day
per bound whatever the period's length, and is usually far less. Each query is one statement,
so it reads one snapshot. Hourly rollups per product or place would need no raw rows at all, but
a busy shop has nearly as many (hour, product) pairs as orders, so they would be no smaller
than the raw rows they replace.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby, pairwise
from typing import Any, Literal

from bot.reports.metrics import Totals
from bot.store.db import BUSY_TIMEOUT_MS, Database
from bot.store.orders import DAY, WEEK, week_of
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


async def range_totals(
    db: Database, shop_ids: Sequence[int], ranges: Sequence[tuple[int, int]]
) -> list[Totals]:
    """The shops' numbers for each range [lo, hi) of UTC hour starts, from the hourly rollups,
    in one query (a report's days: about 60 small index ranges instead of 1,440 rows)."""
    found = [Totals() for _ in ranges]
    wanted = [(i, lo, hi) for i, (lo, hi) in enumerate(ranges) if lo < hi]
    if not shop_ids or not wanted:
        return found
    sums = ", ".join(f"SUM(h.{c.strip()})" for c in _TOTALS_COLUMNS.split(","))
    rows = await db.fetchall(
        f"WITH r(i, lo, hi) AS (VALUES {', '.join(['(?, ?, ?)'] * len(wanted))}) "
        f"SELECT r.i, {sums} FROM r JOIN rollup_hours h "
        f"ON h.shop_id IN ({_marks(shop_ids)}) AND h.hour >= r.lo AND h.hour < r.hi "
        "GROUP BY r.i",
        (*(v for w in wanted for v in w), *shop_ids),
    )
    for r in rows:
        found[int(r[0])] = _totals_of(tuple(r)[1:])
    return found


@dataclass(frozen=True)
class ProductTotals:
    nm_id: int
    supplier_article: str
    subject: str
    title: str
    orders: int
    orders_sum: float


#: A piece of a report window: [lo, hi) and what its orders count for, one weight per figure
#: (e.g. (1, 0): the current period, (0, 1): the previous one, (0, 0): neither).
Segment = tuple[int, int, tuple[int, ...]]
Ranges = tuple[tuple[int, int], ...]
#: Where a piece's rows come from: raw `orders` (by `ts`), a daily rollup (by `day`) or a
#: weekly one (by `week`); the value is also the column the piece's range applies to.
Source = Literal["ts", "day", "week"]


@dataclass(frozen=True)
class _Piece:
    """Rows to read: those of `source` in [lo, hi), each counted `weights` times per figure. A
    guarded piece applies only when the raw ranges `empty` hold no orders, or only when the
    ranges `busy` hold some (checked in the same statement, so in the same snapshot)."""

    source: Source
    lo: int
    hi: int
    weights: tuple[int, ...]
    empty: Ranges = ()
    busy: Ranges = ()


def _plan(segments: Sequence[Segment]) -> list[_Piece]:
    """How to read the window the segments make up (contiguous, ascending, non-empty) with
    exact bounds, from daily rollups where possible. Per UTC day:

    - a day inside the window is read from the rollup, counted for the segment that covers most
      of it; its other segments are read raw and moved over (+1 there, -1 from the big one);
    - a day the window's start or end cuts is read the same way when its part outside the
      window holds no orders (the usual case for a window ending now), else raw.

    Raw work is so bounded by about a day at each end of the window and half a day at each
    inner cut, whatever the window's length."""
    lo, hi = segments[0][0], segments[-1][1]
    pieces: list[_Piece] = []
    day = lo // DAY * DAY
    while day < hi:
        end = day + DAY
        parts = [
            (max(a, day), min(b, end), w) for a, b, w in segments if max(a, day) < min(b, end)
        ]
        outside = tuple(r for r in ((day, parts[0][0]), (parts[-1][1], end)) if r[0] < r[1])
        big = max(parts, key=lambda p: p[1] - p[0])
        pieces.append(_Piece("day", day, end, big[2], empty=outside))
        for a, b, w in parts:
            moved = tuple(x - y for x, y in zip(w, big[2], strict=True))
            if any(moved):  # rows counted like the big segment's are in the rollup already
                pieces.append(_Piece("ts", a, b, moved, empty=outside))
        if outside:
            pieces += [_Piece("ts", a, b, w, busy=outside) for a, b, w in parts]
        day = end
    merged: list[_Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if (
            last is not None
            and not (last.empty or last.busy or piece.empty or piece.busy)
            and (last.source, last.hi, last.weights) == (piece.source, piece.lo, piece.weights)
        ):
            merged[-1] = _Piece(last.source, last.lo, piece.hi, last.weights)
        else:
            merged.append(piece)
    return merged


def _by_weeks(pieces: Sequence[_Piece]) -> list[_Piece]:
    """The same pieces with the whole UTC weeks of each unguarded run of rollup days read from
    the weekly rollup (a seventh of the rows)."""
    found: list[_Piece] = []
    for piece in pieces:
        first, last = week_of(piece.lo + WEEK - 1), week_of(piece.hi)
        if piece.source != "day" or piece.empty or piece.busy or first >= last:
            found.append(piece)
            continue
        split: tuple[tuple[Source, int, int], ...] = (
            ("day", piece.lo, first),
            ("week", first, last),
            ("day", last, piece.hi),
        )
        found += [_Piece(source, lo, hi, piece.weights) for source, lo, hi in split if lo < hi]
    return found


def _branches(
    pieces: Sequence[_Piece],
    shop_ids: Sequence[int],
    sql_for: Callable[[Source, tuple[int, ...]], str],
) -> tuple[str, list[object]]:
    """The pieces as one UNION ALL: `sql_for(source, weights)` gives each branch's SQL, with
    `{where}` where the shop, range and guard conditions go."""
    marks = _marks(shop_ids)
    sqls: list[str] = []
    params: list[object] = []

    def exists(ranges: Ranges) -> str:
        params.extend(v for lo, hi in ranges for v in (*shop_ids, lo, hi))
        return " OR ".join(
            f"EXISTS (SELECT 1 FROM orders WHERE shop_id IN ({marks}) AND ts >= ? AND ts < ?)"
            for _ in ranges
        )

    for piece in pieces:
        column = piece.source
        params.extend((*shop_ids, piece.lo, piece.hi))
        guard = ""
        if piece.empty:
            guard = f" AND NOT ({exists(piece.empty)})"
        elif piece.busy:
            guard = f" AND ({exists(piece.busy)})"
        head, tail = sql_for(piece.source, piece.weights).split("{where}")
        sqls.append(
            f"{head} WHERE shop_id IN ({marks}) AND {column} >= ? AND {column} < ?{guard}{tail}"
        )
    return " UNION ALL ".join(sqls), params


def _times(weight: int, value: str) -> str:
    return "0" if weight == 0 else value if weight == 1 else f"{weight} * {value}"


async def product_totals_pair(
    db: Database,
    shop_ids: Sequence[int],
    previous: tuple[datetime, datetime],
    start: datetime,
    end: datetime,
) -> tuple[list[ProductTotals], list[ProductTotals]]:
    """Orders per product in [start, end) and in the previous period (which ends by `start`),
    biggest sum first. A product's article and subject are the greatest over its orders in
    [previous start, end) (orders between the periods included). Whole UTC days come from
    `rollup_products`, the rest from raw rows (see `_plan`), in one statement."""
    lo, hi, begin = _ts(previous[0]), _ts(end), _ts(start)
    cut = min(_ts(previous[1]), begin)  # the previous period counts orders before this
    if not shop_ids or lo >= hi:
        return [], []
    inner = sorted({lo, hi, *(p for p in (cut, begin) if lo < p < hi)})
    segments = [(a, b, (int(a >= begin), int(b <= cut))) for a, b in pairwise(inner)]

    tables = {"day": "rollup_products", "week": "rollup_product_weeks"}

    def sql_for(source: Source, w: tuple[int, ...]) -> str:
        if source == "ts":
            figures = f"{_times(w[0], 'COUNT(*)')} AS n, {_times(w[0], 'SUM(price_with_disc)')} "
            figures += f"AS total, {_times(w[1], 'COUNT(*)')} AS pn, "
            figures += f"{_times(w[1], 'SUM(price_with_disc)')} AS ptotal"
            table = "orders"
        else:
            figures = f"{_times(w[0], 'SUM(orders)')} AS n, {_times(w[0], 'SUM(orders_sum)')} "
            figures += f"AS total, {_times(w[1], 'SUM(orders)')} AS pn, "
            figures += f"{_times(w[1], 'SUM(orders_sum)')} AS ptotal"
            table = tables[source]
        return (
            f"SELECT nm_id, MIN(shop_id) AS shop_id, {figures}, "
            "MAX(supplier_article) AS article, MAX(subject) AS subject "
            f"FROM {table}{{where}} GROUP BY nm_id"
        )

    union, params = _branches(_by_weeks(_plan(segments)), shop_ids, sql_for)
    rows = await db.fetchall(
        "SELECT o.nm_id, o.article, o.subject, COALESCE(MAX(p.title), ''), "
        "o.n, o.total, o.pn, o.ptotal "
        "FROM (SELECT nm_id, MAX(article) AS article, MAX(subject) AS subject, "
        "      MIN(shop_id) AS shop_id, SUM(n) AS n, SUM(total) AS total, SUM(pn) AS pn, "
        "      SUM(ptotal) AS ptotal "
        f"      FROM ({union}) GROUP BY nm_id) o "
        "LEFT JOIN products p ON p.nm_id = o.nm_id AND p.shop_id = o.shop_id "
        "GROUP BY o.nm_id",
        params,
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
    """Orders per warehouse and per region in [start, end), biggest sum first. Whole UTC days
    come from the daily rollups, the rest from raw rows (see `_plan`), in one statement."""
    lo, hi = _ts(start), _ts(end)
    if not shop_ids or lo >= hi:
        return [], []
    pieces = _plan([(lo, hi, (1,))])
    parts = []
    params: list[object] = []
    for kind, (table, column) in enumerate(
        (("rollup_warehouses", "warehouse"), ("rollup_regions", "region"))
    ):

        def sql_for(
            source: Source, w: tuple[int, ...], table: str = table, column: str = column
        ) -> str:
            n, total = (
                ("COUNT(*)", "SUM(price_with_disc)")
                if source == "ts"
                else ("SUM(orders)", "SUM(orders_sum)")
            )
            return (
                f"SELECT {column} AS name, {_times(w[0], n)} AS n, {_times(w[0], total)} AS total "
                f"FROM {'orders' if source == 'ts' else table}{{where}} GROUP BY {column}"
            )

        union, more = _branches(pieces, shop_ids, sql_for)
        parts.append(f"SELECT {kind}, name, SUM(n), SUM(total) FROM ({union}) GROUP BY name")
        params += more
    sums: tuple[list[SplitRow], list[SplitRow]] = ([], [])
    for r in await db.fetchall(" UNION ALL ".join(parts), params):
        if r[2]:
            sums[int(r[0])].append(SplitRow(str(r[1] or ""), int(r[2]), float(r[3] or 0)))
    for found in sums:
        found.sort(key=lambda s: (-s.orders_sum, -s.orders, s.name))
    return sums


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
        f"WHERE shop_id IN ({_marks(shop_ids)}) AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
        (*shop_ids, _ts(start), _ts(end), limit),
    )


def _order_row(r: Sequence[Any]) -> OrderRow:
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
    # Not tied to the thread: a reader that stops early leaves the close to the collector.
    conn = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        for row in conn.execute(*_raw_orders_query(shop_ids, start, end, limit)):
            yield _order_row(row)
    finally:
        conn.close()


async def has_more_orders(
    db: Database, shop_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> bool:
    """Whether more than `limit` orders were placed in [start, end)."""
    if not shop_ids:
        return False
    sql, params = _raw_orders_query(shop_ids, start, end, limit + 1)
    row = await db.fetchone(f"SELECT COUNT(*) FROM ({sql})", params)
    return row is not None and int(row[0]) > limit


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
    """One product's stock over its sizes and the shop's real warehouses, with the product's
    orders in the cover window (every warehouse, FBS included, cancelled ones too: the same
    count the low-stock alert divides by, see bot.notify.checks)."""

    shop_id: int
    nm_id: int
    vendor_code: str
    subject: str
    quantity: int
    warehouses: tuple[tuple[str, int], ...]  # where it lies, most first; () when sold out
    orders_14d: int
    updated_at: datetime


async def stock_with_orders(
    db: Database, shop_ids: Sequence[int], since: datetime
) -> list[StockRecord]:
    """Stock per product (sizes and warehouses summed) with its orders since `since`.

    Per product, not per warehouse: WB now reports stock on aggregated warehouses ("Склад WB
    РФ", "Склад WB СГТ РФ", "Минск" apart) while orders keep naming where they ship from, so a
    warehouse's stock cannot be matched with that warehouse's orders."""
    if not shop_ids:
        return []
    marks = _marks(shop_ids)
    # One pass over the window's orders (by the (shop_id, ts) index), joined to the snapshot.
    rows = await db.fetchall(
        "WITH recent AS (SELECT shop_id, nm_id, COUNT(*) AS n FROM orders "
        f"  WHERE shop_id IN ({marks}) AND ts >= ? GROUP BY shop_id, nm_id) "
        "SELECT s.shop_id, s.nm_id, MAX(s.vendor_code), MAX(s.subject), s.warehouse, "
        "SUM(s.quantity), COALESCE(MAX(r.n), 0), MAX(s.updated_at) "
        "FROM stock s LEFT JOIN recent r ON r.shop_id = s.shop_id AND r.nm_id = s.nm_id "
        f"WHERE s.shop_id IN ({marks}) GROUP BY s.shop_id, s.nm_id, s.warehouse "
        "ORDER BY s.shop_id, s.nm_id",
        (*shop_ids, _ts(since), *shop_ids),
    )
    found: list[StockRecord] = []
    for (shop_id, nm_id), group in groupby(rows, key=lambda r: (int(r[0]), int(r[1]))):
        parts = list(group)
        places = sorted(
            ((str(r[4]), int(r[5] or 0)) for r in parts if r[4] and int(r[5] or 0) > 0),
            key=lambda p: (-p[1], p[0]),
        )
        found.append(
            StockRecord(
                shop_id=shop_id,
                nm_id=nm_id,
                vendor_code=max(str(r[2] or "") for r in parts),
                subject=max(str(r[3] or "") for r in parts),
                quantity=sum(q for _name, q in places),
                warehouses=tuple(places),
                orders_14d=int(parts[0][6] or 0),
                updated_at=datetime.fromtimestamp(max(float(r[7]) for r in parts), UTC),
            )
        )
    return found
