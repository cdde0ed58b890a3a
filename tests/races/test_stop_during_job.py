"""A stop (SIGTERM) while a scheduled job runs: the job ends, and nothing is logged as a crash.

APScheduler's own shutdown cancels the job runs under way and logs each cancelled run as a job
that raised, with a traceback; on a loaded machine the e2e stop caught a run that way."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from bot.app import heartbeat, shutdown
from bot.scheduler import Scheduler
from bot.sync import engine


def crashes(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info is not None
    ]


async def test_a_stop_while_the_heartbeat_runs_lets_it_end_without_a_traceback(
    app, monkeypatch, caplog
) -> None:
    entered = asyncio.Event()
    write = app.db.heartbeat

    async def slow_write() -> None:
        entered.set()
        await asyncio.sleep(0.2)  # the stop comes in here
        await write()

    monkeypatch.setattr(app.db, "heartbeat", slow_write)
    app.scheduler.add_job(
        heartbeat,
        "interval",
        seconds=60,
        args=[app],
        id="heartbeat",
        next_run_time=datetime.now(UTC),
    )
    app.scheduler.start()
    await asyncio.wait_for(entered.wait(), 30)

    await shutdown(app)

    assert app.settings.heartbeat_path.exists()  # the run went to its end
    assert not app.scheduler.running
    assert crashes(caplog) == []


async def test_a_stop_while_a_sync_tick_reads_the_due_polls_lets_it_end_without_a_traceback(
    app, monkeypatch, caplog
) -> None:
    """What the e2e log showed: SyncEngine.tick cancelled in its claim of the due polls,
    logged with a traceback."""
    entered = asyncio.Event()
    read = engine.claim_polls
    reads = 0

    async def slow_read(*args, **kwargs):
        nonlocal reads
        reads += 1
        entered.set()
        await asyncio.sleep(0.2)  # the stop comes in here
        return await read(*args, **kwargs)

    monkeypatch.setattr(engine, "claim_polls", slow_read)
    engine.start_sync(app.sync, app.scheduler, 60)
    app.scheduler.start()
    await asyncio.wait_for(entered.wait(), 30)

    await shutdown(app)

    assert reads == 1  # the tick ended after its read and claimed nothing more
    assert crashes(caplog) == []


async def test_a_job_that_outlasts_the_grace_is_cancelled_with_one_line(caplog) -> None:
    scheduler = Scheduler(timezone="UTC")
    entered = asyncio.Event()

    async def stuck() -> None:
        entered.set()
        await asyncio.Event().wait()

    scheduler.add_job(stuck, "date", run_date=datetime.now(UTC), id="stuck")
    scheduler.start()
    await asyncio.wait_for(entered.wait(), 30)

    await scheduler.stop(grace=0.1)
    await asyncio.sleep(0.05)  # APScheduler's done callback

    assert scheduler.runs == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "stuck did not end in time and was cancelled" in warnings[0]
    assert crashes(caplog) == []


async def test_a_stop_with_no_run_under_way_is_immediate(caplog) -> None:
    scheduler = Scheduler(timezone="UTC")
    ran: list[int] = []

    async def job() -> None:
        ran.append(1)

    scheduler.add_job(job, "interval", hours=1, id="job")
    scheduler.start()
    async with asyncio.timeout(1):
        await scheduler.stop()
    assert not scheduler.running and ran == []
    await scheduler.stop()  # a second stop does nothing
    assert crashes(caplog) == []
