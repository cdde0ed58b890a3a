"""WB budgets across restarts and the tick's throughput: never a call WB would refuse, even
after a crash mid-call, and as many polls per second as the concurrency allows."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bot.store.polls import get_budget, put_budget
from bot.store.shops import Shop
from bot.sync.engine import SyncEngine, budget_key
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.methods import METHODS, TokenType, limit_for
from tests.sync.conftest import settings_for

ORDERS = METHODS["orders"]


async def test_a_call_that_empties_the_bucket_is_saved_before_it_goes(rig) -> None:
    shop, sid, _ = await rig.connect(acc=int(TokenType.BASE))  # orders: 1 per 3 h, burst 1
    key = budget_key(shop, ORDERS.group)
    rig.wb.hang_next("orders", 30, sid=sid)
    poll = asyncio.create_task(rig.run_for(5))
    try:
        for _ in range(500):
            if rig.wb.requests_for(sid, "orders"):
                break
            await asyncio.sleep(0.01)
        # WB has the request and has not answered: a crash now must not forget the call.
        saved = await get_budget(rig.db, *key)
        assert saved is not None and saved[0] < 1
    finally:
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)


async def test_a_restart_counts_the_call_a_crash_may_have_lost(tmp_path, db, keyring) -> None:
    """Calls that leave tokens are saved with the poll's result; a crash between the call and
    the commit loses one, so a resumed bucket with room assumes it was made."""
    limit = limit_for(ORDERS, TokenType.PERSONAL, 1.0)  # one token a minute: none refills here
    assert limit is not None
    now = time.time()
    await put_budget(db, 0, "statistics.orders|roomy", 5.0, now, 0.0)
    await put_budget(db, 0, "statistics.orders|tight", 0.25, now, 0.0)
    async with aiohttp.ClientSession() as http:
        limiter = Limiter()
        client = WBClient(http, "http://127.0.0.1:9/{host}")  # never called
        engine = SyncEngine(db, keyring, client, limiter, settings_for(tmp_path))
        for key in ((0, "statistics.orders|roomy"), (0, "statistics.orders|tight")):
            await engine.load_budget(key, limit)
    later = time.time()
    roomy = limiter.bucket((0, "statistics.orders|roomy"), limit, later).tokens_at(later)
    tight = limiter.bucket((0, "statistics.orders|tight"), limit, later).tokens_at(later)
    assert roomy == pytest.approx(4.0, abs=0.05)  # one taken: the next call still goes at once
    assert tight == pytest.approx(0.25, abs=0.05)  # no call could have gone: nothing taken


async def test_one_tick_runs_more_polls_than_its_slots(tmp_path, db, keyring, rig) -> None:
    shops = [(await rig.connect(user_id=100 + i))[0] for i in range(12)]
    async with aiohttp.ClientSession() as http:
        settings = settings_for(tmp_path, sync_concurrency=1)  # 4 slots
        engine = SyncEngine(db, keyring, WBClient(http, rig.wb.url_template), Limiter(), settings)
        try:
            await engine.tick(budget=20)
            await engine.idle()
        finally:
            await engine.stop()
    done = await db.fetchone(
        "SELECT COUNT(*) FROM polls WHERE method = 'orders' AND last_ok_at IS NOT NULL"
    )
    assert done is not None and done[0] == len(shops)


class Killed(BaseException):
    """Stands for a SIGKILL while WB has the request: nothing after it runs in that process."""


def _shop() -> Shop:
    return Shop(
        id=1,
        seller_id="S",
        name="Shop",
        token_type=int(TokenType.PERSONAL),
        token_categories=0,
        token_read_only=True,
        token_expires_at=None,
        token_fingerprint="f",
        state="active",
        dead_reason=None,
        dead_at=None,
        alert_chat_id=None,
        baseline_done=True,
        connected_at=0.0,
    )


@pytest.mark.parametrize(
    ("saved_before", "kills"),
    [(False, 1), (True, 1), (True, 3)],
    ids=["first-call-of-a-new-key", "one-kill", "a-crash-loop"],
)
async def test_after_kills_mid_call_a_restarted_bot_never_calls_more_than_wb_allows(
    tmp_path, db, keyring, saved_before: bool, kills: int
) -> None:
    limit = limit_for(ORDERS, TokenType.PERSONAL, 1.0)  # burst 10, one a minute
    assert limit is not None
    key = budget_key(_shop(), ORDERS.group)
    if saved_before:
        await put_budget(db, *key, 10.0, time.time(), 0.0)

    async def killed(*_args: object, on_headers: object) -> None:
        raise Killed

    async with aiohttp.ClientSession() as http:

        def process() -> SyncEngine:  # a fresh bot process: nothing in memory
            client = WBClient(http, "http://127.0.0.1:9/{host}")  # never called
            settings = settings_for(tmp_path, wb_rate_scale=1.0)
            return SyncEngine(db, keyring, client, Limiter(), settings)

        for _ in range(kills):
            with pytest.raises(Killed):
                await process().call(_shop(), "orders", killed, "token")
        restarted = process()
        await restarted.load_budget(key, limit)
        at_once = 0
        while restarted.limiter.reserve(key, limit) <= 0:
            at_once += 1
    assert at_once <= 10 - kills  # every killed call reached WB; no refill in this time
