"""Orders and sales from statistics-api (supplier/orders, supplier/sales).

A page is asked for from a cursor (the last row's verbatim lastChangeDate); one transaction
per chunk of rows stores them, the rollups, the events they cause and, with the last chunk,
the cursor. WB's page cap is approximate, so a short page is not taken for the last: paging
goes on until WB has nothing past what is held.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from bot.events import Buyout, OrderCancelled, OrderPlaced, Return
from bot.store.db import bump
from bot.store.outbox import NewEvent, add_events
from bot.store.polls import PollState
from bot.store.rollups import refresh_rollups
from bot.store.shops import Shop
from bot.sync.flow import FUTURE_SLACK, FlowEngine, poll_ok, since_connect
from bot.sync.news import from_sale, from_statistics
from bot.sync.rows import upsert_orders, upsert_sales
from bot.sync.schedule import next_slot
from bot.timeutil import msk_to_utc, utc_to_msk_str
from bot.wb.models import Order, Parsed, Sale

log = logging.getLogger(__name__)

BASELINE_DAYS = 90
CHUNK_ROWS = 2000  # rows per transaction: keeps any one commit well under 250 ms
CURSOR_OVERLAP = timedelta(minutes=10)
PAGING = "paging"  # polls.task while the last page moved the cursor: more rows may wait
PAGING_CATCH_UP = "paging:catch_up"  # the same, after downtime: every page joins the digest


async def poll_orders(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    await _statistics(engine, shop, token, poll, period, orders=True)


async def poll_sales(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    await _statistics(engine, shop, token, poll, period, orders=False)


def ends_paging(poll: PollState) -> bool:
    """The budget holds back a next page (a Base key: for hours): it comes as a new cycle that
    looks back again, unless that page was cut inside the look-back itself."""
    return poll.task in (PAGING, PAGING_CATCH_UP) and not _behind(poll.cursor, poll.newest_change)


async def _statistics(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float, *, orders: bool
) -> None:
    started = time.time()
    paging = poll.task in (PAGING, PAGING_CATCH_UP)
    if poll.cursor is None:
        since = datetime.now(UTC) - timedelta(days=BASELINE_DAYS)
        date_from = utc_to_msk_str(since)
    elif paging:
        date_from = poll.cursor  # the next page: exactly where the last one ended
    else:
        # A new cycle looks back a little: a row WB stamps with a lastChangeDate just
        # before the cursor (its clock, its batches) would otherwise be skipped for ever.
        # Rows seen again are absorbed by the upserts and UNIQUE events.
        date_from = utc_to_msk_str(msk_to_utc(poll.cursor) - CURSOR_OVERLAP)
    name = "orders" if orders else "sales"
    fetch = engine.wb.orders if orders else engine.wb.sales
    # The client parses the page as it decodes it: the body is gone before the rows come.
    parsed: Parsed[Order] | Parsed[Sale] = await engine.call(shop, name, fetch, token, date_from)
    rows: list[Order] | list[Sale] = parsed.rows
    # WB's page cap is "примерно 80000": a short page is not the last. Page on the last
    # row's lastChangeDate until WB has nothing past what we hold: an empty array, or a
    # page ending exactly at our cursor (`>=` repeats the boundary row). A page of a new
    # cycle that ends before the cursor was cut inside the look-back: page on from it.
    # A row stamped in the future (a WB glitch) must not drag the cursor past every real
    # order to come: such stamps are stored but never become the cursor.
    horizon = datetime.now(UTC) + FUTURE_SLACK
    stamps = [(r.last_change, r.last_change_raw) for r in rows if r.last_change <= horizon]
    floor = msk_to_utc(poll.cursor if poll.cursor is not None else date_from)
    more = bool(stamps) and stamps[-1][0] != floor
    cursor = stamps[-1][1] if more else (poll.cursor or date_from)
    newest = max([poll.newest_change or "", *(r.last_change_raw for r in rows)])
    baseline = not poll.baseline_done
    catch_up = engine.catching_up(poll, period, started) or poll.task == PAGING_CATCH_UP
    batch = f"{shop.id}:{name}:{started:.3f}"
    done = time.time()
    next_due = done if more else next_slot(shop.id, poll.job, period, done)
    chunks = [rows[i : i + CHUNK_ROWS] for i in range(0, len(rows), CHUNK_ROWS)] or [[]]
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        async with engine.tx() as conn:
            if orders:
                changes = await upsert_orders(conn, shop.id, chunk)  # type: ignore[arg-type]
                hours = changes.hours
                # The baseline is silent about what happened before /connect; an order
                # placed since is news even while the baseline still pages (a Base key
                # waits hours for the page that proves the baseline complete).
                events = [
                    NewEvent(from_statistics(kind, o), o.srid)
                    for kind, found in (
                        (OrderPlaced, changes.new),
                        (OrderCancelled, changes.cancelled),
                    )
                    for o in found
                    if not baseline or since_connect(shop, o.date)
                ]
            else:
                new_sales, hours = await upsert_sales(conn, shop.id, chunk)  # type: ignore[arg-type]
                events = [
                    NewEvent(from_sale(Return if s.is_return else Buyout, s), s.sale_id)
                    for s in new_sales
                    if not baseline or since_connect(shop, s.date)
                ]
            await refresh_rollups(conn, shop.id, hours, orders=orders)
            await add_events(conn, shop.id, events, batch=batch, catch_up=catch_up)
            if last:
                await bump(conn, f"wb_rows_skipped_{name}", parsed.skipped)
                await poll_ok(
                    conn,
                    poll,
                    done,
                    cursor=cursor,
                    newest_change=newest or None,
                    next_due_at=next_due,
                    baseline_done=int(poll.baseline_done or not more),
                    task=(PAGING_CATCH_UP if catch_up else PAGING) if more else None,
                )
    if parsed.skipped:
        log.warning(
            "shop %s %s: skipped %d bad rows (%s)",
            shop.id,
            name,
            parsed.skipped,
            dict(parsed.reasons),
        )


def _behind(cursor: str | None, newest: str | None) -> bool:
    """The cursor sits before rows already seen: paging through the look-back."""
    try:
        return (
            cursor is not None and newest is not None and msk_to_utc(cursor) < msk_to_utc(newest)
        )
    except ValueError:
        return False
