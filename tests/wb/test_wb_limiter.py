"""Token buckets per (shop, method group): never ahead of WB's own, corrected by WB's headers."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.wb.limiter import MAX_RETRY_SECONDS, Bucket, BucketState, Limiter, WaitTooLong
from bot.wb.methods import METHODS, Limit, TokenType, limit_for

ORDERS_PERSONAL = Limit(period=60.0, count=1, burst=10)
ORDERS_BASE = Limit(period=3 * 3600.0, count=1, burst=1)
KEY = (1, "statistics.orders")


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_full_bucket_allows_the_burst_then_one_per_interval() -> None:
    bucket = Bucket.full(ORDERS_PERSONAL, now=0.0)
    for _ in range(10):
        assert bucket.wait_time(0.0) == 0
        bucket.take(0.0)
    assert bucket.wait_time(0.0) == pytest.approx(60.0)
    assert bucket.wait_time(59.0) == pytest.approx(1.0)
    assert bucket.wait_time(60.0) == 0


def test_base_orders_bucket_waits_three_hours_after_a_call() -> None:
    bucket = Bucket.full(ORDERS_BASE, now=0.0)
    bucket.take(0.0)
    assert bucket.wait_time(1.0) == pytest.approx(3 * 3600.0 - 1.0)


def test_bucket_never_holds_more_than_its_burst() -> None:
    bucket = Bucket.full(ORDERS_PERSONAL, now=0.0)
    assert bucket.tokens_at(10 * 3600.0) == 10


def test_rate_limited_blocks_until_retry_after() -> None:
    bucket = Bucket.full(ORDERS_BASE, now=0.0)
    bucket.on_rate_limited(retry_after=5 * 3600.0, now=100.0)
    assert bucket.wait_time(100.0) == pytest.approx(5 * 3600.0)
    assert bucket.wait_time(100.0 + 5 * 3600.0) == 0


def test_rate_limited_empties_the_bucket_even_for_a_short_retry() -> None:
    bucket = Bucket.full(ORDERS_PERSONAL, now=0.0)
    bucket.on_rate_limited(retry_after=2.0, now=0.0)
    # Allowed after the later of the retry and one interval of refill from empty.
    assert bucket.wait_time(2.0) == pytest.approx(58.0)
    assert bucket.wait_time(60.0) == 0


def test_remaining_lowers_our_count_but_never_raises_it() -> None:
    bucket = Bucket.full(ORDERS_PERSONAL, now=0.0)
    bucket.take(0.0)
    bucket.on_remaining(3, now=0.0)
    assert bucket.tokens_at(0.0) == 3
    bucket.on_remaining(9, now=0.0)
    assert bucket.tokens_at(0.0) == 3
    bucket.on_remaining(-5, now=0.0)
    assert bucket.tokens_at(0.0) == 0
    assert bucket.wait_time(0.0) == pytest.approx(60.0)


def test_restart_from_saved_state_does_not_call_sooner() -> None:
    running = Bucket.full(ORDERS_BASE, now=0.0)
    running.take(0.0)
    running.on_rate_limited(100.0, now=10.0)
    saved = tuple(running.to_state())
    restored = Bucket.from_state(ORDERS_BASE, BucketState(*saved))
    for now in (10.0, 500.0, 3 * 3600.0 - 1, 3 * 3600.0):
        assert restored.wait_time(now) == running.wait_time(now)


def test_saved_state_is_clipped_to_a_smaller_new_burst() -> None:
    restored = Bucket.from_state(ORDERS_BASE, BucketState(10.0, 0.0, 0.0))
    assert restored.tokens_at(0.0) == 1


def test_garbage_state_does_not_crash() -> None:
    restored = Bucket.from_state(ORDERS_BASE, BucketState(math.nan, math.inf, -math.inf))
    assert restored.wait_time(0.0) >= 0


def test_a_clock_that_goes_back_gives_no_refill() -> None:
    bucket = Bucket.full(ORDERS_PERSONAL, now=1000.0)
    for _ in range(10):
        bucket.take(1000.0)
    assert bucket.wait_time(900.0) == pytest.approx(160.0)
    bucket.take(900.0)  # a forced call while the clock is behind still counts
    assert bucket.tokens_at(1000.0) == pytest.approx(-1.0)


def test_reserve_takes_only_when_it_returns_zero() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    assert limiter.reserve(KEY, ORDERS_BASE) == 0
    wait = limiter.reserve(KEY, ORDERS_BASE)
    assert wait == pytest.approx(3 * 3600.0)
    assert limiter.reserve(KEY, ORDERS_BASE) == pytest.approx(wait)
    clock.now += wait
    assert limiter.reserve(KEY, ORDERS_BASE) == 0


def test_buckets_are_per_shop_and_group() -> None:
    limiter = Limiter(clock=Clock())
    assert limiter.reserve((1, "statistics.orders"), ORDERS_BASE) == 0
    assert limiter.reserve((2, "statistics.orders"), ORDERS_BASE) == 0
    assert limiter.reserve((1, "statistics.sales"), ORDERS_BASE) == 0
    assert limiter.reserve((1, "statistics.orders"), ORDERS_BASE) > 0


async def test_acquire_sleeps_until_allowed_then_takes() -> None:
    clock = Clock(0.0)
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    limit = Limit(period=1.0, count=1, burst=1)
    await limiter.acquire(KEY, limit)
    await limiter.acquire(KEY, limit)
    await limiter.acquire(KEY, limit)
    assert clock.now == pytest.approx(2.0)


async def test_concurrent_acquires_share_one_budget() -> None:
    clock = Clock(0.0)
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    limit = Limit(period=1.0, count=1, burst=2)
    times: list[float] = []

    async def call() -> None:
        await limiter.acquire(KEY, limit)
        times.append(clock.now)

    await asyncio.gather(*(call() for _ in range(5)))
    times.sort()
    # Two at once, then one per second: never more than the bucket allows.
    for i, t in enumerate(times):
        assert t + 1e-9 >= max(0.0, i - 1.0)


async def test_acquire_refuses_a_wait_beyond_max_wait() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire(KEY, ORDERS_BASE)
    with pytest.raises(WaitTooLong) as caught:
        await limiter.acquire(KEY, ORDERS_BASE, max_wait=10.0)
    assert caught.value.wait == pytest.approx(3 * 3600.0)


def test_observe_reads_remaining_case_insensitively() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.reserve(KEY, ORDERS_PERSONAL)
    limiter.observe(KEY, {"x-ratelimit-remaining": "0"})
    assert limiter.wait_time(KEY, ORDERS_PERSONAL) == pytest.approx(60.0)


def test_observe_retry_header_blocks_the_bucket() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.reserve(KEY, ORDERS_PERSONAL)
    limiter.observe(KEY, {"X-Ratelimit-Retry": "600", "X-Ratelimit-Limit": "10"})
    assert limiter.wait_time(KEY, ORDERS_PERSONAL) == pytest.approx(600.0)


def test_an_absurd_retry_header_blocks_for_a_day_at_most() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.reserve(KEY, ORDERS_PERSONAL)
    limiter.observe(KEY, {"X-Ratelimit-Retry": "1e308"})
    assert limiter.wait_time(KEY, ORDERS_PERSONAL) == pytest.approx(MAX_RETRY_SECONDS)


def test_observe_ignores_garbage_headers_and_unknown_keys() -> None:
    limiter = Limiter(clock=Clock())
    limiter.observe((9, "nothing"), {"X-Ratelimit-Retry": "5"})
    assert limiter.state((9, "nothing")) is None
    limiter.reserve(KEY, ORDERS_PERSONAL)
    limiter.observe(KEY, {"X-Ratelimit-Retry": "soon", "X-Ratelimit-Remaining": "nan"})
    limiter.observe(KEY, {"X-Ratelimit-Retry": "-3", "X-Ratelimit-Remaining": "inf"})
    assert limiter.wait_time(KEY, ORDERS_PERSONAL) == 0


def test_on_rate_limited_uses_the_clients_retry() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.reserve(KEY, ORDERS_PERSONAL)
    limiter.on_rate_limited(KEY, 60.0)
    assert limiter.wait_time(KEY, ORDERS_PERSONAL) == pytest.approx(60.0)


def test_state_and_load_survive_a_restart() -> None:
    clock = Clock()
    first = Limiter(clock=clock)
    first.reserve(KEY, ORDERS_BASE)
    saved = first.states()
    clock.now += 60.0
    second = Limiter(clock=clock)
    for key, state in saved.items():
        second.load(key, ORDERS_BASE, state)
    assert second.wait_time(KEY, ORDERS_BASE) == pytest.approx(3 * 3600.0 - 60.0)


def test_a_changed_limit_reconfigures_the_bucket_keeping_its_content() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.reserve(KEY, ORDERS_BASE)
    # The shop switched to a Personal token: the faster limit applies, the empty bucket stays.
    assert limiter.wait_time(KEY, ORDERS_PERSONAL) == pytest.approx(60.0)


def test_forget_shop_drops_only_that_shop() -> None:
    limiter = Limiter(clock=Clock())
    limiter.reserve((1, "a"), ORDERS_BASE)
    limiter.reserve((2, "a"), ORDERS_BASE)
    limiter.forget_shop(1)
    assert limiter.state((1, "a")) is None
    assert limiter.state((2, "a")) is not None


def test_limiter_works_with_the_method_table() -> None:
    limit = limit_for(METHODS["orders"], TokenType.BASE, scale=0.001)
    assert limit is not None
    limiter = Limiter(clock=Clock())
    key = (7, METHODS["orders"].group)
    assert limiter.reserve(key, limit) == 0
    assert limiter.reserve(key, limit) == pytest.approx(10.8)


class WBBucket:
    """WB's side, as wb-api.md §3.1 describes it: refills continuously, rejects when empty."""

    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now

    def request(self, now: float) -> bool:
        elapsed = now - self.updated
        self.tokens = min(self.limit.burst, self.tokens + elapsed / self.limit.interval)
        self.updated = now
        if self.tokens < 1 - 1e-6:
            return False
        self.tokens -= 1
        return True

    def remaining(self) -> int:
        return max(0, math.floor(self.tokens + 1e-6))


