"""Profit: what the seller keeps, per unit, per product and per period. Pure arithmetic, no I/O.

Two sources, one per WB day (a Moscow calendar day, the days WB's finance report is kept in):
- **by WB's report**: the days of a whole report (weekly, or daily where no weekly one is
  complete) inside the period take that report's rows, exact;
- **estimate**: any other day takes the statistics sales rows (buyouts S…, returns R…), WB's fees
  as WB applied them to the sale (`priceWithDisc − forPay`) or, while WB has not filled `forPay`
  in yet, at the commission rate learned from recent report rows of the product (else WB's
  current tariff for the product's subject, GET common-api /api/v1/tariffs/commission, else the
  rate learned over the shop), and logistics per unit learned the same way (no tariff: WB's box
  logistics depends on the warehouse and the volume, so without a report it is left out).
  Storage, acceptance, penalties, deductions and additional payments are only known from a
  report: an estimate has none of them.

Definitions (report rows, per product; the estimate mirrors them):
- revenue: `retailAmount` of sales less that of returns ("Вайлдберриз реализовал Товар");
- WB commission: revenue less `forPay`: everything WB keeps of the sale price (its reward with
  VAT, acquiring, the pickup point's share), so "to be paid" is the cabinet's "Итого к оплате";
- logistics: `deliveryService` (to and from the buyer) plus `rebillLogisticCost`;
- to be paid: revenue − commission − logistics − storage − acceptance − penalties − deductions
  + additional payments;
- cost of goods: units sold less units returned, each at the cost price in effect on the day of
  the sale (of the return): a cost change mid-period applies from its day on (before a
  product's first cost, that first cost: bot.store.costs);
- tax per the shop's regime (bot.store.costs.tax_kopecks): УСН 6% (rate × revenue), УСН 15%
  (rate × (to be paid − cost of goods − fixed expenses), reckoned on the shop's whole profit
  and never below zero), VAT (the VAT inside the revenue: revenue × rate ÷ (1 + rate)), none;
- fixed monthly expenses: each day carries its month's amount ÷ the month's days;
- profit = to be paid − cost of goods − tax (− fixed expenses for a shop or a period);
  margin = profit ÷ revenue; ROI = profit ÷ cost of goods.

Products without a cost price for a day they sold on are not guessed at: they are listed as
"cost unknown" and left out of cost of goods, tax, profit, margin and ROI (their revenue and
fees still count in the lines above those).

Arithmetic: kopecks as integers; rates and pro-rating as exact fractions; every product figure
is rounded once, half away from zero, to the kopeck, and a total is the sum of its rounded
lines (so the lines add up to the total as shown).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Protocol

from bot.store.costs import MoneySettings, TaxRegime, tax_kopecks
from bot.store.profit import Figures, ReportDay, SalesDay, Span

#: A week whose profit by WB's report differs from the estimate by more than this share of the
#: estimate is explained.
RECONCILE_TOLERANCE = Fraction(1, 10)


def round_kopecks(value: Fraction | int) -> int:
    """Half away from zero: 0.5 → 1, −0.5 → −1, 2.4999 → 2."""
    if isinstance(value, int):
        return value
    value = Fraction(value)
    whole = abs(value.numerator) * 2 + value.denominator
    rounded = whole // (2 * value.denominator)
    return rounded if value >= 0 else -rounded


#: The figures a report shows in its money block, in order.
MONEY_LINES = (
    "revenue",
    "commission",
    "logistics",
    "storage",
    "acceptance",
    "penalties",
    "deductions",
    "additional",
)


@dataclass(frozen=True)
class Rates:
    """Fees learned from recent report rows: commission per rouble of revenue, logistics per
    unit moved (sold or returned). None: nothing to learn from."""

    commission: Fraction | None = None
    logistics: Fraction | None = None

    @staticmethod
    def learned(figures: Figures) -> Rates:
        moved = figures.sold + figures.returned
        return Rates(
            commission=Fraction(figures.commission, figures.revenue) if figures.revenue else None,
            logistics=Fraction(figures.logistics, moved) if moved else None,
        )

    def over(self, fallback: Rates) -> Rates:
        return Rates(
            self.commission if self.commission is not None else fallback.commission,
            self.logistics if self.logistics is not None else fallback.logistics,
        )


class Costs(Protocol):
    """Cost prices by day (bot.store.costs.CostBook): kopecks a unit, None when unknown."""

    def cost(self, shop_id: int, nm_id: int, size: str | None, day: date) -> int | None: ...


@dataclass(frozen=True)
class UnitEstimate:
    """One sale's estimate (per order), in kopecks."""

    revenue: int
    commission: int
    logistics: int
    cost: int
    tax: int

    @property
    def profit(self) -> int:
        return self.revenue - self.commission - self.logistics - self.cost - self.tax


