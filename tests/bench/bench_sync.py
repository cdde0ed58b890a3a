"""Sync figures: CPU per poll and polls per second on one core with 1,000 and 10,000 shops
against the fake WB (run in its own process, so only the bot's CPU is counted), and ingest rows
per second through the real write path beside plain sqlite3.executemany in the same run.

Run: `.venv/bin/python -m tests.bench.bench_sync [--shops 1000 10000] [--rows 100000]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.config import Settings
from bot.crypto import Keyring
from bot.store import Database
from bot.store.rollups import refresh_rollups
from bot.sync.engine import SyncEngine
from bot.sync.rows import upsert_orders
from bot.timeutil import utc_to_msk_str
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.models import Order
from tests.fakes.tokens import make_token
from tests.sync.conftest import _mask  # the same category mask /connect stores

ROOT = Path(__file__).resolve().parents[2]


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_fake() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.wb", "--rate-scale", str(RATE_SCALE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("WB_API_URL_TEMPLATE="):
            return proc, line.split("=", 1)[1].strip()
    raise RuntimeError("fake WB did not start")


#: The fake WB and the bot both run WB's limits at this scale (a WB minute lasts 0.6 s), so the
#: steady-state rounds can poll every shop again seconds after the first; a poll's work is the
#: same at any scale.
RATE_SCALE = 0.01
JOBS = ("orders", "sales")


async def seed_shops(db: Database, keyring: Keyring, n: int) -> None:
    """n shops with Personal statistics tokens, baseline done, orders and sales polls due now."""
    from bot.crypto import aad_for
    from bot.wb.token import inspect_token

    now = time.time()
    cursor = utc_to_msk_str(datetime.now(UTC) - timedelta(minutes=1))
    async with db.transaction() as conn:
        for i in range(1, n + 1):
            token = make_token(acc=3, categories=("statistics",))
            info = inspect_token(token)
            sealed = keyring.seal(token, aad_for(i, info.seller_id or ""))
            await conn.execute(
                "INSERT INTO shops(id, seller_id, name, token_key_id, token_nonce, token_sealed,"
                " token_type, token_categories, token_read_only, state, connected_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,1,'active',?,?)",
                (
                    i,
                    info.seller_id,
                    f"shop {i}",
                    sealed.key_id,
                    sealed.nonce,
                    sealed.ciphertext,
                    3,
                    _mask(info),
                    now,
                    now,
                ),
            )
            for job in JOBS:
                await conn.execute(
                    "INSERT INTO polls(shop_id, method, next_due_at, cursor, baseline_done, "
                    "last_ok_at) VALUES (?, ?, 0, ?, 1, NULL)",
                    (i, job, cursor),
                )


async def run_round(
    db: Database, engine: SyncEngine, jobs: tuple[str, ...]
) -> tuple[int, float, float]:
    """Makes every poll of ``jobs`` due and ticks as the bot does until each has answered (or
    failed); returns the polls the engine ran, the wall seconds and the CPU seconds.

    The other jobs are parked meanwhile, and the polls are counted as the engine starts them: at
    this rate scale a job's period is 0.6 s, so a poll (of this job or another) comes due again
    within the round, and its CPU must count against it, not against the round's first polls."""
    marks = ",".join("?" * len(jobs))
    mark = time.time()
    async with db.transaction() as conn:
        await conn.execute(f"UPDATE polls SET next_due_at = 0 WHERE method IN ({marks})", jobs)
        await conn.execute(
            f"UPDATE polls SET next_due_at = 1e12 WHERE method NOT IN ({marks})", jobs
        )
    started = engine.polls_started
    c0, t0 = cpu(), time.perf_counter()

    async def ticking() -> None:
        while True:
            begun = time.monotonic()
            await engine.tick()
            tick = engine.settings.tick_seconds
            await asyncio.sleep(max(0.0, tick - (time.monotonic() - begun)))

    ticker = asyncio.create_task(ticking())
    while True:
        # The check scans every poll of the job: often enough to end the round within a tick,
        # seldom enough that its own CPU (in this process) stays out of the figure.
        await asyncio.sleep(0.5)
        row = await db.fetchone(
            f"SELECT COUNT(*) FROM polls WHERE method IN ({marks}) "
            "AND (last_ok_at IS NULL OR last_ok_at < ?) AND failures = 0",
            (*jobs, mark),
        )
        if row is not None and row[0] == 0:
            break
    ticker.cancel()
    await engine.idle()
    return engine.polls_started - started, time.perf_counter() - t0, cpu() - c0


