"""A job is one registration in bot.sync.plan.JOBS: its pacing method, its token category and
its flow. The engine plans it for every shop whose key allows it, runs its flow through WB's
budget, and backs it off on a WB error, with nothing else to change."""

from __future__ import annotations

import time

import pytest

from bot.store.polls import update_poll
from bot.sync import plan
from bot.sync.plan import Job
from bot.sync.schedule import next_slot
from bot.wb.client import WBError
from bot.wb.methods import METHODS, Category

pytestmark = pytest.mark.asyncio


async def test_a_new_job_runs_once_registered_and_is_backed_off_like_the_others(rig, monkeypatch):
    runs: list[tuple[int, int]] = []
    fetched: list[int] = []

    async def probe(engine, shop, token, poll, period):
        """Fetches the first page of cards (through the engine's budget); fails once."""
        runs.append((shop.id, poll.failures))
        if len(runs) == 1:
            raise WBError("WB answered 500")
        cards, _cursor = await engine.call(shop, "cards", engine.wb.cards_page, token, None, 1)
        fetched.append(len(cards))
        done = time.time()
        async with engine.tx() as conn:
            await update_poll(
                conn,
                shop.id,
                poll.job,
                failures=0,
                last_ok_at=done,
                next_due_at=next_slot(shop.id, poll.job, period, done),
            )

    job = Job("probe", METHODS["cards"], Category.CONTENT, probe)
    monkeypatch.setitem(plan.JOBS, "probe", job)
    shop, _sid, _ = await rig.connect(categories=("content",))

    async def probed_twice():
        row = await rig.db.fetchone(
            "SELECT last_ok_at FROM polls WHERE shop_id = ? AND method = 'probe'", (shop.id,)
        )
        return row is not None and row[0] is not None

    await rig.run_until(probed_twice)
    # The WB error was the engine's to handle: counted, backed off, and the flow ran again.
    assert runs[:2] == [(shop.id, 0), (shop.id, 1)]
    assert fetched == [0]  # WB's answer through the engine: the shop has no cards yet
    # A shop whose key lacks the category never gets the job.
    other, _, _ = await rig.connect(acc=3, categories=("statistics",), user_id=2)
    assert "probe" not in plan.jobs_for(other, 1.0)
    assert all(shop_id == shop.id for shop_id, _failures in runs)
