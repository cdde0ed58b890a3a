"""Which days a /report covers, in the user's time zone, and the period it is compared with.

Pure: `parse_period` turns the command's argument into a `Period` or a `PeriodError`;
`Period.bounds` turns local days into UTC instants (a local day may be 23 or 25 hours long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum

#: WB's statistics keep about 90 days; older periods cannot be complete.
RETENTION_DAYS = 90
WEEK_DAYS = 7
MONTH_DAYS = 30

_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
#: How Russian sellers write a day: 01.11.2026, 1.11.26 or 01.11 (this year).
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?")
_DASHES = str.maketrans({"–": " ", "—": " "})  # "01.11–15.11" is a range too
#: Two days joined by a hyphen, "01.11.2026-15.11.2026" or "2026-11-01-2026-11-15": a range.
_HYPHENED = re.compile(
    rf"({_DOTTED_DATE.pattern})-({_DOTTED_DATE.pattern})|({_ISO_DATE.pattern})-({_ISO_DATE.pattern})"
)
#: "с 01.11 по 15.11", "from 2026-11-01 to 2026-11-15": the words around a range.
_RANGE_FROM = {"с", "from"}
_RANGE_TO = {"по", "до", "to", "till", "until"}

TODAY_WORDS = {"today", "сегодня"}
YESTERDAY_WORDS = {"yesterday", "вчера"}
WEEK_WORDS = {"week", "неделя", "неделю", "нед"}
MONTH_WORDS = {"month", "месяц", "мес"}


class PeriodProblem(Enum):
    USAGE = "usage"  # not a period at all
    BAD_DATE = "bad_date"  # looks like a date, is not one (2026-02-30)
    REVERSED = "reversed"  # the end before the start
    FUTURE = "future"  # starts after today
    TOO_OLD = "too_old"  # starts before WB's retention


@dataclass(frozen=True)
class PeriodError(Exception):
    problem: PeriodProblem
    text: str = ""


@dataclass(frozen=True)
class Period:
    """Local days [first, last], both inclusive; `name` is today/yesterday/week/month/custom."""

    name: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def day_list(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        """The same number of days just before."""
        shift = timedelta(days=self.days)
        return Period(self.name, self.first - shift, self.last - shift)

    def bounds(self, zone: tzinfo, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnight of the first day to local midnight
        after the last, but never past `now` (today is counted up to now)."""
        start = local_midnight(self.first, zone)
        end = min(local_midnight(self.last + timedelta(days=1), zone), now)
        return start, max(start, end)

    def previous_bounds(self, zone: tzinfo, now: datetime) -> tuple[datetime, datetime]:
        """The previous period, cut at the same local time of day as this one when this one
        ends now: today until 14:00 is compared with yesterday until 14:00, not all day."""
        prev = self.previous()
        start = local_midnight(prev.first, zone)
        full_end = local_midnight(prev.last + timedelta(days=1), zone)
        this_end = self.bounds(zone, now)[1]
        if this_end < local_midnight(self.last + timedelta(days=1), zone):
            local_now = this_end.astimezone(zone)
            cut_day = local_now.date() - timedelta(days=self.days)
            cut = datetime.combine(cut_day, local_now.time(), tzinfo=zone)
            return start, min(full_end, max(start, cut))
        return start, full_end


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def parse_period(text: str, today: date) -> Period:
    """The argument of /report (may be empty: today) as a period of local days.

    Raises PeriodError for anything that is not a period the store can answer for.
    """
    words = _range_words(text.lower().translate(_DASHES).split())
    if words[:1] == ["за"]:  # "за неделю", "за вчера"
        words = words[1:]
    if not words or (len(words) == 1 and words[0] in TODAY_WORDS):
        return Period("today", today, today)
    if len(words) == 1 and words[0] in YESTERDAY_WORDS:
        day = today - timedelta(days=1)
        return Period("yesterday", day, day)
    if len(words) == 1 and words[0] in WEEK_WORDS:
        return Period("week", today - timedelta(days=WEEK_DAYS - 1), today)
    if len(words) == 1 and words[0] in MONTH_WORDS:
        return Period("month", today - timedelta(days=MONTH_DAYS - 1), today)
    if len(words) in (1, 2) and all(_looks_like_date(w) for w in words):
        days = [_date(w, today, text) for w in words]
        first, last = days[0], days[-1]
        if last < first:
            raise PeriodError(PeriodProblem.REVERSED, text)
        if first > today:
            raise PeriodError(PeriodProblem.FUTURE, text)
        if first < today - timedelta(days=RETENTION_DAYS - 1):
            raise PeriodError(PeriodProblem.TOO_OLD, text)
        # A range reaching into the future is answered up to today.
        return Period("custom", first, min(last, today))
    raise PeriodError(PeriodProblem.USAGE, text)


def _range_words(words: list[str]) -> list[str]:
    """The dates of a range however it is joined: "01.11.2026-15.11.2026" (a hyphen, no
    spaces) and "с 01.11.2026 по 15.11.2026" are "01.11.2026 15.11.2026"."""
    split: list[str] = []
    for word in words:
        joined = _HYPHENED.fullmatch(word)
        if joined:
            split += [g for g in joined.groups() if g and _looks_like_date(g)]
        else:
            split.append(word)
    if len(split) == 4 and split[0] in _RANGE_FROM and split[2] in _RANGE_TO:
        return [split[1], split[3]]
    return split


def _looks_like_date(word: str) -> bool:
    return bool(_ISO_DATE.fullmatch(word) or _DOTTED_DATE.fullmatch(word))


def _date(word: str, today: date, text: str) -> date:
    """2026-11-01, 01.11.2026, 01.11.26 or 01.11 (the current year) as a date."""
    try:
        if _ISO_DATE.fullmatch(word):
            year, month, day = (int(p) for p in word.split("-"))
            return date(year, month, day)
        found = _DOTTED_DATE.fullmatch(word)
        if found is None:
            raise ValueError(word)
        day_text, month_text, year_text = found.groups()
        if year_text is None:  # a day of the last twelve months: 20.12 said in January is past
            year = today.year
            if (int(month_text), int(day_text)) > (today.month, today.day):
                year -= 1
        elif len(year_text) == 2:
            year = 2000 + int(year_text)
        else:
            year = int(year_text)
        return date(year, int(month_text), int(day_text))
    except ValueError:
        raise PeriodError(PeriodProblem.BAD_DATE, text) from None
