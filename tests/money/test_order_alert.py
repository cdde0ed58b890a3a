"""A single new-order alert tells the estimated profit of one unit, only when the product has a
cost price (shops without costs see the alert as before).

Product 1001 costs 500 ₽; WB's report of 23.11–29.11 priced it: sold at 1 000 ₽, paid 850 ₽
(commission 15%), logistics 60 ₽. УСН 6%. Ordered on 01.12 at 1 520 ₽: 1 520 − 228 − 60 −
500 − 91,20 = 640,80 ₽.
"""

from __future__ import annotations

import pytest

from bot.store.costs import NewCost, TaxRegime, save_costs, set_tax
from bot.store.finance import record_page, upsert_rows
from bot.store.users import update_user
from tests.lang import nb
from tests.money.seed import NOW, WEEK, dec, noon, nov, row
from tests.notify.conftest import add_shop, bot, drain, i18n, order, put_events, sender, tg

__all__ = ["bot", "i18n", "sender", "tg"]

OWNER = 31


async def shop(db, keyring, *, costs: bool) -> int:
    shop_id = await add_shop(db, keyring, OWNER, "Лавка")
    rows = [
        row(1001, "sale", nov(24), quantity=1, retail_amount="1000.00", for_pay="850.00"),
        row(1001, "logistics_to", nov(24), delivery_service="60.00"),
    ]
    async with db.transaction() as conn:
        await upsert_rows(conn, shop_id, rows)
        await record_page(
            conn, shop_id, "weekly", *WEEK, rrd_id=rows[-1].rrd_id, rows=len(rows),
            complete=True, started_at=NOW.timestamp(),
        )  # fmt: skip
    if costs:
        await save_costs(db, shop_id, [NewCost(1001, 50_000, nov(1))], by=OWNER)
    await set_tax(db, shop_id, TaxRegime.USN_INCOME, 600, by=OWNER)
    return shop_id


def placed():
    return order("ART-1", nm_id=1001, price=1520, ts=int(noon(dec(1)).timestamp()))


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "≈ profit 640.80 ₽ per unit (estimate)"),
        ("ru", "≈ прибыль 640,80 ₽ с единицы (оценка)"),
    ],
)
async def test_the_alert_tells_the_profit_of_a_unit_with_a_cost_price(
    db, keyring, tg, sender, lang, line
):
    shop_id = await shop(db, keyring, costs=True)
    await update_user(db, OWNER, language=lang)
    await put_events(db, shop_id, [placed()])
    await drain(sender)
    [call] = tg.sent(OWNER)
    assert nb(line) in (call.text or "")


async def test_no_profit_line_without_a_cost_price(db, keyring, tg, sender):
    shop_id = await shop(db, keyring, costs=False)
    await put_events(db, shop_id, [placed()])
    await drain(sender)
    [call] = tg.sent(OWNER)
    text = call.text or ""
    assert "Лавка" in text and "ART-1" in text
    assert "profit" not in text and "≈" not in text
