"""Ground truth: the fortnight of tests/money/seed.py (worked out by hand there) gives the
exact profit per product and in total, to the kopeck, in the store's view, in /profit, in the
/report money block and in the report's Profit sheet."""

from __future__ import annotations

import io

import openpyxl
import time_machine

from bot.money.view import load_money
from bot.store import finance
from bot.store.users import update_user
from tests.lang import nb
from tests.money.conftest import say
from tests.money.seed import FIRST, LAST, NOW, seed_fortnight
from tests.reports.seed import make_shop, mark_polled

USER = 901


async def seeded(app) -> int:
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    await seed_fortnight(app.db, shop.id, USER)
    await mark_polled(app.db, shop.id, NOW, NOW.timestamp())
    return shop.id


async def test_the_fortnight_per_product_and_in_total(app):
    shop_id = await seeded(app)
    view = await load_money(app.db, [shop_id], FIRST, LAST)
    money = view.money
    by_nm = {p.nm_id: p for p in money.products}
    assert {nm: p.profit for nm, p in by_nm.items()} == {
        0: -42_000,
        101: 96_750,
        202: 78_000,
        303: None,
    }
    one = by_nm[101]
    assert (one.figures.revenue, one.figures.commission, one.figures.logistics) == (
        300_000,
        45_000,
        40_250,
    )
    assert (one.cost, one.tax, one.figures.sold, one.figures.returned) == (100_000, 18_000, 5, 2)
    assert by_nm[303].figures.to_be_paid == 324_000
    assert money.figures.to_be_paid == 636_750
    assert (money.cost, money.tax, money.fixed, money.profit) == (150_000, 30_000, 71_333, 61_417)
    assert money.report_spans == ((FIRST, FIRST.replace(day=29)),)
    assert money.estimate_spans == ((FIRST.replace(day=30), LAST),)


async def test_profit_command_shows_the_fortnight(app, tg):
    await seeded(app)
    with time_machine.travel(NOW, tick=True):
        await say(app, tg, USER, "/profit 2026-11-23 2026-12-06")
    text = tg.texts(USER)[-1]
    for line in (
        "💰 Лавка: money for 2026-11-23 – 2026-12-06",
        "By WB's report for 23 Nov–29 Nov; estimate for 30 Nov–6 Dec",
        "Revenue: 9 000.00 ₽",
        "WB commission: 1 450.00 ₽",
        "Logistics: 762.50 ₽",
        "Storage: 150.00 ₽",
        "Penalties: 200.00 ₽",
        "Deductions: 70.00 ₽",
        "To be paid: 6 367.50 ₽",
        "Cost of goods: 1 500.00 ₽",
        "Tax (USN 6% of revenue): 300.00 ₽",
        "Fixed expenses: 713.33 ₽",
        "Profit: 614.17 ₽ · margin 12.3% · ROI 40.9%",
        "⚠️ Cost unknown for 1 product: /costs. It is left out of cost of goods, tax and "
        "profit (its revenue: 4 000.00 ₽).",
        "1. ART-1 (Платья) — 967.50 ₽ · 193.50 ₽",
        "2. ART-2 (Платья) — 780.00 ₽ · 156.00 ₽",
        "Not tied to a product (the shop's storage, penalties…): −420.00 ₽",
    ):
        assert nb(line) in text.split("\n"), text


async def test_profit_in_russian(app, tg):
    await seeded(app)
    await update_user(app.db, USER, language="ru")
    with time_machine.travel(NOW, tick=True):
        await say(app, tg, USER, "/profit 23.11.2026 06.12.2026")
    lines = tg.texts(USER)[-1].split("\n")
    for line in (
        "По отчёту WB за 23.11–29.11; оценка за 30.11–06.12",
        "Выручка: 9 000,00 ₽",
        "Комиссия WB: 1 450,00 ₽",
        "К перечислению: 6 367,50 ₽",
        "Налог (УСН 6% от доходов): 300,00 ₽",
        "Прибыль: 614,17 ₽ · маржа 12,3% · ROI 40,9%",
    ):
        assert nb(line) in lines, line


