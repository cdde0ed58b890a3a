"""The /settings menu: one message edited in place. Each submenu module adds its own button and
its line in the menu text with `entry()`; this module lays them out (bot.handlers.settings.main
answers /settings and "« Back").

Values a user types (a zone, a time, quiet hours) are read in a `SettingsInput` state; /cancel
(bot.handlers.connect answers it in any state) leaves the value unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.menus import show
from bot.store.db import Database
from bot.store.users import User, get_user, update_user

#: What "F.text" must be for a typed value: any text but a command (a command leaves the state).
NOT_A_COMMAND = F.text & ~F.text.startswith("/")


class OpenMenu(CallbackData, prefix="set"):
    """The main menu ("menu"), or a submenu by its section name ("tz", "time", ...)."""

    section: str


class TypeIn(CallbackData, prefix="set"):
    """The "type it" button under a submenu's choices: the next message is the value."""

    menu: str
    typed: Literal["type"] = "type"


class SettingsInput(StatesGroup):
    zone = State()
    summary_time = State()
    quiet = State()


@dataclass(frozen=True)
class Entry:
    """A submenu's place in the main menu: its button at ``place`` (row, column), and its line
    in the menu text, if it has one (lines follow the buttons' order)."""

    place: tuple[int, int]
    label: Callable[[User], str]
    data: str
    line: Callable[[User], str] | None


ENTRIES: list[Entry] = []


def entry(
    place: tuple[int, int],
    label: Callable[[User], str],
    data: str,
    line: Callable[[User], str] | None,
) -> None:
    ENTRIES.append(Entry(place, label, data, line))
    ENTRIES.sort(key=lambda e: e.place)


def menu_text(user: User) -> str:
    lines = [e.line(user) for e in ENTRIES if e.line is not None]
    return "\n".join([_("⚙️ <b>Settings</b>"), "", *lines])


def menu_keyboard(user: User) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=e.label(user), callback_data=e.data) for e in row]
            for _row, row in groupby(ENTRIES, key=lambda e: e.place[0])
        ]
    )


def back() -> list[InlineKeyboardButton]:
    """The last row of every submenu."""
    return [InlineKeyboardButton(text=_("« Back"), callback_data=OpenMenu(section="menu").pack())]


def submenu(
    router: Router,
    section: str,
    text: Callable[[], str],
    keyboard: Callable[[], InlineKeyboardMarkup],
) -> None:
    """The handler of a submenu's button in the main menu (``OpenMenu`` of ``section``): the
    submenu's ``text`` and ``keyboard`` in place of the menu."""

    @router.callback_query(OpenMenu.filter(F.section == section))
    async def open_submenu(query: CallbackQuery) -> None:
        await show(query, text(), keyboard())
        await query.answer()


async def save_chosen(query: CallbackQuery, db: Database, user_id: int, **values: object) -> None:
    """A choice from a submenu's buttons is stored, and the main menu comes again."""
    await update_user(db, user_id, **values)
    await show_menu(query, db, user_id, _("Saved"))


async def show_menu(query: CallbackQuery, db: Database, user_id: int, note: str = "") -> None:
    """The main menu again, as stored now, with ``note`` on the button's answer."""
    fresh = await get_user(db, user_id)
    if fresh is None:
        return
    await show(query, menu_text(fresh), menu_keyboard(fresh))
    await query.answer(note)


#: What each submenu's "type it" button asks for: the state that reads the typed value, and the
#: prompt (a msgid, translated when shown).
TYPED: dict[str, tuple[State, str]] = {}


def typed_input(
    router: Router,
    menu: str,
    waiting: State,
    prompt: str,
    read: Callable[[str], dict[str, object] | None],
    problem: Callable[[str], str],
) -> None:
    """A submenu's "type it" path: its button (`type_in`) asks ``prompt`` (a msgid) and waits
    in the ``waiting`` state; the next text that is not a command is ``read`` as the user's
    settings values, stored, and the menu comes again as stored now. Unread (None), the user
    hears the ``problem`` with that text and may type again."""
    TYPED[menu] = (waiting, prompt)

    @router.message(waiting, NOT_A_COMMAND)
    async def typed(message: Message, db: Database, user: User, state: FSMContext) -> None:
        text = message.text or ""
        values = read(text)
        if values is None:
            await message.answer(problem(text))
            return
        await update_user(db, user.id, **values)
        await state.clear()
        fresh = await get_user(db, user.id)
        if fresh is not None:
            await message.answer(
                _("Saved.") + "\n\n" + menu_text(fresh), reply_markup=menu_keyboard(fresh)
            )


def type_in(menu: str, label: str) -> list[InlineKeyboardButton]:
    """The row under a submenu's choices that asks for a typed value instead."""
    return [InlineKeyboardButton(text=label, callback_data=TypeIn(menu=menu).pack())]
