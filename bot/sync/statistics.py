"""Orders and sales from statistics-api (supplier/orders, supplier/sales).

A poll asks WB for the rows past its cursor (the newest lastChangeDate WB sent, verbatim,
stamps more than an hour in the future aside): `dateFrom` is the first millisecond after it,
since WB's `>=` would send the row at the cursor again on every poll. One transaction per chunk
of rows stores them, the rollups, the events they cause and, with the last chunk, the cursor.
WB's page cap is approximate, so a page is not taken for the last: the poll asks again at once
until WB has nothing past the cursor; a page big enough to have been cut goes on from its last
row's exact stamp, so rows sharing that stamp beyond the cut are not skipped.

Late rows (bot.sync.lookback): a row WB starts to serve at a moment when the cursor (WB's newest
lastChangeDate sent to us so far) is at most CURSOR_OVERLAP after the row's lastChangeDate is
stored, and alerted once if it is news, by the first look-back that begins after that moment:
at most LOOK_BACK_EVERY (an hour) after the previous one began, plus the wait for the poll's
slot and WB's budget; at the next poll of a job polled no more often than CURSOR_OVERLAP (a
Base key; orders beside the order feed). A look-back reads from the
cursor after the previous look-back's first page, less CURSOR_OVERLAP, so it holds however far
newer rows moved the cursor in between. This holds from the end of the first load on, across
restarts (the look-back is kept in the poll's task, which the engine leaves alone), and for a
row WB serves with the cursor's very stamp after we read past it. A row stamped further back
than CURSOR_OVERLAP behind the cursor is not caught (nor was it when every poll looked back).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.events import Buyout, OrderCancelled, OrderPlaced, Return
from bot.store.outbox import NewEvent, add_events
from bot.store.polls import PollState
from bot.store.rollups import refresh_rollups
from bot.store.shops import Shop
from bot.sync.flow import FUTURE_SLACK, FlowEngine, poll_ok, since_connect
from bot.sync.lookback import LookBack, look_back_due
from bot.sync.news import from_sale, from_statistics
from bot.sync.rows import upsert_orders, upsert_sales
from bot.sync.schedule import next_slot
from bot.sync.skips import count_skips
from bot.timeutil import MSK, msk_to_utc, utc_to_msk_str
from bot.wb.models import Order, Parsed, Sale

log = logging.getLogger(__name__)

BASELINE_DAYS = 90
CHUNK_ROWS = 2000  # rows per transaction: keeps any one commit well under 250 ms
CURSOR_OVERLAP = timedelta(minutes=10)
#: WB cuts a page at "примерно 80000" rows (12-reports.yaml, flag): a page this big may have
#: been cut inside a run of rows sharing its last stamp, so the next one starts at that stamp.
PAGE_MAY_BE_CUT = 1000


async def poll_orders(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    await _statistics(engine, shop, token, poll, period, orders=True)


async def poll_sales(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    await _statistics(engine, shop, token, poll, period, orders=False)


async def _statistics(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float, *, orders: bool
) -> None:
    started = time.time()
    state = _state(poll)
    last_look = LookBack.kept(state)
    looking_back = False
    if poll.cursor is None:
        since = datetime.now(UTC) - timedelta(days=BASELINE_DAYS)
        date_from = utc_to_msk_str(since)
    elif state.get("from"):
        date_from = str(state["from"])  # a page WB may have cut goes on at its last stamp
    elif look_back_due(
        last_look, started, period, CURSOR_OVERLAP, engine.scale, follow_up=bool(state.get("more"))
    ):
        looking_back = True
        since_cursor = last_look.since if last_look else poll.cursor
        date_from = utc_to_msk_str(msk_to_utc(since_cursor) - CURSOR_OVERLAP)
    else:
        date_from = just_after(poll.cursor)
    name = "orders" if orders else "sales"
    fetch = engine.wb.orders if orders else engine.wb.sales
    # The client parses the page as it decodes it: the body is gone before the rows come.
    parsed: Parsed[Order] | Parsed[Sale] = await engine.call(shop, name, fetch, token, date_from)
    rows: list[Order] | list[Sale] = parsed.rows
    # A row stamped in the future (a WB glitch) must not drag the cursor past every real
    # order to come: such stamps are stored but never become the cursor.
    horizon = datetime.now(UTC) + FUTURE_SLACK
    stamps = [(r.last_change, r.last_change_raw) for r in rows if r.last_change <= horizon]
    held = msk_to_utc(poll.cursor) if poll.cursor is not None else None
    cursor = poll.cursor or date_from
    newest_sent = max(stamps, default=None)
    if newest_sent is not None and (held is None or newest_sent[0] > held):
        cursor = newest_sent[1]
    # WB's page cap is "примерно 80000": a short page is not the last, so the poll asks again
    # at once while a page brought rows past what was held; a page big enough to have been
    # cut goes on at its last row's stamp (unless every row of it shares the stamp it began
    # at: then no page can get past it).
    cut = len(rows) + parsed.skipped >= PAGE_MAY_BE_CUT and bool(stamps)
    if cut and stamps[-1][0] == msk_to_utc(date_from):
        log.warning("shop %s %s: a page of one lastChangeDate did not move", shop.id, name)
        cut = False
    more = cut or any(held is None or stamp > held for stamp, _raw in stamps)
    newest = max([poll.newest_change or "", *(r.last_change_raw for r in rows)])
    baseline = not poll.baseline_done
    catch_up = engine.catching_up(poll, period, started) or bool(state.get("catch_up"))
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
                await count_skips(conn, shop.id, name, parsed)
                await poll_ok(
                    conn,
                    poll,
                    done,
                    cursor=cursor,
                    newest_change=newest or None,
                    next_due_at=next_due,
                    baseline_done=int(poll.baseline_done or not more),
                    task=_task(
                        cut=stamps[-1][1] if cut else None,
                        more=more,
                        catch_up=catch_up and more,
                        look=LookBack(cursor, started) if looking_back else last_look,
                    ),
                )


def just_after(stamp: str) -> str:
    """`dateFrom` for the rows after a WB time: its next whole millisecond, Moscow time.

    WB takes `dateFrom` "с точностью до секунд или миллисекунд" (12-reports.yaml,
    getV1SupplierOrders/getV1SupplierSales, parameter dateFrom) and answers `lastChangeDate >=`
    it, so the stamp itself would bring the row at the cursor back on every poll."""
    moment = msk_to_utc(stamp).astimezone(MSK)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    moment += timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}"


def _state(poll: PollState) -> dict[str, Any]:
    """The poll's task: the page to go on from, whether a follow-up is due, the catch-up flag,
    the last look-back."""
    if not poll.task:
        return {}
    try:
        state = json.loads(poll.task)
    except ValueError:
        # Before look-backs were kept the task was "paging" or "paging:catch_up": the next
        # page went on at the cursor.
        return {"from": poll.cursor, "more": True, "catch_up": poll.task.endswith("catch_up")}
    return state if isinstance(state, dict) else {}


def _task(*, cut: str | None, more: bool, catch_up: bool, look: LookBack | None) -> str | None:
    kept = {
        "from": cut,
        "more": more or None,
        "catch_up": catch_up or None,
        **(look.fields() if look else {}),
    }
    state = {k: v for k, v in kept.items() if v is not None}
    return json.dumps(state) if state else None