@settings(max_examples=300)
@given(
    period=st.floats(min_value=0.5, max_value=10_000),
    count=st.integers(min_value=1, max_value=300),
    burst=st.integers(min_value=1, max_value=20),
    steps=st.lists(st.tuples(st.floats(min_value=0, max_value=100), st.booleans()), max_size=200),
)
def test_reserve_never_lets_a_request_through_that_wb_would_reject(
    period: float, count: int, burst: int, steps: list[tuple[float, bool]]
) -> None:
    limit = Limit(period=period, count=count, burst=burst)
    clock = Clock(0.0)
    limiter = Limiter(clock=clock)
    wb = WBBucket(limit, 0.0)
    for gap, observe in steps:
        clock.now += gap * limit.interval / 10
        if limiter.reserve(KEY, limit) == 0:
            assert wb.request(clock.now)
            if observe:
                limiter.observe(KEY, {"X-Ratelimit-Remaining": str(wb.remaining())})


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["take", "retry", "remaining", "wait"]),
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(min_value=-10, max_value=1000),
        ),
        max_size=50,
    )
)
def test_bucket_operations_never_raise_and_never_give_a_negative_wait(
    ops: list[tuple[str, float, float]],
) -> None:
    bucket = Bucket.full(ORDERS_PERSONAL, now=0.0)
    now = 0.0
    for op, value, step in ops:
        now += step
        if op == "take":
            bucket.take(now)
        elif op == "retry":
            bucket.on_rate_limited(value, now)
        elif op == "remaining" and math.isfinite(value):
            bucket.on_remaining(int(max(min(value, 1e6), -1e6)), now)
        wait = bucket.wait_time(now)
        assert wait >= 0 and math.isfinite(wait)
        assert bucket.tokens <= bucket.capacity
