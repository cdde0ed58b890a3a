"""What the money view tells unasked: products sold at a loss (a 'loss' event, once a week per
product) and, in the daily summary, a week whose profit by WB's report turned out more than 10%
off the estimate, with the figures that made the difference.

The loss check looks at the last 7 whole WB days (Moscow days, up to yesterday): a product whose
profit per unit sold was below zero there, with at least `Settings.loss_min_sales` sold, is
alerted, and not again until 7 days later (the outbox ref names the product and the last day of
its week). Products without a cost price are never alerted: their profit is unknown, not
negative.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta

from bot.events import FigureGap, SoldAtLoss, WeekReconciled
from bot.money.view import load_money, shop_inputs
from bot.reports.profit import losing_products, reconcile, shop_period
from bot.store import finance
from bot.store import profit as store
from bot.store.db import Database
from bot.store.outbox import NewEvent, add_shop_events, recent_refs

log = logging.getLogger(__name__)

MSK = timedelta(hours=3)
LOSS_DAYS = 7
#: A report fetched whole within this long before a daily summary is new to it.
NEW_REPORT_SECONDS = 86_400.0
#: The figures a summary names as the reasons for a week's difference, at most.
GAPS_SHOWN = 3


def wb_today(now: float) -> date:
    return (datetime.fromtimestamp(now, UTC) + MSK).date()


async def check_losses(db: Database, min_sales: int, now: float | None = None) -> int:
    """Queues a 'loss' event per product sold at a loss over the last 7 WB days, in every active
    shop that has cost prices, at most once per product and ISO week. Returns how many were
    queued."""
    now = time.time() if now is None else now
    last = wb_today(now) - timedelta(days=1)
    first = last - timedelta(days=LOSS_DAYS - 1)
    queued = 0
    for shop_id in await store.shops_with_costs(db):
        view = await load_money(db, [shop_id], first, last)
        told = await _told_this_week(db, shop_id, last)
        events = []
        for product in losing_products(view.money, min_sales):
            if product.nm_id in told:
                continue
            name = view.name(product)
            figures = product.figures
            event = SoldAtLoss(
                nm_id=product.nm_id,
                supplier_article=name.article,
                title=name.title,
                first=first.isoformat(),
                last=last.isoformat(),
                sold=figures.sold,
                returned=figures.returned,
                revenue=figures.revenue,
                fees=figures.revenue - figures.to_be_paid,
                cost=product.cost or 0,
                tax=product.tax or 0,
                profit=product.profit or 0,
                estimated=product.estimated,
            )
            events.append(NewEvent(event, f"{product.nm_id}:{last.isoformat()}"))
        queued += await add_shop_events(db, shop_id, events, batch=f"{shop_id}:loss:{now:.0f}")
    if queued:
        log.info("queued %d sold-at-a-loss alerts", queued)
    return queued


async def _told_this_week(db: Database, shop_id: int, last: date) -> set[int]:
    """Products alerted for a week ending less than 7 days before `last` (refs "nm:day")."""
    told = set()
    since = time.time() - 4 * LOSS_DAYS * 86_400  # older refs cannot be this week's
    for ref in await recent_refs(db, shop_id, SoldAtLoss.kind, since):
        nm_id, _sep, day = ref.partition(":")
        try:
            if 0 <= (last - date.fromisoformat(day)).days < LOSS_DAYS:
                told.add(int(nm_id))
        except ValueError:
            continue  # not a ref this module wrote
    return told


async def reconcile_week(
    db: Database, shop_id: int, first: date, last: date
) -> tuple[int, int, tuple[FigureGap, ...], bool]:
    """A week by WB's report against the estimate the bot would have made without it (the fees
    learned from the reports before the week): (report profit, estimate profit, the figures
    that moved it, whether the difference is over 10%)."""
    by_report = shop_period(await shop_inputs(db, shop_id, first, last), first, last)
    guess = await shop_inputs(
        db, shop_id, first, last, estimate_only=True, learn_until=first - timedelta(days=1)
    )
    found = reconcile(by_report, shop_period(guess, first, last, estimate_only=True))
    gaps = tuple(FigureGap(name=g.name, effect=g.effect) for g in found.gaps[:GAPS_SHOWN])
    return found.report_profit, found.estimate_profit, gaps, found.significant


async def new_reconciled_weeks(
    db: Database, shops: list[tuple[int, str]], now: float
) -> tuple[WeekReconciled, ...]:
    """For the daily summary: each shop's weekly report fetched whole in the last day whose
    profit is more than 10% off the estimate."""
    found = []
    for shop_id, name in shops:
        for period in await finance.fetched_periods(db, shop_id):
            recent = period.completed_at is not None and (
                now - period.completed_at <= NEW_REPORT_SECONDS
            )
            if period.period != finance.WEEKLY or not period.complete or not recent:
                continue
            report, estimate, gaps, significant = await reconcile_week(
                db, shop_id, period.date_from, period.date_to
            )
            if significant:
                found.append(
                    WeekReconciled(
                        shop=name,
                        first=period.date_from.isoformat(),
                        last=period.date_to.isoformat(),
                        report_profit=report,
                        estimate_profit=estimate,
                        gaps=gaps,
                    )
                )
    return tuple(found)
