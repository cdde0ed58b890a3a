"""/report's period argument, in the user's local days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.periods import Period, PeriodError, PeriodProblem, parse_period

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("arg", "first", "last"),
    [
        ("", TODAY, TODAY),
        ("today", TODAY, TODAY),
        ("Yesterday", date(2026, 11, 22), date(2026, 11, 22)),
        ("week", date(2026, 11, 17), TODAY),
        ("month", date(2026, 10, 25), TODAY),
        ("неделя", date(2026, 11, 17), TODAY),
        ("2026-11-01 2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-11-05", date(2026, 11, 5), date(2026, 11, 5)),
        ("2026-11-20 2026-12-31", date(2026, 11, 20), TODAY),  # cut at today
        ("2026-08-26 2026-08-26", date(2026, 8, 26), date(2026, 8, 26)),  # 90th day back
    ],
)
def test_periods_are_inclusive_local_days(arg, first, last):
    period = parse_period(arg, TODAY)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("arg", "first", "last"),
    [
        ("сегодня", TODAY, TODAY),
        ("Вчера", date(2026, 11, 22), date(2026, 11, 22)),
        ("неделю", date(2026, 11, 17), TODAY),
        ("за неделю", date(2026, 11, 17), TODAY),
        ("месяц", date(2026, 10, 25), TODAY),
        ("за месяц", date(2026, 10, 25), TODAY),
        ("01.11.2026 15.11.2026", date(2026, 11, 1), date(2026, 11, 15)),
        ("1.11.26 15.11.26", date(2026, 11, 1), date(2026, 11, 15)),
        ("01.11 15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("01.11–15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("05.11.2026", date(2026, 11, 5), date(2026, 11, 5)),
        ("01.11.2026-15.11.2026", date(2026, 11, 1), date(2026, 11, 15)),
        ("01.11-15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("с 01.11.2026 по 15.11.2026", date(2026, 11, 1), date(2026, 11, 15)),
        ("С 1.11 до 15.11", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-11-01-2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("from 2026-11-01 to 2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
    ],
)
def test_russian_words_and_dates_are_periods_too(arg, first, last):
    period = parse_period(arg, TODAY)
    assert (period.first, period.last) == (first, last)


def test_a_day_without_a_year_is_the_last_one_that_has_passed():
    period = parse_period("20.12 05.01", date(2027, 1, 10))
    assert (period.first, period.last) == (date(2026, 12, 20), date(2027, 1, 5))


def test_week_and_month_have_seven_and_thirty_days_and_compare_with_as_many_before():
    week = parse_period("week", TODAY)
    assert week.days == 7
    assert (week.previous().first, week.previous().last) == (
        date(2026, 11, 10),
        date(2026, 11, 16),
    )
    assert parse_period("month", TODAY).days == 30


@pytest.mark.parametrize(
    ("arg", "problem"),
    [
        ("foo", PeriodProblem.USAGE),
        ("week please", PeriodProblem.USAGE),
        ("2026-11-01 2026-11-02 2026-11-03", PeriodProblem.USAGE),
        ("2026-02-30", PeriodProblem.BAD_DATE),
        ("30.02.2026", PeriodProblem.BAD_DATE),
        ("15.11.2026 01.11.2026", PeriodProblem.REVERSED),
        ("2026-11-15 2026-11-01", PeriodProblem.REVERSED),
        ("2026-11-24 2026-11-30", PeriodProblem.FUTURE),
        ("2026-08-25 2026-09-01", PeriodProblem.TOO_OLD),
    ],
)
def test_bad_periods_say_what_is_wrong(arg, problem):
    with pytest.raises(PeriodError) as caught:
        parse_period(arg, TODAY)
    assert caught.value.problem is problem


def test_bounds_follow_the_zone_and_stop_at_now():
    zone = ZoneInfo("Asia/Novosibirsk")
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 14:00 local
    today = Period("today", TODAY, TODAY)
    assert today.bounds(zone, now) == (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), now)
    # Compared with yesterday until the same local time, not all of yesterday.
    assert today.previous_bounds(zone, now) == (
        datetime(2026, 11, 21, 17, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 7, 0, tzinfo=UTC),
    )
    past = Period("custom", date(2026, 11, 1), date(2026, 11, 2))
    assert past.previous_bounds(zone, now) == (
        datetime(2026, 10, 29, 17, 0, tzinfo=UTC),
        datetime(2026, 10, 31, 17, 0, tzinfo=UTC),
    )
