"""The last word: a reply to any private message nothing else understood, and one place that
turns an exception in a handler into a logged, counted apology instead of silence."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import gettext as _

from bot.store import Database

log = logging.getLogger(__name__)

router = Router(name="fallback")


@router.message(F.chat.type == "private")
async def not_understood(message: Message) -> None:
    await message.answer(
        _("I did not understand that. Send /help to see what I can do, or /connect to add a shop.")
    )


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    """A button no handler knows (from an older version, or forged data): stop the spinner,
    which would otherwise turn for seconds as if the bot were down."""
    await query.answer()


async def on_error(event: ErrorEvent, db: Database) -> bool:
    """Registered on the dispatcher, so it sees errors from every router."""
    if is_not_modified(event.exception):
        # A second press of a button whose message already shows the result (a double tap):
        # the user sees exactly what they asked for, so this is no failure and needs no apology.
        query = event.update.callback_query
        if query is not None:
            try:
                await query.answer()
            except Exception as exc:  # already answered, or too late: the spinner has stopped
                log.debug("could not answer the query: %s", type(exc).__name__)
        return True
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


def is_not_modified(exc: Exception) -> bool:
    return isinstance(exc, TelegramBadRequest) and "message is not modified" in exc.message
