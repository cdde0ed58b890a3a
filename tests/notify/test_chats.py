"""/notify_here, /notify_private and chats that block the bot, through the real Dispatcher."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.types import Update
from pydantic import SecretStr

from bot.config import Settings
from bot.handlers import chats
from bot.handlers.middleware import UserMiddleware
from bot.i18n import UserLocale
from bot.store import outbox
from bot.store.shops import get_shop
from tests.fakes.telegram import DEFAULT_TOKEN
from tests.notify.conftest import add_shop, drain, order, put_events


def dispatcher(db, i18n) -> Dispatcher:
    dp = Dispatcher()
    settings = Settings(bot_token=SecretStr(DEFAULT_TOKEN), _env_file=None)
    dp.workflow_data.update(db=db, settings=settings, i18n=i18n)
    mw = UserMiddleware(db, settings)
    for observer in (dp.message, dp.callback_query, dp.my_chat_member):
        observer.outer_middleware(mw)
    UserLocale(i18n).setup(dp)
    chats.router._parent_router = None  # the module-level router is reused across tests
    dp.include_router(chats.router)
    return dp


async def feed(dp, bot, kind: str, obj: dict, n: int = 1) -> None:
    await dp.feed_update(bot, Update.model_validate({"update_id": n, kind: obj}))


async def test_notify_here_sends_a_shops_alerts_to_the_group_and_back(
    db, keyring, tg, bot, i18n, sender
):
    shop_id = await add_shop(db, keyring, 21, "Лавка")
    dp = dispatcher(db, i18n)

    await feed(dp, bot, "message", tg.group_message(21, -900, "/notify_here"))
    assert "will come to this chat" in tg.texts(-900)[-1]
    shop = await get_shop(db, shop_id)
    assert shop is not None and shop.alert_chat_id == -900

    await put_events(db, shop_id, [order("ART-GROUP")])
    await drain(sender)
    assert any("ART-GROUP" in t for t in tg.texts(-900))
    assert not any("ART-GROUP" in t for t in tg.texts(21))

    await feed(dp, bot, "message", tg.group_message(21, -900, "/notify_private"), 2)
    shop = await get_shop(db, shop_id)
    assert shop is not None and shop.alert_chat_id is None


async def test_a_stranger_cannot_route_alerts_to_a_group(db, keyring, tg, bot, i18n):
    await add_shop(db, keyring, 22)
    dp = dispatcher(db, i18n)
    await feed(dp, bot, "message", tg.group_message(99, -901, "/notify_here"))
    assert "Only a member" in tg.texts(-901)[-1]


async def test_blocking_and_unblocking_the_bot_stops_and_resumes_alerts(
    db, keyring, tg, bot, i18n, sender
):
    shop_id = await add_shop(db, keyring, 23)
    dp = dispatcher(db, i18n)
    await feed(dp, bot, "my_chat_member", tg.my_chat_member(23, 23, "member", "kicked"))
    assert await outbox.is_blocked(db, 23)
    await put_events(db, shop_id, [order("ART-WHILE-BLOCKED")])
    await drain(sender)
    assert tg.calls_of("sendMessage", chat_id=23) == []

    await feed(dp, bot, "my_chat_member", tg.my_chat_member(23, 23, "kicked", "member"), 2)
    assert not await outbox.is_blocked(db, 23)
    await put_events(db, shop_id, [order("ART-BACK")], batch="b2")
    await drain(sender)
    assert any("ART-BACK" in t for t in tg.texts(23))
