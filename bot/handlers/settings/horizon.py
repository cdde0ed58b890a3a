"""How early a low-stock warning comes: when stock lasts under so many days."""

from __future__ import annotations

from typing import Literal

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.handlers.menus import show
from bot.handlers.settings.menu import OpenMenu, back, entry, show_menu
from bot.store.db import Database
from bot.store.users import User, update_user

router = Router(name="settings-horizon")

HORIZONS = (3, 7, 14, 30)


class HorizonChoice(CallbackData, prefix="set"):
    menu: Literal["horizon"] = "horizon"
    days: int


def line(user: User) -> str:
    return ngettext(
        "📦 Low-stock warning when stock lasts under {days} day",
        "📦 Low-stock warning when stock lasts under {days} days",
        user.stock_horizon_days,
    ).format(days=user.stock_horizon_days)


entry((2, 0), lambda user: _("📦 Low-stock horizon"), OpenMenu(section="horizon").pack(), line)


def horizon_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=ngettext("{days} day", "{days} days", days).format(days=days),
            callback_data=HorizonChoice(days=days).pack(),
        )
        for days in HORIZONS
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons, back()])


@router.callback_query(OpenMenu.filter(F.section == "horizon"))
async def open_horizons(query: CallbackQuery) -> None:
    await show(
        query,
        _("Warn me when a product's stock lasts less than (at the pace of the last 14 days):"),
        horizon_keyboard(),
    )
    await query.answer()


@router.callback_query(HorizonChoice.filter())
async def set_horizon(
    query: CallbackQuery, callback_data: HorizonChoice, db: Database, user: User
) -> None:
    if callback_data.days not in HORIZONS:
        await query.answer()
        return
    await update_user(db, user.id, stock_horizon_days=callback_data.days)
    await show_menu(query, db, user.id, _("Saved"))
