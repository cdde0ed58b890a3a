"""When the daily summary comes: a whole hour from the list, or any HH:MM typed in."""

from __future__ import annotations

from datetime import time as dtime
from typing import Annotated, Literal

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

import bot.handlers.settings.menu as menu
from bot.clock import hhmm, parse_hhmm
from bot.handlers.menus import rows
from bot.i18n import N_
from bot.store.db import Database
from bot.store.users import User

router = Router(name="settings-summary-time")

SUMMARY_TIMES = tuple(dtime(hour) for hour in range(7, 23))


class SummaryTimeChoice(CallbackData, prefix="set"):
    """A time from the list. Buttons sent before these factories carry "set:time:07:00", which
    unpacks to the same time."""

    menu: Literal["time"] = "time"
    hour: Annotated[int, Field(ge=0, le=23)]
    minute: Annotated[int, Field(ge=0, le=59)]


def line(user: User) -> str:
    return _("📊 Daily summary at {time}").format(time=user.summary_time) + (
        "" if user.alert_summary else f" ({_('off')})"
    )


menu.entry((1, 0), lambda user: _("📊 Summary time"), menu.OpenMenu(section="time").pack(), line)


def time_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=hhmm(at), callback_data=SummaryTimeChoice(hour=at.hour, minute=at.minute).pack()
        )
        for at in SUMMARY_TIMES
    ]
    typed = menu.type_in("time", _("⌨️ Type a time"))
    return InlineKeyboardMarkup(inline_keyboard=[*rows(buttons, 4), typed, menu.back()])


menu.submenu(
    router,
    "time",
    lambda: _("When should the daily summary come (your local time)?"),
    time_keyboard,
)


def read_time(text: str) -> dict[str, object] | None:
    at = parse_hhmm(text)
    return None if at is None else {"summary_time": hhmm(at)}


menu.typed_input(
    router,
    "time",
    menu.SettingsInput.summary_time,
    N_("Send the time as HH:MM, for example <code>08:30</code>. /cancel keeps the current one."),
    read_time,
    lambda _text: _(
        "That is not a time. Write it as HH:MM, for example 08:30. Try again or /cancel."
    ),
)


@router.callback_query(SummaryTimeChoice.filter())
async def set_time(
    query: CallbackQuery, callback_data: SummaryTimeChoice, db: Database, user: User
) -> None:
    at = dtime(callback_data.hour, callback_data.minute)
    await menu.save_chosen(query, db, user.id, summary_time=hhmm(at))
