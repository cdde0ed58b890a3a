"""Token buckets per (shop, method group), mirroring WB's own and corrected by its headers.

The bucket arithmetic is pure (every method takes ``now``); :class:`Limiter` adds the clock, the
waiting and the keying. Time is wall-clock seconds (``time.time``) because bucket state is
persisted and must still mean the same after a restart.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from bot.wb.methods import Limit

#: Float slack so that a bucket refilled for exactly one interval counts as holding one token.
_EPSILON = 1e-9

#: The longest X-Ratelimit-Retry believed (a day): a hostile or garbled header must not park a
#: shop forever or overflow the arithmetic into infinity.
MAX_RETRY_SECONDS = 86_400.0

Key = tuple[int, str]  # (shop_id, method group)


class BucketState(NamedTuple):
    """What is persisted per (shop, group): enough to resume without calling WB early."""

    tokens: float
    updated: float
    blocked_until: float


@dataclass
class Bucket:
    """A token bucket: holds up to ``capacity`` requests and regains one every ``interval`` s.

    ``tokens`` is the content at time ``updated``; it may be negative (a debt that delays the
    next request), never above ``capacity``. ``blocked_until`` is WB's X-Ratelimit-Retry.
    """

    capacity: float
    interval: float
    tokens: float
    updated: float
    blocked_until: float = 0.0

    @classmethod
    def full(cls, limit: Limit, now: float) -> Bucket:
        return cls(
            capacity=float(limit.burst),
            interval=limit.interval,
            tokens=float(limit.burst),
            updated=now,
        )

    @classmethod
    def from_state(cls, limit: Limit, state: BucketState) -> Bucket:
        """A bucket for ``limit`` resumed from a persisted state (which may predate a change of
        limit: the content is clipped to the new capacity)."""
        tokens, updated, blocked_until = (_finite(v, 0.0) for v in state)
        return cls(
            capacity=float(limit.burst),
            interval=limit.interval,
            tokens=min(tokens, float(limit.burst)),
            updated=updated,
            blocked_until=blocked_until,
        )

    def to_state(self) -> BucketState:
        return BucketState(self.tokens, self.updated, self.blocked_until)

    def reconfigure(self, limit: Limit, now: float) -> None:
        """Adopt a new limit (the token type or WB_RATE_SCALE changed), keeping the content."""
        self._refill(now)
        self.capacity = float(limit.burst)
        self.interval = limit.interval
        self.tokens = min(self.tokens, self.capacity)

    def matches(self, limit: Limit) -> bool:
        return self.capacity == float(limit.burst) and math.isclose(self.interval, limit.interval)

    def tokens_at(self, now: float) -> float:
        """The content at ``now``. A clock that went back gives no refill (the safe side)."""
        elapsed = max(0.0, now - self.updated)
        return min(self.capacity, self.tokens + elapsed / self.interval)

    def wait_time(self, now: float) -> float:
        """Seconds until one request may go; 0 if it may go now."""
        wait = max(0.0, self.blocked_until - now)
        missing = 1.0 - self.tokens_at(now)
        if missing > _EPSILON:
            # Refill runs from `updated`, which is in the future if the clock went back.
            start = max(now, self.updated)
            wait = max(wait, start - now + missing * self.interval)
        return wait

    def take(self, now: float, cost: float = 1.0) -> None:
        """Record a request sent at ``now``. Callers check :meth:`wait_time` first; taking from an
        empty bucket leaves a debt, which only delays later requests."""
        self._refill(now)
        self.tokens -= cost

    def on_rate_limited(self, retry_after: float, now: float) -> None:
        """WB answered 429: empty the bucket and block until ``now + retry_after``.

        The next request may go at the later of ``now + retry_after`` (when WB's bucket holds
        one request again) and one full interval from now (our bucket refilled from empty).
        """
        retry_after = min(MAX_RETRY_SECONDS, max(0.0, _finite(retry_after, 0.0)))
        self._refill(now)
        self.tokens = min(self.tokens, 1.0 - retry_after / self.interval, 0.0)
        self.blocked_until = max(self.blocked_until, now + retry_after)

    def on_remaining(self, remaining: int, now: float) -> None:
        """WB's X-Ratelimit-Remaining (the burst left): lower ours to it, never raise it."""
        self._refill(now)
        self.tokens = min(self.tokens, float(max(0, remaining)))

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = self.tokens_at(now)
            self.updated = now


def _finite(value: float, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


class WaitTooLong(Exception):
    """:meth:`Limiter.acquire` would have to wait longer than the caller allows."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit: next request allowed in {wait:.0f} s")
        self.wait = wait


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively, for plain dicts as well as aiohttp's multidicts."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def parse_seconds(value: str | None) -> float | None:
    """A non-negative, finite number of seconds from a header, or None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


class Limiter:
    """Buckets keyed by (shop_id, method group), created full on first use.

    One limiter must cover every caller that spends a shop's WB budget (polls and user actions),
    within the process; across processes the lead persists :meth:`state` and :meth:`load`s it.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Key, Bucket] = {}

    def bucket(self, key: Key, limit: Limit, now: float | None = None) -> Bucket:
        """The bucket for ``key``, created full, or adjusted if ``limit`` changed."""
        now = self._clock() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket.full(limit, now)
        elif not bucket.matches(limit):
            bucket.reconfigure(limit, now)
        return bucket

    def load(self, key: Key, limit: Limit, state: BucketState) -> None:
        """Resume a bucket from the database."""
        self._buckets[key] = Bucket.from_state(limit, state)

    def state(self, key: Key) -> BucketState | None:
        bucket = self._buckets.get(key)
        return None if bucket is None else bucket.to_state()

    def states(self) -> dict[Key, BucketState]:
        return {key: bucket.to_state() for key, bucket in self._buckets.items()}

    def forget_shop(self, shop_id: int) -> None:
        for key in [k for k in self._buckets if k[0] == shop_id]:
            del self._buckets[key]

    def wait_time(self, key: Key, limit: Limit) -> float:
        """Seconds until a request for ``key`` may go; takes nothing."""
        now = self._clock()
        return self.bucket(key, limit, now).wait_time(now)

    def reserve(self, key: Key, limit: Limit, now: float | None = None) -> float:
        """0, taking a request, if one may go now; else the seconds to wait, taking nothing."""
        now = self._clock() if now is None else now
        bucket = self.bucket(key, limit, now)
        wait = bucket.wait_time(now)
        if wait <= 0:
            bucket.take(now)
        return wait

    async def acquire(self, key: Key, limit: Limit, max_wait: float | None = None) -> None:
        """Sleep until a request may go, then take it. Raises :class:`WaitTooLong` at once if
        the wait exceeds ``max_wait``."""
        while True:
            wait = self.reserve(key, limit)
            if wait <= 0:
                return
            if max_wait is not None and wait > max_wait:
                raise WaitTooLong(wait)
            await self._sleep(wait)

    def observe(self, key: Key, headers: Mapping[str, str]) -> None:
        """Correct the bucket from a WB response's X-Ratelimit-* headers (any status)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return
        now = self._clock()
        retry = parse_seconds(header_value(headers, "X-Ratelimit-Retry"))
        if retry is not None:
            bucket.on_rate_limited(retry, now)
        remaining = parse_seconds(header_value(headers, "X-Ratelimit-Remaining"))
        if remaining is not None:
            bucket.on_remaining(int(remaining), now)

    def on_rate_limited(self, key: Key, retry_after: float) -> None:
        """A 429 for ``key`` (with the retry the client settled on when WB sent none)."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.on_rate_limited(retry_after, self._clock())
