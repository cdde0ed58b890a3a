"""WB budgets across restarts and the tick's throughput: never a call WB would refuse, even
after a crash mid-call, and as many polls per second as the concurrency allows."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bot.store.polls import get_budget, put_budget
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
