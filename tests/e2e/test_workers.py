"""Several processes on one database: `python -m bot` and two `python -m bot worker` share the
polls of many shops while orders keep coming, against the fake WB and the fake Bot API.

What a seller must see: every order in exactly one Telegram message, none lost, none twice; WB
and Telegram limits never broken; and a worker killed with SIGKILL (20 times, at random moments)
costs nothing: its polls are taken over by the others within their lease.

Sizes: the CI run has WORKERS_SHOPS=60 shops; by hand, `WORKERS_SHOPS=300 WORKERS_KILLS=20
.venv/bin/python -m pytest tests/e2e/test_workers.py -s` is the issue's full size.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.crypto import Keyring, parse_keys
from bot.store import Database
from bot.store.engine import open_database
from bot.store.shops import NewToken, connect_shop
from bot.store.users import ensure_user
from bot.sync.plan import plan_shop
from bot.wb.token import inspect_token
from tests.e2e.harness import BotProcess
from tests.e2e.seed import master_key
from tests.e2e.test_crash import query, wait_until
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tokens import make_token
from tests.fakes.wb import FakeWB

SHOPS = int(os.environ.get("WORKERS_SHOPS", "60"))
KILLS = int(os.environ.get("WORKERS_KILLS", "20"))
# WB's periods at 1/20: a Personal token's supplier/orders every 3 s instead of every minute.
SCALE = float(os.environ.get("WORKERS_SCALE", "0.05"))
LEASE = 3.0
ORDERS_PER_SECOND = 4.0
FIRST_CHAT = 7001


async def seed_shops(data: Path, master: str, tokens: list[str]) -> None:
    """The shops as /connect leaves them, one owner (and chat) each, in one database session."""
    db = Database(data / "wbpulse.sqlite3")
    await db.open()
    try:
        keyring = Keyring(parse_keys(master))
        for n, token in enumerate(tokens):
            info = inspect_token(token)
            mask = sum(1 << int(c) for c in info.categories)
            await ensure_user(db, FIRST_CHAT + n, "en", "Europe/Moscow")
            shop, _ = await connect_shop(
                db,
                keyring,
                FIRST_CHAT + n,
                NewToken(
                    info.seller_id or "", f"Shop {n}", int(info.token_type), mask, True, None
                ),
                token,
            )
            await plan_shop(db, shop, SCALE)
        # No 09:00 summary in the middle of a run that counts messages.
        await db.write("UPDATE users SET alert_summary = 0")
    finally:
        await db.close()


def holds(db: Path, pid: int) -> int:
    """How many polls a process holds a live lease on."""
    return query(
        db,
        f"SELECT COUNT(*) FROM polls WHERE claimed_by LIKE '%:{pid}:%' "
        f"AND lease_until >= {time.time()}",
    )[0][0]


@pytest.mark.timeout(600 + KILLS * 30 + SHOPS)
async def test_three_processes_share_the_shops_and_a_killed_worker_costs_no_alert(tmp_path):
    rng = random.Random(int(os.environ.get("WORKERS_SEED", "11")))
    async with (
        FakeTelegram() as tg,
        FakeWB(rate_scale=SCALE, stock_task_delay=1.0) as wb,
    ):
        master = master_key()
        data = tmp_path / "data"
        sellers: list[tuple[str, int]] = []
        tokens = []
        for n in range(SHOPS):
            token = make_token(acc=3, categories=("statistics",))
            sid = wb.add_seller(token, name=f"Shop {n}")
            wb.add_order(sid)  # history: the silent baseline
            tokens.append(token)
            sellers.append((sid, FIRST_CHAT + n))
        await seed_shops(data, master, tokens)
        db = data / "wbpulse.sqlite3"
        env = {
            "MASTER_KEYS": master,
            "WB_RATE_SCALE": str(SCALE),
            "TICK_SECONDS": "0.2",
            "LEASE_SECONDS": str(LEASE),
        }
        main = BotProcess(data, tg.base_url, tg.token, wb.url_template, name="main", **env)
        workers = [
            BotProcess(
                data,
                tg.base_url,
                tg.token,
                wb.url_template,
                args=("worker",),
                name=f"worker{n}",
                **env,
            )
            for n in (1, 2)
        ]
        main.start()
        await main.wait_ready()
        for worker in workers:
            worker.start()
        for worker in workers:
            await worker.wait_ready()
        try:
            await wait_until(
                lambda: query(db, "SELECT MIN(baseline_done) FROM polls")[0][0] == 1, within=120
            )
            assert tg.sent() == [], "the baseline must be silent"
            created: dict[str, tuple[int, int]] = {}  # srid -> (chat, nmId)
            stop = asyncio.Event()

            async def sellers_get_orders() -> None:
                while not stop.is_set():
                    sid, chat = rng.choice(sellers)
                    row = wb.add_order(sid)
                    created[row["srid"]] = (chat, int(row["nmId"]))
                    await asyncio.sleep(rng.expovariate(ORDERS_PER_SECOND))

            orders = asyncio.create_task(sellers_get_orders())
            takeovers: list[float] = []
            try:
                await asyncio.sleep(10)  # steady state first: all three at work
                shared = query(
                    db,
                    "SELECT COUNT(DISTINCT claimed_by) FROM polls WHERE claimed_by IS NOT NULL",
                )[0][0]
                assert shared >= 2, "the polls were not shared between processes"
                for _ in range(KILLS):
                    await asyncio.sleep(rng.uniform(0.3, 2.0))
                    victim = rng.choice(workers)
                    pid = victim.proc.pid if victim.proc else 0
                    victim.kill()
                    killed_at = time.monotonic()
                    # Its leases lapse and the others take its polls, with no restart's help.
                    await wait_until(lambda pid=pid: holds(db, pid) == 0, within=LEASE + 5)
                    takeovers.append(time.monotonic() - killed_at)
                    victim.start()
                    await victim.wait_ready()
            finally:
                stop.set()
                await orders

            def all_sent() -> bool:
                refs = query(db, "SELECT COUNT(*) FROM events WHERE kind = 'order'")[0][0]
                sent = query(
                    db,
                    "SELECT COUNT(*) FROM deliveries d JOIN events e ON e.id = d.event_id "
                    "WHERE e.kind = 'order' AND d.state = 'sent'",
                )[0][0]
                return refs >= len(created) and sent >= len(created)

            await wait_until(all_sent, within=90)
            await asyncio.sleep(1.0)  # anything sent twice would have come by now
        finally:
            codes = [await p.stop() for p in (*workers, main)]

        refs = Counter(r[0] for r in query(db, "SELECT ref FROM events WHERE kind = 'order'"))
        rows = query(
            db,
            "SELECT e.ref, d.chat_id, d.tg_message_id, d.state FROM events e "
            "JOIN deliveries d ON d.event_id = e.id WHERE e.kind = 'order'",
        )
        by_order = Counter(r[0] for r in rows)
        messages_of_chat: dict[int, set[int]] = {}
        for ref, chat, message_id, state in rows:
            assert state == "sent", (ref, state)
            messages_of_chat.setdefault(chat, set()).add(message_id)
            text = (tg.message(chat, message_id) or {}).get("text", "")
            assert str(created[ref][1]) in text, (ref, text)  # the seller sees the product
        extra = {
            chat: len(tg.sent(chat)) - len(ids)
            for chat, ids in messages_of_chat.items()
            if len(tg.sent(chat)) != len(ids)
        }
        resent = query(db, "SELECT name, value FROM counters WHERE name LIKE 'tg_%'")
        lost_leases = query(db, "SELECT value FROM counters WHERE name = 'sync_lease_lost'")
        print(
            f"\nworkers: {SHOPS} shops, {len(created)} orders, {KILLS} kills, "
            f"takeover after a kill {min(takeovers, default=0):.1f}-"
            f"{max(takeovers, default=0):.1f} s (lease {LEASE} s), "
            f"Telegram counters {dict(resent)}, polls that lost their lease {lost_leases}, "
            f"{len(tg.sent())} messages"
        )
        assert set(refs) == set(created), "an order without its event"
        assert [r for r, n in refs.items() if n > 1] == []
        assert all(by_order[ref] == 1 for ref in created), "an order without exactly one alert"
        assert extra == {}, f"messages no delivery accounts for (sent twice): {extra}"
        assert wb.total_violations() == 0, wb.violations
        assert tg.total_violations() == 0, tg.violation_log[:5]
        assert len(takeovers) == KILLS
        assert max(takeovers, default=0) <= LEASE + 1.5
        assert codes == [0, 0, 0]
        logs = "\n".join(p.log() for p in (main, *workers))
        assert not re.search(r"Traceback|ERROR", logs), logs[-3000:]
