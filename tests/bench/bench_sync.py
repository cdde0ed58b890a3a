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
        [sys.executable, "-m", "tests.fakes.wb", "--rate-scale", "1.0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("WB_API_URL_TEMPLATE="):
            return proc, line.split("=", 1)[1].strip()
    raise RuntimeError("fake WB did not start")


async def seed_shops(db: Database, keyring: Keyring, n: int) -> None:
    """n shops with Personal statistics tokens, baseline done, every orders poll due now."""
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
            await conn.execute(
                "INSERT INTO polls(shop_id, method, next_due_at, cursor, baseline_done, "
                "last_ok_at) VALUES (?, 'orders', 0, ?, 1, NULL)",
                (i, cursor),
            )


async def bench_polls(n: int, template: str) -> tuple[float, float]:
    rss_before = rss_kb()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "b.sqlite3")
        await db.open()
        keyring = Keyring([os.urandom(32)])
        await seed_shops(db, keyring, n)
        # The app's own settings (concurrency, a tick per second), so the figure is what a
        # running bot achieves, not what a tighter loop could.
        settings = Settings(bot_token=SecretStr("123456:" + "A" * 35), data_dir=Path(tmp))

        async def ticking(engine: SyncEngine) -> None:
            while True:
                begun = time.monotonic()
                await engine.tick()
                await asyncio.sleep(max(0.0, settings.tick_seconds - (time.monotonic() - begun)))

        async with aiohttp.ClientSession() as http:
            engine = SyncEngine(db, keyring, WBClient(http, template), Limiter(), settings)
            c0, t0 = cpu(), time.perf_counter()
            ticker = asyncio.create_task(ticking(engine))
            while True:
                await asyncio.sleep(0.05)
                row = await db.fetchone(
                    "SELECT COUNT(*) FROM polls WHERE last_ok_at IS NULL AND failures = 0"
                )
                if row is not None and row[0] == 0:
                    break
            ticker.cancel()
            await engine.idle()
            wall, used = time.perf_counter() - t0, cpu() - c0
            failed = await db.fetchone("SELECT COUNT(*) FROM polls WHERE failures > 0")
            rss_after = rss_kb()
        await db.close()
    print(
        f"  {n:>6} shops: {n / wall:8.0f} polls/s wall, {used / n * 1000:6.2f} ms CPU/poll, "
        f"{used / wall * 100:5.1f}% of a core, failed polls {failed[0] if failed else '?'}, "
        f"memory {(rss_after - rss_before) / n:.1f} KB/shop (RSS {rss_after / 1024:.0f} MB)"
    )
    return n / wall, used / n


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

        plain = sqlite3.connect(Path(tmp) / "i.sqlite3")
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("PRAGMA synchronous=NORMAL")
        rows = [
            (
                2,
                o.srid,
                int(o.date.timestamp()),
                o.last_change_raw,
                o.nm_id,
                o.supplier_article,
                o.price_with_disc,
                time.time(),
            )
            for o in orders
        ]
        t0 = time.perf_counter()
        with plain:
            plain.executemany(
                "INSERT INTO orders(shop_id, srid, ts, last_change, nm_id, supplier_article, "
                "price_with_disc, first_seen) VALUES (?,?,?,?,?,?,?,?)",
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
        f"  plain sqlite3.executemany, one transaction: {n / base:8.0f} rows/s; "
        f"ratio {base / real:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    fake, template = start_fake()
    try:
        print("polls (orders, Personal tokens, steady state: no new rows):")
        for n in args.shops:
            await bench_polls(n, template)
    finally:
        fake.terminate()
        fake.wait()
    print("ingest:")
    await bench_ingest(args.rows)


if __name__ == "__main__":
    asyncio.run(main())