def unit_estimate(
    price: int, for_pay: int, cost: int, rates: Rates, terms: MoneySettings
) -> UnitEstimate:
    """What one unit sold at `price` (priceWithDisc, kopecks) leaves: WB's commission from its
    `forPay` when filled in, else at the learned rate; logistics at the learned rate; tax per
    the regime (УСН 15% on the unit's own profit)."""
    commission = price - for_pay if for_pay else round_kopecks((rates.commission or 0) * price)
    logistics = round_kopecks(rates.logistics or 0)
    unit = UnitEstimate(price, commission, logistics, cost, 0)
    return replace(unit, tax=tax_kopecks(terms, price, price - unit.profit))


@dataclass(frozen=True)
class OrderEstimates:
    """What one unit of an order leaves, per shop: the cost book, WB's fees learned from the
    recent report rows (the product's, else the shop's) and the tax regime, read once
    (bot.money.view.order_estimates) and applied to each order in memory."""

    costs: Costs
    terms: Mapping[int, MoneySettings]
    rates: Mapping[int, Mapping[int, Rates]] = field(default_factory=dict)  # shop → nmId
    shop_rates: Mapping[int, Rates] = field(default_factory=dict)
    #: shop → nmId → WB's current commission per rouble for the product's subject
    tariffs: Mapping[int, Mapping[int, Fraction]] = field(default_factory=dict)

    def profit(
        self, shop_id: int, nm_id: int, size: str | None, day: date, price: int
    ) -> int | None:
        """The estimated profit of one unit ordered on the WB ``day`` at ``price`` (kopecks);
        None when the product has no cost price. An order has no ``forPay`` yet: WB's
        commission is at the learned rate (or the tariff)."""
        cost = self.costs.cost(shop_id, nm_id, size, day)
        if cost is None:
            return None
        # As shop_period: the product's learned fees, else WB's tariff, else the shop's.
        tariff = Rates(commission=self.tariffs.get(shop_id, {}).get(nm_id))
        learned = self.rates.get(shop_id, {}).get(nm_id, Rates())
        rates = learned.over(tariff).over(self.shop_rates.get(shop_id, Rates()))
        terms = self.terms.get(shop_id, MoneySettings(shop_id))
        return unit_estimate(price, 0, cost, rates, terms).profit


@dataclass(frozen=True)
class ProductMoney:
    shop_id: int
    nm_id: int
    figures: Figures
    cost: int | None  # None: no cost price for a day it sold on
    tax: int | None
    estimated: bool  # some of its days are an estimate
    fees_unknown: bool = False  # an estimate lacked a commission or logistics rate
    by_tariff: bool = False  # its estimated commission is at WB's current tariff

    @property
    def profit(self) -> int | None:
        if self.cost is None or self.tax is None:
            return None
        return self.figures.to_be_paid - self.cost - self.tax

    @property
    def unit_profit(self) -> Fraction | None:
        """Profit per unit sold (None without a cost or without sales)."""
        profit = self.profit
        return (
            Fraction(profit, self.figures.sold)
            if profit is not None and self.figures.sold
            else None
        )

    @property
    def margin(self) -> Fraction | None:
        return _ratio(self.profit, self.figures.revenue)

    @property
    def roi(self) -> Fraction | None:
        return _ratio(self.profit, self.cost)


def _ratio(top: int | None, bottom: int | None) -> Fraction | None:
    return Fraction(top, bottom) if top is not None and bottom else None


@dataclass(frozen=True)
class PeriodMoney:
    """A period's money for one or more shops: every product, the totals, and which days are
    by WB's report and which an estimate."""

    first: date
    last: date
    products: tuple[ProductMoney, ...]
    report_spans: tuple[Span, ...]
    estimate_spans: tuple[Span, ...]
    fixed: int  # fixed expenses pro-rated over the period, kopecks
    tax: int  # over the products with a known cost

    @property
    def figures(self) -> Figures:
        return sum((p.figures for p in self.products), Figures())

    @property
    def known(self) -> tuple[ProductMoney, ...]:
        return tuple(p for p in self.products if p.cost is not None)

    @property
    def unknown(self) -> tuple[ProductMoney, ...]:
        return tuple(p for p in self.products if p.cost is None)

    @property
    def known_figures(self) -> Figures:
        return sum((p.figures for p in self.known), Figures())

    @property
    def cost(self) -> int:
        return sum(p.cost or 0 for p in self.known)

    @property
    def profit(self) -> int:
        return self.known_figures.to_be_paid - self.cost - self.tax - self.fixed

    @property
    def margin(self) -> Fraction | None:
        return _ratio(self.profit, self.known_figures.revenue)

    @property
    def roi(self) -> Fraction | None:
        return _ratio(self.profit, self.cost)

    @property
    def estimated(self) -> bool:
        return bool(self.estimate_spans)

    @property
    def fees_unknown(self) -> bool:
        return any(p.fees_unknown for p in self.products)

    @property
    def by_tariff(self) -> bool:
        return any(p.by_tariff for p in self.products)


