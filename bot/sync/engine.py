"""The poller: a short tick claims the (shop, job) pairs that are due in the database and runs
each through the limiter; one transaction per page stores rows, cursor and the events they cause.

Why this shape: the database knows what is due, so a restart resumes where it stopped; the
limiter's state is saved after every call, so a restarted bot never calls WB sooner than the
running one would have; and a crash between fetch and commit only means the page is fetched
again, which the upserts and UNIQUE(shop_id, kind, ref) absorb.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import aiosqlite

from bot.config import Settings
from bot.crypto import CryptoError, Keyring
from bot.events import Buyout, KeyBack, KeyDead, OrderCancelled, OrderPlaced, Return
from bot.store import Database
from bot.store.db import bump
from bot.store.outbox import NewEvent, add_events
from bot.store.polls import (
    KEY_UNREADABLE,
    Budget,
    DuePoll,
    PollState,
    due_polls,
    get_budget,
    get_poll,
    put_budget,
    put_budgets,
    stock_no_data,
    update_poll,
)
from bot.store.rollups import refresh_rollups
from bot.store.shops import RECHECK, Shop, key_works_again, mark_dead, open_sealed
from bot.sync.finance import poll_finance
from bot.sync.news import from_fbs, from_feed, from_sale, from_statistics
from bot.sync.plan import JOBS, jobs_for, next_slot, period_of, token_type_of
from bot.sync.reviews import poll_reviews
from bot.sync.rows import (
    insert_fbs_orders,
    insert_feed_orders,
    replace_stock,
    upsert_orders,
    upsert_products,
    upsert_sales,
)
from bot.sync.stock_alerts import check_stock
from bot.timeutil import msk_to_utc, parse_utc, utc_to_msk_str
from bot.wb.client import (
    WBBadRequest,
    WBClient,
    WBError,
    WBRateLimited,
    WBUnauthorized,
)
from bot.wb.limiter import BucketState, Limiter
from bot.wb.methods import METHODS, limit_for
from bot.wb.models import (
    BadPayload,
    Order,
    Parsed,
    Sale,
    parse_cards,
    parse_fbs_orders,
    parse_feed_orders,
    parse_orders,
    parse_sales,
    parse_stock,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

BASELINE_DAYS = 90
CHUNK_ROWS = 2000  # rows per transaction: keeps any one commit well under 250 ms
STATUS_WAIT = 5.0  # seconds between warehouse_remains status checks (WB: 1 per 5 s)
TASK_GIVE_UP = 15 * 60.0  # a report task older than this is abandoned and created anew
# 204 "no data" this many times in a row, over at least this long: WB's shelves are empty.
NO_DATA_REPORTS = 3
NO_DATA_SPAN = 6 * 3600.0
BACKOFF_BASE = 5.0
CARDS_PAGE = 100
CURSOR_OVERLAP = timedelta(minutes=10)
FEED_FIRST = timedelta(days=1)  # the order feed's first window: statistics holds the 90 days
FEED_OVERLAP = timedelta(minutes=2)  # the feed is real time, but WB builds it asynchronously
FEED_REACH = timedelta(days=31) - timedelta(minutes=5)  # WB: "не ранее 31 суток"
FEED_PAGE = 1000
FUTURE_SLACK = timedelta(hours=1)
ESSENTIAL_JOBS = frozenset({"orders", "sales"})
CRYPTO_RETRY_SECONDS = 600.0  # a key comes back only with a restart; the retry is cheap
PAGING = "paging"  # polls.task while the last page moved the cursor: more rows may wait
PAGING_CATCH_UP = "paging:catch_up"  # the same, after downtime: every page joins the digest


class NotYet(Exception):
    """The limiter says this call must wait; the poll is rescheduled, nothing is sent."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"wait {wait:.3f}s")
        self.wait = wait


