"""Numbers are written in full, never abbreviated."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.events import Summary, from_dict
from bot.notify.summary import summary_text
from bot.notify.texts import RenderContext
from bot.reports.metrics import Delta, ReportData
from bot.reports.periods import Period
from bot.reports.stock import StockLine, days_of_cover, riskiest_first
from bot.reports.text import (
    fmt_delta,
    fmt_int,
    fmt_money,
    fmt_percent,
    render_report,
    totals_lines,
    usage,
)
from bot.store.rollups import ProductTotals, SplitRow, Totals
from tests.lang import EN, RU, nb

MSK = ZoneInfo("Europe/Moscow")


def test_numbers_in_full_with_space_groups():
    assert fmt_int(1204) == nb("1 204")
    assert fmt_int(1_234_567) == nb("1 234 567")
    assert fmt_int(-12345) == nb("−12 345")  # the minus sign, as in the summary
    assert fmt_money(12345.4) == nb("12 345 ₽")
    assert fmt_money(0.5) == nb("1 ₽")
    assert fmt_percent(12.34, "en") == "12.3%"
    assert fmt_percent(10.5, "ru") == "10,5%"


def test_delta_with_percent_and_without_when_previous_is_zero():
    assert fmt_delta(Delta(120, 100)) == "+20, +20.0%"
    assert fmt_delta(Delta(80, 100), money=True) == nb("−20 ₽, −20.0%")
    assert fmt_delta(Delta(5, 0)) == "+5"


@pytest.mark.parametrize(
    ("language", "translate", "report", "summary"),
    [
        ("en", EN, "Orders: <b>1</b> · <b>1 000 ₽</b> (−1, −50.0%; −1 000 ₽, −50.0%)",
         "−1, −50%; −1 000 ₽, −50%"),
        ("ru", RU, "Заказы: <b>1</b> · <b>1 000 ₽</b> (−1, −50,0%; −1 000 ₽, −50,0%)",
         "−1, −50%; −1 000 ₽, −50%"),
    ],
)  # fmt: skip
def test_a_fall_has_the_same_minus_in_the_report_and_the_summary(
    language, translate, report, summary
):
    now, before = Totals(orders=1, orders_sum=1000), Totals(orders=2, orders_sum=2000)
    lines = "\n".join(totals_lines(now, before, language, translate))
    shown = from_dict(
        Summary, {"day": "2026-12-05", "current": asdict(now), "previous": asdict(before)}
    )
    ctx = RenderContext(user=None, language=language, gettext=translate, ngettext=translate)
    text = summary_text(shown, ctx)
    assert nb(report) in lines and nb(summary) in text
    assert "-" not in lines + text.replace("2026-12-05", "")


def test_no_change_reads_plus_minus_zero():
    assert fmt_delta(Delta(100, 100), money=True) == nb("±0 ₽, ±0.0%")
    assert fmt_delta(Delta(100.2, 100), money=True) == nb(
        "±0 ₽, +0.2%"
    )  # the sum moved by 20 kopecks


def test_buyout_rate_and_average_order_are_undefined_without_data():
    assert Totals().buyout_rate is None and Totals().average_order is None
    t = Totals(orders=4, orders_sum=1000, buyouts=3, returns=1)
    assert t.buyout_rate == 0.75 and t.average_order == 250


def test_buyout_rate_is_wbs_buyouts_over_orders_that_reached_a_result():
    # 6 bought out, 1 returned, 3 cancelled: 6 of the 10 orders that reached a result.
    now = Totals(orders=12, orders_sum=12000, buyouts=6, returns=1, cancels=3)
    before = Totals(orders=5, orders_sum=5000, buyouts=4, returns=0, cancels=1)
    assert now.buyout_rate == 0.6 and before.buyout_rate == 0.8
    assert "Buyout rate: <b>60.0%</b> (−20.0 pp)" in totals_lines(now, before, "en", EN)
    assert "Процент выкупа: <b>60,0%</b>" in "\n".join(totals_lines(now, before, "ru", RU))
    assert Totals(cancels=2).buyout_rate == 0.0  # only cancellations: nothing bought out


def test_report_help_states_the_buyout_rate_definition():
    assert "buyouts ÷ (buyouts + returns + cancellations)" in usage(EN)
    assert "выкупы ÷ (выкупы + возвраты + отмены)" in usage(RU)


def test_days_of_cover_uses_the_14_day_average():
    assert days_of_cover(70, 14) == 70.0  # one a day
    assert days_of_cover(10, 28) == 5.0
    assert days_of_cover(10, 0) is None
    assert days_of_cover(0, 5) == 0.0


def test_stock_riskiest_first_and_unsold_last():
    def line(nm, q, n):
        return StockLine(nm, "", "", "W", q, n, days_of_cover(q, n))

    ordered = riskiest_first([line(1, 100, 0), line(2, 10, 14), line(3, 3, 14), line(4, 50, 0)])
    assert [s.nm_id for s in ordered] == [3, 2, 1, 4]


def test_report_lists_add_up_to_their_totals_as_shown():
    # Two warehouses and two products at 100.50 each: rounded to whole roubles one by one they
    # would read 101 + 101 under a total of 201.
    period = Period("custom", date(2026, 12, 5), date(2026, 12, 5))
    start, end = period.bounds(MSK, datetime(2026, 12, 7, tzinfo=UTC))
    current = Totals(orders=2, orders_sum=201.0)
    data = ReportData(
        period=period, zone=MSK, start=start, end=end, previous_start=start, previous_end=start,
        current=current, previous=Totals(), days=[], previous_days=[],
        products=[ProductTotals(1, "A-1", "Кружки", "", 1, 100.5),
                  ProductTotals(2, "A-2", "Кружки", "", 1, 100.5)],
        falls=[], warehouses=[SplitRow("Коледино", 1, 100.5), SplitRow("Тула", 1, 100.5)],
        regions=[SplitRow("Москва", 2, 201.0)], as_of=None, data_starts=None,
    )  # fmt: skip
    for lang, translate in (("en", EN), ("ru", RU)):
        text = render_report(data, "Shop", lang, date(2026, 12, 7), translate)
        total = shown(text.split("\n")[3])[0]
        for heading in ("Top products", "Warehouses") if lang == "en" else ("Топ", "Склады"):
            block = text.split(heading, 1)[1].split("\n\n", 1)[0]
            assert sum(shown(block)) == total == Decimal("201.00"), (lang, block)


def shown(text: str) -> list[Decimal]:
    found = re.findall(r"(-?\d{1,3}(?:\u00a0\d{3})*(?:[.,]\d{2})?)\u00a0₽", text)
    return [Decimal(a.replace("\u00a0", "").replace(",", ".")) for a in found]
