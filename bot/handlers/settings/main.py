"""/settings and "« Back": the main menu; and a submenu's "type it" button."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.menus import show
from bot.handlers.settings.menu import (
    TYPED,
    OpenMenu,
    TypeIn,
    menu_keyboard,
    menu_text,
    show_menu,
)
from bot.store.db import Database
from bot.store.users import User

router = Router(name="settings-main")


@router.message(Command("settings"))
async def settings_command(message: Message, user: User, state: FSMContext) -> None:
    await state.clear()
    await message.answer(menu_text(user), reply_markup=menu_keyboard(user))


@router.callback_query(OpenMenu.filter(F.section == "menu"))
async def open_menu(query: CallbackQuery, db: Database, user: User, state: FSMContext) -> None:
    await state.clear()
    await show_menu(query, db, user.id)


@router.callback_query(TypeIn.filter())
async def ask_typed(query: CallbackQuery, callback_data: TypeIn, state: FSMContext) -> None:
    """The menu message becomes the submenu's prompt; the next message is the value (or
    /cancel)."""
    asked = TYPED.get(callback_data.menu)
    if asked is None:
        await query.answer()
        return
    waiting, prompt = asked
    await state.set_state(waiting)
    await show(query, _(prompt), None)
    await query.answer()
