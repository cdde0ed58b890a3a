"""The rollups of orders and sales, and the report queries that read them (/report, the daily
summary). Reports read the store, never WB; the numbers' definitions are those of
bot.store.orders and bot.reports.metrics, which computes with what these queries return.

Rollups, all recomputed from the raw rows for every touched bucket in the caller's transaction
(so they are exact, and a row that moves leaves its old bucket):
- `rollup_hours`: the totals per shop and UTC hour;
- `rollup_products`, `rollup_warehouses`, `rollup_regions`: orders (count and `priceWithDisc`
  sum, by order time) per shop and UTC day and per product / warehouse / region; products also
  keep MAX(supplier_article) and MAX(subject) of the day. Reports read whole UTC days from them
  and the partial days at a period's edges from the raw rows;
- `rollup_product_weeks`: `rollup_products` summed per UTC week (Monday to Monday), recomputed
  from the days just recomputed, for long periods.

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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any, Literal

from bot.events import DayTotals
from bot.store.db import Conn, Database, Row, marks, unix

HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
MONDAY = 4 * DAY  # 1970-01-05, the first Monday: weeks run Monday to Monday, UTC


def hour_of(ts: float) -> int:
    return int(ts // HOUR * HOUR)


def day_of(ts: float) -> int:
    return int(ts // DAY * DAY)


def week_of(ts: float) -> int:
    """The start of the UTC week (Monday 00:00) holding `ts`."""
    return int((ts - MONDAY) // WEEK * WEEK + MONDAY)


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
    conn: Conn, shop_id: int, hours: Iterable[int], *, orders: bool = True
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
        "b.pay - r.pay FROM (SELECT CAST(?1 AS BIGINT) AS s, CAST(?2 AS BIGINT) AS h) k "
        "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(price_with_disc), 0) AS total FROM orders "
        "      WHERE shop_id = ?1 AND ts >= ?2 AND ts < ?3) o "
        "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(price_with_disc), 0) AS total FROM orders "
        "      WHERE shop_id = ?1 AND cancel_ts >= ?2 AND cancel_ts < ?3) c "
        "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(price_with_disc), 0) AS total, "
        "      COALESCE(SUM(ABS(for_pay)), 0) AS pay FROM sales "
        "      WHERE shop_id = ?1 AND ts >= ?2 AND ts < ?3 AND is_return = 0) b "
        "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(ABS(price_with_disc)), 0) AS total, "
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


@dataclass(frozen=True, kw_only=True)
class Totals(DayTotals):
    """A period's numbers as the rollups sum them (the fields of the summary event's
    `DayTotals`, with what reports derive from them); bot.reports.metrics defines each."""

    @property
    def buyout_rate(self) -> float | None:
        """Buyouts / (buyouts + returns + cancels), 0..1; None when no order reached a result.
        A cancelled order never reached the buyer, so it counts against the rate, as in WB's
        cabinet; leaving cancellations out would flatter a shop that is often cancelled."""
        results = self.buyouts + self.returns + self.cancels
        return self.buyouts / results if results else None

    @property
    def average_order(self) -> float | None:
        """The orders' sum over their count; None without orders."""
        return self.orders_sum / self.orders if self.orders else None

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


_TOTALS_COLUMNS = (
    "orders, orders_sum, cancels, cancels_sum, buyouts, buyouts_sum, returns, returns_sum, for_pay"
)


def _hour_floor(moment: datetime) -> int:
    return unix(moment) // HOUR * HOUR


def _hour_ceil(moment: datetime) -> int:
    """An end that falls inside an hour takes that hour in: "today" includes the last minutes."""
    return -(-unix(moment) // HOUR) * HOUR


def _totals_of(row: Row | Sequence[Any] | None) -> Totals:
    if row is None:
        return Totals()
    v = list(row)
    return Totals(
        orders=int(v[0] or 0),
        orders_sum=float(v[1] or 0),
        cancels=int(v[2] or 0),
        cancels_sum=float(v[3] or 0),
        buyouts=int(v[4] or 0),
        buyouts_sum=float(v[5] or 0),
        returns=int(v[6] or 0),
        returns_sum=float(v[7] or 0),
        for_pay=float(v[8] or 0),
    )


async def totals(db: Database, shop_ids: Sequence[int], start: datetime, end: datetime) -> Totals:
    """The shops' numbers for [start, end) (aware datetimes), from the hourly rollups."""
    if not shop_ids:
        return Totals()
    sums = ", ".join(f"COALESCE(SUM({c.strip()}), 0)" for c in _TOTALS_COLUMNS.split(","))
    row = await db.fetchone(
        f"SELECT {sums} FROM rollup_hours "
        f"WHERE shop_id IN ({marks(shop_ids)}) AND hour >= ? AND hour < ?",
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
        f"WHERE shop_id IN ({marks(shop_ids)}) AND hour >= ? AND hour < ? "
        "GROUP BY hour ORDER BY hour",
        (*shop_ids, _hour_floor(start), _hour_ceil(end)),
    )
    return [(datetime.fromtimestamp(int(r[0]), UTC), _totals_of(tuple(r)[1:])) for r in rows]


# Typed, so PostgreSQL reads the VALUES as numbers (untyped parameters there would be text).
_BIGINTS = "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))"


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
        f"WITH r(i, lo, hi) AS (VALUES {', '.join([_BIGINTS] * len(wanted))}) "
        f"SELECT r.i, {sums} FROM r JOIN rollup_hours h "
        f"ON h.shop_id IN ({marks(shop_ids)}) AND h.hour >= r.lo AND h.hour < r.hi "
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
    qs = marks(shop_ids)
    sqls: list[str] = []
    params: list[object] = []

    def exists(ranges: Ranges) -> str:
        params.extend(v for lo, hi in ranges for v in (*shop_ids, lo, hi))
        return " OR ".join(
            f"EXISTS (SELECT 1 FROM orders WHERE shop_id IN ({qs}) AND ts >= ? AND ts < ?)"
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
            f"{head} WHERE shop_id IN ({qs}) AND {column} >= ? AND {column} < ?{guard}{tail}"
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
    lo, hi, begin = unix(previous[0]), unix(end), unix(start)
    cut = min(unix(previous[1]), begin)  # the previous period counts orders before this
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
        f"      FROM ({union}) u GROUP BY nm_id) o "
        "LEFT JOIN products p ON p.nm_id = o.nm_id AND p.shop_id = o.shop_id "
        # One row of o per nm_id: the other columns are grouped for PostgreSQL's sake.
        "GROUP BY o.nm_id, o.article, o.subject, o.n, o.total, o.pn, o.ptotal",
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
    lo, hi = unix(start), unix(end)
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
        parts.append(f"SELECT {kind}, name, SUM(n), SUM(total) FROM ({union}) u GROUP BY name")
        params += more
    sums: tuple[list[SplitRow], list[SplitRow]] = ([], [])
    for r in await db.fetchall(" UNION ALL ".join(parts), params):
        if r[2]:
            sums[int(r[0])].append(SplitRow(str(r[1] or ""), int(r[2]), float(r[3] or 0)))
    for found in sums:
        found.sort(key=lambda s: (-s.orders_sum, -s.orders, s.name))
    return sums
