"""The money view read from the store (never WB): each shop's rows for a span of WB days
(cost book, WB's report days, sales days, the report rows WB's fees are learned from, money
settings) worked out by bot.reports.profit, for /profit, the money block of /report and the
money alerts. The reading lives here so bot.reports computes without I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from bot.reports.money import MoneyView, Name
from bot.reports.profit import (
    OrderEstimates,
    Rates,
    ShopInputs,
    combine,
    learn_rates,
    shop_period,
)
from bot.store import profit as store_profit
from bot.store.costs import all_money_settings, cost_book, cost_runs, known_products
from bot.store.db import Database
from bot.store.finance import runs_outside
from bot.store.tariffs import product_commission


async def _tariffs(db: Database, shop_id: int) -> dict[int, Fraction]:
    """nmId → WB's current commission per rouble for the product's subject."""
    return {nm: Fraction(bp, 10_000) for nm, bp in (await product_commission(db, shop_id)).items()}


async def shop_inputs(
    db: Database,
    shop_id: int,
    first: date,
    last: date,
    *,
    estimate_only: bool = False,
    learn_until: date | None = None,
) -> ShopInputs:
    """One shop's rows for the WB days [first, last] (`estimate_only`: sales for every day, as
    if no report had come; `learn_until`: WB's fees learned from the reports up to that day
    only, as the estimate knew them before a report came)."""
    costs = await cost_book(db, [shop_id], until=last)
    # Rows are summed as far as costing allows: apart only by the sizes and runs of days
    # between cost changes that have costs of their own.
    runs = cost_runs(costs, shop_id, first, last)
    spans, report = await store_profit.report_days(db, shop_id, first, last, runs)
    days = [(first, last)] if estimate_only else runs_outside(first, last, spans)
    sales = await store_profit.sales_days(db, shop_id, days, runs)
    rates, shop_rates = learn_rates(
        await store_profit.learning_days(db, shop_id, learn_until or last)
    )
    settings = await all_money_settings(db, [shop_id])
    return ShopInputs(
        shop_id=shop_id,
        terms=settings[shop_id],
        costs=costs,
        sales=sales,
        report=report,
        report_spans=spans,
        rates=rates,
        shop_rates=shop_rates,
        tariffs=await _tariffs(db, shop_id),
    )


async def load_money(db: Database, shop_ids: Sequence[int], first: date, last: date) -> MoneyView:
    """The shops' money over the WB days [first, last], with the products' names."""
    periods = []
    names: dict[tuple[int, int], Name] = {}
    for shop_id in shop_ids:
        periods.append(shop_period(await shop_inputs(db, shop_id, first, last), first, last))
        for known in await known_products(db, shop_id):
            names[(shop_id, known.nm_id)] = Name(known.article, known.title)
    settings = await all_money_settings(db, shop_ids)
    regimes = tuple(sorted({(s.regime, s.rate_bp) for s in settings.values()}))
    return MoneyView(combine(periods, first, last), names, regimes)


async def order_estimates(db: Database, shop_ids: Sequence[int], until: date) -> OrderEstimates:
    """Everything a profit estimate per order up to the WB day ``until`` needs, for the shops,
    in a few reads: the cost book, the money settings, and WB's fees learned from the report
    rows before ``until`` (only for shops with a cost price: the others have no estimate)."""
    costs = await cost_book(db, shop_ids, until=until)
    costed = sorted({shop for shop, _nm, _size in costs.history})
    rates: dict[int, dict[int, Rates]] = {}
    shop_rates: dict[int, Rates] = {}
    tariffs: dict[int, dict[int, Fraction]] = {}
    for shop_id in costed:
        rates[shop_id], shop_rates[shop_id] = learn_rates(
            await store_profit.learning_days(db, shop_id, until)
        )
        tariffs[shop_id] = await _tariffs(db, shop_id)
    terms = await all_money_settings(db, costed)
    return OrderEstimates(costs, terms, rates, shop_rates, tariffs)
