"""A fresh database, the fake Telegram, a real aiogram Bot talking to it, and a Sender."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.events import OrderPlaced
from bot.i18n import make_i18n
from bot.notify.sender import Sender
from bot.store.outbox import NewEvent, add_events, delivery_states
from bot.store.shops import NewToken, connect_shop, set_alert_chat
from bot.store.users import ensure_user, update_user
from tests.fakes.telegram import FakeTelegram


@pytest.fixture(scope="session")
def i18n():
    return make_i18n()


@pytest.fixture
async def tg():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg):
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
    b = Bot(tg.token, session=session)
    yield b
    await b.session.close()


@pytest.fixture
def sender(db, bot, i18n):
    return Sender(db, bot, i18n, rate=25.0, idle_seconds=0.05, send_timeout=5.0)


async def add_shop(
    db, keyring, owner: int, name: str = "Shop", *, group: int | None = None, **settings
) -> int:
    await ensure_user(db, owner, "en", "Europe/Moscow")
    if settings:
        await update_user(db, owner, **settings)
    shop, _ = await connect_shop(
        db, keyring, owner, NewToken(f"sid-{owner}-{name}", name, 1, 0, True, None), "tok"
    )
    if group is not None:
        await set_alert_chat(db, shop.id, group)
    return shop.id


def order(
    article: str, *, nm_id: int = 1001, price: float = 1520, srid: str | None = None, **extra
) -> NewEvent:
    fields = {
        "srid": srid or f"srid-{article}",
        "nm_id": nm_id,
        "supplier_article": article,
        "tech_size": "M",
        "subject": "Футболки",
        "brand": "Acme",
        "price_with_disc": price,
        "finished_price": price * 0.9,
        "total_price": price * 2,
        "discount_percent": 50,
        "spp": 10,
        "warehouse": "Коледино",
        "region": "Московская область",
        "ts": int(time.time()),
        "source": "statistics",
        **extra,
    }
    event = OrderPlaced(**fields)
    return NewEvent(event, event.srid)


async def put_events(db, shop_id: int, events, *, batch: str = "b1", catch_up: bool = False):
    async with db.transaction() as conn:
        await add_events(conn, shop_id, events, batch=batch, catch_up=catch_up)


async def drain(sender, *, until=None, within: float = 20.0) -> None:
    """Runs passes until nothing is due (and `until()` holds, when given)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sent = await sender.drain_once()
        if until is None and sent == 0:
            states = await delivery_states(sender.db)
            if not states.get("pending") and not states.get("sending"):
                return
        if until is not None and until():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain in time")
