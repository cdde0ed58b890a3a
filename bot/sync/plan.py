"""The jobs (one registration each: the method that paces it, the token category it needs, its
flow), which of them a shop's token allows and how often each runs. The engine claims due polls
and runs each through its job's flow; the stable phase that spreads shops over a period is in
bot.sync.schedule."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.store import Database
from bot.store.polls import add_missing_polls, ensure_polls
from bot.store.shops import Shop, active_shops
from bot.sync import cards, fbs, feed, finance, reviews, statistics, stock, tariffs
from bot.sync.flow import Flow
from bot.sync.schedule import next_slot as next_slot
from bot.sync.schedule import token_type_of as token_type_of
from bot.wb.methods import METHODS, MINUTE, Category, Method, TokenType, poll_period


@dataclass(frozen=True)
class Job:
    name: str
    method: Method  # the call whose limit sets the pace
    category: Category | None  # None: any valid key (common-api)
    flow: Flow  # one poll of the job (bot.sync.flow)
    #: The shop's own data (orders, sales): a key refused here is dead, not missing a category,
    #: and a key reported dead comes back when these poll fine again.
    essential: bool = False


def _registry(*jobs: Job) -> dict[str, Job]:
    return {job.name: job for job in jobs}


def _statistics_job(name: str, flow: Flow) -> Job:
    """Orders and sales: the shop's own data, paged by a cursor."""
    return Job(
        name,
        METHODS[name],
        Category.STATISTICS,
        flow,
        essential=True,
    )


JOBS: dict[str, Job] = _registry(
    _statistics_job("orders", statistics.poll_orders),
    _statistics_job("sales", statistics.poll_sales),
    Job("stock", METHODS["stock_create"], Category.ANALYTICS, stock.poll_stock),
    Job("feed", METHODS["order_feed"], Category.ANALYTICS, feed.poll_feed),
    Job("fbs", METHODS["fbs_new"], Category.MARKETPLACE, fbs.poll_fbs),
    Job("cards", METHODS["cards"], Category.CONTENT, cards.poll_cards),
    Job("reviews", METHODS["feedbacks"], Category.FEEDBACKS, reviews.poll_reviews),
    Job("finance", METHODS["finance_detailed"], Category.FINANCE, finance.poll_finance),
    Job("tariffs", METHODS["tariffs_commission"], None, tariffs.poll_tariffs),
)


def period_of(job: Job, token_type: TokenType, scale: float) -> float | None:
    return poll_period(job.method, token_type, scale)


#: With the order feed alerting new orders and cancellations within a minute, supplier/orders
#: only fills in the details (article, region, discounts) of what WB itself refreshes about every
#: 30 minutes. Polled as often as its overlap, every poll looks back (bot.sync.lookback): about
#: 2 rows per order, against 2.2 for minute polls with an hourly look-back, and a late row within
#: 10 minutes instead of an hour.
ORDERS_BESIDE_FEED = 10 * MINUTE


def jobs_for(shop: Shop, scale: float) -> dict[str, float]:
    """The jobs this token allows, with their period in seconds."""
    token_type = token_type_of(shop)
    jobs = {}
    for job in JOBS.values():
        if job.category is not None and not shop.has_category(int(job.category)):
            continue
        period = period_of(job, token_type, scale)
        if period is not None:
            jobs[job.name] = period
    if "feed" in jobs and "orders" in jobs:
        jobs["orders"] = max(jobs["orders"], ORDERS_BESIDE_FEED * scale)
    return jobs


async def plan_shop(db: Database, shop: Shop, scale: float, now: float | None = None) -> None:
    """Called when a shop connects or its key changes: the first sync starts at once."""
    start = time.time() if now is None else now
    await ensure_polls(db, shop.id, {name: start for name in jobs_for(shop, scale)})


async def plan_new_jobs(db: Database, scale: float, now: float | None = None) -> int:
    """At start: a job the bot learned since a shop connected (reviews, say) starts at once for
    every active shop whose key allows it, without a new /connect; the jobs it had keep their
    cursors and due times. Returns how many polls were added."""
    start = time.time() if now is None else now
    added = 0
    for shop in await active_shops(db):
        added += await add_missing_polls(db, shop.id, dict.fromkeys(jobs_for(shop, scale), start))
    return added
