"""Which jobs a shop's token allows, how often each runs, and the stable phase that spreads
shops over the period so a thousand shops never call WB in the same second."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from bot.store import Database
from bot.store.polls import add_missing_polls, ensure_polls
from bot.store.shops import Shop, active_shops
from bot.wb.methods import METHODS, MINUTE, Category, Method, TokenType, poll_period


@dataclass(frozen=True)
class Job:
    name: str
    method: Method  # the call whose limit sets the pace
    category: Category


JOBS: dict[str, Job] = {
    "orders": Job("orders", METHODS["orders"], Category.STATISTICS),
    "sales": Job("sales", METHODS["sales"], Category.STATISTICS),
    "stock": Job("stock", METHODS["stock_create"], Category.ANALYTICS),
    "feed": Job("feed", METHODS["order_feed"], Category.ANALYTICS),
    "fbs": Job("fbs", METHODS["fbs_new"], Category.MARKETPLACE),
    "cards": Job("cards", METHODS["cards"], Category.CONTENT),
    "reviews": Job("reviews", METHODS["feedbacks"], Category.FEEDBACKS),
    "finance": Job("finance", METHODS["finance_detailed"], Category.FINANCE),
}


def token_type_of(shop: Shop) -> TokenType:
    try:
        return TokenType(shop.token_type or TokenType.BASE)
    except ValueError:
        return TokenType.BASE


def period_of(job: Job, token_type: TokenType, scale: float) -> float | None:
    return poll_period(job.method, token_type, scale)


#: With the order feed alerting new orders and cancellations within a minute, supplier/orders
#: only fills in the details (article, region, discounts) of what WB itself refreshes about every
#: 30 minutes: polling it every minute would refetch its look-back for nothing.
ORDERS_BESIDE_FEED = 10 * MINUTE


def jobs_for(shop: Shop, scale: float) -> dict[str, float]:
    """The jobs this token allows, with their period in seconds."""
    token_type = token_type_of(shop)
    jobs = {}
    for job in JOBS.values():
        if not shop.has_category(int(job.category)):
            continue
        period = period_of(job, token_type, scale)
        if period is not None:
            jobs[job.name] = period
    if "feed" in jobs and "orders" in jobs:
        jobs["orders"] = max(jobs["orders"], ORDERS_BESIDE_FEED * scale)
    return jobs


def phase(shop_id: int, job: str, period: float) -> float:
    digest = hashlib.blake2b(f"{shop_id}|{job}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % 1_000_000) / 1_000_000 * period


def next_slot(shop_id: int, job: str, period: float, after: float) -> float:
    """The first time after `after` that falls on this (shop, job)'s phase of the period."""
    offset = phase(shop_id, job, period)
    cycles = (after - offset) // period + 1
    return cycles * period + offset


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
