"""A shop with no WB finance report yet: the estimate's commission of sales WB has not priced
comes from WB's current tariff for the product's subject (GET common-api tariffs/commission)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from bot.store.stock import upsert_products
from bot.store.tariffs import replace_commission
from bot.wb.models import Commission
from tests.lang import nb
from tests.money.conftest import card, say
from tests.money.seed import NOW, dec, noon
from tests.reports.seed import make_shop, mark_polled, order, sale, store_rows

USER = 902


async def shop_without_report(app, *, tariff: bool) -> None:
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    sales = [
        sale("S1", noon(dec(1)), 1000, 850, nm_id=101),  # priced: WB kept 150 ₽
        sale("S2", noon(dec(3)), 1000, 0, nm_id=101),  # forPay not filled in yet
    ]
    orders = [order(s.srid, s.date - timedelta(days=1), 1000, nm_id=101) for s in sales]
    await store_rows(app.db, shop.id, orders, sales)
    async with app.db.transaction() as conn:
        await upsert_products(conn, shop.id, [card(101, "ART-1", "Платье")])  # subject Платья
        if tariff:
            await replace_commission(conn, [Commission("Платья", 69, 1550, 1850)])
    await mark_polled(app.db, shop.id, NOW, NOW.timestamp())


async def profit_lines(app, tg) -> list[str]:
    with time_machine.travel(NOW, tick=True):
        await say(app, tg, USER, "/profit 2026-11-30 2026-12-06")
    return tg.texts(USER)[-1].split("\n")


async def test_profit_without_a_report_takes_the_commission_from_wbs_tariff(app, tg):
    await shop_without_report(app, tariff=True)
    lines = await profit_lines(app, tg)
    for line in (
        "Revenue: 2 000 ₽",
        "WB commission: 305 ₽",  # 150 kept of S1 + 15.5% of S2's 1 000 ₽
        "Logistics: 0 ₽",
        "To be paid: 1 695 ₽",
        "No WB report has priced some products yet: the estimate takes their commission from "
        "WB's current tariff for their subject.",
        "No WB report to learn logistics from yet: the estimate leaves it out.",
    ):
        assert nb(line) in lines, lines


async def test_without_a_tariff_the_unpriced_sale_has_no_commission(app, tg):
    await shop_without_report(app, tariff=False)
    lines = await profit_lines(app, tg)
    assert nb("WB commission: 150 ₽") in lines, lines
    assert not any("tariff" in line for line in lines)
