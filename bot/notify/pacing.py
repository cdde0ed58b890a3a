"""Paces every message the bot sends, handler replies included, so a user who types fast or a
/report (text, chart, file) never pushes a chat past Telegram's limits. The outbox sender keeps
its own finer limits; this is the floor under everything that goes through the Bot session."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods.base import TelegramType

from bot.notify.throttle import TokenBucket

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

SEND_METHODS = frozenset(
    {"SendMessage", "SendPhoto", "SendDocument", "SendMediaGroup", "CopyMessage", "ForwardMessage"}
)
# A little under Telegram's published 1/s per chat and 20/min per group, with a short burst.
PRIVATE_RATE, PRIVATE_BURST = 0.9, 2
GROUP_RATE, GROUP_BURST = 18 / 60, 3


class ChatPacer(BaseRequestMiddleware):
    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int | str, TokenBucket] = {}

    def _bucket(self, chat_id: int | str) -> TokenBucket:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            private = isinstance(chat_id, int) and chat_id > 0
            rate, burst = (PRIVATE_RATE, PRIVATE_BURST) if private else (GROUP_RATE, GROUP_BURST)
            bucket = self._buckets[chat_id] = TokenBucket(rate, burst, stamp=self._clock())
            if len(self._buckets) > 10_000:  # forget the oldest idle chats
                for key in list(self._buckets)[:1000]:
                    del self._buckets[key]
        return bucket

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if type(method).__name__ in SEND_METHODS and isinstance(chat_id, int | str):
            bucket = self._bucket(chat_id)
            now = self._clock()
            wait = bucket.wait(now)
            bucket.take(now)  # reserve a place now: concurrent sends queue up behind it
            if wait > 0:
                await asyncio.sleep(wait)
        return await make_request(bot, method)
