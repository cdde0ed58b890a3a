"""Drains a backlog of alerts into the fake Telegram and reports the rate against the ceiling.

Run: `python -m tests.bench.bench_alerts [--alerts 10000] [--chats 2000] [--rate 25]`.
Not part of the test suite: at Telegram's ~30 msg/s, 10,000 messages take about seven minutes.
The fake enforces the limits (global 30/s, 1/s per private chat) and counts every breach.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.crypto import Keyring
from bot.i18n import make_i18n
from bot.notify.sender import Sender
from bot.store import Database
from bot.store.outbox import delivery_states
from bot.store.shops import NewToken, connect_shop
from bot.store.sync import add_events
from bot.store.users import ensure_user
from tests.fakes.telegram import FakeTelegram
from tests.notify.conftest import order

CEILING = 30.0
MEMBERS_PER_SHOP = 4


async def fill(db: Database, alerts: int, chats: int) -> None:
    """`chats` private chats, four members per shop; every alert its own poll, so each is
    one message (the worst case: nothing to group)."""
    keyring = Keyring([os.urandom(32)])
    shops = max(chats // MEMBERS_PER_SHOP, 1)
    per_shop = max(alerts // (shops * MEMBERS_PER_SHOP), 1)
    for s in range(shops):
        owner = s * MEMBERS_PER_SHOP + 1
        info = NewToken(f"sid-{s}", f"Shop {s}", 1, 0, True, None)
        for member in range(owner, owner + MEMBERS_PER_SHOP):
            await ensure_user(db, member, "en", "Europe/Moscow")
            await connect_shop(db, keyring, member, info, "token")
        async with db.transaction() as conn:
            for n in range(per_shop):
                await add_events(
                    conn, s + 1, [order(f"B-{s}-{n}")], batch=f"p{s}-{n}", catch_up=False
                )


async def main(alerts: int, chats: int, rate: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.sqlite3")
        await db.open()
        await fill(db, alerts, chats)
        async with FakeTelegram(enforce_limits=True, global_rate=CEILING) as tg:
            session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
            bot = Bot(tg.token, session=session)
            sender = Sender(db, bot, make_i18n(), rate=rate)
            started = time.monotonic()
            while True:
                await sender.drain_once()
                states = await delivery_states(db)
                if not states.get("pending") and not states.get("sending"):
                    break
                done = states.get("sent", 0)
                elapsed = time.monotonic() - started
                print(f"  {done} sent, {done / elapsed:.1f} msg/s", flush=True)
            elapsed = time.monotonic() - started
            sent = len(tg.sent())
            print(f"messages: {sent} to {len({c.chat_id for c in tg.sent()})} chats")
            print(
                f"rate: {sent / elapsed:.1f} msg/s (ceiling {CEILING:.0f} msg/s, "
                f"sender set to {rate:g}) over {elapsed:.1f} s"
            )
            print(f"violations: {tg.total_violations()} {dict(tg.violations)}")
            print(f"delivery states: {await delivery_states(db)}")
            await bot.session.close()
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=25.0, help="the sender's global rate")
    args = parser.parse_args()
    asyncio.run(main(args.alerts, args.chats, args.rate))
