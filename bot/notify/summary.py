"""The daily summary: when it is due (the user's local time), what it holds, how it reads.

`queue_summaries` runs every minute: for each user whose local time has passed their summary time
and who has not had today's summary, it computes yesterday's numbers and queues them as one
'summary' event; the numbers travel in the event, so the message says what the store said at
that moment, however late it is sent. /summary shows today so far with the same text.
Every number is the one /report shows (bot.store.rollups, bot.reports.metrics).
"""

from __future__ import annotations

import html
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from bot import formats
from bot.clock import hhmm, parse_hhmm, zone_of
from bot.events import AtRisk, DayTotals, Summary, TopProduct
from bot.i18n import N_
from bot.money.alerts import new_reconciled_weeks
from bot.notify.checks import stock_left
from bot.notify.money import reconciled_lines
from bot.notify.reviews import unanswered_counts, unanswered_lines
from bot.notify.texts import LABELS, RenderContext, Rendered, cut_lines, number, renderer
from bot.reports.periods import Period
from bot.store import outbox, polls, rollups, stock, users
from bot.store import shops as store_shops
from bot.store.db import Database
from bot.store.outbox import EventRow
from bot.store.rollups import Totals
from bot.store.users import User
from bot.sync.stock_alerts import is_low, shop_forecasts

log = logging.getLogger(__name__)

DEFAULT_SUMMARY_TIME = dtime(9, 0)
TOP_PRODUCTS = 5
AT_RISK = 5
TITLE_CHARS = 50
HOUR = 3600

LABELS.update({Summary.kind: N_("daily summaries")})


# ------------------------------------------------------------------ when


def summary_due(user: User, now: float) -> date | None:
    """The user's local date when their summary is due now (local time at or past their
    summary time and today's not yet queued), else None."""
    local = datetime.fromtimestamp(now, zone_of(user.timezone))
    at = parse_hhmm(user.summary_time) or DEFAULT_SUMMARY_TIME
    today = local.date()
    if local.time() < at or user.last_summary_day == today.isoformat():
        return None
    if datetime.combine(today, at, local.tzinfo).timestamp() < user.created_at:
        return None  # a user who arrived after today's summary time starts tomorrow
    return today


@dataclass(frozen=True)
class DueSummary:
    user: User
    local_day: date


async def due_summaries(db: Database, now: float | None = None) -> list[DueSummary]:
    """Users (summary on, an active shop) whose daily summary is due now."""
    now = time.time() if now is None else now
    due = []
    for user in await users.summary_readers(db):
        day = summary_due(user, now)
        if day is not None:
            due.append(DueSummary(user, day))
    return due


async def queue_summaries(db: Database, now: float | None = None) -> int:
    """Queues every due summary (yesterday's numbers), each at most once per user and local day.
    Run every minute. Returns how many were queued."""
    now = time.time() if now is None else now
    queued = 0
    for item in await due_summaries(db, now):
        summary = await compute_summary(db, item.user, now, "yesterday")
        if await outbox.queue_summary(db, item.user.id, item.local_day.isoformat(), summary, now):
            queued += 1
    return queued


# ------------------------------------------------------------------ what


def _totals(value: DayTotals) -> Totals:
    return Totals(**asdict(value))


def _day_totals(value: Totals) -> DayTotals:
    """What the summary keeps of the totals (Totals may grow fields it does not show)."""
    return DayTotals(**{f.name: getattr(value, f.name) for f in fields(DayTotals)})


async def compute_summary(db: Database, user: User, now: float, period: str) -> Summary:
    """The numbers of the user's active shops for `period` ('yesterday' or 'today' so far),
    the same numbers the day before (up to the same time of day for 'today'), the top products,
    the products at risk of running out and how fresh WB's data is."""
    zone = zone_of(user.timezone)
    moment = datetime.fromtimestamp(now, UTC)
    today = moment.astimezone(zone).date()
    day = today - timedelta(days=1) if period == "yesterday" else today
    span = Period(period, day, day)
    start, end = span.bounds(zone, moment)
    previous_start, previous_end = span.previous_bounds(zone, moment)
    if period == "today":
        # Rollups count whole UTC hours and a bound is floored to its hour, so "until now" would
        # leave out the current hour's orders; nothing is stored after now, so end at its end.
        end, previous_end = _hour_end(end), _hour_end(previous_end)
    shops = await store_shops.active_shops_of(db, user.id)
    ids = [shop_id for shop_id, _name in shops]
    current = await rollups.totals(db, ids, start, end)
    previous = await rollups.totals(db, ids, previous_start, previous_end)
    top = await rollups.top_products(db, ids, start, end, TOP_PRODUCTS)
    as_of = await polls.data_as_of(db, ids)
    return Summary(
        period=period,
        day=day.isoformat(),
        until=min(end, moment).timestamp(),
        shops=tuple(name for _id, name in shops),
        current=_day_totals(current),
        previous=_day_totals(previous),
        top=tuple(
            TopProduct(
                nm_id=p.nm_id,
                supplier_article=p.supplier_article,
                title=p.title or p.subject,
                orders=p.orders,
                orders_sum=p.orders_sum,
            )
            for p in top
        ),
        at_risk=await at_risk(db, ids, user.stock_horizon_days, now),
        as_of=as_of.timestamp() if as_of else None,
        reviews=await unanswered_counts(db, shops, user.review_threshold),
        # A week WB's report has just come for, when it puts the estimate more than 10% off.
        reconciled=await new_reconciled_weeks(db, shops, now) if period == "yesterday" else (),
    )


