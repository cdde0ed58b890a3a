"""Several processes on one database: `python -m bot` and two `python -m bot worker` share the
polls of many shops while orders keep coming, against the fake WB and the fake Bot API.

What a seller must see: every order in exactly one Telegram message, none lost, none twice; WB
and Telegram limits never broken; and a worker killed with SIGKILL (20 times, at random moments)
costs nothing: its polls are taken over by the others within their lease.

Sizes: the CI run is the issue's full size on PostgreSQL, the deployment engine for several
processes: 300 shops, 20 kills (about 5 minutes). The same test on SQLite is by hand
(`WORKERS_SQLITE=1 .venv/bin/python -m pytest tests/e2e/test_workers.py -s`): it adds minutes to
every CI run, and SQLite's side of the leases is covered on both engines by
tests/unit/test_leases.py.

The test reads the store only through the `Database` API and runs on both engines: SQLite, and
PostgreSQL on the suite's own server (tests/pgserver.py; skipped where no PostgreSQL binaries
are installed).
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
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tokens import make_token
from tests.fakes.wb import FakeWB

SHOPS = int(os.environ.get("WORKERS_SHOPS", "300"))
KILLS = int(os.environ.get("WORKERS_KILLS", "20"))
# WB's periods at 1/20: a Personal token's supplier/orders every 3 s instead of every minute.
SCALE = float(os.environ.get("WORKERS_SCALE", "0.05"))
LEASE = 3.0
ORDERS_PER_SECOND = 4.0
FIRST_CHAT = 7001


@pytest.fixture(
    params=[
        pytest.param(
            "sqlite",
            marks=pytest.mark.skipif(
                not os.environ.get("WORKERS_SQLITE"), reason="by hand: WORKERS_SQLITE=1"
            ),
        ),
        "postgres",
    ]
)
async def database_url(request):
    """DATABASE_URL of the processes: none (SQLite in DATA_DIR), or a fresh PostgreSQL
    database of the suite's server."""
    if request.param == "sqlite":
        yield ""
        return
    server = request.getfixturevalue("pg_server")
    name = await server.create_database()
    yield server.url(name)
    await server.drop_database(name)


def store(data: Path, url: str) -> Database:
    """The database the processes share (not yet open)."""
    return open_database(url, data) if url else Database(data / "wbpulse.sqlite3")


async def value(db: Database, sql: str, params: tuple[object, ...] = ()) -> int:
    row = await db.fetchone(sql, params)
    return int(row[0]) if row is not None and row[0] is not None else 0


async def wait_for(db: Database, check, within: float) -> None:
    """Until `await check(db)` is true."""
    deadline = time.monotonic() + within
    while not await check(db):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.1)


async def seed_shops(db: Database, master: str, tokens: list[str]) -> None:
    """The shops as /connect leaves them, one owner (and chat) each."""
    keyring = Keyring(parse_keys(master))
    for n, token in enumerate(tokens):
        info = inspect_token(token)
        mask = sum(1 << int(c) for c in info.categories)
        await ensure_user(db, FIRST_CHAT + n, "en", "Europe/Moscow")
        shop, _ = await connect_shop(
            db,
            keyring,
            FIRST_CHAT + n,
            NewToken(info.seller_id or "", f"Shop {n}", int(info.token_type), mask, True, None),
            token,
        )
        await plan_shop(db, shop, SCALE)
    # No 09:00 summary in the middle of a run that counts messages.
    await db.write("UPDATE users SET alert_summary = 0")


async def holds(db: Database, pid: int) -> int:
    """How many polls a process holds a live lease on."""
    return await value(
        db,
        "SELECT COUNT(*) FROM polls WHERE claimed_by LIKE ? AND lease_until >= ?",
        (f"%:{pid}:%", time.time()),
    )


