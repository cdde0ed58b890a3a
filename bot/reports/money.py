"""The money view: `/profit` and the money block of `/report`, worked out by bot.reports.profit
from the store's rows (read by bot.money.view.load_money, never WB). Renderers take
the translation function as `_`.

Amounts are kopecks (int) and are written from the integer, never through a float: all with
kopecks when any has them (the lines then add up to their total as shown), else in roubles.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from bot import formats
from bot.reports.profit import PeriodMoney, ProductMoney, round_kopecks
from bot.store.costs import TaxRegime
from bot.store.profit import Span

Translate = Callable[..., str]

#: Products listed by name in /profit (the XLSX has them all).
PRODUCT_ROWS = 10


@dataclass(frozen=True)
class Name:
    article: str
    title: str


@dataclass(frozen=True)
class MoneyView:
    """A period's money and what the texts need beside it."""

    money: PeriodMoney
    names: dict[tuple[int, int], Name]
    regimes: tuple[tuple[TaxRegime, int], ...]  # each shop's regime and rate, distinct

    def name(self, product: ProductMoney) -> Name:
        return self.names.get((product.shop_id, product.nm_id), Name("", ""))


# ------------------------------------------------------------------ formatting


def rub(kopecks: int, lang: str, with_kopecks: bool) -> str:
    """ "12 345 ₽", or "12 345,67 ₽" (ru) / "12 345.67 ₽" (en): from the integer, the minus
    sign "−" on a negative amount; whole roubles are rounded half away from zero."""
    sign = formats.MINUS if kopecks < 0 else ""
    if not with_kopecks:
        whole = round_kopecks(Fraction(abs(kopecks), 100))
        return f"{sign if whole else ''}{formats.number(whole)}{formats.NBSP}{formats.RUBLE}"
    whole, part = divmod(abs(kopecks), 100)
    mark = "," if lang == "ru" else "."
    return f"{sign}{formats.number(whole)}{mark}{part:02d}{formats.NBSP}{formats.RUBLE}"


def percent(value: Fraction, lang: str) -> str:
    """A ratio as a percentage with one decimal, rounded half away from zero: 0.1045 → 10,5%."""
    tenths = round_kopecks(value * 1000)
    whole, part = divmod(abs(tenths), 10)
    mark = "," if lang == "ru" else "."
    return f"{formats.MINUS if tenths < 0 else ''}{formats.number(whole)}{mark}{part}%"


def span_text(spans: Iterable[Span], lang: str) -> str:
    """ "24.11–30.11, 02.12" (ru) / "24 Nov–30 Nov" (en)."""
    parts = []
    for a, b in spans:
        one = formats.day_month(a, lang)
        parts.append(one if a == b else f"{one}–{formats.day_month(b, lang)}")
    return ", ".join(parts)


def basis(money: PeriodMoney, lang: str, _: Translate) -> str:
    """Which days are by WB's report and which an estimate."""
    said = []
    if money.report_spans:
        said.append(
            _("by WB's report for {days}").format(days=span_text(money.report_spans, lang))
        )
    if money.estimate_spans:
        said.append(_("estimate for {days}").format(days=span_text(money.estimate_spans, lang)))
    text = "; ".join(said)
    return text[:1].upper() + text[1:]


def regime_name(regime: TaxRegime, rate_bp: int, lang: str, _: Translate) -> str:
    rate = formats.decimal(rate_bp / 100, lang, 0 if rate_bp % 100 == 0 else 2)
    if regime is TaxRegime.USN_INCOME:
        return _("USN {rate}% of revenue").format(rate=rate)
    if regime is TaxRegime.USN_PROFIT:
        return _("USN {rate}% of profit").format(rate=rate)
    if regime is TaxRegime.VAT:
        return _("VAT {rate}%").format(rate=rate)
    return _("no tax")


def _amounts(money: PeriodMoney) -> list[int]:
    f = money.figures
    return [
        f.revenue, f.commission, f.logistics, f.storage, f.acceptance, f.penalties,
        f.deductions, f.additional, f.to_be_paid, money.cost, money.tax, money.fixed,
        money.profit, *(p.profit or 0 for p in money.products),
    ]  # fmt: skip


def money_lines(view: MoneyView, lang: str, _: Translate) -> list[str]:
    """The money block: the basis, revenue down to profit, margin and ROI, and what is missing
    (products without a cost price, fees the estimate could not learn)."""
    money = view.money
    k = any(a % 100 for a in _amounts(money))
    f = money.figures
    out = [_("<i>{basis}</i>").format(basis=html.escape(basis(money, lang, _)))]
    lines = [
        (_("Revenue"), f.revenue, True),
        (_("WB commission"), f.commission, True),
        (_("Logistics"), f.logistics, True),
        (_("Storage"), f.storage, True),
        (_("Acceptance"), f.acceptance, False),
        (_("Penalties"), f.penalties, True),
        (_("Deductions"), f.deductions, False),
        (_("Additional payments"), f.additional, False),
    ]
    out += [f"{label}: {rub(value, lang, k)}" for label, value, always in lines if always or value]
    out.append(_("To be paid: <b>{amount}</b>").format(amount=rub(f.to_be_paid, lang, k)))
    if money.unknown and not money.known:
        out.append(_("Profit: — (no product has a cost price yet: send /costs)"))
        return out + _missing(view, lang, _, k)
    out.append(_("Cost of goods: {amount}").format(amount=rub(money.cost, lang, k)))
    if len(view.regimes) == 1:
        regime, rate_bp = view.regimes[0]
        label = _("Tax ({regime})").format(regime=regime_name(regime, rate_bp, lang, _))
    else:
        label = _("Tax")
    out.append(f"{label}: {rub(money.tax, lang, k)}")
    if money.fixed:
        out.append(_("Fixed expenses: {amount}").format(amount=rub(money.fixed, lang, k)))
    ratios = []
    if money.margin is not None:
        ratios.append(_("margin {value}").format(value=percent(money.margin, lang)))
    if money.roi is not None:
        ratios.append(_("ROI {value}").format(value=percent(money.roi, lang)))
    profit = _("Profit: <b>{amount}</b>").format(amount=rub(money.profit, lang, k))
    out.append(" · ".join([profit, *ratios]))
    return out + _missing(view, lang, _, k)


