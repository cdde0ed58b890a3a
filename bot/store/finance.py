"""WB's finance report as stored: its rows (one per shop and rrd_id), sums per report, product
and kind, and which report periods the bot has fetched.

Money is integer kopecks throughout. Writes run inside the caller's transaction; a page stored
twice changes nothing (the rows are keyed by WB's rrd_id, the sums rebuilt from the rows).

Weekly and daily reports tell the same operations twice (a day's report, then the week's):
every sum here takes a complete weekly report where there is one, and the daily reports only
for days no complete weekly report covers.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from bot.store.costs import CostRuns
from bot.store.db import Conn, Database, Row, executemany_counted

WEEKLY = "weekly"
DAILY = "daily"

#: Money columns of finance_rows and finance_sums, kopecks.
MONEY = (
    "retail_price",
    "retail_price_with_disc",
    "retail_amount",
    "for_pay",
    "sales_commission",
    "vw",
    "vw_nds",
    "acquiring_fee",
    "ppvz_reward",
    "delivery_service",
    "penalty",
    "additional_payment",
    "rebill_logistic_cost",
    "paid_storage",
    "deduction",
    "paid_acceptance",
    "cashback_amount",
    "cashback_discount",
    "cashback_commission_change",
    "installment_cofinancing",
)


@dataclass(frozen=True, slots=True)
class FinanceEntry:
    """One report row, ready to store (the sync side converts WB's row into this)."""

    rrd_id: int
    report_id: int
    period: str
    date_from: str  # YYYY-MM-DD
    date_to: str
    rr_date: str | None
    kind: str
    nm_id: int
    sa_name: str
    ts_name: str
    barcode: str
    doc_type: str
    oper: str
    bonus_type: str
    quantity: int
    delivery_amount: int
    return_amount: int
    srid: str
    order_dt: float | None
    sale_dt: float | None
    commission_percent: float
    retail_price: int = 0
    retail_price_with_disc: int = 0
    retail_amount: int = 0
    for_pay: int = 0
    sales_commission: int = 0
    vw: int = 0
    vw_nds: int = 0
    acquiring_fee: int = 0
    ppvz_reward: int = 0
    delivery_service: int = 0
    penalty: int = 0
    additional_payment: int = 0
    rebill_logistic_cost: int = 0
    paid_storage: int = 0
    deduction: int = 0
    paid_acceptance: int = 0
    cashback_amount: int = 0
    cashback_discount: int = 0
    cashback_commission_change: int = 0
    installment_cofinancing: int = 0


_COLUMNS = tuple(f.name for f in fields(FinanceEntry))
_UPSERT = (
    f"INSERT INTO finance_rows(shop_id, {', '.join(_COLUMNS)}) "
    f"VALUES (?, {', '.join('?' for _ in _COLUMNS)}) "
    "ON CONFLICT(shop_id, rrd_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "rrd_id")
    + " WHERE "
    + " OR ".join(f"finance_rows.{c} IS NOT excluded.{c}" for c in _COLUMNS if c != "rrd_id")
)
#: finance_sums' figures (FinanceDay's: its Figures but commission, and the rest) as sums over
#: finance_rows.
_FIGURES: tuple[tuple[str, str], ...] = (
    ("sold", "CASE WHEN kind = 'sale' THEN quantity ELSE 0 END"),
    ("returned", "CASE WHEN kind = 'return' THEN quantity ELSE 0 END"),
    (
        "revenue",
        "CASE kind WHEN 'sale' THEN retail_amount WHEN 'return' THEN -retail_amount ELSE 0 END",
    ),
    ("for_pay", "CASE kind WHEN 'sale' THEN for_pay WHEN 'return' THEN -for_pay ELSE 0 END"),
    ("logistics", "delivery_service + rebill_logistic_cost"),
    ("storage", "paid_storage"),
    ("acceptance", "paid_acceptance"),
    ("penalties", "penalty"),
    ("deductions", "deduction"),
    ("additional", "additional_payment"),
    ("deliveries", "delivery_amount"),
    ("returns_back", "return_amount"),
)
_FIGURE_NAMES = tuple(name for name, _sql in _FIGURES)
_SUMS = ", ".join(f"SUM({name})" for name in _FIGURE_NAMES)


async def upsert_rows(conn: Conn, shop_id: int, rows: Sequence[FinanceEntry]) -> int:
    """Stores a page; returns how many rows are new or changed (0 for a page seen before).
    The sums of every report the page touches are rebuilt from the rows."""
    changed = await executemany_counted(
        conn, _UPSERT, [(shop_id, *(getattr(r, c) for c in _COLUMNS)) for r in rows]
    )
    if changed:
        for period, date_from, date_to in sorted(
            {(r.period, r.date_from, r.date_to) for r in rows}
        ):
            await _rebuild_sums(conn, shop_id, period, date_from, date_to)
    return changed


async def _rebuild_sums(
    conn: Conn, shop_id: int, period: str, date_from: str, date_to: str
) -> None:
    key = (shop_id, period, date_from, date_to)
    await conn.execute(
        "DELETE FROM finance_sums WHERE shop_id = ? AND period = ? AND date_from = ? "
        "AND date_to = ?",
        key,
    )
    sums = ", ".join(f"SUM({sql})" for _name, sql in _FIGURES)
    await conn.execute(
        "INSERT INTO finance_sums(shop_id, period, date_from, date_to, day, nm_id, ts_name, "
        f"row_count, {', '.join(_FIGURE_NAMES)}) "
        "SELECT shop_id, period, date_from, date_to, COALESCE(rr_date, date_from), nm_id, "
        f"ts_name, COUNT(*), {sums} "
        "FROM finance_rows WHERE shop_id = ? AND period = ? AND date_from = ? AND date_to = ? "
        # The key columns are one value each here; PostgreSQL wants them grouped all the same.
        "GROUP BY shop_id, period, date_from, date_to, COALESCE(rr_date, date_from), nm_id, "
        "ts_name",
        key,
    )
    # The same per report, product and size: a whole report inside a long period is read
    # from here, a row per product and size instead of one per day (report_days).
    await conn.execute(
        "DELETE FROM finance_report_sums WHERE shop_id = ? AND period = ? AND date_from = ? "
        "AND date_to = ?",
        key,
    )
    await conn.execute(
        "INSERT INTO finance_report_sums(shop_id, period, date_from, date_to, nm_id, ts_name, "
        f"first_day, last_day, {', '.join(_FIGURE_NAMES)}) "
        "SELECT shop_id, period, date_from, date_to, nm_id, ts_name, MIN(day), MAX(day), "
        f"{', '.join(f'SUM({name})' for name in _FIGURE_NAMES)} FROM finance_sums "
        "WHERE shop_id = ? AND period = ? AND date_from = ? AND date_to = ? "
        "GROUP BY shop_id, period, date_from, date_to, nm_id, ts_name",
        key,
    )


# -- fetched periods ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchedPeriod:
    period: str
    date_from: date
    date_to: date
    rrd_id: int  # the last row fetched: the next page starts after it
    rows: int
    complete: bool
    started_at: float
    fetched_at: float
    completed_at: float | None


async def fetched_periods(db: Database, shop_id: int) -> list[FetchedPeriod]:
    """Every period the bot has asked WB for, newest first."""
    rows = await db.fetchall(
        "SELECT period, date_from, date_to, rrd_id, row_count, complete, started_at, fetched_at, "
        "completed_at FROM finance_periods WHERE shop_id = ? ORDER BY date_to DESC, period",
        (shop_id,),
    )
    return [
        FetchedPeriod(
            r[0],
            date.fromisoformat(r[1]),
            date.fromisoformat(r[2]),
            int(r[3]),
            int(r[4]),
            bool(r[5]),
            float(r[6]),
            float(r[7]),
            None if r[8] is None else float(r[8]),
        )
        for r in rows
    ]


async def record_page(
    conn: Conn,
    shop_id: int,
    period: str,
    date_from: date,
    date_to: date,
    *,
    rrd_id: int,
    rows: int,
    complete: bool,
    started_at: float,
    now: float | None = None,
) -> None:
    """Where the fetch of a period stands after a page: ``rrd_id`` the last row fetched,
    ``rows`` the page's rows, ``complete`` once WB answered 204. ``started_at`` names the fetch
    (its first page's time): a period fetched again (the days of a week, asked daily) starts a
    new count."""
    at = time.time() if now is None else now
    await conn.execute(
        "INSERT INTO finance_periods(shop_id, period, date_from, date_to, rrd_id, row_count, "
        "complete, started_at, fetched_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(shop_id, period, date_from, date_to) DO UPDATE SET "
        "rrd_id = excluded.rrd_id, "
        "row_count = excluded.row_count + CASE WHEN "
        "finance_periods.started_at = excluded.started_at "
        "THEN finance_periods.row_count ELSE 0 END, "
        "complete = excluded.complete, "
        "started_at = excluded.started_at, "
        "fetched_at = excluded.fetched_at, "
        "completed_at = CASE WHEN excluded.complete != 0 THEN excluded.fetched_at "
        "ELSE finance_periods.completed_at END",
        (
            shop_id,
            period,
            date_from.isoformat(),
            date_to.isoformat(),
            rrd_id,
            rows,
            int(complete),
            started_at,
            at,
            at if complete else None,
        ),
    )


async def latest_complete_week(db: Database, shop_id: int) -> tuple[date, date] | None:
    """The newest weekly report the bot holds whole ("by WB's report for 24.11–30.11")."""
    row = await db.fetchone(
        "SELECT date_from, date_to FROM finance_periods WHERE shop_id = ? AND period = ? "
        "AND complete = 1 ORDER BY date_to DESC LIMIT 1",
        (shop_id, WEEKLY),
    )
    return None if row is None else (date.fromisoformat(row[0]), date.fromisoformat(row[1]))


async def complete_weeks(
    db: Database, shop_id: int, first: date, last: date
) -> list[tuple[date, date]]:
    """The whole weekly reports the bot holds that meet ``first``..``last``, oldest first."""
    rows = await db.fetchall(
        "SELECT date_from, date_to FROM finance_periods WHERE shop_id = ? AND period = ? "
        "AND complete = 1 AND date_to >= ? AND date_from <= ? ORDER BY date_from",
        (shop_id, WEEKLY, first.isoformat(), last.isoformat()),
    )
    return [(date.fromisoformat(r[0]), date.fromisoformat(r[1])) for r in rows]


# -- sums for profit -------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What WB sold, kept and pays for a product (or a shop) over some days, in kopecks, as
    WB's finance report tells it: revenue is ``retailAmount`` of sales less that of returns;
    commission is revenue less ``forPay`` (everything WB keeps of the sale price); logistics
    is ``deliveryService`` both ways plus ``rebillLogisticCost``."""

    sold: int = 0
    returned: int = 0
    revenue: int = 0
    commission: int = 0
    logistics: int = 0
    storage: int = 0
    acceptance: int = 0
    penalties: int = 0
    deductions: int = 0
    additional: int = 0

    @property
    def to_be_paid(self) -> int:
        """The cabinet's "Итого к оплате" for these rows."""
        return (
            self.revenue
            - self.commission
            - self.logistics
            - self.storage
            - self.acceptance
            - self.penalties
            - self.deductions
            + self.additional
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True, slots=True)
class FinanceDay:
    """WB's finance report for one product size on one day (rr_date). nm_id 0: rows tied to no
    product (the shop's storage, a deduction)."""

    nm_id: int
    size: str
    day: date | None  # None: summed over the days asked for (report_days(by_day=False))
    figures: Figures
    for_pay: int = 0  # sales less returns
    deliveries: int = 0  # deliveries to the buyer (deliveryAmount)
    returns_back: int = 0  # returns from the buyer (returnAmount)


async def report_days(
    db: Database,
    shop_id: int,
    first: date,
    last: date,
    nm_ids: Iterable[int] | None = None,
    *,
    by_day: bool = True,
    runs: CostRuns | None = None,
) -> list[FinanceDay]:
    """WB's report rows of the days ``first``..``last``, per product size and day (or, not
    ``by_day``, per product size over all those days: far fewer rows for a big shop; with
    ``runs``, split only as costing needs, bot.store.costs.CostRuns, each row dated by its
    first day): a day a complete weekly report covers from that report (once it is whole),
    another from the daily reports held."""
    weeks = await complete_weeks(db, shop_id, first, last)
    days: list[FinanceDay] = []
    whole: list[tuple[date, date, bool]] = []
    split_weeks: list[tuple[date, date]] = []
    changed = sorted(runs.changed) if runs else []
    if not by_day and nm_ids is None:
        # Weeks whose rows all lie in the period: a row per product and size from
        # finance_report_sums, but for the products whose cost changes inside the week, which
        # are read by day below with every other day, from finance_sums.
        starts = runs.starts if runs else ()
        whole = [w for w in await _inside(db, shop_id, weeks, first, last) if w[2]]
        split_weeks = [(a, b) for a, b, _in in whole if any(a < r <= b for r in starts)]
        days += await _whole_weeks(db, shop_id, [(a, b) for a, b, _in in whole], runs, split_weeks)
    taken = {(a, b) for a, b, _in in whole}
    # A weekly report is used whole; a daily one for a day no whole weekly report covers.
    used = "(s.period = 'daily'"
    params: list[object] = []
    for a, b in weeks:
        used += " AND s.day NOT BETWEEN ? AND ?"
        params += [a.isoformat(), b.isoformat()]
    used += ")"
    rest = [w for w in weeks if w not in taken]
    if rest:
        pairs = ", ".join("(?, ?)" for _ in rest)
        used += f" OR (s.period = 'weekly' AND (s.date_from, s.date_to) IN (VALUES {pairs}))"
        params += [d.isoformat() for week in rest for d in week]
    only = ""
    if nm_ids is not None:
        wanted = sorted(set(nm_ids))
        if not wanted:
            return []
        only = f" AND s.nm_id IN ({', '.join('?' for _ in wanted)})"
        params += wanted
    split, split_params = _split(runs, "s.day")
    day, group = ("day", "day, ") if by_day else ("MIN(day)" if runs else "NULL", "")
    # The days left to read by day, one index range per run of them; in a week a cost change
    # splits, the changed products' rows alone, sought day by day.
    read = runs_outside(first, last, taken)
    columns = ", ".join(f"s.{n}" for n in _FIGURE_NAMES)
    select = f"SELECT s.day AS day, s.nm_id AS nm_id, {split}, {columns} FROM finance_sums s "
    branches = [f"{select}WHERE s.shop_id = ? AND s.day BETWEEN ? AND ? AND ({used}){only}"] * len(
        read
    )
    values: list[object] = [
        v for a, b in read for v in (*split_params, shop_id, a.isoformat(), b.isoformat(), *params)
    ]
    for a, b in split_weeks:
        week = [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]
        branches.append(
            f"{select}WHERE s.shop_id = ? AND s.day IN ({', '.join('?' for _ in week)}) "
            f"AND s.nm_id IN ({', '.join('?' for _ in changed)}) AND s.period = 'weekly' "
            "AND s.date_from = ? AND s.date_to = ?"
        )
        values += [*split_params, shop_id, *week, *changed, a.isoformat(), b.isoformat()]
    if not branches:
        return days
    rows = await db.fetchall(
        f"SELECT {day}, nm_id, size, {_SUMS} FROM ({' UNION ALL '.join(branches)}) u "
        f"GROUP BY {group}nm_id, size, run",
        values,
    )
    days += [_finance_day(r) for r in rows]
    return days


def _finance_day(r: Row | Sequence[Any]) -> FinanceDay:
    sums = dict(zip(_FIGURE_NAMES, (int(v or 0) for v in r[3:]), strict=True))
    extra = {name: sums.pop(name) for name in ("for_pay", "deliveries", "returns_back")}
    figures = Figures(**sums, commission=sums["revenue"] - extra["for_pay"])
    when = date.fromisoformat(r[0]) if r[0] is not None else None
    return FinanceDay(int(r[1]), str(r[2]), when, figures, **extra)


async def _inside(
    db: Database, shop_id: int, weeks: Sequence[tuple[date, date]], first: date, last: date
) -> list[tuple[date, date, bool]]:
    """Whether each week's rows all fall on days in [first, last] (WB dates a row by its
    operation, which may lie outside the report's own week)."""
    if not weeks:
        return []
    pairs = ", ".join("(?, ?)" for _ in weeks)
    rows = await db.fetchall(
        "SELECT date_from, date_to, MIN(first_day), MAX(last_day) FROM finance_report_sums "
        f"WHERE shop_id = ? AND period = 'weekly' AND (date_from, date_to) IN (VALUES {pairs}) "
        "GROUP BY date_from, date_to",
        [shop_id, *(d.isoformat() for week in weeks for d in week)],
    )
    spans = {(str(r[0]), str(r[1])): (str(r[2]), str(r[3])) for r in rows}
    found = []
    for a, b in weeks:
        low, high = spans.get((a.isoformat(), b.isoformat()), (a.isoformat(), b.isoformat()))
        found.append((a, b, first.isoformat() <= low and high <= last.isoformat()))
    return found


def runs_outside(
    first: date, last: date, skip: Collection[tuple[date, date]]
) -> list[tuple[date, date]]:
    """The runs of days in [first, last] outside the `skip` spans, oldest first."""
    found: list[tuple[date, date]] = []
    day = first
    while day <= last:
        if not any(a <= day <= b for a, b in skip):
            if found and found[-1][1] + timedelta(days=1) == day:
                found[-1] = (found[-1][0], day)
            else:
                found.append((day, day))
        day += timedelta(days=1)
    return found


def _split(runs: CostRuns | None, day: str) -> tuple[str, list[object]]:
    """The size and run columns (`size`, `run`) rows are grouped by: as costing needs them
    with `runs`, else every size apart in one run."""
    if runs is None:
        return "s.ts_name AS size, 0 AS run", []
    size, size_params = runs.size_sql("s.nm_id", "s.ts_name")
    run, run_params = runs.run_sql("s.nm_id", day, [d.isoformat() for d in runs.starts])
    return f"{size} AS size, {run or 0} AS run", [*size_params, *run_params]


async def _whole_weeks(
    db: Database,
    shop_id: int,
    weeks: Sequence[tuple[date, date]],
    runs: CostRuns | None,
    split_weeks: Sequence[tuple[date, date]],
) -> list[FinanceDay]:
    """The weeks' rows from finance_report_sums, a row per product and size (as costing
    needs, with `runs`), each dated by its first day; in `split_weeks` (a cost changes inside
    them) without the products whose cost changes, which the caller reads by day."""
    if not weeks:
        return []
    pairs = ", ".join("(?, ?)" for _ in weeks)
    split, split_params = _split(runs, "s.first_day")
    skip, skip_params = "", list[object]()
    if split_weeks and runs is not None:
        pairs_split = ", ".join("(?, ?)" for _ in split_weeks)
        skip = (
            f" AND NOT ((s.date_from, s.date_to) IN (VALUES {pairs_split})"
            f" AND s.nm_id IN ({', '.join('?' for _ in runs.changed)}))"
        )
        skip_params = [
            *(d.isoformat() for week in split_weeks for d in week),
            *sorted(runs.changed),
        ]
    rows = await db.fetchall(
        f"SELECT {'MIN(day)' if runs else 'NULL'}, nm_id, size, {_SUMS} FROM ("
        f"SELECT s.first_day AS day, s.nm_id AS nm_id, {split}, "
        f"{', '.join(f's.{n}' for n in _FIGURE_NAMES)} FROM finance_report_sums s "
        "WHERE s.shop_id = ? AND s.period = 'weekly' AND (s.date_from, s.date_to) IN "
        f"(VALUES {pairs}){skip}) u GROUP BY nm_id, size, run",
        [*split_params, shop_id, *(d.isoformat() for week in weeks for d in week), *skip_params],
    )
    return [_finance_day(r) for r in rows]


async def report_spans(
    db: Database, shop_id: int, first: date, last: date
) -> list[tuple[date, date]]:
    """The periods of WB's report the bot holds that meet ``first``..``last``, oldest first:
    the days "by WB's report". A weekly report counts once the bot holds it whole; a daily
    report once it has rows (a day with none may not be published yet, and a shop with goods at
    WB pays storage every day)."""
    rows = await db.fetchall(
        "SELECT date_from, date_to FROM finance_periods WHERE shop_id = ? AND period = ? "
        "AND complete = 1 AND date_to >= ? AND date_from <= ? "
        "UNION SELECT DISTINCT date_from, date_to FROM finance_sums WHERE shop_id = ? "
        "AND period = ? AND date_to >= ? AND date_from <= ? ORDER BY 1, 2",
        (
            *(shop_id, WEEKLY, first.isoformat(), last.isoformat()),
            *(shop_id, DAILY, first.isoformat(), last.isoformat()),
        ),
    )
    return [(date.fromisoformat(r[0]), date.fromisoformat(r[1])) for r in rows]