@pytest.mark.timeout(600 + KILLS * 30 + SHOPS)
async def test_three_processes_share_the_shops_and_a_killed_worker_costs_no_alert(
    tmp_path, database_url
):
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
        db = store(data, database_url)
        await db.open()  # created and migrated here, before any process starts
        await seed_shops(db, master, tokens)
        env = {
            "MASTER_KEYS": master,
            "WB_RATE_SCALE": str(SCALE),
            "TICK_SECONDS": "0.2",
            "LEASE_SECONDS": str(LEASE),
            **({"DATABASE_URL": database_url} if database_url else {}),
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
            await wait_for(db, _baseline_done, within=120)
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
                # Steady state first, all three at work: who holds polls, seen over 10 s.
                holders: set[str] = set()
                for _ in range(40):
                    rows = await db.fetchall(
                        "SELECT DISTINCT claimed_by FROM polls WHERE claimed_by IS NOT NULL"
                    )
                    holders.update(str(r[0]) for r in rows)
                    await asyncio.sleep(0.25)
                assert len(holders) == 3, f"the polls were not shared: {holders}"
                for _ in range(KILLS):
                    await asyncio.sleep(rng.uniform(0.3, 2.0))
                    victim = rng.choice(workers)
                    pid = victim.proc.pid if victim.proc else 0
                    victim.kill()
                    killed_at = time.monotonic()
                    # Its leases lapse and the others take its polls, with no restart's help.
                    await wait_for(db, lambda db, pid=pid: _none_held(db, pid), within=LEASE + 5)
                    takeovers.append(time.monotonic() - killed_at)
                    victim.start()
                    await victim.wait_ready()
            finally:
                stop.set()
                await orders

            async def all_sent(db: Database) -> bool:
                refs = await value(db, "SELECT COUNT(*) FROM events WHERE kind = 'order'")
                sent = await value(
                    db,
                    "SELECT COUNT(*) FROM deliveries d JOIN events e ON e.id = d.event_id "
                    "WHERE e.kind = 'order' AND d.state = 'sent'",
                )
                return refs >= len(created) and sent >= len(created)

            await wait_for(db, all_sent, within=90)
            await asyncio.sleep(1.0)  # anything sent twice would have come by now
        finally:
            codes = [await p.stop() for p in (*workers, main)]

        refs = Counter(
            r[0] for r in await db.fetchall("SELECT ref FROM events WHERE kind = 'order'")
        )
        rows = await db.fetchall(
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
        resent = {
            r[0]: r[1]
            for r in await db.fetchall("SELECT name, value FROM counters WHERE name LIKE 'tg_%'")
        }
        lost_leases = await value(db, "SELECT value FROM counters WHERE name = 'sync_lease_lost'")
        await db.close()
        print(
            f"\nworkers: {SHOPS} shops, {len(created)} orders, {KILLS} kills, "
            f"takeover after a kill {min(takeovers, default=0):.1f}-"
            f"{max(takeovers, default=0):.1f} s (lease {LEASE} s), "
            f"Telegram counters {resent}, polls that lost their lease {lost_leases}, "
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


async def _baseline_done(db: Database) -> bool:
    return await value(db, "SELECT COUNT(*) FROM polls WHERE baseline_done = 0") == 0


async def _none_held(db: Database, pid: int) -> bool:
    return await holds(db, pid) == 0


async def test_a_second_bot_stands_by_and_takes_telegram_updates_when_the_first_dies(tmp_path):
    async with FakeTelegram() as tg, FakeWB(rate_scale=SCALE) as wb:
        data = tmp_path / "data"
        env = {"MASTER_KEYS": master_key(), "LEASE_SECONDS": str(LEASE), "TICK_SECONDS": "0.2"}
        first = BotProcess(data, tg.base_url, tg.token, wb.url_template, name="first", **env)
        second = BotProcess(data, tg.base_url, tg.token, wb.url_template, name="second", **env)
        first.start()
        await first.wait_ready()
        second.start()
        try:
            for _ in range(600):
                if "standing by" in second.log():
                    break
                await asyncio.sleep(0.1)
            assert "standing by" in second.log(), second.log()[-2000:]
            assert "Run polling" not in second.log()
            tg.user_message(42, "/start")
            await tg.wait_for_text(42, "How to connect", timeout=30)  # the first answers

            first.kill()
            killed = time.monotonic()
            await second.wait_ready(within=LEASE + 30)
            took = time.monotonic() - killed
            tg.user_message(43, "/start")
            await tg.wait_for_text(43, "How to connect", timeout=30)  # the second answers
        finally:
            codes = [await p.stop() for p in (first, second)]
        print(f"\nupdates taken over {took:.1f} s after the first bot died (lease {LEASE} s)")
        assert took <= LEASE + 10  # the lease, the stand-by's next try, aiogram's start
        assert codes[1] == 0, second.log()[-2000:]
        assert tg.total_violations() == 0
