"""Product photos in alerts: one button switches them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.handlers.menus import on_off
from bot.handlers.settings.menu import OpenMenu, entry, show_menu
from bot.store.db import Database
from bot.store.users import User, update_user

router = Router(name="settings-photos")


def line(user: User) -> str:
    return _("🖼 Product photos in alerts: {state}").format(state=on_off(user.photos))


entry(
    (3, 0),
    lambda user: _("🖼 Photos: {state}").format(state=on_off(user.photos)),
    OpenMenu(section="photos").pack(),
    line,
)


@router.callback_query(OpenMenu.filter(F.section == "photos"))
async def toggle_photos(query: CallbackQuery, db: Database, user: User) -> None:
    await update_user(db, user.id, photos=not user.photos)
    await show_menu(query, db, user.id, _("Saved"))
