"""Look-backs: when a cursor-paged job (orders, sales, the order feed) reads again from before
its cursor to find rows WB published late, and from where.

A poll asks WB only for what is past its cursor, so each row is downloaded once. A row WB
publishes after rows stamped later than it (its clocks, its batches) sits at or before the
cursor and only a look-back finds it. A look-back reads from where the cursor stood after the
previous look-back's first answer, less the job's overlap: the cursor never moves back, so a
row published since then, stamped at most the overlap before the cursor of that moment, lies
inside it however far newer rows have moved the cursor meanwhile. Looking back from the
current cursor instead would be cheaper and would lose such a row once the cursor moved on by
more than the overlap.

The price is that a look-back reads again every row since the previous one: about one more row
per new row, plus the overlap once per look-back. One look-back an hour keeps the overlap's
share small; a job polled no more often than its overlap looks back on every poll (a narrow
poll in between would save nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

LOOK_BACK_EVERY = timedelta(hours=1)  # wall clock, times WB_RATE_SCALE


@dataclass(frozen=True)
class LookBack:
    """The last look-back of a job, kept in its poll's task: the cursor after its first answer
    (the next look-back reads from there, less the overlap) and when it began."""

    since: str
    at: float

    @classmethod
    def kept(cls, state: Mapping[str, Any]) -> LookBack | None:
        since, at = state.get("back_from"), state.get("back_at")
        if isinstance(since, str) and isinstance(at, int | float):
            return cls(since, float(at))
        return None

    def fields(self) -> dict[str, Any]:
        return {"back_from": self.since, "back_at": self.at}


def look_back_due(
    last: LookBack | None,
    now: float,
    period: float,
    overlap: timedelta,
    scale: float,
    *,
    follow_up: bool = False,
) -> bool:
    """Whether this poll looks back: none on record yet (the first poll after the first load,
    or after an upgrade), an hour (scaled) since the last, a clock set back, or, at the start
    of a cycle, a job whose period is as long as its overlap. A follow-up (the page after one
    that brought rows) only reads past the cursor unless the hour is up, so a look-back's own
    follow-up never looks back again and a stream of follow-ups cannot put look-backs off."""
    if last is None or (period >= overlap.total_seconds() and not follow_up):
        return True
    return not 0 <= now - last.at < LOOK_BACK_EVERY.total_seconds() * scale
