"""Profit per order, an estimate: the "All orders (XLSX)" file's last column for the fortnight
of tests/money/seed.py, worked out by hand to the kopeck.

Learned from week 1's report: 101 commission 15%, logistics 57,50 ₽ a unit; 202 commission
20% (240 of 1 200), logistics 40 ₽. УСН 6% of revenue. An order has no forPay yet, so WB's
commission is at the learned rate.
- 101 at 1 000 ₽ ordered on 23.11 (cost 300): 1 000 − 150 − 57,50 − 300 − 60 = 432,50;
  ordered on or after 26.11 (cost 350): 382,50.
- 202 at 400 ₽ (cost 100): 400 − 80 − 40 − 100 − 24 = 156; at 399,99 ₽: 399,99 − 80,00
  (79,998 rounded) − 40 − 100 − 24,00 (23,9994) = 155,99.
- 303 has no cost price: empty. A cancelled order: empty.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from fractions import Fraction

import openpyxl
import time_machine

from bot.reports.profit import OrderEstimates, Rates
from bot.store.costs import CostBook, MoneySettings
from bot.store.users import update_user
from tests.money.conftest import press, say
from tests.money.seed import NOW, dec, noon, seed_fortnight
from tests.reports.seed import make_shop, mark_polled, order, store_rows

USER = 902


async def export(app, tg, lang: str = "en") -> list[dict[str, object]]:
    """The orders of 23.11–06.12 as the file's rows, keyed by srid (the title in ``lang``)."""
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    await seed_fortnight(app.db, shop.id, USER)
    extra = [
        order("odd", noon(dec(5)) - timedelta(hours=1), 399.99, nm_id=202, article="ART-2"),
        order("gone", noon(dec(5)), 1000, nm_id=101, article="ART-1", cancelled_at=noon(dec(5))),
    ]
    await store_rows(app.db, shop.id, extra, [])
    await mark_polled(app.db, shop.id, NOW, NOW.timestamp())
    await update_user(app.db, USER, language=lang)
    with time_machine.travel(NOW, tick=True):
        await say(app, tg, USER, "/report help")
        message_id = tg.sent(USER)[-1].result["message_id"]
        await press(app, tg, USER, message_id, f"xo:{shop.id}:20261123:20261206")
    _name, body = tg.calls_of("sendDocument", USER)[-1].files["document"]
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


async def test_each_order_carries_its_estimated_profit_per_unit(app, tg):
    rows = await export(app, tg)
    profit = {r["srid"]: r["Profit, estimate"] for r in rows}
    assert profit == {
        "srid-S-w1": 432.5,  # 101 ordered 23.11, before its cost rose to 350 ₽ on 26.11
        "srid-S-w1b": 156,
        "srid-S1": 382.5,
        "srid-S2": 382.5,
        "srid-R1": 382.5,
        "srid-S3": 156,
        "srid-S4": 156,
        "srid-S5": None,  # 303 has no cost price: empty, not 0
        "odd": 155.99,
        "gone": None,  # cancelled
    }


async def test_the_profit_column_in_russian(app, tg):
    rows = await export(app, tg, "ru")
    assert list(rows[0])[-1] == "Прибыль, оценка"
    assert {r["srid"]: r["Прибыль, оценка"] for r in rows}["odd"] == 155.99


async def test_report_help_tells_of_the_money_block_and_profit(app, tg):
    await make_shop(app.db, app.keyring, USER, name="Лавка")
    await say(app, tg, USER, "/report help")
    text = tg.texts(USER)[-1]
    assert "Money (shops with cost prices: /costs)" in text
    assert "an estimated profit per order. /profit shows the money alone." in text
    await update_user(app.db, USER, language="ru")
    await say(app, tg, USER, "/report help")
    text = tg.texts(USER)[-1]
    assert "Деньги (магазины с себестоимостью: /costs)" in text
    assert "/profit — только деньги." in text


def test_an_order_takes_the_products_fees_else_wbs_tariff_else_the_shops() -> None:
    costs = CostBook()
    for nm_id in (1, 2, 3):
        costs.add(7, nm_id, "", date(2026, 11, 1), 10_000)  # 100 ₽
    estimates = OrderEstimates(
        costs,
        {7: MoneySettings(7)},  # no tax
        rates={7: {1: Rates(Fraction(1, 10), Fraction(5_000))}},  # 10%, 50 ₽ a unit
        shop_rates={7: Rates(Fraction(3, 10), Fraction(2_000))},  # 30%, 20 ₽
        tariffs={7: {1: Fraction(1, 4), 2: Fraction(1, 4)}},  # 25% for 1 and 2's subject
    )
    day = date(2026, 12, 1)
    # 1 000 ₽ − commission − logistics − 100 ₽
    assert estimates.profit(7, 1, None, day, 100_000) == 100_000 - 10_000 - 5_000 - 10_000
    assert estimates.profit(7, 2, None, day, 100_000) == 100_000 - 25_000 - 2_000 - 10_000
    assert estimates.profit(7, 3, None, day, 100_000) == 100_000 - 30_000 - 2_000 - 10_000
    assert estimates.profit(7, 4, None, day, 100_000) is None  # no cost price