async def at_risk(
    db: Database, shop_ids: Sequence[int], horizon_days: int, now: float
) -> tuple[AtRisk, ...]:
    """Products (not muted) that run out within the horizon, the soonest first."""
    forecasts = await shop_forecasts(db, shop_ids, now)
    muted = await stock.muted_products(db, shop_ids, now)
    titles = await stock.product_titles(db, shop_ids)
    risky = [
        (shop_id, p)
        for shop_id, products in forecasts.items()
        for p in products
        if (shop_id, p.nm_id) not in muted and is_low(p.cover, horizon_days)
    ]
    risky.sort(key=lambda item: (item[1].cover or 0.0, item[1].nm_id))
    return tuple(
        AtRisk(
            nm_id=p.nm_id,
            supplier_article=p.vendor_code,
            title=titles.get((shop_id, p.nm_id)) or p.subject,
            quantity=p.quantity,
            days_of_cover=round(p.cover or 0.0, 2),
        )
        for shop_id, p in risky[:AT_RISK]
    )


def _hour_end(moment: datetime) -> datetime:
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / HOUR) * HOUR, UTC)


# ------------------------------------------------------------------ how it reads


def _change(current: float, previous: float, shown_money: Callable[[float], str] | None) -> str:
    diff = current - previous
    if shown_money is not None:  # in kopecks, so the change is the difference of the sums shown
        diff = (formats.kopecks(current) - formats.kopecks(previous)) / 100
    shown = formats.signed(shown_money(diff) if shown_money else number(diff))
    if previous:
        shown += f", {formats.signed(formats.number(diff / previous * 100))}%"
    return shown


_SUMS = ("orders_sum", "buyouts_sum", "returns_sum", "cancels_sum")


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def summary_text(summary: Summary, ctx: RenderContext) -> str:
    _ = ctx.gettext
    now = _totals(summary.current)
    before = _totals(summary.previous)
    day = date.fromisoformat(summary.day)
    if summary.period == "today":
        until = datetime.fromtimestamp(summary.until, ctx.tz)
        lines = [
            _("📊 <b>Today so far</b> · {date}, until {time}").format(
                date=formats.day(day, ctx.language), time=hhmm(until)
            )
        ]
        against = _("against yesterday at this time")
    else:
        lines = [_("📊 <b>Summary for {date}</b>").format(date=formats.day(day, ctx.language))]
        against = _("against the day before")
    top = summary.top
    # Kopecks on every amount when any has them, so the top products add up as shown.
    with_kopecks = formats.has_kopecks(
        [getattr(t, name) for t in (now, before) for name in _SUMS] + [t.orders_sum for t in top]
    )

    def money(value: float) -> str:
        return formats.money(value, ctx.language, with_kopecks)

    if summary.shops:
        lines.append("🏪 " + html.escape(", ".join(summary.shops)))
    lines += [
        "",
        _("🛒 Orders: <b>{count}</b> · <b>{total}</b>").format(
            count=number(now.orders), total=money(now.orders_sum)
        ),
        "    "
        + _("{count}; {total} {against}").format(
            count=_change(now.orders, before.orders, None),
            total=_change(now.orders_sum, before.orders_sum, money),
            against=against,
        ),
        _("✅ Buyouts: {count} · {total}").format(
            count=number(now.buyouts), total=money(now.buyouts_sum)
        ),
        _("↩️ Returns: {count} · {total}").format(
            count=number(now.returns), total=money(now.returns_sum)
        ),
        _("❌ Cancellations: {count} · {total}").format(
            count=number(now.cancels), total=money(now.cancels_sum)
        ),
    ]
    rate = now.buyout_rate
    lines.append(
        _("🎯 Buyout rate: {rate}").format(rate=f"{rate * 100:.0f}%" if rate is not None else "—")
    )
    if top:
        lines += ["", _("🏆 <b>Top products</b>")]
        for i, item in enumerate(top, 1):
            lines.append(
                f"{i}. {html.escape(_short(item.title))} · "
                f"<code>{html.escape(_short(item.supplier_article))}</code> — "
                f"{number(item.orders)} · {money(item.orders_sum)}"
            )
    if summary.at_risk:
        lines += ["", _("⚠️ <b>May run out soon</b>")]
        for risky in summary.at_risk:
            lines.append(
                f"• {html.escape(_short(risky.title))} · "
                f"<code>{html.escape(_short(risky.supplier_article))}</code> — "
                f"{stock_left(risky, ctx)}"
            )
    lines += unanswered_lines(summary.reviews, ctx)
    lines += reconciled_lines(summary.reconciled, ctx)
    lines.append("")
    if summary.as_of:
        moment = datetime.fromtimestamp(summary.as_of, ctx.tz)
        stamp = f"{formats.day_month(moment.date(), ctx.language)} {moment:%H:%M}"
        lines.append(_("🕒 WB data as of {time}").format(time=stamp))
    else:
        lines.append(_("🕒 No data from WB yet: the first load is still running."))
    return cut_lines("\n".join(lines), ctx.limit)


@renderer(Summary)
def render_summary(events: Sequence[EventRow[Summary]], ctx: RenderContext) -> Rendered:
    texts = [summary_text(row.event, ctx) for row in events]
    return Rendered(cut_lines("\n\n".join(texts), ctx.limit))