async def bench_polls(n: int, template: str) -> None:
    rss_before = rss_kb()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "b.sqlite3")
        await db.open()
        keyring = Keyring([os.urandom(32)])
        await seed_shops(db, keyring, n)
        # The app's own settings (concurrency, a tick per second), so the figure is what a
        # running bot achieves, not what a tighter loop could.
        settings = Settings(
            bot_token=SecretStr("123456:" + "A" * 35), data_dir=Path(tmp), wb_rate_scale=RATE_SCALE
        )
        async with aiohttp.ClientSession() as http:
            engine = SyncEngine(db, keyring, WBClient(http, template), Limiter(), settings)
            figures = {"first": await run_round(db, engine, JOBS)}
            for job in JOBS:
                await asyncio.sleep(2 * 60 * RATE_SCALE)  # a WB minute: the budget refills
                figures[job] = await run_round(db, engine, (job,))
            failed = await db.fetchone("SELECT COUNT(*) FROM polls WHERE failures > 0")
            rss_after = rss_kb()
        await db.close()
    parts = []
    for name, (polls, wall, used) in figures.items():
        label = "first polls (orders+sales)" if name == "first" else f"steady {name}"
        parts.append(
            f"{label} {used / polls * 1000:.2f} ms CPU/poll, {polls / wall:.0f} polls/s"
            f" ({polls / n:.2f} per shop)"
        )
    print(
        f"  {n:>6} shops: " + "; ".join(parts) + f"; failed polls {failed[0] if failed else '?'}"
        f"; memory {(rss_after - rss_before) / n:.1f} KB/shop (RSS {rss_after / 1024:.0f} MB)",
        flush=True,
    )


def make_orders(n: int) -> list[Order]:
    base = datetime.now(UTC) - timedelta(days=30)
    rows = []
    for i in range(n):
        when = base + timedelta(seconds=i * 20)
        rows.append(
            Order(
                srid=f"{i}.0.0",
                date=when,
                last_change_raw=utc_to_msk_str(when),
                last_change=when,
                nm_id=100000 + i % 500,
                supplier_article=f"ART-{i % 500}",
                barcode=f"20{i:011d}",
                tech_size="M",
                subject="Футболки",
                brand="Solnce",
                category="Одежда",
                warehouse_name="Коледино",
                warehouse_type="Склад WB",
                region_name="Москва",
                oblast_name="ЦФО",
                country_name="Россия",
                total_price=1290.0,
                discount_percent=10.0,
                spp=20.0,
                finished_price=930.0,
                price_with_disc=1161.0,
                is_cancel=False,
                cancel_date=None,
                g_number=f"9{i}",
                income_id=1,
                sticker="1",
            )
        )
    return rows


async def bench_ingest(n: int) -> None:
    orders = make_orders(n)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "i.sqlite3")
        await db.open()
        t0 = time.perf_counter()
        for start in range(0, n, 2000):
            async with db.transaction() as conn:
                await upsert_orders(conn, 1, orders[start : start + 2000])
        upserts = time.perf_counter() - t0
        t0 = time.perf_counter()
        async with db.transaction() as conn:
            hours = {int(o.date.timestamp()) // 3600 * 3600 for o in orders}
            await refresh_rollups(conn, 1, hours)
        rollup = time.perf_counter() - t0
        await db.close()
        # What the sync engine does: rows and the rollups they touch in each transaction.
        db = Database(Path(tmp) / "e.sqlite3")
        await db.open()
        t0 = time.perf_counter()
        for start in range(0, n, 2000):
            async with db.transaction() as conn:
                changes = await upsert_orders(conn, 1, orders[start : start + 2000])
                await refresh_rollups(conn, 1, changes.hours)
        real = time.perf_counter() - t0
        await db.close()

        # The baseline writes the same 25 columns into the same table (the real schema, its
        # indexes and triggers, a fresh file) in one plain transaction: the cost of the
        # bot's way of writing, not of a smaller table.
        db = Database(Path(tmp) / "p.sqlite3")
        await db.open()
        await db.close()
        plain = sqlite3.connect(Path(tmp) / "p.sqlite3")
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("PRAGMA synchronous=NORMAL")
        rows = [
            (
                1, o.srid, int(o.date.timestamp()), o.last_change_raw, o.nm_id,
                o.supplier_article, o.barcode, o.tech_size, o.subject, o.brand, o.category,
                o.warehouse_name, o.warehouse_type, o.region_name, o.oblast_name,
                o.country_name, o.total_price, o.discount_percent, o.spp, o.finished_price,
                o.price_with_disc, int(o.is_cancel), None, o.g_number, time.time(),
            )
            for o in orders
        ]  # fmt: skip
        t0 = time.perf_counter()
        with plain:
            plain.executemany(
                "INSERT INTO orders(shop_id, srid, ts, last_change, nm_id, supplier_article, "
                "barcode, tech_size, subject, brand, category, warehouse, warehouse_type, "
                "region, oblast, country, total_price, discount_percent, spp, finished_price, "
                "price_with_disc, is_cancel, cancel_ts, g_number, source, first_seen) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'statistics',?)",
                rows,
            )
        base = time.perf_counter() - t0
        plain.close()
    print(
        f"  ingest {n} orders: real write path {n / real:8.0f} rows/s "
        f"(2,000-row transactions with their rollups, change detection, aiosqlite); "
        f"upserts alone {n / upserts:.0f} rows/s; all rollups for {len(hours)} "
        f"hours at once in {rollup * 1000:.0f} ms"
    )
    print(
        f"  plain sqlite3.executemany, same table and indexes, one transaction: "
        f"{n / base:8.0f} rows/s; ratio {base / real:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, nargs="*", default=[1000, 10000, 20000])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    fake, template = start_fake()
    try:
        print("polls (Personal tokens; steady state: every shop polled again, no new rows):")
        for n in args.shops:
            await bench_polls(n, template)
    finally:
        fake.terminate()
        fake.wait()
    print("ingest:")
    await bench_ingest(args.rows)


if __name__ == "__main__":
    asyncio.run(main())