def _missing(view: MoneyView, lang: str, _: Translate, k: bool) -> list[str]:
    money = view.money
    out = []
    if money.unknown:
        ngettext: Callable[..., str] = _
        count = len(money.unknown)
        revenue = sum(p.figures.revenue for p in money.unknown)
        out.append(
            ngettext(
                "⚠️ Cost unknown for {count} product: /costs. It is left out of cost of "
                "goods, tax and profit (its revenue: {revenue}).",
                "⚠️ Cost unknown for {count} products: /costs. They are left out of cost of "
                "goods, tax and profit (their revenue: {revenue}).",
                count,
            ).format(count=formats.number(count), revenue=rub(revenue, lang, k))
        )
    if money.estimated:
        out.append(
            _(
                "An estimate has WB's commission as WB applied it to each sale and logistics "
                "per unit learned from your recent WB reports; storage, acceptance, penalties "
                "and deductions come only with WB's report."
            )
        )
    if money.by_tariff:
        out.append(
            _(
                "No WB report has priced some products yet: the estimate takes their "
                "commission from WB's current tariff for their subject."
            )
        )
    if money.fees_unknown and money.by_tariff:
        out.append(_("No WB report to learn logistics from yet: the estimate leaves it out."))
    elif money.fees_unknown:
        out.append(
            _(
                "No WB report to learn fees from yet: the estimate leaves out the logistics "
                "(and the commission of sales WB has not priced yet)."
            )
        )
    return out


def product_label(view: MoneyView, product: ProductMoney) -> str:
    if product.nm_id == 0:
        return ""
    name = view.name(product)
    main = name.article or name.title or str(product.nm_id)
    extra = name.title if name.article and name.title else ""
    return html.escape(f"{main} ({extra})" if extra else main)


def render_profit(view: MoneyView, shop_label: str, lang: str, _: Translate) -> str:
    """The /profit message: the money block, then the products by profit."""
    money = view.money
    k = any(a % 100 for a in _amounts(money))
    out = [
        _("💰 <b>{shop}</b>: money for {first} – {last}").format(
            shop=html.escape(shop_label),
            first=formats.day(money.first, lang),
            last=formats.day(money.last, lang),
        ),
        *money_lines(view, lang, _),
    ]
    ranked = sorted((p for p in money.known if p.nm_id), key=lambda p: (-(p.profit or 0), p.nm_id))
    if ranked:
        out += ["", _("<b>Products</b> (profit · per unit sold)")]
        for i, p in enumerate(ranked[:PRODUCT_ROWS], 1):
            line = f"{i}. {product_label(view, p)} — {rub(p.profit or 0, lang, k)}"
            if p.unit_profit is not None:
                line += f" · {rub(round_kopecks(p.unit_profit), lang, True)}"
            out.append(line)
        if len(ranked) > PRODUCT_ROWS:
            out.append(
                _("…and {count} more in the Excel file of /report.").format(
                    count=formats.number(len(ranked) - PRODUCT_ROWS)
                )
            )
    shop_wide = [p for p in money.known if not p.nm_id]
    if shop_wide:
        out.append(
            _("Not tied to a product (the shop's storage, penalties…): {amount}").format(
                amount=rub(shop_wide[0].profit or 0, lang, k)
            )
        )
    out += ["", _("Days are WB's days (Moscow time). What the numbers mean: /profit help")]
    return "\n".join(out)


def usage(_: Translate) -> str:
    return _(
        "<b>/profit</b> — what you keep: revenue, WB's fees, cost of goods, tax and profit.\n\n"
        "<code>/profit</code> — today so far\n"
        "<code>/profit week</code> — the last 7 days, today included\n"
        "<code>/profit month</code> — the last 30 days\n"
        "<code>/profit 2026-11-24 2026-11-30</code> — any days, both included\n\n"
        "<b>How it is counted</b>\n"
        "• Days WB's finance report covers are taken from the report; the other days are an "
        "estimate from your sales, each marked.\n"
        "• <b>Revenue</b>: the price of goods bought out less returns (WB's retailAmount).\n"
        "• <b>WB commission</b>: everything WB keeps of the price (its reward, acquiring).\n"
        "• <b>To be paid</b>: revenue less WB's commission, logistics, storage, acceptance, "
        "penalties and deductions, plus additional payments.\n"
        "• <b>Cost of goods</b>: units sold less units returned at the cost price in effect "
        "on each day (/costs, /cost).\n"
        "• <b>Tax</b> per your regime in /settings; <b>fixed expenses</b> spread over the "
        "days of each month.\n"
        "• <b>Profit</b> = to be paid − cost of goods − tax − fixed expenses; "
        "<b>margin</b> = profit ÷ revenue; <b>ROI</b> = profit ÷ cost of goods.\n"
        "Products without a cost price are left out of profit, never counted as free."
    )
