"""Alerts against the fake Telegram, which enforces its limits (global 30/s, 1/s per private
chat) and counts every breach: a backlog of N alerts to N chats (N messages: the drain rate
beside the ceiling); the same N alerts to fewer chats (merged per chat: fewer messages, sooner);
and a steady flow, with the latency from an event's commit to Telegram's OK.

Run: `python -m tests.bench.bench_alerts [--alerts 10000] [--grouped-chats 2000] [--steady 60]`.
Not part of the test suite: at Telegram's ~30 msg/s, 10,000 messages take about seven minutes.
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

from bot.config import Settings
from bot.crypto import Keyring
from bot.i18n import make_i18n
from bot.notify.sender import Sender
from bot.store import Database
from bot.store.outbox import add_events, delivery_states
from bot.store.shops import NewToken, connect_shop
from bot.store.users import ensure_user
from tests.fakes.telegram import FakeTelegram
from tests.notify.conftest import order

CEILING = 30.0
MEMBERS_PER_SHOP = 4


async def fill(db: Database, keyring: Keyring, alerts: int, chats: int, first: int = 1) -> None:
    """``chats`` private chats, four members per shop, ``alerts`` deliveries in all, every
    event from its own poll. With one alert per chat each is a message; with more, what
    waits for one chat goes out as one message (the sender merges a chat's backlog)."""
    shops = max(chats // MEMBERS_PER_SHOP, 1)
    per_shop = max(alerts // (shops * MEMBERS_PER_SHOP), 1)
    for s in range(shops):
        owner = first + s * MEMBERS_PER_SHOP
        info = NewToken(f"sid-{owner}", f"Shop {owner}", 1, 0, True, None)
        for member in range(owner, owner + MEMBERS_PER_SHOP):
            await ensure_user(db, member, "en", "Europe/Moscow")
            shop, _ = await connect_shop(db, keyring, member, info, "token")
        async with db.transaction() as conn:
            for n in range(per_shop):
                await add_events(
                    conn, shop.id, [order(f"B-{s}-{n}")], batch=f"p{s}-{n}", catch_up=False
                )


async def drain(db: Database, sender: Sender, tg: FakeTelegram, label: str) -> None:
    before = len(tg.sent())
    started = time.monotonic()
    while True:
        await sender.drain_once()
        states = await delivery_states(db)
        if not states.get("pending") and not states.get("sending"):
            break
        done = states.get("sent", 0)
        elapsed = time.monotonic() - started
        print(f"  {done} sent, {done / elapsed:.1f} deliveries/s", flush=True)
    elapsed = time.monotonic() - started
    messages = tg.sent()[before:]
    settled = (await delivery_states(db)).get("sent", 0)
    print(
        f"{label}: {settled} alerts in {len(messages)} messages to "
        f"{len({c.chat_id for c in messages})} chats; rate: {len(messages) / elapsed:.1f} msg/s "
        f"(ceiling {CEILING:.0f} msg/s) over {elapsed:.1f} s"
    )


async def steady(db: Database, keyring: Keyring, sender: Sender, seconds: float, rate: float):
    """Alerts arrive at ``rate`` per second (each a new poll of a shop with one chat) while
    the sender runs as in the bot; returns the seconds from each event's commit to
    Telegram's OK (goal G1: p95 at most 60 s)."""
    chats = int(rate * 10) + 1  # each chat gets an alert every ~10 s: under 1 msg/s per chat
    first = 1_000_000
    shops = []
    for c in range(chats):
        await ensure_user(db, first + c, "en", "Europe/Moscow")
        info = NewToken(f"steady-{c}", f"Steady {c}", 1, 0, True, None)
        shop, _ = await connect_shop(db, keyring, first + c, info, "token")
        shops.append(shop.id)
    runner = asyncio.create_task(sender.run())
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < seconds:
        async with db.transaction() as conn:
            await add_events(
                conn, shops[n % chats], [order(f"S-{n}")], batch=f"s{n}", catch_up=False
            )
        sender.wake()
        n += 1
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
    for _ in range(600):  # what is still pending goes within a minute
        if not (await delivery_states(db)).get("pending"):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    rows = await db.fetchall(
        "SELECT d.sent_at - e.created_at FROM deliveries d JOIN events e ON e.id = d.event_id "
        "WHERE e.ref LIKE 'srid-S-%' AND d.sent_at IS NOT NULL ORDER BY 1"
    )
    return [float(r[0]) for r in rows]


def quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def main(alerts: int, grouped_chats: int, rate: float, seconds: float, flow: float) -> None:
    keyring = Keyring([os.urandom(32)])
    async with FakeTelegram(enforce_limits=True, global_rate=CEILING) as tg:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        bot = Bot(tg.token, session=session)
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(Path(tmp) / "backlog.sqlite3")
            await db.open()
            await fill(db, keyring, alerts, alerts)  # one alert per chat: nothing to merge
            await drain(db, Sender(db, bot, make_i18n(), rate=rate), tg, "backlog")
            await db.close()
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(Path(tmp) / "grouped.sqlite3")
            await db.open()
            await fill(db, keyring, alerts, grouped_chats, first=alerts + 1)
            await drain(db, Sender(db, bot, make_i18n(), rate=rate), tg, "grouped")
            await db.close()
        if seconds > 0:
            with tempfile.TemporaryDirectory() as tmp:
                db = Database(Path(tmp) / "steady.sqlite3")
                await db.open()
                sender = Sender(db, bot, make_i18n(), rate=rate)
                latency = await steady(db, keyring, sender, seconds, flow)
                print(
                    f"latency at {flow:g} alerts/s for {seconds:g} s: {len(latency)} alerts, "
                    f"p50 {quantile(latency, 0.5):.2f} s, p95 {quantile(latency, 0.95):.2f} s, "
                    f"max {max(latency, default=float('nan')):.2f} s (event commit to Telegram OK)"
                )
                await db.close()
        print(f"violations: {tg.total_violations()} {dict(tg.violations)}")
        await bot.session.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument(
        "--grouped-chats", type=int, default=2_000, help="the same alerts into fewer chats"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=Settings.model_fields["send_rate_per_second"].default,
        help="the sender's global rate (the app's setting)",
    )
    parser.add_argument("--steady", type=float, default=60.0, help="seconds of steady flow")
    parser.add_argument("--flow", type=float, default=20.0, help="alerts/s in the steady flow")
    args = parser.parse_args()
    asyncio.run(main(args.alerts, args.grouped_chats, args.rate, args.steady, args.flow))
