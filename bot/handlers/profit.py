"""/profit [period]: the money view alone (bot.reports.money), the same periods as /report.

Reads the store only. With several shops the user picks one, or all together, with inline
buttons (`ProfitChoice`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import local_today, zone_of
from bot.handlers.report_choice import (
    ProfitChoice,
    asked_period,
    button_period,
    chosen_shops,
    only_shop,
    period_token,
)
from bot.i18n import language_for
from bot.money.view import load_money
from bot.reports import money, text
from bot.reports.periods import Period
from bot.store.db import Database
from bot.store.shops import Shop
from bot.store.users import User

router = Router(name="profit")


@router.message(Command("profit"))
async def profit_command(
    message: Message, command: CommandObject, db: Database, user: User
) -> None:
    period = await asked_period(
        message,
        command,
        db,
        local_today(zone_of(user.timezone), datetime.now(UTC)),
        lambda: money.usage(_),
        lambda problem: text.period_problem(problem, _).split("\n\n")[0] + "\n\n" + money.usage(_),
    )
    if period is None:
        return
    shops = await only_shop(
        message, db, user, lambda shop: ProfitChoice(shop=shop, period=period_token(period))
    )
    if shops is None:
        return
    await send_profit(message, db, user, shops, shops[0].name, period)


@router.callback_query(ProfitChoice.filter())
async def profit_choice(
    query: CallbackQuery, callback_data: ProfitChoice, db: Database, user: User
) -> None:
    picked = await chosen_shops(query, db, user, callback_data.shop)
    if picked is None:
        return
    message, shops, label = picked
    period = await button_period(
        query,
        callback_data.period,
        zone_of(user.timezone),
        datetime.now(UTC),
        _("This button is out of date; send /profit again."),
    )
    if period is None:
        return
    await query.answer()
    await send_profit(message, db, user, shops, label, period)


async def send_profit(
    message: Message, db: Database, user: User, shops: list[Shop], label: str, period: Period
) -> None:
    lang = language_for(user.language, user.tg_language)
    view = await load_money(db, [s.id for s in shops], period.first, period.last)
    await message.answer(money.render_profit(view, label, lang, _))
