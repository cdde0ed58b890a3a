"""Limits on /report and /stock: one of each per user at a time, and few heavy renders (chart,
Excel) at once for everyone, so one user's flood of requests cannot slow the others' down or
fill memory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: Chart and Excel rendering is pure-Python work under the GIL: a second render at once does
#: not finish sooner, it only takes time from the event loop that answers everyone else. One
#: slot per core beyond the one the loop needs, at least one (one on the 2-core box).
HEAVY_RENDERS = max(1, (os.cpu_count() or 2) - 1)


class ReportGate:
    def __init__(self, renders: int = HEAVY_RENDERS, exports: int = 1) -> None:
        # (user, kind) -> already told that it is on its way
        self._running: dict[tuple[int, str], bool] = {}
        self._renders = asyncio.Semaphore(renders)
        self._exports = asyncio.Semaphore(exports)

    def claim(self, user_id: int, kind: str = "report") -> bool:
        """True if the user has no request of this kind under way (it is now theirs until
        `release`)."""
        if (user_id, kind) in self._running:
            return False
        self._running[(user_id, kind)] = False
        return True

    def release(self, user_id: int, kind: str = "report") -> None:
        self._running.pop((user_id, kind), None)

    def first_nudge(self, user_id: int, kind: str = "report") -> bool:
        """True for the first request that finds the user's request of this kind under way: it
        gets the "being prepared" message; more requests in the same wait get nothing more."""
        if self._running.get((user_id, kind), True):
            return False
        self._running[(user_id, kind)] = True
        return True

    @asynccontextmanager
    async def render(self) -> AsyncIterator[None]:
        async with self._renders:
            yield

    @asynccontextmanager
    async def export(self) -> AsyncIterator[None]:
        """The every-order files, one at a time for everyone, in a lane of their own: a big
        shop's month takes a minute to write, and the reports' charts must not wait behind it."""
        async with self._exports:
            yield
