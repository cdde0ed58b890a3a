"""Unprompted messages: the outbox sender and the alert texts.

`start_sender(db, bot, i18n, settings)` starts the one task that sends alerts;
`chat_returned(db, chat_id)` is the hook for /start (or the bot being re-added): a chat that had
blocked the bot gets alerts again.
"""

from __future__ import annotations

import asyncio
import importlib
import logging

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.notify.sender import Sender
from bot.store import Database
from bot.store.outbox import unblock_chat

__all__ = ["Sender", "chat_returned", "load_renderers", "make_sender", "start_sender"]

log = logging.getLogger(__name__)

# Modules that register renderers for their own kinds (stock_low, token_expiring, summary, the
# owner notices).
RENDERER_MODULES = (
    "bot.notify.checks",
    "bot.notify.summary",
    "bot.notify.team",
    "bot.notify.reviews",
    "bot.notify.money",
)


def load_renderers() -> None:
    """Imports the modules whose `@renderer` decorators fill the registry; one not written
    yet is skipped (its events get the generic text rather than none)."""
    for name in RENDERER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.warning("renderer module %s is missing", name)


def make_sender(
    db: Database, bot: Bot, i18n: I18n, settings: Settings, worker: str | None = None
) -> Sender:
    """`worker`: this process's id when several may send (the one holding the sender role
    does); None for the only sender there is."""
    load_renderers()
    return Sender(
        db,
        bot,
        i18n,
        rate=settings.send_rate_per_second,
        idle_seconds=min(settings.tick_seconds, 1.0),
        worker=worker,
        lease_seconds=settings.lease_seconds,
    )


def start_sender(
    db: Database, bot: Bot, i18n: I18n, settings: Settings, worker: str | None = None
) -> asyncio.Task[None]:
    """Starts the sender loop; the caller owns the task and cancels it at shutdown."""
    return asyncio.create_task(make_sender(db, bot, i18n, settings, worker).run(), name="sender")


async def chat_returned(db: Database, chat_id: int) -> bool:
    """The user is back (/start) or the bot was re-added: alerts flow to the chat again.

    Returns whether the chat had been blocked.
    """
    return await unblock_chat(db, chat_id)
