"""The real-time order feed (analytics-api): new orders, those with unconfirmed payment too,
and cancellations within a minute, paged by offset within one WB snapshot.

A poll asks for the orders whose status time is at or after the cursor: the newest of WB's
`snapshotTime` and the newest status time it sent (WB's times are whole seconds, and an order of
the snapshot's very second may come after it). WB builds the feed asynchronously, so an order
may appear with a status time before the cursor; a look-back (bot.sync.lookback) finds it.

Late orders: an order WB starts to list at a moment when the cursor is at most FEED_OVERLAP
after its status time is stored, and alerted once if it is news, by the first look-back that
begins after that moment: within LOOK_BACK_EVERY (an hour) and a poll, or at the next poll of a
Base key (polled every 3 hours). A look-back reads from the cursor after the previous one,
less FEED_OVERLAP, so the cursor moving on meanwhile does not narrow it. This holds from the end
of the first window on and across restarts (the look-back is kept in the poll's task).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.events import OrderCancelled, OrderPlaced
from bot.store.outbox import NewEvent, add_events
from bot.store.polls import PollState
from bot.store.rollups import refresh_rollups
from bot.store.shops import Shop
from bot.sync.flow import FUTURE_SLACK, FlowEngine, poll_ok, since_connect
from bot.sync.lookback import LookBack, look_back_due
from bot.sync.news import from_feed
from bot.sync.rows import insert_feed_orders
from bot.sync.schedule import next_slot
from bot.sync.skips import count_skips
from bot.timeutil import parse_utc
from bot.wb.models import parse_feed_orders

FEED_FIRST = timedelta(days=1)  # the order feed's first window: statistics holds the 90 days
FEED_OVERLAP = timedelta(minutes=2)  # the feed is real time, but WB builds it asynchronously
FEED_REACH = timedelta(days=31) - timedelta(minutes=5)  # WB: "не ранее 31 суток"
FEED_PAGE = 1000


async def poll_feed(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    """New orders (those with unconfirmed payment too, which statistics may never list) and
    cancellations within a minute. One alert per order whichever source sees it first: all
    sources store by `srid`, and only an order not stored yet is news."""
    started = time.time()
    state: dict[str, Any] = json.loads(poll.task) if poll.task else {}
    last_look = LookBack.kept(state)
    if "offset" not in state:
        now = datetime.now(UTC)
        if poll.cursor is None:
            start = now - FEED_FIRST
        elif look_back_due(last_look, started, period, FEED_OVERLAP, engine.scale):
            since = last_look.since if last_look else poll.cursor
            start = parse_utc(since) - FEED_OVERLAP
            state["looking_back"] = started
        else:
            start = parse_utc(poll.cursor)
        state.update(start=max(start, now - FEED_REACH).isoformat(), offset=0)
    data = await engine.call(
        shop,
        "order_feed",
        engine.wb.order_feed,
        token,
        state["start"],
        state["offset"],
        FEED_PAGE,
        state.get("snapshot"),
    )
    parsed = parse_feed_orders(data)
    # Offset paging: WB's `limit` is the number of orders in the answer ("Количество
    # заказов в ответе"), so a page with fewer is the last of this snapshot.
    more = len(data["orders"]) >= FEED_PAGE
    horizon = datetime.now(UTC) + FUTURE_SLACK  # a glitch stamp must not become the cursor
    seen = [parse_utc(state["newest"])] if state.get("newest") else []
    stamps = [o.updated_at for o in parsed.rows if o.updated_at <= horizon]
    newest = max([*seen, *stamps], default=None)
    catch_up = engine.catching_up(poll, period, started)
    done = time.time()
    async with engine.tx() as conn:
        changes = await insert_feed_orders(conn, shop.id, parsed.rows)
        await refresh_rollups(conn, shop.id, changes.hours)
        # An order placed before /connect is history, whichever poll meets it first; its
        # cancellation is news once the feed's first load is done, as in statistics.
        events = [
            NewEvent(from_feed(OrderPlaced, o, changes.names), o.srid)
            for o in changes.new
            if since_connect(shop, o.created_at)
        ] + [
            NewEvent(from_feed(OrderCancelled, o, changes.names), o.srid)
            for o in changes.cancelled
            if poll.baseline_done or since_connect(shop, o.created_at)
        ]
        await add_events(
            conn, shop.id, events, batch=f"{shop.id}:feed:{started:.3f}", catch_up=catch_up
        )
        await count_skips(conn, shop.id, "feed", parsed)
        if more:
            state.update(
                offset=state["offset"] + len(data["orders"]),
                snapshot=state.get("snapshot") or data.get("snapshotTime"),
                newest=newest.isoformat() if newest else None,
            )
            await poll_ok(conn, poll, done, task=json.dumps(state), next_due_at=done)
        else:
            # Everything up to WB's snapshot is in it: the next window starts there, not at the
            # last order, which would come again every minute.
            snapshot = state.get("snapshot") or data.get("snapshotTime")
            try:
                taken = min(parse_utc(str(snapshot)), horizon) if snapshot else None
            except ValueError:
                taken = None
            held = parse_utc(poll.cursor) if poll.cursor else None
            cursor = max([t for t in (newest, taken, held) if t is not None], default=None)
            text = cursor.isoformat() if cursor else poll.cursor
            look = last_look
            if "looking_back" in state and text is not None:
                # One snapshot: the cursor now is the one after the look-back's first page.
                look = LookBack(text, float(state["looking_back"]))
            await poll_ok(
                conn,
                poll,
                done,
                task=json.dumps(look.fields()) if look else None,
                cursor=text,
                newest_change=newest.isoformat() if newest else poll.newest_change,
                baseline_done=1,
                next_due_at=next_slot(shop.id, poll.job, period, done),
            )
