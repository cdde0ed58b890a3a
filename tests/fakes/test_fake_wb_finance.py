"""The fake's finance report follows WB's spec (ZloyDeDD/wb-api-skill swagger/13-finances.yaml,
postV1SalesReportsDetailed and SalesReportsDetailedRes; MissiaL/wildberries-api
financial-reports-and-accounting.json x-wb-rate-limits): field names, string money, paging by
rrdId until 204, the Finance category, and the limits per token type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.fakes import wb_finance
from tests.fakes.test_fake_wb import ManualClock
from tests.fakes.tokens import ACC_BASE, ACC_PERSONAL, make_token
from tests.fakes.wb import FakeWB

pytestmark = pytest.mark.asyncio

PATH = "/api/finance/v1/sales-reports/detailed"
MONDAY = date(2026, 11, 23)
SUNDAY = date(2026, 11, 29)


@pytest.fixture
async def wb() -> AsyncIterator[FakeWB]:
    async with FakeWB(enforce_limits=False) as fake:
        yield fake


async def post(wb: FakeWB, token: str, body: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            wb.base_url("finance-api") + PATH, json=body, headers={"Authorization": token}
        ) as resp,
    ):
        text = await resp.text()
        return resp.status, (await resp.json(content_type=None)) if text else None


def week(rrd_id: int = 0, **extra: Any) -> dict[str, Any]:
    return {"dateFrom": MONDAY.isoformat(), "dateTo": SUNDAY.isoformat(), "rrdId": rrd_id, **extra}


async def test_rows_carry_every_spec_field_with_money_as_strings(wb: FakeWB) -> None:
    token = make_token(acc=ACC_PERSONAL, categories=("finance",))
    sid = wb.add_seller(token)
    wb.add_finance_week(sid, MONDAY)
    status, rows = await post(wb, token, week())
    assert status == 200 and rows
    for row in rows:
        assert set(wb_finance.REQUIRED_FIELDS) <= set(row)
        for name in wb_finance.MONEY_FIELDS:
            assert isinstance(row[name], str)
            Decimal(row[name])  # a number written as a string
        assert isinstance(row["rrdId"], int) and isinstance(row["nmId"], int)
        assert isinstance(row["quantity"], int) and isinstance(
            row["commissionPercent"], int | float
        )
        assert row["dateFrom"] == "2026-11-23" and row["dateTo"] == "2026-11-29"
    kinds = {r["sellerOperName"] for r in rows}
    assert {
        wb_finance.SALE,
        wb_finance.RETURN,
        wb_finance.LOGISTICS,
        wb_finance.STORAGE,
        wb_finance.ACCEPTANCE,
        wb_finance.PENALTY,
        wb_finance.DEDUCTION,
        wb_finance.ADDITIONAL,
        wb_finance.REBILL,
    } <= kinds
    bonus = {r["bonusTypeName"] for r in rows if r["sellerOperName"] == wb_finance.LOGISTICS}
    assert bonus == {wb_finance.TO_BUYER, wb_finance.FROM_BUYER}
    # The spec's own example of a fraction of a kopeck: rebillLogisticCost '1.349'.
    assert "1.349" in {r["rebillLogisticCost"] for r in rows}


async def test_pages_by_rrd_id_until_204(wb: FakeWB) -> None:
    token = make_token(acc=ACC_PERSONAL, categories=("finance",))
    sid = wb.add_seller(token)
    added = wb.add_finance_week(sid, MONDAY)
    seen: list[int] = []
    rrd_id = 0
    while True:
        status, rows = await post(wb, token, week(rrd_id, limit=7))
        if status == 204:
            assert rows is None
            break
        assert status == 200 and 0 < len(rows) <= 7
        seen += [r["rrdId"] for r in rows]
        rrd_id = rows[-1]["rrdId"]
    assert seen == sorted(seen) == [r["rrdId"] for r in added]
    # A page asked for again is the same page.
    assert (await post(wb, token, week(0, limit=7)))[1] == (
        await post(wb, token, week(0, limit=7))
    )[1]


async def test_periods_spans_fields_and_bad_requests(wb: FakeWB) -> None:
    token = make_token(acc=ACC_PERSONAL, categories=("finance",))
    sid = wb.add_seller(token)
    daily = wb.add_finance_week(sid, MONDAY, period="daily")
    assert {(r["dateFrom"], r["dateTo"]) for r in daily} == {
        (r["rrDate"], r["rrDate"]) for r in daily
    }
    assert (await post(wb, token, week()))[0] == 204  # no weekly report yet
    status, rows = await post(
        wb, token, {"dateFrom": "2026-11-25", "dateTo": "2026-11-25", "period": "daily"}
    )
    assert status == 200 and {r["dateFrom"] for r in rows} == {"2026-11-25"}
    status, rows = await post(wb, token, week(period="daily", fields=["rrdId", "forPay"]))
    assert status == 200 and len(rows) == len(daily) and set(rows[0]) == {"rrdId", "forPay"}
    status, body = await post(wb, token, {"dateFrom": "2026-11-23"})
    assert status == 400 and body["origin"] == "open-api-finreports"
    assert body["detail"] == "GetReportDetailByPeriodNB decode error: missing dateTo params"
    assert (await post(wb, token, week(limit=100_001)))[0] == 400
    assert (await post(wb, token, week(period="monthly")))[0] == 400


async def test_a_token_without_finance_gets_401_scope_not_allowed(wb: FakeWB) -> None:
    token = make_token(acc=ACC_PERSONAL, categories=("statistics", "analytics"))
    wb.add_finance_week(wb.add_seller(token), MONDAY)
    status, body = await post(wb, token, week())
    assert status == 401 and body["detail"] == "token scope not allowed"


async def test_to_transfer_sums_the_week_as_the_cabinet_does(wb: FakeWB) -> None:
    token = make_token(acc=ACC_PERSONAL, categories=("finance",))
    rows = wb.add_finance_week(wb.add_seller(token), MONDAY)
    sales = sum(Decimal(r["forPay"]) for r in rows if r["docTypeName"] == wb_finance.SALE)
    returns = sum(Decimal(r["forPay"]) for r in rows if r["docTypeName"] == wb_finance.RETURN)
    costs = sum(
        Decimal(r[f])
        for r in rows
        for f in (
            "deliveryService",
            "paidStorage",
            "paidAcceptance",
            "penalty",
            "deduction",
            "rebillLogisticCost",
        )
    )
    extra = sum(Decimal(r["additionalPayment"]) for r in rows)
    assert wb_finance.to_transfer(rows) == sales - returns - costs + extra
    assert extra == Decimal("120.5") and returns > 0 and costs > 0


async def test_limits_base_two_a_day_one_per_twelve_hours_personal_one_a_minute() -> None:
    clock = ManualClock()
    async with FakeWB(rate_scale=1.0, clock=clock) as wb:
        base = make_token(acc=ACC_BASE, categories=("finance",))
        personal = make_token(acc=ACC_PERSONAL, categories=("finance",))
        base_sid, personal_sid = wb.add_seller(base), wb.add_seller(personal)
        assert (await post(wb, base, week()))[0] == 204
        status, body = await post(wb, base, week())
        assert status == 429 and body["title"] == "too many requests"
        retry = wb.requests_for(base_sid, "finance_detailed")
        assert len(retry) == 2
        clock.now += 12 * 3600 - 1
        assert (await post(wb, base, week()))[0] == 429
        clock.now += 1
        assert (await post(wb, base, week()))[0] == 204
        assert wb.violations[(base_sid, "finance_detailed")] == 2

        assert (await post(wb, personal, week()))[0] == 204
        assert (await post(wb, personal, week()))[0] == 429
        clock.now += 60
        assert (await post(wb, personal, week()))[0] == 204
        assert wb.violations[(personal_sid, "finance_detailed")] == 1
