"""The reader's clock in one place: one zone lookup with one fallback (DEFAULT_TIMEZONE), one
HH:MM parser, and local moments written per language by bot.formats."""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import formats
from bot.clock import hhmm, parse_hhmm, zone_of
from bot.config import DEFAULT_TIMEZONE, Settings

BOT = Path(__file__).resolve().parents[2] / "bot"


def test_a_users_zone_or_the_default_when_unset_or_unknown() -> None:
    assert zone_of("Asia/Dubai") == ZoneInfo("Asia/Dubai")
    assert zone_of(None) == zone_of("") == zone_of("Mars/Olympus") == ZoneInfo(DEFAULT_TIMEZONE)
    assert zone_of("Mars/Olympus", "Asia/Almaty") == ZoneInfo("Asia/Almaty")


def test_the_settings_default_zone_is_the_clocks_fallback() -> None:
    assert Settings.model_fields["default_timezone"].default == DEFAULT_TIMEZONE


def test_the_default_zone_is_named_in_the_config_only() -> None:
    """Every other module asks bot.clock (or takes the zone from its caller); the time zone
    menu offers it among its choices and as the example of a typed name."""
    named = [
        str(path.relative_to(BOT))
        for path in sorted(BOT.rglob("*.py"))
        if DEFAULT_TIMEZONE in path.read_text(encoding="utf-8")
    ]
    assert named == ["config.py", "handlers/settings/zone.py"]


@pytest.mark.parametrize(
    ("text", "at", "stored"),
    [
        ("9:05", dtime(9, 5), "09:05"),
        ("09:05", dtime(9, 5), "09:05"),
        (" 23:59 ", dtime(23, 59), "23:59"),
        ("0:0", dtime(0), "00:00"),
    ],
)
def test_a_time_of_day_as_people_write_it_and_as_it_is_stored(
    text: str, at: dtime, stored: str
) -> None:
    assert parse_hhmm(text) == at
    assert hhmm(at) == stored


@pytest.mark.parametrize(
    "text", ["24:00", "12:60", "noon", "1:2:3", "-1:30", "+8:00", "", "123:0"]
)
def test_anything_else_is_not_a_time(text: str) -> None:
    assert parse_hhmm(text) is None


def test_a_local_moment_reads_per_language() -> None:
    moment = datetime(2026, 12, 6, 11, 5, tzinfo=UTC).timestamp()
    moscow = zone_of("Europe/Moscow")
    assert formats.moment(moment, moscow, "ru") == "06.12.2026 14:05"
    assert formats.moment(moment, moscow, "en") == "2026-12-06 14:05"
    assert formats.day_of(moment, zone_of("Asia/Kamchatka"), "ru") == "06.12.2026"
    late = datetime(2026, 12, 6, 22, 0, tzinfo=UTC).timestamp()
    assert formats.day_of(late, zone_of("Asia/Kamchatka"), "en") == "2026-12-07"
