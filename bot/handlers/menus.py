"""Inline menus edited in place, as /settings and its submenus show them."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _


def on_off(value: bool) -> str:
    return _("on") if value else _("off")


def mark(value: bool) -> str:
    return "✅" if value else "❌"


def rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


async def show(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edits the menu message in place; an unchanged menu is not an error."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise
