"""The cost and tax store: history by day, the size rule, the first cost before it, all or
nothing, and the tax each regime takes."""

from __future__ import annotations

from datetime import date

import pytest

from bot.store.costs import (
    MoneySettings,
    NewCost,
    TaxRegime,
    cost_book,
    cost_on,
    known_products,
    money_settings,
    save_costs,
    set_fixed_monthly,
    set_tax,
    tax_kopecks,
)
from bot.sync.rows import upsert_products
from bot.wb.models import Card
from tests.alerts.conftest import put_stock
from tests.reports.seed import make_shop

NOV1, NOV15, DEC1, DEC6 = (
    date(2026, 11, 1),
    date(2026, 11, 15),
    date(2026, 12, 1),
    date(2026, 12, 6),
)


async def test_a_new_cost_keeps_the_old_one_for_the_days_before_it(db, keyring):
    shop = await make_shop(db, keyring, 1)
    await save_costs(db, shop.id, [NewCost(11, 50_000, NOV1)], by=1)
    await save_costs(db, shop.id, [NewCost(11, 62_550, DEC1)], by=1)

    assert await cost_on(db, shop.id, 11, date(2026, 10, 20)) == 50_000  # first cost, backdated
    assert await cost_on(db, shop.id, 11, NOV15) == 50_000
    assert await cost_on(db, shop.id, 11, DEC1) == 62_550
    assert await cost_on(db, shop.id, 11, DEC6) == 62_550
    assert await cost_on(db, shop.id, 12, DEC6) is None


async def test_a_cost_set_twice_the_same_day_replaces_that_days_cost(db, keyring):
    shop = await make_shop(db, keyring, 1)
    await save_costs(db, shop.id, [NewCost(11, 50_000, DEC6)], by=1)
    await save_costs(db, shop.id, [NewCost(11, 40_000, DEC6)], by=1)
    rows = await db.fetchall("SELECT kopecks FROM costs WHERE shop_id = ?", (shop.id,))
    assert [r[0] for r in rows] == [40_000]


async def test_a_size_cost_wins_over_the_products_and_techsize_0_means_every_size(db, keyring):
    shop = await make_shop(db, keyring, 1)
    await save_costs(
        db,
        shop.id,
        [NewCost(11, 50_000, NOV1), NewCost(11, 70_000, DEC1, size="XL")],
        by=1,
    )
    assert await cost_on(db, shop.id, 11, DEC6, "XL") == 70_000
    assert await cost_on(db, shop.id, 11, DEC6, "M") == 50_000
    assert await cost_on(db, shop.id, 11, DEC6, "0") == 50_000
    # Before the XL cost took effect the product's cost of the day applies, not XL's first.
    assert await cost_on(db, shop.id, 11, NOV15, "XL") == 50_000


async def test_the_cost_book_prices_each_day_of_a_period_from_one_read(db, keyring):
    a = await make_shop(db, keyring, 1, "A")
    b = await make_shop(db, keyring, 2, "B")
    await save_costs(db, a.id, [NewCost(11, 100, NOV1), NewCost(11, 200, DEC1)], by=1)
    await save_costs(db, b.id, [NewCost(11, 999, DEC6)], by=2)

    book = await cost_book(db, [a.id, b.id], until=NOV15)
    assert book.cost(a.id, 11, "", NOV15) == 100
    assert book.cost(b.id, 11, "", NOV15) == 999  # its first cost, though set later
    assert book.current(a.id, NOV15) == {(11, ""): 100}
    full = await cost_book(db, [a.id])
    assert full.cost(a.id, 11, "0", DEC6) == 200


async def test_costs_are_stored_all_or_none(db, keyring):
    shop = await make_shop(db, keyring, 1)
    with pytest.raises(Exception, match=r"(?i)CHECK"):
        await save_costs(db, shop.id, [NewCost(11, 100, DEC6), NewCost(12, -1, DEC6)], by=1)
    assert await cost_on(db, shop.id, 11, DEC6) is None


async def test_known_products_come_from_cards_stock_and_orders(db, keyring):
    shop = await make_shop(db, keyring, 1)
    async with db.transaction() as conn:
        await upsert_products(
            conn,
            shop.id,
            [
                Card(
                    nm_id=11,
                    title="Платье",
                    vendor_code="DR-1",
                    brand="",
                    subject="Платья",
                    photo_url=None,
                    sizes=(),
                )
            ],
        )
    await put_stock(db, shop.id, [(11, "M", "Коледино", 3), (22, "0", "Коледино", 1)])
    products = await known_products(db, shop.id)
    assert [(p.nm_id, p.article, p.title) for p in products] == [
        (22, "ART-22", "Платья"),
        (11, "DR-1", "Платье"),
    ]


async def test_tax_settings_per_shop_with_each_regimes_usual_rate(db, keyring):
    shop = await make_shop(db, keyring, 1)
    assert await money_settings(db, shop.id) == MoneySettings(shop.id)
    await set_fixed_monthly(db, shop.id, 5_000_000, by=1)
    settings = await set_tax(db, shop.id, TaxRegime.USN_PROFIT, None, by=1)
    assert settings == MoneySettings(shop.id, TaxRegime.USN_PROFIT, 1500, 5_000_000)
    settings = await set_tax(db, shop.id, TaxRegime.USN_INCOME, 400, by=1)
    assert (settings.regime, settings.rate_bp, settings.fixed_monthly) == (
        TaxRegime.USN_INCOME,
        400,
        5_000_000,
    )


@pytest.mark.parametrize(
    ("regime", "rate_bp", "expected"),
    [
        (TaxRegime.NONE, 0, 0),
        (TaxRegime.USN_INCOME, 600, 6_000),  # 6 % of 1 000 ₽
        (TaxRegime.USN_PROFIT, 1500, 4_500),  # 15 % of (1 000 − 700) ₽
        (TaxRegime.VAT, 2200, 18_033),  # 1 000 ₽ × 22 / 122 = 180.327… ₽
    ],
)
def test_tax_of_each_regime_to_the_kopeck(regime, rate_bp, expected):
    settings = MoneySettings(1, regime, rate_bp)
    assert tax_kopecks(settings, revenue=100_000, expenses=70_000) == expected


def test_usn_profit_tax_of_a_loss_is_zero():
    settings = MoneySettings(1, TaxRegime.USN_PROFIT, 1500)
    assert tax_kopecks(settings, revenue=100_000, expenses=120_000) == 0
