"""WB's finance report read and stored: exact money from WB's strings, a bad row skipped and
counted, a page stored twice changing nothing, and the sums profit reads (weekly reports over
daily ones), checked against the rows the fake WB generates."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from bot.store.finance import (
    DAILY,
    WEEKLY,
    Figures,
    latest_complete_week,
    record_page,
    report_days,
    report_spans,
    runs_outside,
    upsert_rows,
)
from bot.sync.finance import entry, kopecks
from bot.wb.finance import LOGISTICS_FROM, LOGISTICS_TO, SALE, parse_finance_rows
from tests.fakes import wb_finance

MONDAY = date(2026, 11, 23)
SUNDAY = MONDAY + timedelta(days=6)
ITEMS = [
    wb_finance.Item(101, "A-1", "Brand", "Платья", "42", "2000000000011", 2490, 25),
    wb_finance.Item(202, "B-2", "Brand", "Кружки", "0", "2000000000022", 790, 0),
]


def week(monday: date = MONDAY, period: str = WEEKLY, first_rrd: int = 1) -> list[dict]:
    rows = wb_finance.week_rows(ITEMS, monday, random.Random(str(monday)))
    for n, row in enumerate(rows):
        row.update(reportId=7, rrdId=first_rrd + n, dateFrom=monday.isoformat())
        row["dateTo"] = (monday + timedelta(days=6)).isoformat()
        if period == DAILY:
            row["dateFrom"] = row["dateTo"] = row["rrDate"]
    return rows


def test_money_is_exact_and_bad_rows_are_skipped_and_counted() -> None:
    rows = week()
    rows[0]["forPay"] = "12.3a"  # not a number: the row goes, counted
    rows[1]["rrdId"] = None
    rebill = next(r for r in rows if r["sellerOperName"] == wb_finance.REBILL)
    parsed = parse_finance_rows([*rows, "junk"], WEEKLY)
    assert parsed.skipped == 3
    assert parsed.reasons == {
        "forPay not a number": 1,
        "rrdId not a positive integer": 1,
        "row not an object": 1,
    }
    read = {r.rrd_id: r for r in parsed.rows}[rebill["rrdId"]]
    assert read.rebill_logistic_cost == Decimal("1.349")  # exact, no float on the way
    assert kopecks(read.rebill_logistic_cost) == 135
    kinds = {r.kind for r in parsed.rows}
    assert {SALE, "return", LOGISTICS_TO, LOGISTICS_FROM, "storage", "acceptance"} <= kinds
    assert {"penalty", "deduction", "additional", "rebill"} <= kinds
    assert parse_finance_rows(None, WEEKLY).rows == []


async def _store(db, rows: list[dict], period: str = WEEKLY) -> int:
    parsed = parse_finance_rows(rows, period)
    async with db.transaction() as conn:
        return await upsert_rows(conn, 1, [entry(r) for r in parsed.rows])


async def _complete(db, period: str, first: date, last: date) -> None:
    async with db.transaction() as conn:
        await record_page(
            conn, 1, period, first, last, rrd_id=99, rows=0, complete=True, started_at=1.0
        )


async def _tables(db) -> list[list[tuple]]:
    return [
        [tuple(r) for r in await db.fetchall(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5")]
        for t in ("finance_rows", "finance_sums")
    ]


async def test_a_page_stored_twice_changes_nothing(db) -> None:
    rows = week()
    assert await _store(db, rows) == len(rows)
    before = await _tables(db)
    assert await _store(db, rows) == 0
    assert await _tables(db) == before


async def test_report_days_add_up_to_the_rows_to_the_kopeck(db) -> None:
    rows = week()
    await _store(db, rows)
    assert await report_days(db, 1, MONDAY, SUNDAY) == []  # the week is not whole yet
    await _complete(db, WEEKLY, MONDAY, SUNDAY)
    days = await report_days(db, 1, MONDAY, SUNDAY)

    def kop(name: str, pick=lambda r: True) -> int:
        return sum(kopecks(Decimal(r[name])) for r in rows if pick(r))

    def sales(r):
        return r["docTypeName"] == wb_finance.SALE

    def returns(r):
        return r["docTypeName"] == wb_finance.RETURN

    revenue = kop("retailAmount", sales) - kop("retailAmount", returns)
    for_pay = kop("forPay", sales) - kop("forPay", returns)
    total = sum((d.figures for d in days), Figures())
    assert total.revenue == revenue
    assert total.commission == revenue - for_pay
    assert total.logistics == kop("deliveryService") + kop("rebillLogisticCost")
    assert total.storage == kop("paidStorage")
    assert total.penalties == 30000 and total.deductions == 150000
    assert total.acceptance == 86500 and total.additional == 12050
    assert total.sold == 6 and total.returned == 2
    # The cabinet's sum of the week, as the fake computes it from WB's strings.
    transfer = sum(kopecks(wb_finance.to_transfer([r])) for r in rows)
    assert total.to_be_paid == transfer
    assert {(d.nm_id, d.size) for d in days if d.figures.sold} == {(101, "42"), (202, "0")}
    assert await latest_complete_week(db, 1) == (MONDAY, SUNDAY)
    assert await report_spans(db, 1, MONDAY, SUNDAY) == [(MONDAY, SUNDAY)]


async def test_a_whole_weekly_report_replaces_the_daily_ones_of_its_days(db) -> None:
    daily = week(period=DAILY, first_rrd=1)
    weekly = week(period=WEEKLY, first_rrd=1000)
    await _store(db, daily, DAILY)
    by_day = await report_days(db, 1, MONDAY, SUNDAY)
    revenue = sum(d.figures.revenue for d in by_day)
    assert revenue > 0
    assert [s for s in await report_spans(db, 1, MONDAY, SUNDAY)] == sorted(
        {(date.fromisoformat(r["rrDate"]),) * 2 for r in daily}
    )
    await _store(db, weekly, WEEKLY)
    await _complete(db, WEEKLY, MONDAY, SUNDAY)
    both = await report_days(db, 1, MONDAY, SUNDAY)
    assert sum(d.figures.revenue for d in both) == revenue  # told once, not twice
    assert (MONDAY, SUNDAY) in await report_spans(db, 1, MONDAY, SUNDAY)


async def test_report_days_over_the_span_are_the_days_summed(db) -> None:
    await _store(db, week())
    await _complete(db, WEEKLY, MONDAY, SUNDAY)
    days = await report_days(db, 1, MONDAY, SUNDAY)
    span = await report_days(db, 1, MONDAY, SUNDAY, by_day=False)
    assert {d.day for d in span} == {None}
    for nm_id, size in {(d.nm_id, d.size) for d in days}:
        one = [s for s in span if (s.nm_id, s.size) == (nm_id, size)]
        assert len(one) == 1
        mine = [d for d in days if (d.nm_id, d.size) == (nm_id, size)]
        for name in ("sold", "returned", "revenue", "commission", "logistics", "storage"):
            assert getattr(one[0].figures, name) == sum(getattr(d.figures, name) for d in mine)
    # Days outside the span: none of a week that does not meet it.
    assert await report_days(db, 1, SUNDAY + timedelta(days=1), SUNDAY + timedelta(days=7)) == []


def test_runs_outside_are_the_days_no_span_covers() -> None:
    """The days a profit view estimates from sales (money.view) and reads by day (report_days):
    those of [first, last] no report span covers, as runs; a span may reach past either end."""
    day = [MONDAY + timedelta(days=i) for i in range(7)]
    spans = [(day[1], day[2]), (day[5], SUNDAY + timedelta(days=3))]
    assert runs_outside(MONDAY, SUNDAY, spans) == [(day[0], day[0]), (day[3], day[4])]
    assert runs_outside(MONDAY, SUNDAY, []) == [(MONDAY, SUNDAY)]
    assert runs_outside(MONDAY, SUNDAY, [(MONDAY - timedelta(days=7), SUNDAY)]) == []
