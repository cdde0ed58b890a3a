"""Shared by the handler tests: the real Dispatcher and Bot (as bot.app.build makes them)
against the fake Bot API; updates are fed straight into the dispatcher, so a test waits on
nothing but the handler. conftest modules re-export the fixtures."""

from __future__ import annotations

import base64
import itertools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiogram.types import Update

from bot.app import App, build, shutdown
from bot.config import Settings
from bot.handlers import get_routers
from tests.fakes.telegram import FakeTelegram

_ids = itertools.count(1)


@pytest.fixture
async def tg():
    async with FakeTelegram(enforce_limits=False) as fake:
        yield fake


@pytest.fixture
async def app(request, tmp_path, tg):
    """The app on SQLite; on PostgreSQL too where tests/conftest.py parametrizes it."""
    if getattr(request, "param", "sqlite") == "postgres":
        server = request.getfixturevalue("pg_server")
        name = await server.create_database()
        try:
            async with running_app(tmp_path, tg, database_url=server.url(name)) as application:
                yield application
        finally:
            await server.drop_database(name)
        return
    async with running_app(tmp_path, tg) as application:
        yield application


@asynccontextmanager
async def running_app(tmp_path, tg, **settings: object) -> AsyncIterator[App]:
    """The app as `python -m bot` builds it (no polling, no background tasks); ``settings``
    override, e.g. ``wb_api_url_template`` for a fake WB."""
    config = Settings(
        bot_token=tg.token,
        telegram_api_url=tg.base_url,
        data_dir=tmp_path / "data",
        master_keys=base64.b64encode(os.urandom(32)).decode(),
        **settings,
    )
    _detach_routers()
    application = await build(config)
    try:
        yield application
    finally:
        await shutdown(application)
        _detach_routers()


def _detach_routers() -> None:
    # The routers are module-level singletons, and aiogram lets a router join one dispatcher
    # only; each test builds its own.
    for router in get_routers():
        router._parent_router = None


async def say(app, tg, user_id: int, text: str, language: str = "en", **message_fields) -> None:
    """The user sends ``text``; ``message_fields`` go to ``tg.user_message`` (``chat_id`` and
    ``title`` for a group, ``first_name``, ``username``)."""
    message = tg.user_message(user_id, text, language_code=language, **message_fields)
    await app.dp.feed_update(app.bot, Update(update_id=next(_ids), message=message))


async def press(app, tg, user_id: int, message_id: int, data: str) -> None:
    query = tg.callback(user_id, message_id, data)
    await app.dp.feed_update(app.bot, Update(update_id=next(_ids), callback_query=query))
