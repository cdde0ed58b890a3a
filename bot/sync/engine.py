"""The poller: a short tick claims the (shop, job) pairs that are due in the database and runs
each through its job's flow (bot.sync.plan.JOBS); every WB call goes through the limiter, and one
transaction per page stores rows, cursor and the events they cause. The engine keeps the tick,
the claiming, WB's budgets and the back-off; what a job fetches and stores is its flow's.

Why this shape: the database knows what is due, so a restart resumes where it stopped; the
limiter's state is saved after every call, so a restarted bot never calls WB sooner than the
running one would have; and a crash between fetch and commit only means the page is fetched
again, which the upserts and UNIQUE(shop_id, kind, ref) absorb.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar, cast

from bot.config import Settings
from bot.crypto import CryptoError, Keyring
from bot.events import KeyBack, KeyDead
from bot.store import Database
from bot.store.db import Conn
from bot.store.leases import new_worker_id
from bot.store.outbox import NewEvent, add_events
from bot.store.polls import (
    KEY_UNREADABLE,
    Budget,
    Claimed,
    DuePoll,
    PollState,
    claim_polls,
    get_budget,
    put_budgets,
    release_polls,
)
from bot.store.shops import RECHECK, Shop, key_works_again, mark_dead, open_sealed
from bot.sync.batch import GroupCommit, LazyTx
from bot.sync.flow import NotYet, set_poll
from bot.sync.plan import JOBS, jobs_for, period_of, token_type_of
from bot.wb.client import (
    WBBadRequest,
    WBClient,
    WBError,
    WBRateLimited,
    WBUnauthorized,
)
from bot.wb.limiter import BucketState, Limiter
from bot.wb.methods import METHODS, limit_for
from bot.wb.models import BadPayload

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_BASE = 5.0
CRYPTO_RETRY_SECONDS = 600.0  # a key comes back only with a restart; the retry is cheap
#: A poll stops calling WB when less than this share of its lease is left unrenewed: another
#: worker may take it over once the lease lapses.
LEASE_MARGIN = 0.25


class LeaseLost(Exception):
    """This worker's lease on a poll lapsed or was taken over: it must not call WB again."""


