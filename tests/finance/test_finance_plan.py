"""What the finance job asks WB for next: last week's report first (again after RETRY while WB
has not published it), then the weeks before, then this week's days, each within its pace."""

from __future__ import annotations

from datetime import date, timedelta

from bot.store.finance import DAILY, WEEKLY, FetchedPeriod
from bot.sync.finance import BACKFILL_WEEKS, DAILY_EVERY, RETRY, next_fetch

THURSDAY = date(2026, 12, 3)
MONDAY = date(2026, 11, 30)
NOW = 1_000_000.0


def week(back: int, *, complete: bool = True, at: float = NOW - 10) -> FetchedPeriod:
    monday = MONDAY - timedelta(weeks=back)
    return FetchedPeriod(
        WEEKLY,
        monday,
        monday + timedelta(days=6),
        0,
        0,
        complete,
        at,
        at,
        at if complete else None,
    )


def daily(started: float) -> FetchedPeriod:
    return FetchedPeriod(
        DAILY, MONDAY, THURSDAY - timedelta(days=1), 5, 9, True, started, started, started
    )


def plan(periods: list[FetchedPeriod], today: date = THURSDAY) -> tuple[str, date, date] | None:
    return next_fetch(periods, today, NOW, 1.0, DAILY_EVERY)


def test_last_week_first_then_the_weeks_before_then_this_weeks_days() -> None:
    last = (WEEKLY, date(2026, 11, 23), date(2026, 11, 29))
    assert plan([]) == last
    assert plan([week(1)]) == (WEEKLY, date(2026, 11, 16), date(2026, 11, 22))
    every_week = [week(n) for n in range(1, BACKFILL_WEEKS + 1)]
    assert plan(every_week) == (DAILY, MONDAY, date(2026, 12, 2))
    assert plan([*every_week, daily(NOW - DAILY_EVERY + 1)]) is None
    assert plan([*every_week, daily(NOW - DAILY_EVERY)]) == (DAILY, MONDAY, date(2026, 12, 2))
    # A Monday: WB has reported no day of the new week yet.
    assert plan(every_week, today=MONDAY) is None


def test_a_week_wb_has_not_published_is_asked_again_after_retry() -> None:
    older = [week(n) for n in range(2, BACKFILL_WEEKS + 1)]
    waiting = week(1, complete=False, at=NOW - RETRY + 1)
    # Not yet again: the rest goes on meanwhile.
    assert plan([waiting, *older]) == (DAILY, MONDAY, date(2026, 12, 2))
    again = week(1, complete=False, at=NOW - RETRY)
    assert plan([again, *older]) == (WEEKLY, date(2026, 11, 23), date(2026, 11, 29))
