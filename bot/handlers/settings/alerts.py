"""Which alerts come: a switch per kind."""

from __future__ import annotations

from typing import Literal

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.handlers.menus import mark, rows, show
from bot.handlers.settings.menu import OpenMenu, back, entry
from bot.i18n import N_
from bot.store.db import Database
from bot.store.users import User, get_user, update_user

router = Router(name="settings-alerts")

# (callback key, users column, label)
ALERT_SWITCHES = (
    ("orders", "alert_orders", N_("Orders")),
    ("cancels", "alert_cancels", N_("Cancellations")),
    ("buyouts", "alert_buyouts", N_("Buyouts")),
    ("returns", "alert_returns", N_("Returns")),
    ("stock", "alert_stock", N_("Low stock")),
    ("summary", "alert_summary", N_("Daily summary")),
    ("loss", "alert_loss", N_("Products sold at a loss")),
)


class AlertSwitch(CallbackData, prefix="set"):
    menu: Literal["alert"] = "alert"
    key: str


def line(user: User) -> str:
    switches = " · ".join(
        f"{_(label)} {mark(getattr(user, column))}" for _key, column, label in ALERT_SWITCHES
    )
    return _("🔔 Alerts: {switches}").format(switches=switches)


entry((1, 1), lambda user: _("🔔 Alerts"), OpenMenu(section="alerts").pack(), line)


def alerts_keyboard(user: User) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=f"{mark(getattr(user, column))} {_(label)}",
            callback_data=AlertSwitch(key=key).pack(),
        )
        for key, column, label in ALERT_SWITCHES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows(buttons, 2), back()])


@router.callback_query(OpenMenu.filter(F.section == "alerts"))
async def open_alerts(query: CallbackQuery, user: User) -> None:
    await show(query, _("Which alerts do you want? Tap to switch."), alerts_keyboard(user))
    await query.answer()


@router.callback_query(AlertSwitch.filter())
async def toggle_alert(
    query: CallbackQuery, callback_data: AlertSwitch, db: Database, user: User
) -> None:
    column = next((c for k, c, _label in ALERT_SWITCHES if k == callback_data.key), None)
    if column is None:
        await query.answer()
        return
    await update_user(db, user.id, **{column: not getattr(user, column)})
    fresh = await get_user(db, user.id)
    if fresh is not None:
        await show(query, _("Which alerts do you want? Tap to switch."), alerts_keyboard(fresh))
    await query.answer(_("Saved"))
