"""Times as WB writes them, read and written: WB's statistics and analytics times are Moscow time
(UTC+3, no DST) without an offset, the marketplace API's are RFC 3339 (UTC unless they say
otherwise). Every datetime leaving this module is UTC-aware.

Neutral ground: WB's parsers (bot.wb.models), the sync that keeps WB's cursors and the store
that reads them back (bot.store.polls.data_as_of) all use it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

MSK = timezone(timedelta(hours=3), "MSK")

_MAX_DATE_TEXT = 80
_DATE_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)


def msk_to_utc(text: str) -> datetime:
    """A WB time (Moscow time unless it carries Z or an offset) as an aware UTC datetime.

    Accepts a date alone, seconds or not, and fractional seconds of any length (kept to the
    microsecond). Raises ``ValueError`` for anything else.
    """
    return _parse_time(text, MSK)


def utc_to_msk_str(dt: datetime) -> str:
    """An aware datetime as WB wants ``dateFrom``: Moscow time, no offset."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    local = dt.astimezone(MSK)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}"
    return text


def parse_utc(text: str) -> datetime:
    """An RFC 3339 time as written by the marketplace API (UTC unless it says otherwise)."""
    return _parse_time(text, UTC)


def _parse_time(text: str, default_zone: tzinfo) -> datetime:
    text = text.strip()
    match = _DATE_RE.fullmatch(text) if len(text) <= _MAX_DATE_TEXT else None
    if match is None:
        raise ValueError("not a WB date-time")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    zone = default_zone if offset is None else _offset_zone(offset)
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=zone,
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("not a valid date-time") from None


def _offset_zone(offset: str) -> tzinfo:
    if offset in ("Z", "z"):
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("bad UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
