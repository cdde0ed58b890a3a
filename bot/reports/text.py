"""The text of /report and /stock: numbers in full ("12 345 ₽"), HTML-escaped WB names.

Renderers take the translation function as `_`, so they are pure and testable in any language.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date, datetime, tzinfo
from typing import TypeVar

from bot import formats
from bot.reports.metrics import Delta, ReportData, delta
from bot.reports.periods import RETENTION_DAYS, PeriodProblem
from bot.reports.stock import StockLine
from bot.store.rollups import ProductTotals, Totals

Translate = Callable[[str], str]

SPLIT_ROWS = 5
STOCK_ROWS = 25


def fmt_int(value: float, lang: str = "en") -> str:
    """1204 → "1 204" (no-break spaces): always every digit, never "1.2K"."""
    return formats.number(value)


def fmt_money(value: float, lang: str = "en", kopecks: bool = False) -> str:
    """Whole roubles: 12345.4 → "12 345 ₽"; with kopecks "12 345,40 ₽" (ru)."""
    return formats.money(value, lang, kopecks)


def fmt_decimal(value: float, lang: str = "en", digits: int = 1) -> str:
    """One decimal, with the language's decimal mark: 10.5 (en), 10,5 (ru)."""
    return formats.decimal(value, lang, digits)


def fmt_percent(value: float, lang: str = "en") -> str:
    return formats.percent(value, lang)


def _signed(text: str) -> str:
    return formats.signed(text)


def fmt_delta(change: Delta, lang: str = "en", money: bool = False, kopecks: bool = False) -> str:
    """ "+120, +10.0%" against the previous period; without a percentage when it was 0."""
    amount = fmt_money(change.change, lang, kopecks) if money else fmt_int(change.change, lang)
    parts = [_signed(amount)]
    if change.percent is not None:
        parts.append(_signed(fmt_percent(change.percent, lang)))
    return ", ".join(parts)


def fmt_day(day: date, lang: str = "en") -> str:
    return formats.day(day, lang)


def fmt_stamp(moment: datetime, zone: tzinfo, today: date, lang: str = "en") -> str:
    """ "14:05" today, "22.11.2026 14:05" (ru) or "2026-11-22 14:05" (en) on another day."""
    return formats.stamp(moment, zone, today, lang)


def definitions(_: Translate) -> str:
    """What each number means; the same definitions as bot.store.orders, in the user's words."""
    return _(
        "<b>What the numbers mean</b>\n"
        "• <b>Orders</b>: orders placed in the period, cancelled ones included, at the price "
        "after your discount (WB's priceWithDisc).\n"
        "• <b>Cancellations</b>: orders cancelled in the period, by cancellation time.\n"
        "• <b>Buyouts</b>: goods bought out in the period (WB sales rows S…), at the same price.\n"
        "• <b>Returns</b>: returns in the period (WB sales rows R…).\n"
        "• <b>To be paid</b>: what WB pays you (forPay) for the buyouts, less that of returns.\n"
        "• <b>Buyout rate</b>: buyouts ÷ (buyouts + returns + cancellations) in the period, as "
        "WB's cabinet counts it: the share of the orders that reached a result that were "
        "bought out.\n"
        "• <b>Average order</b>: orders sum ÷ number of orders.\n"
        "Days are in your time zone. In zones offset by half an hour a day starts at the whole "
        "UTC hour nearest before midnight (up to 45 minutes early)."
    )


def usage(_: Translate) -> str:
    return _(
        "<b>/report</b> — orders, buyouts and returns, compared with the previous period of "
        "the same length.\n\n"
        "<code>/report today</code> — today so far (against yesterday until the same time)\n"
        "<code>/report yesterday</code>\n"
        "<code>/report week</code> — the last 7 days, today included\n"
        "<code>/report month</code> — the last 30 days, today included\n"
        "<code>/report 2026-11-01 2026-11-15</code> — any days, both included, within WB's "
        "last 90 days (01.11.2026 15.11.2026 works too)\n"
        "<code>/report help</code> — this text\n\n"
    ) + "\n\n".join((definitions(_), money_help(_)))


def money_help(_: Translate) -> str:
    """The money block, for /report help."""
    return _(
        "<b>Money</b> (shops with cost prices: /costs): revenue, WB commission, logistics, "
        "storage, penalties, to be paid, cost of goods, tax, profit, margin and ROI. Days WB's "
        "finance report covers are by that report; other days are an estimate, and say so. "
        "The Excel file has a Profit sheet per product, and «All orders (XLSX)» an estimated "
        "profit per order. /profit shows the money alone."
    )


