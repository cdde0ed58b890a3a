"""How numbers, money and dates read in each language: every text the bot writes formats them
here, so an alert, a report and a summary show the same number the same way.

Digits are grouped by a no-break space, and the rouble sign is joined to its number by one, so
"124 845 ₽" never breaks over two lines on a phone. Russian texts write dates as 06.12.2026 and
decimals with a comma; English ones write ISO dates and a decimal point. A negative number
and a change take the minus sign "−" (not the hyphen "-"), in every text alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date

NBSP = "\u00a0"
RUBLE = "₽"
KOPECK = Decimal("0.01")
MINUS = "\u2212"


def _grouped(whole: int) -> str:
    return f"{whole:,}".replace(",", NBSP)


def number(value: float) -> str:
    """1204.5 → "1 205": every digit, rounded half up as people round (round() is half even)."""
    whole = math.floor(value + 0.5)
    text = _grouped(abs(whole))
    return f"{MINUS}{text}" if whole < 0 else text


def signed(shown: str) -> str:
    """A change as shown with its sign: "+1 205 ₽", "−20,0%", and "±0 ₽" for one that shows as
    zero (whatever its sign before rounding). `shown` is the number as formatted here."""
    plain = shown.lstrip(f"-{MINUS}")
    if not any(c in "123456789" for c in plain):
        return f"±{plain}"
    return f"{MINUS}{plain}" if plain != shown else f"+{plain}"


def kopecks(value: float) -> int:
    """An amount in whole kopecks, rounded half up once: 1234.555 → 123456. Sums of amounts
    shown with kopecks are summed in these, so a total equals the sum of its lines as shown."""
    return int(Decimal(repr(float(value))).quantize(KOPECK, rounding=ROUND_HALF_UP) * 100)


def has_kopecks(amounts: Iterable[float]) -> bool:
    """Whether any amount has kopecks: then a text shows kopecks on every amount, so the lines
    of a list add up to their total as shown (whole roubles rounded one by one would not)."""
    return any(kopecks(a) % 100 for a in amounts)


def money(value: float, lang: str = "en", with_kopecks: bool = False) -> str:
    """ "12 345 ₽"; with kopecks "12 345,67 ₽" (ru) or "12 345.67 ₽" (en)."""
    if not with_kopecks:
        return f"{number(value)}{NBSP}{RUBLE}"
    cents = kopecks(value)
    whole, part = divmod(abs(cents), 100)
    mark = "," if lang == "ru" else "."
    sign = MINUS if cents < 0 else ""
    return f"{sign}{_grouped(whole)}{mark}{part:02d}{NBSP}{RUBLE}"


def price(kopecks: int, lang: str = "en") -> str:
    """An amount held in whole kopecks: "1 250 ₽", and "1 250,50 ₽" only when it has kopecks."""
    return money(kopecks / 100, lang, with_kopecks=kopecks % 100 != 0)


def decimal(value: float, lang: str = "en", digits: int = 1) -> str:
    """One decimal by default, with the language's decimal mark: 10.5 (en), 10,5 (ru)."""
    text = f"{abs(value):,.{digits}f}".replace(",", NBSP)
    if lang == "ru":
        text = text.replace(".", ",")
    return f"{MINUS}{text}" if round(value, digits) < 0 else text


def percent(value: float, lang: str = "en", digits: int = 1) -> str:
    return f"{decimal(value, lang, digits)}%"


def days(value: float, lang: str = "en") -> str:
    """Days of cover to one decimal under 10 (3,5 in Russian), whole from 10 up (12)."""
    return decimal(value, lang) if value < 10 else number(value)


def plural_count(shown: str) -> int:
    """The count a plural rule should see for a number as shown: the number itself when whole
    ("21 день", "5 дней"); 2 when shown with a decimal part, whose form in Russian and English
    is the one of 2 ("3,5 дня", "1,0 дня", "3.5 days"): gettext's rules only take integers."""
    plain = shown.replace(NBSP, "")
    if not plain.lstrip(f"-{MINUS}").isdigit():  # "3,5", "1.0": shown with a decimal part
        return 2
    return int(plain)


def day(value: date, lang: str = "en") -> str:
    """06.12.2026 in Russian, 2026-12-06 in English."""
    return value.strftime("%d.%m.%Y") if lang == "ru" else value.isoformat()


def day_month(value: date, lang: str = "en") -> str:
    """06.12 in Russian, "6 Dec" in English: a day of the current year."""
    return value.strftime("%d.%m") if lang == "ru" else format_date(value, "d MMM", locale="en")


def stamp(moment: datetime, zone: tzinfo, today: date, lang: str = "en") -> str:
    """ "14:05" today, "22.11.2026 14:05" (ru) or "2026-11-22 14:05" (en) on another day."""
    local = moment.astimezone(zone)
    if local.date() == today:
        return local.strftime("%H:%M")
    return f"{day(local.date(), lang)} {local.strftime('%H:%M')}"


def day_of(ts: float, zone: tzinfo, lang: str = "en") -> str:
    """The local day of a moment (UTC seconds): 23.12.2026 (ru), 2026-12-23 (en)."""
    return day(datetime.fromtimestamp(ts, UTC).astimezone(zone).date(), lang)


def moment(ts: float, zone: tzinfo, lang: str = "en") -> str:
    """A moment (UTC seconds) in full: "06.12.2026 14:05" (ru), "2026-12-06 14:05" (en)."""
    local = datetime.fromtimestamp(ts, UTC).astimezone(zone)
    return f"{day(local.date(), lang)} {local:%H:%M}"
