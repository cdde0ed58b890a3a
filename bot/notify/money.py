"""How the money alerts read: a product sold at a loss, and the summary's lines on a week whose
profit by WB's report differs from the estimate. Amounts are kopecks, written with their
kopecks (bot.reports.money.rub)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from bot import formats
from bot.events import SoldAtLoss, WeekReconciled
from bot.i18n import N_
from bot.notify.texts import (
    LABELS,
    RenderContext,
    Rendered,
    cut_lines,
    fit_list,
    product_lines,
    renderer,
)
from bot.reports.money import percent, rub, span_text
from bot.reports.profit import round_kopecks
from bot.store.outbox import EventRow

LABELS.update({SoldAtLoss.kind: N_("products sold at a loss")})

#: What each figure is called where a summary names why a week's profit moved.
GAP_NAMES = {
    "revenue": N_("revenue"),
    "commission": N_("WB commission"),
    "logistics": N_("logistics"),
    "storage": N_("storage"),
    "acceptance": N_("acceptance"),
    "penalties": N_("penalties"),
    "deductions": N_("deductions"),
    "additional": N_("additional payments"),
    "cost": N_("cost of goods"),
    "tax": N_("tax"),
}


def _name(loss: SoldAtLoss) -> str:
    return html.escape(loss.title or loss.supplier_article or f"nmId {loss.nm_id}")


def _days(loss: SoldAtLoss, ctx: RenderContext) -> str:
    span = (date.fromisoformat(loss.first), date.fromisoformat(loss.last))
    return span_text([span], ctx.language)


def _per_unit(loss: SoldAtLoss, ctx: RenderContext) -> str:
    return rub(round_kopecks(Fraction(loss.profit, max(loss.sold, 1))), ctx.language, True)


@renderer(SoldAtLoss)
def render_loss(events: Sequence[EventRow[SoldAtLoss]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    lang = ctx.language
    if len(events) == 1:
        loss = events[0].event
        lines = [
            _("📉 <b>Sold at a loss</b> · {shop}").format(shop=ctx.shop(events[0].shop_id)),
            *product_lines(_name(loss), html.escape(loss.supplier_article), loss.nm_id, _),
            _(
                "{days}: sold {sold}, returned {returned}; profit {profit}, {unit} per unit sold."
            ).format(
                days=_days(loss, ctx),
                sold=formats.number(loss.sold),
                returned=formats.number(loss.returned),
                profit=rub(loss.profit, lang, True),
                unit=_per_unit(loss, ctx),
            ),
            _("Revenue {revenue} − WB's fees {fees} − cost of goods {cost} − tax {tax}.").format(
                revenue=rub(loss.revenue, lang, True),
                fees=rub(loss.fees, lang, True),
                cost=rub(loss.cost, lang, True),
                tax=rub(loss.tax, lang, True),
            ),
        ]
        if loss.estimated:
            lines.append(_("Partly an estimate: WB's report for these days has not come yet."))
        lines.append(_("Check the price and the cost price; the whole picture: /profit week"))
        return Rendered(cut_lines("\n".join(lines), ctx.limit))
    head = _("📉 <b>{shop}</b>: sold at a loss — {count}").format(
        shop=ctx.shop(events[0].shop_id), count=formats.number(len(events))
    )
    items = [
        f"• {_name(row.event)} · <code>{html.escape(row.event.supplier_article)}</code> — "
        + _("{unit} per unit sold ({sold} sold)").format(
            unit=_per_unit(row.event, ctx), sold=formats.number(row.event.sold)
        )
        for row in events
    ]
    tail = _("Over {days}. The whole picture: /profit week").format(
        days=_days(events[0].event, ctx)
    )
    return Rendered(fit_list(head, items, tail, ctx.limit, _("+{count} more")))


def reconciled_lines(weeks: Sequence[WeekReconciled], ctx: RenderContext) -> list[str]:
    """The summary's lines on weeks WB's report put more than 10% off the estimate."""
    _ = ctx.gettext
    lang = ctx.language
    lines: list[str] = []
    for week in weeks:
        span = (date.fromisoformat(week.first), date.fromisoformat(week.last))
        difference = week.report_profit - week.estimate_profit
        change = formats.signed(rub(difference, lang, True))
        if week.estimate_profit:
            change += ", " + formats.signed(
                percent(Fraction(difference, abs(week.estimate_profit)), lang)
            )
        lines += [
            "",
            _(
                "📒 <b>WB's report for {days}</b> ({shop}): profit {report}, "
                "the estimate said {estimate} ({change})."
            ).format(
                days=span_text([span], lang),
                shop=html.escape(week.shop),
                report=rub(week.report_profit, lang, True),
                estimate=rub(week.estimate_profit, lang, True),
                change=change,
            ),
        ]
        if week.gaps:
            reasons = ", ".join(
                f"{_(GAP_NAMES.get(g.name, g.name))} {formats.signed(rub(g.effect, lang, True))}"
                for g in week.gaps
            )
            lines.append(_("What made the difference: {reasons}.").format(reasons=reasons))
    return lines
