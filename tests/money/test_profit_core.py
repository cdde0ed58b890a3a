"""The profit arithmetic (bot.reports.profit) against figures worked out by hand, to the kopeck."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from bot.reports.profit import (
    Rates,
    Reconciliation,
    ShopInputs,
    combine,
    fixed_expenses,
    learn_rates,
    losing_products,
    reconcile,
    round_kopecks,
    shop_period,
    unit_estimate,
)
from bot.store.costs import CostBook, MoneySettings, TaxRegime
from bot.store.profit import Figures, ReportDay, SalesDay


def book(prices: dict[tuple[int, str], list[tuple[date, int]]], shop_id: int = 1) -> CostBook:
    costs = CostBook()
    for (nm_id, size), rows in prices.items():
        for effective, kopecks in rows:
            costs.add(shop_id, nm_id, size, effective, kopecks)
    return costs


def terms(regime: TaxRegime = TaxRegime.NONE, rate_bp: int = 0, fixed: int = 0) -> MoneySettings:
    return MoneySettings(1, regime, rate_bp, fixed)


A, B = 111, 222
D = date(2026, 12, 1)


def day(n: int, month: int = 12) -> date:
    return date(2026, month, n)


#: Product A costs 400 ₽ from 1 November and 450 ₽ from 3 December; B has no cost price.
COSTS = book({(A, ""): [(day(3), 45_000), (day(1, 11), 40_000)]})
#: УСН 6% of revenue; 3 100 ₽ a month of fixed expenses (December: 100 ₽ a day).
TERMS = terms(TaxRegime.USN_INCOME, 600, 310_000)

SALES = [
    # Two sold at 1 000 ₽, WB pays 850 ₽ each.
    SalesDay(A, "", day(1), sold=2, sold_sum=200_000, sold_pay=170_000),
    # One returned after the cost went up: it comes back at the cost of its day, 450 ₽.
    SalesDay(A, "", day(4), returned=1, returned_sum=100_000, returned_pay=85_000),
    # One sold whose forPay WB has not filled in yet: commission at the learned 15%.
    SalesDay(A, "", day(5), sold=1, sold_sum=100_000, sold_unpaid=100_000),
    SalesDay(A, "", day(6), sold=1, sold_sum=100_000, sold_pay=85_000),
    # B: no cost price, so no profit; logistics at the shop's learned rate.
    SalesDay(B, "", day(2), sold=1, sold_sum=50_000, sold_pay=40_000),
]


def inputs(**changes: object) -> ShopInputs:
    base = {
        "shop_id": 1,
        "terms": TERMS,
        "costs": COSTS,
        "sales": SALES,
        "report": [],
        "report_spans": [],
        "rates": {A: Rates(Fraction(3, 20), Fraction(15_555, 2))},  # 15%, 77.775 ₽ a unit
        "shop_rates": Rates(Fraction(1, 10), Fraction(5_000)),
    }
    base.update(changes)
    return ShopInputs(**base)  # type: ignore[arg-type]


def test_week_estimate_to_the_kopeck() -> None:
    money = shop_period(inputs(), day(1), day(7))
    a, b = money.products
    assert (a.nm_id, b.nm_id) == (A, B)
    assert a.figures == Figures(
        sold=4,
        returned=1,
        revenue=300_000,  # 2 000 − 1 000 + 1 000 + 1 000
        commission=45_000,  # 300 − 150 + 150 (15% of 1 000) + 150
        logistics=38_888,  # 5 moves × 77.775 = 388.875 → 388.88
    )
    assert a.figures.to_be_paid == 216_112
    assert a.cost == 125_000  # 2 × 400 − 450 + 450 + 450
    assert a.tax == 18_000  # 6% of 3 000
    assert a.profit == 73_112
    assert a.estimated and not a.fees_unknown
    assert b.cost is None and b.profit is None
    assert b.figures.commission == 10_000 and b.figures.logistics == 5_000
    assert money.unknown == (b,)
    assert money.fixed == 70_000  # 7 days × 100 ₽
    assert money.tax == 18_000
    assert money.profit == 3_112  # 731.12 − 700
    assert money.figures.revenue == 350_000  # B's revenue counts in the lines, not in profit
    assert money.margin == Fraction(3_112, 300_000)
    assert money.roi == Fraction(3_112, 125_000)
    assert money.estimate_spans == ((day(1), day(7)),) and money.report_spans == ()


def test_cost_change_applies_from_its_day() -> None:
    before = shop_period(inputs(sales=SALES[:1]), day(1), day(2))
    later = [SalesDay(A, "", day(3), sold=2, sold_sum=200_000)]
    after = shop_period(inputs(sales=later), day(3), day(3))
    assert before.products[0].cost == 80_000
    assert after.products[0].cost == 90_000


def test_a_size_with_its_own_cost_is_costed_at_it() -> None:
    costs = book({(A, ""): [(day(1), 40_000)], (A, "XL"): [(day(1), 50_000)]})
    sales = [
        SalesDay(A, "XL", day(2), sold=1, sold_sum=100_000, sold_pay=85_000),
        SalesDay(A, "M", day(2), sold=1, sold_sum=100_000, sold_pay=85_000),
    ]
    money = shop_period(inputs(costs=costs, sales=sales), day(2), day(2))
    assert money.products[0].cost == 90_000


def test_report_days_take_the_report_and_the_rest_is_estimated() -> None:
    report = [
        ReportDay(A, "", day(28, 11), Figures(sold=1, revenue=100_000, commission=16_000,
                                              logistics=6_000, storage=1_200)),
        # Rows tied to no product: the shop's storage and a penalty.
        ReportDay(0, "", day(30, 11), Figures(storage=3_000, penalties=5_000)),
        ReportDay(A, "", day(20, 11), Figures(sold=9, revenue=900_000)),  # outside the period
    ]  # fmt: skip
    sales = [
        SalesDay(A, "", day(28, 11), sold=5, sold_sum=500_000),  # the report wins on its days
        SalesDay(A, "", day(1), sold=2, sold_sum=200_000, sold_pay=170_000),
    ]
    money = shop_period(
        inputs(sales=sales, report=report, report_spans=[(day(24, 11), day(30, 11))],
               terms=terms(fixed=310_000)),
        day(28, 11),
        day(1),
    )  # fmt: skip
    shop, a = money.products
    assert shop.nm_id == 0 and shop.cost == 0 and shop.profit == -8_000
    assert a.figures == Figures(
        sold=3, revenue=300_000, commission=46_000, logistics=6_000 + 15_555, storage=1_200
    )
    assert a.cost == 40_000 + 80_000
    assert money.report_spans == ((day(28, 11), day(30, 11)),)
    assert money.estimate_spans == ((day(1), day(1)),)
    assert money.fixed == 41_000  # 3 November days × 3 100 ₽ ÷ 30 + 3 100 ₽ ÷ 31


def test_fixed_expenses_follow_each_months_days() -> None:
    found = fixed_expenses(3_000_000, day(30, 11), day(1))
    assert found == Fraction(100_000) + Fraction(3_000_000, 31)


def test_unit_estimate_per_regime() -> None:
    rates = Rates(Fraction(3, 20), Fraction(15_555, 2))
    usn15 = unit_estimate(100_000, 85_000, 45_000, rates, terms(TaxRegime.USN_PROFIT, 1500))
    assert (usn15.commission, usn15.logistics) == (15_000, 7_778)
    assert usn15.tax == 4_833  # 15% of 322.22 = 48.333
    assert usn15.profit == 27_389
    unpaid = unit_estimate(100_000, 0, 0, rates, terms())
    assert unpaid.commission == 15_000 and unpaid.tax == 0
    vat = unit_estimate(120_000, 100_000, 0, Rates(), terms(TaxRegime.VAT, 2000))
    assert vat.tax == 20_000  # the VAT inside 1 200 ₽ at 20%


def test_usn_profit_shop_tax_never_below_zero_and_counts_fixed_expenses() -> None:
    costly = terms(TaxRegime.USN_PROFIT, 1500, 3_100_000)  # 1 000 ₽ a day
    money = shop_period(inputs(terms=costly), day(1), day(7))
    assert money.tax == 0  # 2 161.12 − 1 250 − 7 000 < 0
    rich = shop_period(inputs(terms=terms(TaxRegime.USN_PROFIT, 1500)), day(1), day(7))
    assert rich.tax == round_kopecks(Fraction(15, 100) * (216_112 - 125_000))  # 136.67
    assert rich.tax == 13_667


def test_shops_combine_with_their_own_tax_and_fixed_expenses() -> None:
    one = shop_period(inputs(), day(1), day(7))
    two = shop_period(inputs(shop_id=2, terms=terms()), day(1), day(7))
    both = combine([one, two], day(1), day(7))
    assert both.tax == 18_000 and both.fixed == 70_000
    assert both.profit == one.profit + two.profit
    assert len(both.products) == 4


def test_missing_rates_are_said() -> None:
    money = shop_period(inputs(rates={}, shop_rates=Rates()), day(1), day(7))
    assert all(p.fees_unknown for p in money.products)
    assert money.fees_unknown


def test_rates_are_learned_per_product_and_over_the_shop() -> None:
    rows = [
        ReportDay(A, "", day(1), Figures(sold=3, returned=1, revenue=200_000,
                                         commission=30_000, logistics=20_000)),
        ReportDay(0, "", day(1), Figures(storage=5_000)),
    ]  # fmt: skip
    per, shop = learn_rates(rows)
    assert per == {A: Rates(Fraction(3, 20), Fraction(5_000))}
    assert shop == Rates(Fraction(3, 20), Fraction(5_000))


def test_reconciliation_names_what_moved_profit() -> None:
    report = [
        ReportDay(A, "", day(1), Figures(sold=2, revenue=200_000, commission=30_000,
                                         logistics=16_000)),
        ReportDay(0, "", day(2), Figures(storage=20_000)),
    ]  # fmt: skip
    sales = [SalesDay(A, "", day(1), sold=2, sold_sum=200_000, sold_pay=170_000)]
    shop = inputs(sales=sales, report=report, report_spans=[(day(1), day(7))], terms=terms())
    by_report = shop_period(shop, day(1), day(7))
    estimate = shop_period(shop, day(1), day(7), estimate_only=True)
    found = reconcile(by_report, estimate)
    # Estimate: 2 000 − 300 − 155.55 − 800 = 744.45; report: 2 000 − 300 − 160 − 200 − 800 = 540.
    assert estimate.profit == 74_445 and by_report.profit == 54_000
    assert found.difference == -20_445
    assert found.significant
    assert [(g.name, g.effect) for g in found.gaps] == [("storage", -20_000), ("logistics", -445)]


def test_small_difference_is_not_significant() -> None:
    report = [ReportDay(A, "", day(1), Figures(sold=1, revenue=100_000, commission=15_000))]
    sales = [SalesDay(A, "", day(1), sold=1, sold_sum=100_000, sold_pay=85_000)]
    shop = inputs(sales=sales, report=report, report_spans=[(day(1), day(1))],
                  terms=terms(), rates={A: Rates(None, Fraction(3_000))})  # fmt: skip
    found = reconcile(shop_period(shop, day(1), day(1)),
                      shop_period(shop, day(1), day(1), estimate_only=True))  # fmt: skip
    # Report 850 − 400 = 450; estimate 450 − 30 = 420: 7.1% off the estimate.
    assert (found.report_profit, found.estimate_profit) == (45_000, 42_000)
    assert not found.significant


def test_losing_products_need_enough_sales() -> None:
    costs = book({(A, ""): [(day(1), 95_000)], (B, ""): [(day(1), 1_000)]})
    money = shop_period(inputs(costs=costs, terms=terms()), day(1), day(7))
    # A: 2 161.12 to be paid − 3 net units × 950 = −688.88 over 4 sold.
    assert money.products[0].profit == 216_112 - 285_000
    assert [p.nm_id for p in losing_products(money, 4)] == [A]
    assert losing_products(money, 5) == []


def test_rounding_is_half_away_from_zero() -> None:
    assert [round_kopecks(Fraction(n, 2)) for n in (5, -5, 3, -3)] == [3, -3, 2, -2]
    assert round_kopecks(Fraction(24_999, 10_000)) == 2


def test_a_difference_is_measured_against_the_estimate() -> None:
    # 111 → 100 is 9.9% off the estimate (11% of the report's profit): not worth a word.
    assert not Reconciliation(D, D, 10_000, 11_100, ()).significant
    assert Reconciliation(D, D, 10_000, 9_000, ()).significant  # 11.1% off the estimate
    assert Reconciliation(D, D, 1, 0, ()).significant


def test_without_a_report_the_commission_comes_from_the_subjects_tariff() -> None:
    """No finance rows at all: A's unpriced sale takes WB's tariff for its subject (15.5%),
    logistics stays out and is said to; a product's own learned rate still wins."""
    sales = [
        SalesDay(A, "", day(5), sold=2, sold_sum=180_000, sold_unpaid=180_000),
        SalesDay(A, "", day(6), sold=1, sold_sum=100_000, sold_pay=85_000),
    ]
    tariff = {A: Fraction(1550, 10_000)}
    money = shop_period(
        inputs(sales=sales, rates={}, shop_rates=Rates(), tariffs=tariff), day(1), day(7)
    )
    (a,) = money.products
    # 1 800 ₽ × 15.5% = 279 ₽, plus the 150 ₽ WB kept of the priced sale
    assert a.figures.commission == 27_900 + 15_000
    assert a.figures.logistics == 0 and a.fees_unknown and a.by_tariff
    assert a.figures.to_be_paid == 280_000 - 42_900
    own = inputs(
        sales=sales, rates={A: Rates(Fraction(1, 10))}, shop_rates=Rates(), tariffs=tariff
    )
    mine = shop_period(own, day(1), day(7)).products[0]
    assert mine.figures.commission == 18_000 + 15_000 and not mine.by_tariff
