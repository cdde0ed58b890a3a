"""Stock from WB's warehouse_remains report: a task is created, its status asked for, and the
report downloaded once done; the snapshot replaces the shop's stock, and the products running
low queue their alerts (bot.sync.stock_alerts) right after."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from bot.store.db import Conn, bump
from bot.store.polls import PollState, stock_no_data, update_poll
from bot.store.shops import Shop
from bot.sync.flow import FlowEngine, set_poll
from bot.sync.rows import replace_stock
from bot.sync.schedule import next_slot, token_type_of
from bot.sync.skips import count_skips
from bot.sync.stock_alerts import check_stock
from bot.timeutil import utc_to_msk_str
from bot.wb.client import WBBadRequest
from bot.wb.methods import METHODS, limit_for
from bot.wb.models import parse_stock

log = logging.getLogger(__name__)

STATUS_WAIT = 5.0  # seconds between warehouse_remains status checks (WB: 1 per 5 s)
TASK_GIVE_UP = 15 * 60.0  # a report task older than this is abandoned and created anew
# 204 "no data" this many times in a row, over at least this long: WB's shelves are empty.
NO_DATA_REPORTS = 3
NO_DATA_SPAN = 6 * 3600.0


async def poll_stock(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    now = time.time()
    create_limit = limit_for(METHODS["stock_create"], token_type_of(shop), engine.scale)
    give_up = max(TASK_GIVE_UP * engine.scale, 3 * (create_limit.interval if create_limit else 0))
    if poll.task is None or (now - (poll.task_started_at or now)) > give_up:
        task_id = await engine.call(shop, "stock_create", engine.wb.stock_create, token)
        await set_poll(
            engine,
            poll,
            task=task_id,
            task_started_at=now,
            next_due_at=now + STATUS_WAIT * engine.scale,
        )
        return
    # Every token type asks for the status before downloading, Base too (4 per hour): a
    # download spent on an unfinished task is a quarter of a Base hour lost. A "done" must
    # be followable at once, so the status waits for the download's budget as well.
    await engine.budget_wait(shop, "stock_download")
    status = await engine.call(shop, "stock_status", engine.wb.stock_status, token, poll.task)
    if status in ("purged", "canceled"):
        await set_poll(engine, poll, task=None, next_due_at=now)
        return
    if status != "done":
        await set_poll(engine, poll, next_due_at=now + STATUS_WAIT * engine.scale)
        return
    try:
        raw = await engine.call(shop, "stock_download", engine.wb.stock_download, token, poll.task)
    except WBBadRequest:
        # WB said done, then not ready: ask for the status again later.
        await set_poll(engine, poll, next_due_at=now + STATUS_WAIT * 12 * engine.scale)
        return
    if raw is None:
        await _no_data(engine, shop, poll, period)
        return
    parsed = parse_stock(raw)
    done = time.time()
    async with engine.tx() as conn:
        await replace_stock(conn, shop.id, parsed.rows)
        await count_skips(conn, shop.id, "stock", parsed)
        await _stock_done(
            conn,
            poll,
            period,
            done,
            last_ok_at=done,
            newest_change=utc_to_msk_str(datetime.now(UTC)),
            cursor=None,
        )
    await _alerts(engine, shop, done)


async def _alerts(engine: FlowEngine, shop: Shop, now: float) -> None:
    """A new snapshot is stored: the products running low queue their alerts. A failure
    here must not fail the poll (the snapshot is stored); the next snapshot tries again."""
    try:
        await check_stock(engine.db, shop.id, now)
    except Exception:
        log.exception("stock alerts failed for shop %s", shop.id)


async def _no_data(engine: FlowEngine, shop: Shop, poll: PollState, period: float) -> None:
    """WB answered the finished report with 204 "Нет данных" (12-reports.yaml, download).

    The spec separates this answer from a 200 whose array is empty. An empty array is a
    report of nothing on WB's shelves (so what the shop had is now 0; see
    store.stock.replace_stock); one 204 says only that WB has no data to give, and wiping
    the stock on it would tell a seller "sold out" and fire alerts on a WB hiccup. So the
    old rows stay, with their own time, and /stock and /status say since when WB is silent.

    But the report lists only rows "при ненулевом quantity", so a shop whose whole stock at
    WB sold out may get nothing but 204 from then on; kept forever, the old numbers would
    hide the sell-out. The bounded rule: after NO_DATA_REPORTS 204s in a row spanning at
    least NO_DATA_SPAN (6 hours, a dozen reports at WB's 30-minute refresh; the last
    snapshot is older still, as it came before the first 204), the silence is read as an
    empty report: everything the shop had is 0 and the out-of-stock alerts go out."""
    done = time.time()
    run = stock_no_data(poll.cursor)
    since, count = (run.since, run.in_a_row + 1) if run else (done, 1)
    empty = count >= NO_DATA_REPORTS and done - since >= NO_DATA_SPAN * engine.scale
    log.info("shop %s: WB had no stock data (204), %d in a row", shop.id, count)
    async with engine.tx() as conn:
        await bump(conn, "wb_stock_no_data", 1)
        if empty:
            await replace_stock(conn, shop.id, [])
        await _stock_done(
            conn,
            poll,
            period,
            done,
            cursor=json.dumps({"no_data_since": since, "no_data_count": count, "emptied": empty}),
        )
    if empty:
        log.info("shop %s: 204 since %.0f read as an empty stock report", shop.id, since)
        await _alerts(engine, shop, done)


async def _stock_done(
    conn: Conn, poll: PollState, period: float, done: float, **values: Any
) -> None:
    """A report task is over (downloaded, with or without data, at ``done``): the next one is
    due at the next slot, and the first load counts as done either way."""
    await update_poll(
        conn,
        poll.shop_id,
        poll.job,
        task=None,
        task_started_at=None,
        failures=0,
        baseline_done=1,
        next_due_at=next_slot(poll.shop_id, poll.job, period, done),
        **values,
    )
