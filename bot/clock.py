"""The reader's clock: their time zone, resolved in one place with one fallback (the
operator's DEFAULT_TIMEZONE), and times of day written HH:MM."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import DEFAULT_TIMEZONE


def zone_of(name: str | None, fallback: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """A user's zone by its stored name; ``fallback`` (the configured DEFAULT_TIMEZONE) when
    there is no reader or the name is unknown to this system's zone database."""
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(fallback)


def local_today(zone: tzinfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def parse_hhmm(text: str) -> dtime | None:
    """'9:05' or '09:05' as a time of day; None for anything else."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59:
        return None
    return dtime(hours, minutes)


def hhmm(at: dtime | datetime) -> str:
    """A time of day (or a moment's) as stored and shown: zero-padded "08:30"."""
    return at.strftime("%H:%M")
