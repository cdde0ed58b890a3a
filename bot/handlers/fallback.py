"""The last word: a reply to any private message nothing else understood, and one place that
turns an exception in a handler into a logged, counted apology instead of silence."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import ErrorEvent, Message
from aiogram.utils.i18n import gettext as _

from bot.store import Database

log = logging.getLogger(__name__)

router = Router(name="fallback")


@router.message(F.chat.type == "private")
async def not_understood(message: Message) -> None:
    await message.answer(
        _("I did not understand that. Send /help to see what I can do, or /connect to add a shop.")
    )


async def on_error(event: ErrorEvent, db: Database) -> bool:
    """Registered on the dispatcher, so it sees errors from every router."""
    log.error(
        "handler failed on update %s: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    await db.bump("handler_errors")
    message = event.update.message or (
        event.update.callback_query.message if event.update.callback_query else None
    )
    if isinstance(message, Message):
        try:
            await message.answer(_("Something went wrong on my side. Please try again."))
        except Exception as exc:  # the apology is best effort; the error is already logged
            log.warning("could not send the apology: %s", type(exc).__name__)
    return True
