"""Middlewares whose only job is to inject: the user row (created on first contact)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.config import Settings
from bot.store import Database
from bot.store.users import ensure_user


class UserMiddleware(BaseMiddleware):
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: User | None = data.get("event_from_user")
        if tg_user is not None and not tg_user.is_bot:
            data["user"] = await ensure_user(
                self.db,
                tg_user.id,
                tg_user.language_code,
                self.settings.default_timezone,
                display_name(tg_user),
            )
        return await handler(event, data)


def display_name(tg_user: User) -> str:
    """ "Anna K. (@anna)", or just the name when there is no username."""
    name = tg_user.full_name.strip() or str(tg_user.id)
    return f"{name} (@{tg_user.username})" if tg_user.username else name
