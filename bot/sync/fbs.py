"""New FBS orders from marketplace-api (orders/new): the seller's own warehouses, in real time.
Silent until the orders job has its baseline, so orders before /connect are not news."""

from __future__ import annotations

import time

from bot.events import OrderPlaced
from bot.store.orders import insert_fbs_orders
from bot.store.outbox import NewEvent, add_events
from bot.store.polls import PollState, get_poll
from bot.store.rollups import refresh_rollups
from bot.store.shops import Shop
from bot.sync.flow import FlowEngine, poll_ok
from bot.sync.news import from_fbs
from bot.sync.schedule import next_slot
from bot.sync.skips import count_skips
from bot.wb.models import parse_fbs_orders


async def poll_fbs(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    raw = await engine.call(shop, "fbs_new", engine.wb.fbs_new, token)
    parsed = parse_fbs_orders({"orders": raw})
    orders_poll = await get_poll(engine.db, shop.id, "orders")
    silent = orders_poll is None or not orders_poll.baseline_done
    now = time.time()
    async with engine.tx() as conn:
        fresh = await insert_fbs_orders(conn, shop.id, parsed.rows)
        await refresh_rollups(
            conn, shop.id, {int(o.created_at.timestamp()) // 3600 * 3600 for o in fresh}
        )
        events = [] if silent else [NewEvent(from_fbs(OrderPlaced, o), o.rid) for o in fresh]
        await add_events(conn, shop.id, events, batch=f"{shop.id}:fbs:{now:.3f}", catch_up=False)
        await count_skips(conn, shop.id, "fbs", parsed)
        await poll_ok(
            conn, poll, now, next_due_at=next_slot(shop.id, poll.job, period, now), baseline_done=1
        )
