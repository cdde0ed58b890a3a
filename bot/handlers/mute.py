"""The buttons under a low-stock alert: snooze the product for a week, or ignore it."""

from __future__ import annotations

import time
from contextlib import suppress
from datetime import datetime

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import zone_of
from bot.notify.buttons import MuteProduct
from bot.notify.checks import SNOOZE_SECONDS
from bot.store import stock
from bot.store.db import Database
from bot.store.shops import role_of
from bot.store.users import User

router = Router(name="mute")


@router.callback_query(MuteProduct.filter())
async def mute_product(
    query: CallbackQuery, callback_data: MuteProduct, db: Database, user: User
) -> None:
    shop_id, nm_id = callback_data.shop_id, callback_data.nm_id
    if await role_of(db, user.id, shop_id) is None:
        await query.answer(_("This shop is not connected to your account."), show_alert=True)
        return
    if callback_data.how == "week":
        until = time.time() + SNOOZE_SECONDS
        await stock.set_mute(db, shop_id, nm_id, until)
        day = datetime.fromtimestamp(until, zone_of(user.timezone)).strftime("%d.%m")
        note = _("Snoozed: no low-stock alerts for this product until {day}.").format(day=day)
    else:
        await stock.set_mute(db, shop_id, nm_id, None)
        note = _("Ignored: no more low-stock alerts for this product.")
    if isinstance(query.message, Message):
        with suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(note, show_alert=True)