def period_problem(problem: PeriodProblem, _: Translate) -> str:
    """What was wrong with the period the user asked for, with the usage after it."""
    if problem is PeriodProblem.BAD_DATE:
        head = _("That is not a real date. Write dates as 2026-11-01 or 01.11.2026.")
    elif problem is PeriodProblem.REVERSED:
        head = _("The end date is before the start date. Write the earlier date first.")
    elif problem is PeriodProblem.FUTURE:
        head = _("That period has not started yet.")
    elif problem is PeriodProblem.TOO_OLD:
        head = _(
            "WB keeps statistics for the last {days} days only; choose a later start."
        ).format(days=RETENTION_DAYS)
    else:
        head = _("I did not understand the period.")
    return head + "\n\n" + usage(_)


def no_shop(_: Translate) -> str:
    return _(
        "No shop is connected yet. Create a read-only WB token with the Statistics and "
        "Analytics categories and send it as <code>/connect &lt;token&gt;</code> (see /help)."
    )


def data_freshness(
    as_of: datetime | None, zone: tzinfo, today: date, _: Translate, lang: str = "en"
) -> str:
    if as_of is None:
        return _("No data from WB yet: the first load is still running, check /status.")
    return _("Data as of {time}").format(time=fmt_stamp(as_of, zone, today, lang))


P = TypeVar("P", bound=ProductTotals)


def _name(article: str, subject: str, title: str, nm_id: int) -> str:
    main = article or title or str(nm_id)
    extra = title if article and title else subject
    text = html.escape(main)
    return f"{text} ({html.escape(extra)})" if extra else text


def _product_list(title: str, products: Sequence[P], figures: Callable[[P], str]) -> list[str]:
    """A titled, numbered list: "N. product — figures" (nothing when there are none)."""
    if not products:
        return []
    return [
        "",
        title,
        *(
            f"{i}. {_name(p.supplier_article, p.subject, p.title, p.nm_id)} — {figures(p)}"
            for i, p in enumerate(products, 1)
        ),
    ]


def _line(label: str, now: float, before: float, lang: str, kopecks: bool) -> str:
    value = fmt_money(now, lang, kopecks)
    return f"{label}: <b>{value}</b> ({fmt_delta(delta(now, before), lang, True, kopecks)})"


def _count_sum(label: str, n: int, s: float, pn: int, ps: float, lang: str, kopecks: bool) -> str:
    return (
        f"{label}: <b>{fmt_int(n, lang)}</b> · <b>{fmt_money(s, lang, kopecks)}</b> "
        f"({fmt_delta(delta(n, pn), lang)}; {fmt_delta(delta(s, ps), lang, True, kopecks)})"
    )


def totals_lines(
    cur: Totals, prev: Totals, lang: str, _: Translate, kopecks: bool = False
) -> list[str]:
    k = kopecks
    lines = [
        _count_sum(_("Orders"), cur.orders, cur.orders_sum, prev.orders, prev.orders_sum, lang, k),
        _count_sum(
            _("Cancellations"), cur.cancels, cur.cancels_sum, prev.cancels, prev.cancels_sum,
            lang, k,
        ),
        _count_sum(
            _("Buyouts"), cur.buyouts, cur.buyouts_sum, prev.buyouts, prev.buyouts_sum, lang, k
        ),
        _count_sum(
            _("Returns"), cur.returns, cur.returns_sum, prev.returns, prev.returns_sum, lang, k
        ),
        _line(_("To be paid"), cur.for_pay, prev.for_pay, lang, k),
    ]  # fmt: skip
    rate, prev_rate = cur.buyout_rate, prev.buyout_rate
    if rate is None:
        lines.append(_("Buyout rate: —"))
    else:
        text = _("Buyout rate: <b>{rate}</b>").format(rate=fmt_percent(rate * 100, lang))
        if prev_rate is not None:
            points = _signed(fmt_decimal((rate - prev_rate) * 100, lang))
            text += " " + _("({points} pp)").format(points=points)
        lines.append(text)
    avg, prev_avg = cur.average_order, prev.average_order
    if avg is None:
        lines.append(_("Average order: —"))
    else:
        text = _("Average order: <b>{value}</b>").format(value=fmt_money(avg, lang, k))
        if prev_avg is not None:
            text += f" ({fmt_delta(delta(avg, prev_avg), lang, True, k)})"
        lines.append(text)
    return lines


