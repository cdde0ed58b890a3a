"""/profit [period]: the money view alone (bot.reports.money), the same periods as /report.

Reads the store only. With several shops the user picks one, or all together, with inline
buttons (`ProfitChoice`).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.report_choice import Asked, ProfitChoice, button_asked, command_asked
from bot.money.view import load_money
from bot.reports import money
from bot.store.db import Database
from bot.store.users import User

router = Router(name="profit")


@router.message(Command("profit"))
async def profit_command(
    message: Message, command: CommandObject, db: Database, user: User
) -> None:
    asked = await command_asked(message, command, db, user, money.usage, ProfitChoice)
    if asked is not None:
        await send_profit(asked, db)


@router.callback_query(ProfitChoice.filter())
async def profit_choice(
    query: CallbackQuery, callback_data: ProfitChoice, db: Database, user: User
) -> None:
    stale = _("This button is out of date; send /profit again.")
    asked = await button_asked(query, db, user, callback_data.shop, callback_data.period, stale)
    if asked is not None:
        await query.answer()
        await send_profit(asked, db)


async def send_profit(asked: Asked, db: Database) -> None:
    view = await load_money(db, asked.shop_ids, asked.period.first, asked.period.last)
    await asked.message.answer(money.render_profit(view, asked.label, asked.lang, _))
