"""The tick's claims: what a worker leases it starts, or gives back at its next claim."""

from __future__ import annotations

import asyncio

from bot.sync import engine as engine_module


async def test_a_tick_cancelled_while_its_claim_commits_runs_those_polls_at_the_next_tick(
    rig, monkeypatch
) -> None:
    """A worker does not claim its own live leases again (they are its running polls): a tick
    cancelled after its claim committed must give those polls back, or they wait out the lease
    (a minute) though they are due."""
    await rig.connect()
    read = engine_module.claim_polls
    committed = asyncio.Event()

    async def claim_then_stall(*args, **kwargs):
        claimed = await read(*args, **kwargs)
        committed.set()
        await asyncio.sleep(0.2)  # the tick is cancelled here: the polls are leased already
        return claimed

    monkeypatch.setattr(engine_module, "claim_polls", claim_then_stall)
    tick = asyncio.create_task(rig.engine.tick())
    await asyncio.wait_for(committed.wait(), 10)
    tick.cancel()
    await asyncio.gather(tick, return_exceptions=True)
    monkeypatch.setattr(engine_module, "claim_polls", read)
    await asyncio.sleep(0.3)  # the claim ends on its own

    await rig.engine.tick(budget=5)
    await rig.engine.idle()

    assert await rig.scalar("SELECT COUNT(*) FROM polls WHERE last_ok_at IS NULL") == 0