def render_report(
    data: ReportData,
    shop_label: str,
    lang: str,
    today: date,
    _: Translate,
    money: Sequence[str] = (),
) -> str:
    """The /report message: totals against the previous period, the money block (`money`:
    bot.reports.money.money_lines), top and falling products, warehouses and regions, and how
    fresh the data is."""
    p, prev = data.period, data.period.previous()
    k = formats.has_kopecks(
        [
            *(getattr(t, f.name) for t in (data.current, data.previous) for f in fields(t)
              if f.name.endswith("_sum") or f.name == "for_pay"),
            *(t.orders_sum for t in data.top),
            *(x for f in data.falls for x in (f.orders_sum, f.previous_sum)),
            *(r.orders_sum for r in (*data.warehouses[:SPLIT_ROWS], *data.regions[:SPLIT_ROWS])),
        ]
    )  # fmt: skip
    out = [
        _("📊 <b>{shop}</b>: {first} – {last}").format(
            shop=html.escape(shop_label), first=fmt_day(p.first, lang), last=fmt_day(p.last, lang)
        ),
        _("compared with {first} – {last}").format(
            first=fmt_day(prev.first, lang), last=fmt_day(prev.last, lang)
        ),
        "",
        *totals_lines(data.current, data.previous, lang, _, k),
    ]
    if money:
        out += ["", _("<b>Money</b>"), *money]
    out += _product_list(
        _("<b>Top products</b> (orders · sum)"),
        data.top,
        lambda t: f"{fmt_int(t.orders, lang)} · {fmt_money(t.orders_sum, lang, k)}",
    )
    out += _product_list(
        _("<b>Fell most</b> (sum before → now)"),
        data.falls,
        lambda f: f"{fmt_money(f.previous_sum, lang, k)} → {fmt_money(f.orders_sum, lang, k)}",
    )
    for title, rows in (
        (_("<b>Warehouses</b>"), data.warehouses),
        (_("<b>Regions</b>"), data.regions),
    ):
        if rows:
            out += ["", title]
            out += [
                f"{html.escape(r.name or '—')} — {fmt_int(r.orders, lang)} · "
                f"{fmt_money(r.orders_sum, lang, k)}"
                for r in rows[:SPLIT_ROWS]
            ]
    if data.partly_before_data and data.data_starts is not None:
        out += [
            "",
            _("Note: the stored data starts on {day}; earlier days count as zero.").format(
                day=fmt_day(data.data_starts.astimezone(data.zone).date(), lang)
            ),
        ]
    out += [
        "",
        data_freshness(data.as_of, data.zone, today, _, lang)
        + " · "
        + _("what the numbers mean: /report help"),
    ]
    return "\n".join(out)


def render_stock(
    lines: Sequence[StockLine],
    shop_label: str,
    updated: datetime | None,
    zone: tzinfo,
    lang: str,
    today: date,
    _: Translate,
) -> str:
    """The /stock message: the riskiest products first (the XLSX has them all). `_` is the
    handlers' gettext, which takes (singular, plural, n) too."""
    ngettext: Callable[..., str] = _
    out = [_("📦 <b>{shop}</b>: stock and days of cover").format(shop=html.escape(shop_label))]
    if not lines:
        out.append(_("No stock at WB warehouses."))
    for line in lines[:STOCK_ROWS]:
        if line.cover is None:
            tail = _("no orders in 14 days")
        else:
            if line.quantity <= 0:
                cover = _("out of stock")
            else:
                shown = formats.days(line.cover, lang)
                plural = formats.plural_count(shown)
                cover = ngettext("{days} day", "{days} days", plural).format(days=shown)
            ordered = _("orders in 14 days: {count}").format(count=fmt_int(line.orders_14d, lang))
            tail = f"{ordered} · {cover}"
        name = _name(line.vendor_code, line.subject, "", line.nm_id)
        place = f" · {html.escape(line.warehouse)}" if line.warehouse else ""
        out.append(f"{name}{place}: <b>{fmt_int(line.quantity, lang)}</b> · {tail}")
    if len(lines) > STOCK_ROWS:
        out.append(
            _("…and {count} more in the Excel file.").format(
                count=fmt_int(len(lines) - STOCK_ROWS, lang)
            )
        )
    out.append("")
    out.append(
        _(
            "Days of cover = stock at all WB warehouses ÷ average daily orders over the last "
            "14 days, the same number as in the low-stock alert."
        )
    )
    if updated is not None:
        out.append(_("Stock as of {time}").format(time=fmt_stamp(updated, zone, today, lang)))
    return "\n".join(out)
