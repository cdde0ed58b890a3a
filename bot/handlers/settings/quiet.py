"""Quiet hours: alerts wait and come as one message when they end."""

from __future__ import annotations

from datetime import time as dtime
from typing import Annotated, Literal

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

import bot.handlers.settings.menu as menu
from bot.clock import hhmm, parse_hhmm
from bot.i18n import N_
from bot.store.db import Database
from bot.store.users import User

router = Router(name="settings-quiet")

QUIET_PRESETS = ((dtime(22), dtime(8)), (dtime(23), dtime(9)))
DASHES = ("–", "—", "−")
OFF_WORDS = ("off", "выкл", "нет")
#: A preset as packed before the CallbackData factories, "set:quiet:22:00-08:00": buttons
#: already sent keep working.
OLD_PRESET = r"^set:quiet:(\d{1,2}:\d{2}-\d{1,2}:\d{2})$"

Hour = Annotated[int, Field(ge=0, le=23)]
Minute = Annotated[int, Field(ge=0, le=59)]


class QuietChoice(CallbackData, prefix="set"):
    """A preset: from start to end, local time."""

    menu: Literal["quiet"] = "quiet"
    start_hour: Hour
    start_minute: Minute
    end_hour: Hour
    end_minute: Minute


class QuietOff(CallbackData, prefix="set"):
    menu: Literal["quiet"] = "quiet"
    off: Literal["off"] = "off"


def parse_quiet(text: str) -> tuple[str, str] | None:
    """'22:00-08:00' (any dash, spaces allowed) as zero-padded ('22:00', '08:00'); None when
    malformed or empty (start equal to end)."""
    cleaned = text.strip()
    for dash in DASHES:
        cleaned = cleaned.replace(dash, "-")
    parts = [p.strip() for p in cleaned.split("-")]
    if len(parts) != 2:
        return None
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start is None or end is None or start == end:
        return None
    return hhmm(start), hhmm(end)


def line(user: User) -> str:
    quiet = (
        f"{user.quiet_start}–{user.quiet_end}" if user.quiet_start and user.quiet_end else _("off")
    )
    return _("🌙 Quiet hours: {quiet}").format(quiet=quiet)


menu.entry((2, 1), lambda user: _("🌙 Quiet hours"), menu.OpenMenu(section="quiet").pack(), line)


def preset_button(start: dtime, end: dtime) -> InlineKeyboardButton:
    data = QuietChoice(
        start_hour=start.hour,
        start_minute=start.minute,
        end_hour=end.hour,
        end_minute=end.minute,
    )
    return InlineKeyboardButton(text=f"{hhmm(start)}–{hhmm(end)}", callback_data=data.pack())


def quiet_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Off"), callback_data=QuietOff().pack())],
            [preset_button(start, end) for start, end in QUIET_PRESETS],
            menu.type_in("quiet", _("⌨️ Type hours")),
            menu.back(),
        ]
    )


menu.submenu(
    router,
    "quiet",
    lambda: _(
        "During quiet hours alerts wait and come as one message when they end "
        "(a key problem comes at once)."
    ),
    quiet_keyboard,
)


@router.callback_query(QuietOff.filter())
async def quiet_off(query: CallbackQuery, db: Database, user: User) -> None:
    await menu.save_chosen(query, db, user.id, quiet_start=None, quiet_end=None)


@router.callback_query(QuietChoice.filter())
async def set_quiet(
    query: CallbackQuery, callback_data: QuietChoice, db: Database, user: User
) -> None:
    start = dtime(callback_data.start_hour, callback_data.start_minute)
    end = dtime(callback_data.end_hour, callback_data.end_minute)
    await save_preset(query, db, user, hhmm(start) + "-" + hhmm(end))


@router.callback_query(F.data.regexp(OLD_PRESET).group(1).as_("hours"))
async def set_quiet_old_button(query: CallbackQuery, hours: str, db: Database, user: User) -> None:
    await save_preset(query, db, user, hours)


async def save_preset(query: CallbackQuery, db: Database, user: User, text: str) -> None:
    hours = parse_quiet(text)
    if hours is None:  # start equal to end: forged data
        await query.answer()
        return
    await menu.save_chosen(query, db, user.id, quiet_start=hours[0], quiet_end=hours[1])


def read_quiet(text: str) -> dict[str, object] | None:
    cleaned = text.strip().lower()
    hours = (None, None) if cleaned in OFF_WORDS else parse_quiet(cleaned)
    return None if hours is None else {"quiet_start": hours[0], "quiet_end": hours[1]}


menu.typed_input(
    router,
    "quiet",
    menu.SettingsInput.quiet,
    N_(
        "Send quiet hours as HH:MM-HH:MM, for example <code>22:30-07:30</code>, "
        "or <code>off</code>. /cancel keeps the current ones."
    ),
    read_quiet,
    lambda _text: _(
        "I could not read that. Write quiet hours as HH:MM-HH:MM, for example "
        "22:30-07:30 (start and end must differ), or off. Try again or /cancel."
    ),
)