@dataclass(frozen=True)
class ShopInputs:
    """Everything one shop's period needs, as the store reads it."""

    shop_id: int
    terms: MoneySettings
    costs: Costs
    sales: Sequence[SalesDay]
    report: Sequence[ReportDay]
    report_spans: Sequence[Span]  # the periods of WB's published reports
    rates: Mapping[int, Rates]  # learned per product
    shop_rates: Rates  # learned over the shop
    #: WB's current commission per rouble for the product's subject, where WB's tariff has one
    tariffs: Mapping[int, Fraction] = field(default_factory=dict)


def covered_days(spans: Iterable[Span], first: date, last: date) -> set[date]:
    days: set[date] = set()
    for a, b in spans:
        day = max(a, first)
        while day <= min(b, last):
            days.add(day)
            day += timedelta(days=1)
    return days


def _runs(days: Iterable[date]) -> tuple[Span, ...]:
    runs: list[Span] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return tuple(runs)


def fixed_expenses(monthly: int, first: date, last: date) -> Fraction:
    """The fixed monthly amount over [first, last]: each day its month's amount ÷ its days."""
    total = Fraction(0)
    day = first
    while day <= last:
        total += Fraction(monthly, calendar.monthrange(day.year, day.month)[1])
        day += timedelta(days=1)
    return total


_FIELDS = tuple(f.name for f in fields(Figures))
_COMMISSION, _LOGISTICS = _FIELDS.index("commission"), _FIELDS.index("logistics")


@dataclass
class _Product:
    """A product's sums while they are built: whole kopecks, and the units and unpaid sales the
    learned rates apply to, multiplied once at the end (one exact fraction, rounded once)."""

    figures: list[int] = field(default_factory=lambda: [0] * len(_FIELDS))
    unpaid: int = 0  # sales WB has not priced yet, less such returns, kopecks
    moved: int = 0  # estimated units sold and returned
    cost: int | None = 0
    estimated: bool = False
    fees_unknown: bool = False

    def add_cost(self, units: int, price: int | None) -> None:
        if units == 0:
            return
        if price is None or self.cost is None:
            self.cost = None
            return
        self.cost += units * price


def shop_period(
    inputs: ShopInputs, first: date, last: date, *, estimate_only: bool = False
) -> PeriodMoney:
    """One shop's money over the WB days [first, last]: report days from the report, the
    others estimated (`estimate_only`: every day estimated, to compare with the report)."""
    covered = set() if estimate_only else covered_days(inputs.report_spans, first, last)
    products: dict[int, _Product] = defaultdict(_Product)
    for row in inputs.report:
        if row.day in covered:
            product = products[row.nm_id]
            for i, name in enumerate(_FIELDS):
                product.figures[i] += getattr(row.figures, name)
            product.add_cost(
                row.figures.sold - row.figures.returned,
                inputs.costs.cost(inputs.shop_id, row.nm_id, row.size, row.day),
            )
    for sale in inputs.sales:
        if not first <= sale.day <= last or sale.day in covered:
            continue
        product = products[sale.nm_id]
        product.estimated = True
        estimate = Figures(
            sold=sale.sold,
            returned=sale.returned,
            revenue=sale.sold_sum - sale.returned_sum,
            # What WB kept of the sales it has already priced (the rest at the learned rate).
            commission=(sale.sold_sum - sale.sold_unpaid - sale.sold_pay)
            - (sale.returned_sum - sale.returned_unpaid - sale.returned_pay),
        )
        for i, name in enumerate(_FIELDS):
            product.figures[i] += getattr(estimate, name)
        product.unpaid += sale.sold_unpaid - sale.returned_unpaid
        product.moved += sale.sold + sale.returned
        product.add_cost(
            sale.sold - sale.returned,
            inputs.costs.cost(inputs.shop_id, sale.nm_id, sale.size, sale.day),
        )
    terms = inputs.terms
    found: list[ProductMoney] = []
    for nm_id, product in sorted(products.items()):
        own = inputs.rates.get(nm_id, Rates())
        tariff = inputs.tariffs.get(nm_id) if own.commission is None else None
        rates = own.over(Rates(commission=tariff)).over(inputs.shop_rates)
        exact: list[Fraction | int] = list(product.figures)
        exact[_COMMISSION] += (rates.commission or 0) * product.unpaid
        exact[_LOGISTICS] += (rates.logistics or 0) * product.moved
        unknown = (product.unpaid and rates.commission is None) or (
            product.moved and rates.logistics is None
        )
        figures = Figures(*(round_kopecks(v) for v in exact))
        tax = None
        if product.cost is not None:
            tax = tax_kopecks(
                terms, figures.revenue, figures.revenue - figures.to_be_paid + product.cost
            )
        found.append(
            ProductMoney(
                inputs.shop_id, nm_id, figures, product.cost, tax, product.estimated,
                bool(unknown), bool(product.unpaid and tariff is not None),
            )
        )  # fmt: skip
    fixed = round_kopecks(fixed_expenses(terms.fixed_monthly, first, last))
    known = [p for p in found if p.cost is not None]
    if terms.regime is TaxRegime.USN_PROFIT:  # on the shop's profit, not product by product
        revenue = sum(p.figures.revenue for p in known)
        pretax = sum(p.figures.to_be_paid - (p.cost or 0) for p in known) - fixed
        tax = tax_kopecks(terms, revenue, revenue - pretax)
    else:
        tax = sum(p.tax or 0 for p in known)
    all_days = covered_days([(first, last)], first, last)
    return PeriodMoney(
        first=first,
        last=last,
        products=tuple(found),
        report_spans=_runs(covered),
        estimate_spans=_runs(all_days - covered),
        fixed=fixed,
        tax=tax,
    )


