"""The language: /language [en|ru] and its submenu in /settings."""

from __future__ import annotations

from typing import Literal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.handlers.settings.menu import OpenMenu, back, entry, save_chosen, submenu
from bot.i18n import LANGUAGES, language_for
from bot.store.db import Database
from bot.store.users import User, update_user

router = Router(name="settings-language")

LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
ALIASES = {"en": "en", "english": "en", "ru": "ru", "russian": "ru", "русский": "ru"}


class LanguageChoice(CallbackData, prefix="set"):
    menu: Literal["lang"] = "lang"
    code: str


def line(user: User) -> str:
    language = language_for(user.language, user.tg_language)
    return _("🌐 Language: {language}").format(language=LANGUAGE_NAMES[language])


entry((0, 0), lambda user: _("🌐 Language"), OpenMenu(section="lang").pack(), line)


def language_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=LANGUAGE_NAMES[code], callback_data=LanguageChoice(code=code).pack()
        )
        for code in LANGUAGES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons, back()])


@router.message(Command("language"))
async def language_command(
    message: Message, command: CommandObject, db: Database, user: User, i18n: I18n
) -> None:
    wanted = (command.args or "").strip().lower()
    if wanted in ALIASES:
        await update_user(db, user.id, language=ALIASES[wanted])
        with i18n.use_locale(ALIASES[wanted]):
            await message.answer(_("Done: I will speak English."))
        return
    await message.answer(_("Choose the language:"), reply_markup=language_keyboard())


submenu(router, "lang", lambda: _("Choose the language:"), language_keyboard)


@router.callback_query(LanguageChoice.filter())
async def set_language(
    query: CallbackQuery, callback_data: LanguageChoice, db: Database, user: User, i18n: I18n
) -> None:
    code = callback_data.code
    if code not in LANGUAGES:
        await query.answer()
        return
    with i18n.use_locale(code):
        await save_chosen(query, db, user.id, language=code)
