"""What the profit view reads, as rows of its own (bot.reports.profit does the arithmetic):
statistics sales per product, size and WB day for the days no report covers, and WB's finance
report per product, size and day (bot.store.finance), so each day's cost price applies.

A WB day is a Moscow calendar day, the days WB keeps its finance report in; sales are stored
in UTC seconds, so a Moscow day is [00:00 MSK, 24:00 MSK) = [21:00 UTC the day before, …).
Statistics amounts are REAL roubles with whole kopecks; each row is turned into kopecks once,
rounded (ROUND of a value within a hair of a whole number), then summed as integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.store import finance
from bot.store.costs import CostRuns
from bot.store.db import Database
from bot.store.finance import Figures as Figures  # bot.reports reads it from here


@dataclass(frozen=True)
class SalesDay:
    """Statistics sales rows of one product size on one WB day (bot.store.profit). Sums are in
    kopecks and positive for returns too; `*_unpaid` is the price of the rows whose `forPay`
    WB has not filled in yet (it may stay 0 for up to 24 h)."""

    nm_id: int
    size: str
    day: date
    sold: int = 0
    returned: int = 0
    sold_sum: int = 0
    returned_sum: int = 0
    sold_pay: int = 0
    returned_pay: int = 0
    sold_unpaid: int = 0
    returned_unpaid: int = 0


@dataclass(frozen=True)
class ReportDay:
    """WB's finance report rows of one product size on one day, summed (nm_id 0: rows tied to
    no product, such as the shop's storage or a penalty)."""

    nm_id: int
    size: str
    day: date
    figures: Figures


Span = tuple[date, date]


DAY = 86_400
MSK = 3 * 3600
_EPOCH = date(1970, 1, 1)
#: Recent report rows the estimate learns WB's fees from: the five weeks up to its days.
LEARN_DAYS = 35


def wb_day_start(day: date) -> int:
    """Unix seconds of 00:00 Moscow time on `day`."""
    return (day - _EPOCH).days * DAY - MSK


def _wb_day(number: int) -> date:
    return _EPOCH + timedelta(days=number)


async def sales_days(
    db: Database, shop_id: int, spans: Sequence[Span], runs: CostRuns | None = None
) -> list[SalesDay]:
    """The shop's buyouts and returns over the given runs of days (the days no report covers),
    in kopecks, per product (and per size or run of days where costing needs it, `runs`),
    dated by the first day with sales: a month is a row or two per product. A row whose
    `forPay` WB has not filled in yet (0, for up to a day) counts its price as unpaid: the
    estimate prices its commission."""
    if not spans:
        return []
    runs = runs or CostRuns()
    # One index range per run of days (an OR of ranges would scan the shop's every sale).
    ranges = " UNION ALL ".join(
        "SELECT ts, nm_id, tech_size, is_return, price_with_disc, for_pay FROM sales "
        "WHERE shop_id = ? AND ts >= ? AND ts < ?"
        for _ in spans
    )
    params: list[object] = []
    for first, last in spans:
        params += [shop_id, wb_day_start(first), wb_day_start(last + timedelta(days=1))]
    size, size_params = runs.size_sql("nm_id", "tech_size")
    run, run_params = runs.run_sql("nm_id", "d", [(d - _EPOCH).days for d in runs.starts])
    rows = await db.fetchall(
        "SELECT MIN(d), nm_id, size, "
        "SUM(CASE WHEN is_return = 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN is_return = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN is_return = 0 THEN k ELSE 0 END), "
        "SUM(CASE WHEN is_return = 1 THEN k ELSE 0 END), "
        "SUM(CASE WHEN is_return = 0 THEN pay ELSE 0 END), "
        "SUM(CASE WHEN is_return = 1 THEN pay ELSE 0 END), "
        "SUM(CASE WHEN is_return = 0 AND pay = 0 THEN k ELSE 0 END), "
        "SUM(CASE WHEN is_return = 1 AND pay = 0 THEN k ELSE 0 END) "
        f"FROM (SELECT d, nm_id, {size} AS size, {run or 0} AS run, is_return, k, pay "
        f"      FROM (SELECT (ts + {MSK}) / {DAY} AS d, nm_id, tech_size, is_return, "
        "            CAST(ROUND(ABS(price_with_disc) * 100) AS INTEGER) AS k, "
        "            CAST(ROUND(ABS(for_pay) * 100) AS INTEGER) AS pay "
        f"            FROM ({ranges}) u) s) r "
        "GROUP BY nm_id, size, run",
        [*size_params, *run_params, *params],
    )
    return [
        SalesDay(
            nm_id=int(r[1]),
            size=str(r[2]),
            day=_wb_day(int(r[0])),
            sold=int(r[3]),
            returned=int(r[4]),
            sold_sum=int(r[5]),
            returned_sum=int(r[6]),
            sold_pay=int(r[7]),
            returned_pay=int(r[8]),
            sold_unpaid=int(r[9]),
            returned_unpaid=int(r[10]),
        )
        for r in rows
    ]


def _report_day(row: finance.FinanceDay, day: date) -> ReportDay:
    return ReportDay(row.nm_id, row.size, row.day or day, row.figures)


async def report_days(
    db: Database, shop_id: int, first: date, last: date, runs: CostRuns | None = None
) -> tuple[list[Span], list[ReportDay]]:
    """The periods of WB's report that count for [first, last] (clipped to it) and the
    report's rows in them (bot.store.finance: a whole weekly report, else the daily ones), per
    product and size over each run of days between `boundaries` (the days a cost price
    changes), dated by the run's first day: a cost is the same on every day of such a run, so a
    month is a few rows per product."""
    spans = [
        (max(a, first), min(b, last))
        for a, b in await finance.report_spans(db, shop_id, first, last)
    ]
    if not spans:
        return [], []
    rows = await finance.report_days(
        db, shop_id, first, last, by_day=False, runs=runs or CostRuns()
    )
    return spans, [_report_day(r, first) for r in rows]


async def learning_days(db: Database, shop_id: int, until: date) -> list[ReportDay]:
    """The report rows of the LEARN_DAYS up to `until`, per product and size, which WB's
    commission per rouble and logistics per unit are learned from (bot.reports.profit)."""
    since = until - timedelta(days=LEARN_DAYS - 1)
    since -= timedelta(days=since.weekday())  # from a Monday: whole weekly reports, read whole
    rows = await finance.report_days(db, shop_id, since, until, by_day=False, runs=CostRuns())
    return [_report_day(r, since) for r in rows]


async def shops_with_costs(db: Database) -> list[int]:
    """The active shops with at least one cost price: the only ones whose profit is known."""
    rows = await db.fetchall(
        "SELECT id FROM shops WHERE state = 'active' AND id IN (SELECT shop_id FROM costs) "
        "ORDER BY id"
    )
    return [int(r[0]) for r in rows]