def combine(periods: Sequence[PeriodMoney], first: date, last: date) -> PeriodMoney:
    """Several shops' periods as one (each shop's tax and fixed expenses its own)."""
    return PeriodMoney(
        first=first,
        last=last,
        products=tuple(p for period in periods for p in period.products),
        report_spans=_runs(d for p in periods for d in covered_days(p.report_spans, first, last)),
        estimate_spans=_runs(
            d for p in periods for d in covered_days(p.estimate_spans, first, last)
        ),
        fixed=sum(p.fixed for p in periods),
        tax=sum(p.tax for p in periods),
    )


def learn_rates(rows: Iterable[ReportDay]) -> tuple[dict[int, Rates], Rates]:
    """Per product and over the shop: commission per rouble and logistics per unit, from the
    given report rows (the caller picks the recent ones)."""
    per: dict[int, Figures] = defaultdict(Figures)
    for row in rows:
        per[row.nm_id] = per[row.nm_id] + row.figures
    shop = sum(per.values(), Figures())
    return {nm: Rates.learned(f) for nm, f in per.items() if nm}, Rates.learned(shop)


@dataclass(frozen=True)
class Gap:
    """One figure's difference between WB's report and the estimate, as it moves profit."""

    name: str  # a Figures field, or "cost"
    report: int
    estimate: int

    @property
    def effect(self) -> int:
        """How much this figure moved profit from the estimate to the report."""
        change = self.report - self.estimate
        return change if self.name in ("revenue", "additional") else -change


@dataclass(frozen=True)
class Reconciliation:
    first: date
    last: date
    report_profit: int
    estimate_profit: int
    gaps: tuple[Gap, ...]  # the figures that moved profit, biggest first

    @property
    def difference(self) -> int:
        return self.report_profit - self.estimate_profit

    @property
    def significant(self) -> bool:
        """Off by more than RECONCILE_TOLERANCE of the estimate (any difference when the
        estimate was zero)."""
        if self.estimate_profit == 0:
            return self.difference != 0
        return abs(Fraction(self.difference, self.estimate_profit)) > RECONCILE_TOLERANCE


def reconcile(report: PeriodMoney, estimate: PeriodMoney) -> Reconciliation:
    """A published week by WB's report against what the bot estimated for it, over the
    products with a known cost (the same cost prices apply to both)."""
    rep, est = report.known_figures, estimate.known_figures
    gaps = [Gap(name, getattr(rep, name), getattr(est, name)) for name in MONEY_LINES]
    gaps += [Gap("cost", report.cost, estimate.cost), Gap("tax", report.tax, estimate.tax)]
    return Reconciliation(
        first=report.first,
        last=report.last,
        report_profit=report.profit,
        estimate_profit=estimate.profit,
        gaps=tuple(sorted((g for g in gaps if g.effect), key=lambda g: (-abs(g.effect), g.name))),
    )


def losing_products(period: PeriodMoney, min_sales: int) -> list[ProductMoney]:
    """Products whose profit per unit sold is below zero, with at least `min_sales` sold."""
    return [
        p
        for p in period.products
        if p.nm_id and p.figures.sold >= min_sales and (p.unit_profit or 0) < 0
    ]