class SyncEngine:
    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        wb: WBClient,
        limiter: Limiter,
        settings: Settings,
        worker: str | None = None,
    ) -> None:
        self.db = db
        self.worker = worker or new_worker_id()
        self.lease_seconds = settings.lease_seconds
        self._lease_until: dict[int, float] = {}  # shop id -> lease end of its polls running here
        self._renewed_at = 0.0
        self._done: set[tuple[int, str]] = set()  # finished polls whose lease is to be freed
        # Each WB budget row as this process last wrote or read it: a different row at a claim
        # means another worker spent from it since, and the row is loaded again.
        self._seen: dict[tuple[int, str], tuple[float, float, float]] = {}
        self._fresh: dict[tuple[int, str], tuple[float, float, float] | None] = {}
        self.keyring = keyring
        self.wb = wb
        self.limiter = limiter
        self.settings = settings
        self.scale = settings.wb_rate_scale
        self._running: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._shop_polls: dict[int, int] = {}  # shop id -> how many of its polls run here
        self._slots = settings.sync_concurrency * 4
        self._waiter: asyncio.Future[bool] | None = None  # a tick waiting for free slots
        self._group = GroupCommit(self._tx_now)
        self._loaded: set[tuple[int, str]] = set()
        self._semaphore = asyncio.Semaphore(settings.sync_concurrency)
        self.tick_budget = settings.tick_seconds * 0.8
        self._dirty: set[tuple[int, str]] = set()  # WB budgets spent but not yet saved
        self._stopped = False
        self._saved: set[tuple[int, str]] = set()  # buckets this process has saved at least once
        self.polls_started = 0  # since the process started (the benchmarks divide by it)

    # -- the tick ---------------------------------------------------------------------------

    async def tick(self, budget: float | None = None) -> int:
        """Starts the due polls that are not running; returns how many started.

        While a claim fills every free slot (more may be due) it waits for a running poll to
        end and claims again, for up to ``budget`` seconds (most of a tick): how many polls run
        per second is bounded by the concurrency and WB's answer time, not by the tick's length.
        A tick claims only what was due when it began, and each (shop, job) starts at most once
        per tick, so a poll that stays due cannot spin.
        """
        deadline = time.monotonic() + (self.tick_budget if budget is None else budget)
        due_by = time.time()
        slots = self._slots
        claimed: set[tuple[int, str]] = set()
        while not self._stopped:
            free = slots - len(self._running)
            if free > 0:
                polls = await self._claim(free, due_by)
                if self._stopped:
                    self._done.update((d.poll.shop_id, d.poll.job) for d in polls)
                    break
                started = 0
                for due in polls:
                    key = (due.poll.shop_id, due.poll.job)
                    if key in claimed:
                        # It ended this tick without moving its due time: freed at the next
                        # claim, started again next tick.
                        self._done.add(key)
                        continue
                    claimed.add(key)
                    started += 1
                    self.polls_started += 1
                    task = asyncio.create_task(self._guarded(due), name=f"poll {key}")
                    self._running[key] = task
                    self._shop_polls[key[0]] = self._shop_polls.get(key[0], 0) + 1
                    task.add_done_callback(partial(self._finished, key))
                if started == 0 or len(polls) < free:
                    break  # everything due has been claimed
            # Claim again once a quarter of the slots is free, not after every poll: each
            # claim is a query.
            if len(self._running) > slots * 3 // 4:
                left = deadline - time.monotonic()
                if left <= 0 or not await self._slots_freed(left):
                    return len(claimed)
            if time.monotonic() >= deadline:
                break
        return len(claimed)

    async def _slots_freed(self, within: float) -> bool:
        """Waits until a quarter of the slots is free (True) or ``within`` seconds passed."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(within, _settle, waiter, False)
        try:
            return bool(await waiter)
        finally:
            timer.cancel()
            self._waiter = None

    def _finished(self, key: tuple[int, str], _task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)
        self._done.add(key)
        left = self._shop_polls.pop(key[0], 1) - 1
        if left > 0:
            self._shop_polls[key[0]] = left
        else:
            self._lease_until.pop(key[0], None)
        if self._waiter is not None and len(self._running) <= self._slots * 3 // 4:
            _settle(self._waiter, True)

    async def _claim(self, limit: int, due_by: float) -> list[DuePoll]:
        """`_claim_now`, seen through to its end: a tick cancelled while its claim commits
        (a stop, a test's round) must not leave polls leased to this worker that it never
        starts, which it would not claim again before the lease lapsed."""
        claim = asyncio.ensure_future(self._claim_now(limit, due_by))
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            claim.add_done_callback(self._give_back)
            raise

    def _give_back(self, claim: asyncio.Future[list[DuePoll]]) -> None:
        """What a claim nobody waits for leased is released by the next claim."""
        if not claim.cancelled() and claim.exception() is None:
            self._done.update((d.poll.shop_id, d.poll.job) for d in claim.result())

    async def _claim_now(self, limit: int, due_by: float) -> list[DuePoll]:
        """Leases due polls to this worker, in the transaction that frees the finished ones,
        renews the running ones (every third of a lease) and reads their sellers' WB budgets."""
        now = time.time()
        until = now + self.lease_seconds
        renew = list(self._running) if now - self._renewed_at > self.lease_seconds / 3 else []
        done = list(self._done)
        running_shops = set(self._shop_polls)
        claimed = await claim_polls(
            self.db,
            self.worker,
            now,
            until,
            limit,
            due_by=due_by,
            budget_keys=shop_budget_keys,
            renew=renew,
            release=done,
        )
        self._done.difference_update(done)
        if renew:
            self._renewed_at = now
            for key in renew:
                if key in claimed.renewed:
                    self._lease_until[key[0]] = until
                else:
                    log.warning("poll %s/%s: taken over by another worker", *key)
                    self._lease_until[key[0]] = 0.0
        self._take_budgets(claimed, running_shops)
        for due in claimed.polls:
            if due.poll.shop_id not in running_shops:
                self._lease_until[due.poll.shop_id] = until
        return claimed.polls

    def _take_budgets(self, claimed: Claimed, running_shops: set[int]) -> None:
        """The budget rows read with the claim replace this process's buckets wherever
        another worker wrote them since this one last did (a shop with a poll running here
        keeps its bucket: it was ours all along)."""
        for due in claimed.polls:
            if due.poll.shop_id in running_shops:
                continue
            for key in shop_budget_keys(due.shop):
                row = claimed.budgets.get(key)
                if row is not None and row != self._seen.get(key):
                    self._fresh[key] = row
                    self._loaded.discard(key)
                    self._saved.discard(key)

    async def stop(self) -> None:
        """Cancels the polls under way; a tick still running claims nothing more."""
        self._stopped = True
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await release_polls(self.db, self.worker)  # another worker need not wait the lease
        except Exception as exc:  # the database may be going away with the process
            log.warning("could not free this worker's polls: %s", exc)

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
                async with self.tx():
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
        job = JOBS[poll.job]
        period = jobs_for(shop, self.scale).get(poll.job) or period_of(
            job, token_type_of(shop), self.scale
        )
        if period is None:
            return
        try:
            await job.flow(self, shop, token, poll, period)
        except LeaseLost:
            # Another worker holds the poll now: it reschedules it; this one only stops.
            log.warning(
                "shop %s job %s: lease lost, the poll is left to its new worker", shop.id, poll.job
            )
            await self.db.bump("sync_lease_lost")
        except NotYet as wait:
            # The poll's task (a page to go on from, a look-back) waits with it.
            await set_poll(self, poll, next_due_at=time.time() + wait.wait)
        except WBUnauthorized as exc:
            if exc.reason == "scope" and not job.essential:
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
            if shop.dead_reason == RECHECK and job.essential:
                await self._key_back(shop)

    # -- what the flows use (bot.sync.flow.FlowEngine) -------------------------------------

    async def call(self, shop: Shop, name: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """One WB call within the shop's budget; the budget is saved whatever happens."""
        method = METHODS[name]
        limit = limit_for(method, token_type_of(shop), self.scale)
        if limit is None:
            raise WBBadRequest(403, f"{name} is not allowed for this token type")
        key = budget_key(shop, method.group)
        self.check_lease(shop)
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
        saved = self._fresh.pop(key) if key in self._fresh else await get_budget(self.db, *key)
        if saved is not None:
            self._seen[key] = saved
            self.limiter.load(key, limit, BucketState(*saved))
            now = time.time()
            bucket = self.limiter.bucket(key, limit, now)
            if bucket.tokens_at(now) >= 2:
                bucket.take(now)

    async def save_budget(self, key: tuple[int, str]) -> None:
        """Returns once the bucket's state is committed (with other polls' writes)."""
        if self.limiter.state(key) is not None:
            self._dirty.add(key)
            await self._group.commit([])

    def check_lease(self, shop: Shop) -> None:
        """Raises LeaseLost when this worker's lease on the shop's polls is (nearly) over: a
        worker that stalled past its lease must not call WB next to the one that took over."""
        until = self._lease_until.get(shop.id)
        if until is not None and time.time() > until - self.lease_seconds * LEASE_MARGIN:
            raise LeaseLost(shop.id)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Conn]:
        """A write transaction that also carries the WB budgets spent since the last one. One
        that only records the poll's new state is committed with other polls' (group commit,
        bot/sync/batch.py); it has committed when this returns either way."""
        lazy = LazyTx(self._tx_now)
        try:
            yield cast(Conn, lazy)
        except BaseException as exc:
            await lazy.end(type(exc), exc, exc.__traceback__)
            raise
        if lazy.is_open:
            await lazy.end(None, None, None)
        elif lazy.held or self._dirty:
            await self._group.commit(lazy.held)

    @asynccontextmanager
    async def _tx_now(self) -> AsyncIterator[Conn]:
        """The real transaction of `tx` and of the group commit."""
        keys: list[tuple[int, str]] = []
        rows: list[Budget] = []
        try:
            async with self.db.transaction() as conn:
                yield conn
                keys = list(self._dirty)
                rows = await self._flush_budgets(conn, keys)
        except BaseException:
            self._dirty.update(keys)  # rolled back: they are still to be saved
            raise
        self._saved.update(keys)
        for shop_id, group, tokens, updated, blocked in rows:
            self._seen[(shop_id, group)] = (tokens, updated, blocked)

    async def _flush_budgets(self, conn: Conn, keys: Sequence[tuple[int, str]]) -> list[Budget]:
        rows: list[Budget] = []
        for key in keys:
            self._dirty.discard(key)
            state = self.limiter.state(key)
            if state is not None:
                rows.append((*key, state.tokens, state.updated, state.blocked_until))
        if rows:
            await put_budgets(conn, rows)
        return rows

    def catching_up(self, poll: PollState, period: float, now: float) -> bool:
        """After downtime the events found go out as one digest, not a flood."""
        if not poll.baseline_done or poll.last_ok_at is None:
            return False
        return now - poll.last_ok_at > 3 * period + 60 * self.scale

    async def budget_wait(self, shop: Shop, name: str) -> None:
        """Raises NotYet while the method's budget is empty; takes nothing from it."""
        limit = limit_for(METHODS[name], token_type_of(shop), self.scale)
        if limit is None:
            return
        key = budget_key(shop, METHODS[name].group)
        await self.load_budget(key, limit)
        wait = self.limiter.wait_time(key, limit)
        if wait > 0:
            raise NotYet(wait)

    # -- failures -----------------------------------------------------------------------------

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
        await set_poll(
            self,
            poll,
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
        async with self.tx() as conn:
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
        async with self.tx() as conn:
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


def _settle(waiter: asyncio.Future[bool], value: bool) -> None:
    if not waiter.done():
        waiter.set_result(value)


def budget_key(shop: Shop, group: str) -> tuple[int, str]:
    """WB counts requests per seller account, not per row of ours: a shop wiped and connected
    again (a new row) or a dead key replaced must find the budget it left."""
    return (0, f"{group}|{shop.seller_id}")


GROUPS = tuple(sorted({m.group for m in METHODS.values()}))


def shop_budget_keys(shop: Shop) -> list[tuple[int, str]]:
    """Every WB budget row the shop's polls may spend from."""
    return [budget_key(shop, group) for group in GROUPS]


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
