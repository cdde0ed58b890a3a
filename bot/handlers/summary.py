"""/summary: today's summary so far, worded as the daily one."""

from __future__ import annotations

import time

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.clock import zone_of
from bot.i18n import language_for
from bot.notify.summary import compute_summary, summary_text
from bot.notify.texts import RenderContext
from bot.store import shops
from bot.store.db import Database
from bot.store.users import User

router = Router(name="summary")


@router.message(Command("summary"))
async def summary(message: Message, db: Database, user: User) -> None:
    if not await shops.active_shops_of(db, user.id):
        await message.answer(
            _(
                "No shop is connected yet. Create a read-only WB token with the Statistics and "
                "Analytics categories and send it as <code>/connect &lt;token&gt;</code> "
                "(see /help)."
            )
        )
        return
    payload = await compute_summary(db, user, time.time(), "today")
    ctx = RenderContext(
        user=user,
        language=language_for(user.language, user.tg_language),
        gettext=_,
        ngettext=_,
        tz=zone_of(user.timezone),
    )
    await message.answer(summary_text(payload, ctx))
