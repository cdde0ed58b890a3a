"""APScheduler's asyncio scheduler with a stop that lets the job runs under way end.

`AsyncIOScheduler.shutdown()` cancels every run still going (a sync tick awaiting its query, a
heartbeat writing its file), and APScheduler logs each cancelled run as a job that raised, with a
traceback: an ordinary SIGTERM read like a crash. `Scheduler.stop()` pauses the scheduler (no run
starts any more), waits for the runs under way and shuts it down only then. A run still going
after the grace period is cancelled with one warning line.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.store.db import Database
from bot.store.leases import claim_run, finish_run

log = logging.getLogger(__name__)

#: How long a stop waits for the job runs under way (Docker kills 10 s after its SIGTERM).
STOP_GRACE_SECONDS = 5.0


class Scheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 ships no types
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._runs: dict[asyncio.Task[Any], str] = {}
        self._stopping = False

    def add_job(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        if inspect.iscoroutinefunction(func):
            func = self._tracked(func)
        return super().add_job(func, *args, **kwargs)

    def _tracked(
        self, func: Callable[..., Coroutine[Any, Any, Any]]
    ) -> Callable[..., Coroutine[Any, Any, Any]]:
        """``func`` noting its run while it goes, so that `stop` can wait for it."""
        name = getattr(func, "__qualname__", repr(func))

        @functools.wraps(func)
        async def run(*args: Any, **kwargs: Any) -> Any:
            task = asyncio.current_task()
            if task is not None:
                self._runs[task] = name
            try:
                return await func(*args, **kwargs)
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # The cancel came from `stop` after its grace: nothing failed, the bot stops.
                log.warning("stopping: job %s did not end in time and was cancelled", name)
                return None
            finally:
                if task is not None:
                    self._runs.pop(task, None)

        return run

    @property
    def runs(self) -> list[str]:
        """The names of the job runs under way."""
        return list(self._runs.values())

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """No run starts any more; the runs under way get up to ``grace`` seconds to end; then
        the scheduler shuts down (cancelling what is left)."""
        if not self.running:
            return
        self.pause()
        # A run submitted just before the pause has its task created but not yet started: one
        # turn of the loop and it has started and is counted.
        await asyncio.sleep(0)
        deadline = time.monotonic() + grace
        while self._runs:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.wait(set(self._runs), timeout=left)
        self._stopping = True
        self.shutdown(wait=False)
        # Let the cancelled runs (if any) take their cancellation before the connections close.
        await asyncio.sleep(0)


def once_per_period(
    db: Database,
    worker: str,
    job: str,
    seconds: float,
    lease_seconds: float,
    func: Callable[..., Coroutine[Any, Any, Any]],
    *args: Any,
) -> Callable[[], Coroutine[Any, Any, Any]]:
    """`func(*args)` as a scheduler job that runs once per period of `seconds` however many
    processes schedule it: APScheduler is only each process's timer (its job stores must never
    be shared between processes), and the run itself is claimed in the database
    (`scheduled_runs`, keyed by job and period). A process that dies mid-run leaves its claim
    to lapse, and another process runs that period again."""

    async def run_once() -> Any:
        now = time.time()
        period = str(int(now // seconds))
        if not await claim_run(db, job, period, worker, now, lease_seconds):
            return None
        result = await func(*args)
        await finish_run(db, job, period, worker, time.time())
        return result

    run_once.__qualname__ = f"once({job})"
    return run_once