class SyncEngine:
    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        wb: WBClient,
        limiter: Limiter,
        settings: Settings,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.wb = wb
        self.limiter = limiter
        self.settings = settings
        self.scale = settings.wb_rate_scale
        self._running: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._loaded: set[tuple[int, str]] = set()
        self._semaphore = asyncio.Semaphore(settings.sync_concurrency)
        self.tick_budget = settings.tick_seconds * 0.8
        self._dirty: set[tuple[int, str]] = set()  # WB budgets spent but not yet saved
        self._stopped = False
        self._saved: set[tuple[int, str]] = set()  # buckets this process has saved at least once

    # -- the tick ---------------------------------------------------------------------------

    async def tick(self, budget: float | None = None) -> int:
        """Starts the due polls that are not running; returns how many started.

        While a claim fills every free slot (more may be due) it waits for a running poll to
        end and claims again, for up to ``budget`` seconds (most of a tick): how many polls run
        per second is bounded by the concurrency and WB's answer time, not by the tick's length.
        Each (shop, job) starts at most once per tick, so a poll that stays due cannot spin.
        """
        deadline = time.monotonic() + (self.tick_budget if budget is None else budget)
        slots = self.settings.sync_concurrency * 4
        claimed: set[tuple[int, str]] = set()
        while not self._stopped:
            free = slots - len(self._running)
            if free > 0:
                limit = free + len(self._running) + 16
                polls = await due_polls(self.db, time.time(), limit)
                if self._stopped:
                    break
                waiting = [
                    d
                    for d in polls
                    if (d.poll.shop_id, d.poll.job) not in self._running
                    and (d.poll.shop_id, d.poll.job) not in claimed
                ]
                for due in waiting[:free]:
                    key = (due.poll.shop_id, due.poll.job)
                    claimed.add(key)
                    task = asyncio.create_task(self._guarded(due), name=f"poll {key}")
                    self._running[key] = task
                    task.add_done_callback(partial(self._finished, key))
                if not waiting or (len(polls) < limit and len(waiting) <= free):
                    break  # everything due has been claimed
            # Claim again once a quarter of the slots is free, not after every poll: each
            # claim is a query.
            while len(self._running) > slots * 3 // 4:
                left = deadline - time.monotonic()
                if left <= 0:
                    return len(claimed)
                await asyncio.wait(
                    set(self._running.values()),
                    timeout=left,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            if time.monotonic() >= deadline:
                break
        return len(claimed)

    def _finished(self, key: tuple[int, str], _task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)

    async def stop(self) -> None:
        """Cancels the polls under way; a tick still running claims nothing more."""
        self._stopped = True
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Waits for the polls under way (tests and the demo use it)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def _guarded(self, due: DuePoll) -> None:
        poll = due.poll
        async with self._semaphore:
            try:
                await self.run_poll(due)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug must not stop the poller: log it, count it, retry later.
                log.exception("poll %s/%s failed unexpectedly", poll.shop_id, poll.job)
                await self.db.bump("sync_unexpected_errors")
                await self._failed(poll, None, "internal error")

    # -- one poll ---------------------------------------------------------------------------

    async def run_poll(self, due: DuePoll) -> None:
        try:
            await self._run_poll(due)
        finally:
            # The job's last transaction normally carried its budgets; a path that ended
            # without one (an error between call and commit) saves them here.
            mine = [k for k in self._dirty if k[1].endswith(f"|{due.shop.seller_id}")]
            if mine:
                async with self._tx():
                    pass  # the transaction carries every unsaved budget

    async def _run_poll(self, due: DuePoll) -> None:
        poll, shop = due.poll, due.shop
        try:
            token = open_sealed(self.keyring, shop.id, shop.seller_id, due.sealed)
        except CryptoError as exc:
            # Our fault (a master key missing from the keyring, a damaged row), not the
            # seller's: the key at WB may be fine, so the shop is not marked dead and the owner
            # is not told to replace it. Counted, retried; /status shows the error.
            log.error("shop %s: its sealed WB key does not open: %s", shop.id, exc)
            await self.db.bump("sync_crypto_failures")
            await self._failed(poll, time.time() + CRYPTO_RETRY_SECONDS, KEY_UNREADABLE)
            return
        if token is None:
            return
        period = jobs_for(shop, self.scale).get(poll.job) or period_of(
            JOBS[poll.job], token_type_of(shop), self.scale
        )
        if period is None:
            return
        try:
            if poll.job == "orders":
                await self._statistics(shop, token, poll, period, orders=True)
            elif poll.job == "sales":
                await self._statistics(shop, token, poll, period, orders=False)
            elif poll.job == "fbs":
                await self._fbs(shop, token, poll, period)
            elif poll.job == "feed":
                await self._feed(shop, token, poll, period)
            elif poll.job == "stock":
                await self._stock(shop, token, poll, period)
            elif poll.job == "cards":
                await self._cards(shop, token, poll, period)
            elif poll.job == "reviews":
                await poll_reviews(self, shop, token, poll, period)
            elif poll.job == "finance":
                await poll_finance(self, shop, token, poll, period)
        except NotYet as wait:
            # A next page the budget holds back (a Base key: hours) comes as a new cycle that
            # looks back again, unless that page was cut inside the look-back itself.
            held = poll.task in (PAGING, PAGING_CATCH_UP) and not _behind(
                poll.cursor, poll.newest_change
            )
            await self._reschedule(poll, time.time() + wait.wait, end_paging=held)
        except WBUnauthorized as exc:
            if exc.reason == "scope" and poll.job not in ESSENTIAL_JOBS:
                # The key lost one optional category (say Marketplace): stop that job only;
                # orders and sales keep coming. /status shows why.
                log.warning("shop %s: WB refuses %s for this key's categories", shop.id, poll.job)
                await self._failed(poll, time.time() + 365 * 86400, "401: category not allowed")
            else:
                log.warning("shop %s: WB refused the key (%s)", shop.id, exc.reason)
                await self._dead(shop, exc.reason)
        except WBRateLimited as exc:
            await self._failed(
                poll, time.time() + exc.retry_after, f"429: retry {exc.retry_after}s"
            )
        except (WBError, BadPayload) as exc:
            log.warning("shop %s job %s: %s", shop.id, poll.job, exc)
            await self._failed(poll, None, str(exc), period=period)
        else:
            if shop.dead_reason == RECHECK and poll.job in ESSENTIAL_JOBS:
                await self._key_back(shop)

    async def _call(self, shop: Shop, name: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """One WB call within the shop's budget; the budget is saved whatever happens."""
        method = METHODS[name]
        limit = limit_for(method, token_type_of(shop), self.scale)
        if limit is None:
            raise WBBadRequest(403, f"{name} is not allowed for this token type")
        key = budget_key(shop, method.group)
        await self.load_budget(key, limit)
        wait = self.limiter.reserve(key, limit)
        if wait > 0:
            raise NotYet(wait)
        self._dirty.add(key)
        if self.limiter.bucket(key, limit).tokens < 1 or key not in self._saved:
            # Recorded before it goes when this call leaves WB's bucket empty, or when this
            # process has not saved the bucket yet (its first call, or the token load_budget
            # took for a call a crash may have lost): otherwise a crash mid-call would let
            # the restarted bot call WB too soon. Later calls that leave a token are recorded
            # with the poll's result, one poll per bucket at a time, so a crash loses at most
            # one, which load_budget counts.
            await self.save_budget(key)
        try:
            return await fn(*args, on_headers=partial(self.limiter.observe, key))
        except WBRateLimited as exc:
            self.limiter.on_rate_limited(key, exc.retry_after)
            await self.db.bump("wb_429")
            raise
        finally:
            self._dirty.add(key)  # WB's headers may have corrected it since: save that too

    async def load_budget(self, key: tuple[int, str], limit: Any) -> None:
        """Resumes a bucket from the database the first time this process uses it; /connect's
        checks (shop id 0) use it too, so WB's budget survives restarts everywhere.

        A call that left a token in the bucket is saved only with its poll's result, so the
        last crash may have lost one: whenever the saved bucket could have allowed such a call
        (two tokens or more by now), one is taken. That never delays the first call."""
        if key in self._loaded:
            return
        self._loaded.add(key)
        saved = await get_budget(self.db, *key)
        if saved is not None:
            self.limiter.load(key, limit, BucketState(*saved))
            now = time.time()
            bucket = self.limiter.bucket(key, limit, now)
            if bucket.tokens_at(now) >= 2:
                bucket.take(now)

    async def save_budget(self, key: tuple[int, str]) -> None:
        state = self.limiter.state(key)
        self._dirty.discard(key)
        if state is not None:
            await put_budget(self.db, *key, state.tokens, state.updated, state.blocked_until)
            self._saved.add(key)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction that also carries the WB budgets spent since the last one."""
        keys: list[tuple[int, str]] = []
        try:
            async with self.db.transaction() as conn:
                yield conn
                keys = list(self._dirty)
                await self._flush_budgets(conn, keys)
        except BaseException:
            self._dirty.update(keys)  # rolled back: they are still to be saved
            raise
        self._saved.update(keys)

    async def _flush_budgets(
        self, conn: aiosqlite.Connection, keys: Sequence[tuple[int, str]]
    ) -> None:
        rows: list[Budget] = []
        for key in keys:
            self._dirty.discard(key)
            state = self.limiter.state(key)
            if state is not None:
                rows.append((*key, state.tokens, state.updated, state.blocked_until))
        if rows:
            await put_budgets(conn, rows)

    # -- orders and sales ---------------------------------------------------------------------

    async def _statistics(
        self, shop: Shop, token: str, poll: PollState, period: float, *, orders: bool
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
        fetch = self.wb.orders if orders else self.wb.sales
        raw = await self._call(shop, name, fetch, token, date_from)
        parsed: Parsed[Order] | Parsed[Sale] = parse_orders(raw) if orders else parse_sales(raw)
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
        catch_up = self._catching_up(poll, period, started) or poll.task == PAGING_CATCH_UP
        batch = f"{shop.id}:{name}:{started:.3f}"
        done = time.time()
        next_due = done if more else next_slot(shop.id, poll.job, period, done)
        chunks = [rows[i : i + CHUNK_ROWS] for i in range(0, len(rows), CHUNK_ROWS)] or [[]]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            async with self._tx() as conn:
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
                        if not baseline or _since_connect(shop, o.date)
                    ]
                else:
                    new_sales, hours = await upsert_sales(conn, shop.id, chunk)  # type: ignore[arg-type]
                    events = [
                        NewEvent(from_sale(Return if s.is_return else Buyout, s), s.sale_id)
                        for s in new_sales
                        if not baseline or _since_connect(shop, s.date)
                    ]
                await refresh_rollups(conn, shop.id, hours, orders=orders)
                await add_events(conn, shop.id, events, batch=batch, catch_up=catch_up)
                if last:
                    await bump(conn, f"wb_rows_skipped_{name}", parsed.skipped)
                    await update_poll(
                        conn,
                        shop.id,
                        poll.job,
                        cursor=cursor,
                        newest_change=newest or None,
                        last_ok_at=done,
                        failures=0,
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

    def _catching_up(self, poll: PollState, period: float, now: float) -> bool:
        """After downtime the events found go out as one digest, not a flood."""
        if not poll.baseline_done or poll.last_ok_at is None:
            return False
        return now - poll.last_ok_at > 3 * period + 60 * self.scale

    # -- real-time FBS orders -----------------------------------------------------------------

    async def _fbs(self, shop: Shop, token: str, poll: PollState, period: float) -> None:
        raw = await self._call(shop, "fbs_new", self.wb.fbs_new, token)
        parsed = parse_fbs_orders({"orders": raw})
        orders_poll = await get_poll(self.db, shop.id, "orders")
        silent = orders_poll is None or not orders_poll.baseline_done
        now = time.time()
        async with self._tx() as conn:
            fresh = await insert_fbs_orders(conn, shop.id, parsed.rows)
            await refresh_rollups(
                conn, shop.id, {int(o.created_at.timestamp()) // 3600 * 3600 for o in fresh}
            )
            events = [] if silent else [NewEvent(from_fbs(OrderPlaced, o), o.rid) for o in fresh]
            await add_events(
                conn, shop.id, events, batch=f"{shop.id}:fbs:{now:.3f}", catch_up=False
            )
            await bump(conn, "wb_rows_skipped_fbs", parsed.skipped)
            await update_poll(
                conn,
                shop.id,
                poll.job,
                last_ok_at=now,
                failures=0,
                next_due_at=next_slot(shop.id, poll.job, period, now),
                baseline_done=1,
            )

    # -- the real-time order feed --------------------------------------------------------------

    async def _feed(self, shop: Shop, token: str, poll: PollState, period: float) -> None:
        """New orders (those with unconfirmed payment too, which statistics may never list) and
        cancellations within a minute. One alert per order whichever source sees it first: all
        sources store by `srid`, and only an order not stored yet is news."""
        started = time.time()
        state: dict[str, Any] = json.loads(poll.task) if poll.task else {}
        if not state:
            now = datetime.now(UTC)
            start = now - FEED_FIRST
            if poll.cursor is not None:
                start = parse_utc(poll.cursor) - FEED_OVERLAP
            state = {"start": max(start, now - FEED_REACH).isoformat(), "offset": 0}
        data = await self._call(
            shop,
            "order_feed",
            self.wb.order_feed,
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
        catch_up = self._catching_up(poll, period, started)
        done = time.time()
        async with self._tx() as conn:
            changes = await insert_feed_orders(conn, shop.id, parsed.rows)
            await refresh_rollups(conn, shop.id, changes.hours)
            # An order placed before /connect is history, whichever poll meets it first; its
            # cancellation is news once the feed's first load is done, as in statistics.
            events = [
                NewEvent(from_feed(OrderPlaced, o, changes.names), o.srid)
                for o in changes.new
                if _since_connect(shop, o.created_at)
            ] + [
                NewEvent(from_feed(OrderCancelled, o, changes.names), o.srid)
                for o in changes.cancelled
                if poll.baseline_done or _since_connect(shop, o.created_at)
            ]
            await add_events(
                conn, shop.id, events, batch=f"{shop.id}:feed:{started:.3f}", catch_up=catch_up
            )
            await bump(conn, "wb_rows_skipped_feed", parsed.skipped)
            if more:
                state.update(
                    offset=state["offset"] + len(data["orders"]),
                    snapshot=state.get("snapshot") or data.get("snapshotTime"),
                    newest=newest.isoformat() if newest else None,
                )
                await update_poll(
                    conn,
                    shop.id,
                    poll.job,
                    task=json.dumps(state),
                    next_due_at=done,
                    last_ok_at=done,
                    failures=0,
                )
            else:
                # Everything up to WB's snapshot is in it: the next window starts there (less
                # the overlap), not at the last order, which would come again every minute.
                snapshot = state.get("snapshot") or data.get("snapshotTime")
                try:
                    taken = min(parse_utc(str(snapshot)), horizon) if snapshot else None
                except ValueError:
                    taken = None
                cursor = max([t for t in (newest, taken) if t is not None], default=None)
                await update_poll(
                    conn,
                    shop.id,
                    poll.job,
                    task=None,
                    cursor=cursor.isoformat() if cursor else poll.cursor,
                    newest_change=newest.isoformat() if newest else poll.newest_change,
                    last_ok_at=done,
                    failures=0,
                    baseline_done=1,
                    next_due_at=next_slot(shop.id, poll.job, period, done),
                )

    # -- stock: the warehouse_remains task flow -------------------------------------------------

    async def _stock(self, shop: Shop, token: str, poll: PollState, period: float) -> None:
        now = time.time()
        create_limit = limit_for(METHODS["stock_create"], token_type_of(shop), self.scale)
        give_up = max(
            TASK_GIVE_UP * self.scale, 3 * (create_limit.interval if create_limit else 0)
        )
        if poll.task is None or (now - (poll.task_started_at or now)) > give_up:
            task_id = await self._call(shop, "stock_create", self.wb.stock_create, token)
            async with self._tx() as conn:
                await update_poll(
                    conn,
                    shop.id,
                    poll.job,
                    task=task_id,
                    task_started_at=now,
                    next_due_at=now + STATUS_WAIT * self.scale,
                )
            return
        # Every token type asks for the status before downloading, Base too (4 per hour): a
        # download spent on an unfinished task is a quarter of a Base hour lost. A "done" must
        # be followable at once, so the status waits for the download's budget as well.
        await self._budget_wait(shop, "stock_download")
        status = await self._call(shop, "stock_status", self.wb.stock_status, token, poll.task)
        if status in ("purged", "canceled"):
            async with self._tx() as conn:
                await update_poll(conn, shop.id, poll.job, task=None, next_due_at=now)
            return
        if status != "done":
            async with self._tx() as conn:
                await update_poll(
                    conn, shop.id, poll.job, next_due_at=now + STATUS_WAIT * self.scale
                )
            return
        try:
            raw = await self._call(
                shop, "stock_download", self.wb.stock_download, token, poll.task
            )
        except WBBadRequest:
            # WB said done, then not ready: ask for the status again later.
            async with self._tx() as conn:
                await update_poll(
                    conn, shop.id, poll.job, next_due_at=now + STATUS_WAIT * 12 * self.scale
                )
            return
        if raw is None:
            await self._stock_no_data(shop, poll, period)
            return
        parsed = parse_stock(raw)
        done = time.time()
        async with self._tx() as conn:
            await replace_stock(conn, shop.id, parsed.rows)
            await bump(conn, "wb_rows_skipped_stock", parsed.skipped)
            await _stock_done(
                conn,
                shop,
                poll,
                next_slot(shop.id, poll.job, period, done),
                last_ok_at=done,
                newest_change=utc_to_msk_str(datetime.now(UTC)),
                cursor=None,
            )
        await self._stock_alerts(shop, done)

    async def _stock_alerts(self, shop: Shop, now: float) -> None:
        """A new snapshot is stored: the products running low queue their alerts. A failure
        here must not fail the poll (the snapshot is stored); the next snapshot tries again."""
        try:
            await check_stock(self.db, shop.id, now)
        except Exception:
            log.exception("stock alerts failed for shop %s", shop.id)

    async def _stock_no_data(self, shop: Shop, poll: PollState, period: float) -> None:
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
        empty = count >= NO_DATA_REPORTS and done - since >= NO_DATA_SPAN * self.scale
        log.info("shop %s: WB had no stock data (204), %d in a row", shop.id, count)
        async with self._tx() as conn:
            await bump(conn, "wb_stock_no_data", 1)
            if empty:
                await replace_stock(conn, shop.id, [])
            await _stock_done(
                conn,
                shop,
                poll,
                next_slot(shop.id, poll.job, period, done),
                cursor=json.dumps(
                    {"no_data_since": since, "no_data_count": count, "emptied": empty}
                ),
            )
        if empty:
            log.info("shop %s: 204 since %.0f read as an empty stock report", shop.id, since)
            await self._stock_alerts(shop, done)

    async def _budget_wait(self, shop: Shop, name: str) -> None:
        """Raises NotYet while the method's budget is empty; takes nothing from it."""
        limit = limit_for(METHODS[name], token_type_of(shop), self.scale)
        if limit is None:
            return
        key = budget_key(shop, METHODS[name].group)
        await self.load_budget(key, limit)
        wait = self.limiter.wait_time(key, limit)
        if wait > 0:
            raise NotYet(wait)

    # -- product cards ------------------------------------------------------------------------

    async def _cards(self, shop: Shop, token: str, poll: PollState, period: float) -> None:
        cursor = json.loads(poll.cursor) if poll.cursor else None
        raw, next_cursor = await self._call(
            shop, "cards", self.wb.cards_page, token, cursor, CARDS_PAGE
        )
        parsed = parse_cards(raw)
        now = time.time()
        last_page = int(next_cursor.get("total", 0) or 0) < CARDS_PAGE or not raw
        async with self._tx() as conn:
            await upsert_products(conn, shop.id, parsed.rows)
            await bump(conn, "wb_rows_skipped_cards", parsed.skipped)
            await update_poll(
                conn,
                shop.id,
                poll.job,
                failures=0,
                last_ok_at=now,
                cursor=None if last_page else json.dumps(next_cursor),
                baseline_done=int(poll.baseline_done or last_page),
                next_due_at=next_slot(shop.id, poll.job, period, now) if last_page else now,
            )

    # -- failures -----------------------------------------------------------------------------

    async def _reschedule(self, poll: PollState, when: float, *, end_paging: bool = False) -> None:
        async with self._tx() as conn:
            if end_paging:
                await update_poll(conn, poll.shop_id, poll.job, next_due_at=when, task=None)
            else:
                await update_poll(conn, poll.shop_id, poll.job, next_due_at=when)

    async def _failed(
        self, poll: PollState, when: float | None, error: str, period: float | None = None
    ) -> None:
        """5xx, timeouts and bad answers back off exponentially with jitter, capped at the
        job's period; a 429 waits exactly what WB said."""
        now = time.time()
        failures = poll.failures + 1
        if when is None:
            cap = period if period is not None else 3600 * self.scale
            delay = min(cap, BACKOFF_BASE * self.scale * 2 ** min(failures, 20))
            when = now + delay * random.uniform(0.5, 1.0)
        async with self._tx() as conn:
            await update_poll(
                conn,
                poll.shop_id,
                poll.job,
                next_due_at=when,
                failures=failures,
                last_error=error[:300],
                last_error_at=now,
            )

    async def _dead(self, shop: Shop, reason: str) -> None:
        """A 401: the key is dead. Polling stops and the owner hears it once."""
        if not await mark_dead(self.db, shop.id, reason, shop.token_fingerprint):
            return
        if shop.dead_reason == RECHECK:
            return  # dead before the recheck too: the owner was told then
        async with self._tx() as conn:
            await add_events(
                conn,
                shop.id,
                [
                    NewEvent(
                        KeyDead(reason=reason, shop_name=shop.name),
                        shop.token_fingerprint or "key",
                    )
                ],
                batch=f"{shop.id}:dead",
                catch_up=False,
            )

    async def _key_back(self, shop: Shop) -> None:
        """A shop paused because its stored key did not open has polled WB fine again."""
        async with self._tx() as conn:
            if await key_works_again(conn, shop):
                await add_events(
                    conn,
                    shop.id,
                    [
                        NewEvent(
                            KeyBack(shop_name=shop.name),
                            f"{shop.token_fingerprint or 'key'}:{time.time():.0f}",
                        )
                    ],
                    batch=f"{shop.id}:back",
                    catch_up=False,
                )
                log.info("shop %s: its WB key works again, polling resumed", shop.id)


def _behind(cursor: str | None, newest: str | None) -> bool:
    """The cursor sits before rows already seen: paging through the look-back."""
    try:
        return (
            cursor is not None and newest is not None and msk_to_utc(cursor) < msk_to_utc(newest)
        )
    except ValueError:
        return False


def _since_connect(shop: Shop, when: datetime) -> bool:
    return when.timestamp() > shop.connected_at


async def _stock_done(
    conn: aiosqlite.Connection, shop: Shop, poll: PollState, next_due: float, **values: Any
) -> None:
    """A report task is over (downloaded, with or without data): the next one is due at the
    next slot, and the first load counts as done either way."""
    await update_poll(
        conn,
        shop.id,
        poll.job,
        task=None,
        task_started_at=None,
        failures=0,
        baseline_done=1,
        next_due_at=next_due,
        **values,
    )


def budget_key(shop: Shop, group: str) -> tuple[int, str]:
    """WB counts requests per seller account, not per row of ours: a shop wiped and connected
    again (a new row) or a dead key replaced must find the budget it left."""
    return (0, f"{group}|{shop.seller_id}")


def start_sync(engine: SyncEngine, scheduler: Any, tick_seconds: float) -> None:
    """One APScheduler job ticks; no job per shop. Coalesce so a backlog runs once; a grace
    of a few ticks so a busy loop delays a tick rather than silently skipping it."""
    scheduler.add_job(
        engine.tick,
        "interval",
        seconds=tick_seconds,
        id="sync-tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, int(tick_seconds * 5)),
        next_run_time=datetime.now(UTC),
    )


__all__: Sequence[str] = ("SyncEngine", "start_sync")
