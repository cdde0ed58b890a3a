"""The time zone: a list of the sellers' usual zones, or any IANA name typed in."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

import bot.handlers.settings.menu as menu
from bot.clock import hhmm, zone_of
from bot.handlers.menus import rows
from bot.i18n import N_
from bot.store.db import Database
from bot.store.users import User

router = Router(name="settings-zone")

ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/Minsk",
)


class ZoneChoice(CallbackData, prefix="set"):
    menu: Literal["tz"] = "tz"
    zone: str


def parse_zone(text: str) -> str | None:
    """An IANA zone name as zoneinfo knows it ("europe/moscow" is not one: names are exact)."""
    name = text.strip()
    if not name or " " in name or name.startswith("/"):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def line(user: User) -> str:
    local = hhmm(datetime.now(zone_of(user.timezone)).time())
    return _("🕒 Time zone: {zone} (now {time})").format(zone=user.timezone, time=local)


menu.entry((0, 1), lambda user: _("🕒 Time zone"), menu.OpenMenu(section="tz").pack(), line)


def zone_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=zone, callback_data=ZoneChoice(zone=zone).pack())
        for zone in ZONES
    ]
    typed = menu.type_in("tz", _("⌨️ Type a zone name"))
    return InlineKeyboardMarkup(inline_keyboard=[*rows(buttons, 2), typed, menu.back()])


menu.submenu(router, "tz", lambda: _("Choose your time zone:"), zone_keyboard)


def read_zone(text: str) -> dict[str, object] | None:
    zone = parse_zone(text)
    return None if zone is None else {"timezone": zone}


def unknown_zone(text: str) -> str:
    return _(
        "I do not know the time zone «{text}». Names are like <code>Europe/Moscow</code> "
        "or <code>Asia/Dubai</code>, capital letters as written. Try again or /cancel."
    ).format(text=html.escape(text[:64]))


menu.typed_input(
    router,
    "tz",
    menu.SettingsInput.zone,
    N_(
        "Send the name of your time zone as in the IANA list, for example "
        "<code>Europe/Moscow</code> or <code>Asia/Dubai</code>. /cancel keeps the current one."
    ),
    read_zone,
    unknown_zone,
)


@router.callback_query(ZoneChoice.filter())
async def set_zone(
    query: CallbackQuery, callback_data: ZoneChoice, db: Database, user: User
) -> None:
    zone = parse_zone(callback_data.zone)
    if zone is None:
        await query.answer(_("Unknown time zone."), show_alert=True)
        return
    await menu.save_chosen(query, db, user.id, timezone=zone)