async def test_report_has_the_money_block_and_a_profit_sheet(app, tg):
    await seeded(app)
    with time_machine.travel(NOW, tick=True):
        await say(app, tg, USER, "/report 2026-11-23 2026-12-06")
    report = next(t for t in tg.texts(USER) if "Orders:" in t).split("\n")
    for line in (
        "Money",
        "By WB's report for 23 Nov–29 Nov; estimate for 30 Nov–6 Dec",
        "To be paid: 6 367.50 ₽",
        "Profit: 614.17 ₽ · margin 12.3% · ROI 40.9%",
    ):
        assert nb(line) in report, line
    _name, body = tg.calls_of("sendDocument", USER)[0].files["document"]
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Profit"]
    rows = list(sheet.iter_rows(values_only=True))
    head = rows[0]
    assert head[:4] == ("WB article (nmId)", "Seller's article", "Title", "Basis")
    cells = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:] if r[0]}
    one = cells[101]
    assert one["Basis"] == "estimate"  # partly: its second week is
    assert (one["Sold, pcs"], one["Returned, pcs"]) == (5, 2)
    assert (one["Revenue, ₽"], one["Logistics, ₽"], one["To be paid, ₽"]) == (3000, 402.5, 2147.5)
    assert (one["Cost of goods, ₽"], one["Tax, ₽"], one["Profit, ₽"]) == (1000, 180, 967.5)
    assert cells[202]["Profit, ₽"] == 780
    assert cells[303]["Basis"] == "cost unknown: /costs"
    assert cells[303]["Profit, ₽"] is None and cells[303]["Revenue, ₽"] == 4000
    total = dict(zip(head, rows[-1], strict=True))
    assert total["Title"] == "Total"
    assert (total["To be paid, ₽"], total["Profit, ₽"]) == (6367.5, 614.17)
    assert (total["Margin, %"], total["ROI, %"]) == (12.3, 40.9)
    fixed = dict(zip(head, rows[-2], strict=True))
    assert (fixed["Title"], fixed["Profit, ₽"]) == ("fixed expenses", -713.33)


async def test_the_estimated_week_alone(app):
    """No cost changes inside it (a period without cost runs): the estimate of week 2."""
    shop_id = await seeded(app)
    view = await load_money(app.db, [shop_id], LAST.replace(month=11, day=30), LAST)
    money = view.money
    assert {p.nm_id: p.profit for p in money.products} == {101: 26_750, 202: 31_200, 303: None}
    # 1 550 ₽ ÷ 30 for 30.11 and 6 × 1 550 ₽ ÷ 31 for December: 351.666… → 351.67.
    assert money.report_spans == () and money.fixed == 35_167
    assert money.profit == 26_750 + 31_200 - 35_167


async def test_a_whole_week_reads_the_same_from_its_report_sums(app):
    """Without 101's cost change the report week holds one cost run: it is read a row per
    product and size (finance_report_sums), and gives what its days give."""
    shop_id = await seeded(app)
    await app.db.write("DELETE FROM costs WHERE effective = '2026-11-26'")
    whole = await finance.report_days(app.db, shop_id, FIRST, LAST, by_day=False)
    by_day = await finance.report_days(app.db, shop_id, FIRST, LAST)
    assert len(whole) < len(by_day)

    def sums(rows):
        found = {}
        for r in rows:
            key = (r.nm_id, r.size)
            found[key] = tuple(a + b for a, b in zip(found.get(key, (0,) * 4), (
                r.figures.sold, r.figures.returned, r.figures.revenue, r.figures.to_be_paid),
                strict=True))  # fmt: skip
        return found

    assert sums(whole) == sums(by_day)
    view = await load_money(app.db, [shop_id], FIRST, LAST)
    one = next(p for p in view.money.products if p.nm_id == 101)
    # 101 at 300 ₽ throughout: week 1 1 470 − 2 × 300 − 120 = 750; week 2 677,50 − 300 − 60.
    assert one.profit == 75_000 + 31_750
