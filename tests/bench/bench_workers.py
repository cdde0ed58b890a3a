"""Polls per second with 1, 2 and 4 worker processes on one database, against the fake WB (in a
process of its own): N shops with Personal statistics tokens, every orders poll due at once; each
worker is a process running the real SyncEngine (its tick, its claims, its leases); the figure is
N divided by the time until every poll has run once, and its ratio to one worker.

Run: `.venv/bin/python -m tests.bench.bench_workers [--shops 2000] [--workers 1 2 4] [--engine
sqlite postgres]` (postgres: a server of its own, started from the local PostgreSQL binaries as
the test suite does, tests/pgserver.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.config import Settings
from bot.crypto import Keyring, new_key, parse_keys
from bot.store import Database
from bot.store.engine import open_database
from bot.sync.engine import SyncEngine
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from tests.bench.bench_sync import seed_shops, start_fake
from tests.pgserver import PgServer, find_bindir

ROOT = Path(__file__).resolve().parents[2]
FAR = 4e9  # a due time no worker reaches: the shops wait until every worker is up


def store(where: str) -> Database:
    """A SQLite file's path, or a PostgreSQL URL."""
    if where.startswith("postgresql://"):
        return open_database(where, Path("."))
    return Database(Path(where))


async def child(where: str, template: str, master: str) -> None:
    """One worker process: ticks until it is killed."""
    db = store(where)
    await db.open()
    keyring = Keyring(parse_keys(master))
    settings = Settings(
        bot_token=SecretStr("123456:" + "A" * 35), data_dir=Path(tempfile.gettempdir())
    )
    async with aiohttp.ClientSession() as http:
        engine = SyncEngine(db, keyring, WBClient(http, template), Limiter(), settings)
        print("ready", flush=True)
        while True:
            begun = time.monotonic()
            await engine.tick()
            await asyncio.sleep(max(0.0, settings.tick_seconds - (time.monotonic() - begun)))


async def measure(shops: int, workers: int, template: str, server: PgServer | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        name = await server.create_database() if server is not None else ""
        where = server.url(name) if server is not None else str(Path(tmp) / "b.sqlite3")
        master = new_key()
        db = store(where)
        await db.open()
        await seed_shops(db, Keyring(parse_keys(master)), shops)
        # One poll per shop, its orders: the figure is polls/s, not WB's budget between jobs.
        await db.write("DELETE FROM polls WHERE method != 'orders'")
        await db.write("UPDATE polls SET next_due_at = ?", (FAR,))
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bench.bench_workers",
                "--child",
                where,
                cwd=ROOT,
                env={**os.environ, "BENCH_WB": template, "BENCH_MASTER": master},
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(workers)
        ]
        try:
            for proc in procs:
                assert proc.stdout is not None
                if (await proc.stdout.readline()).strip() != b"ready":
                    raise RuntimeError("a worker did not start")
            began = time.perf_counter()
            await db.write("UPDATE polls SET next_due_at = 0")
            while True:  # until each orders poll has run once (or failed)
                await asyncio.sleep(0.05)
                left = await db.fetchone(
                    "SELECT COUNT(*) FROM polls WHERE last_ok_at IS NULL AND failures = 0"
                )
                if left is not None and left[0] == 0:
                    break
            wall = time.perf_counter() - began
            failed = await db.fetchone("SELECT COUNT(*) FROM polls WHERE failures > 0")
            holders = await db.fetchone("SELECT COUNT(DISTINCT claimed_by) FROM polls")
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
            await db.close()
            if server is not None:
                await server.drop_database(name)
    rate = shops / wall
    print(
        f"  {workers} worker(s): {rate:7.0f} polls/s ({wall:.2f} s for {shops} shops), "
        f"failed {failed[0] if failed else '?'}, polls held by {holders[0] if holders else '?'} "
        "worker(s)",
        flush=True,
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--engine", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child is not None:
        asyncio.run(child(args.child, os.environ["BENCH_WB"], os.environ["BENCH_MASTER"]))
        return 0
    fake, template = start_fake()
    try:
        for engine in args.engine:
            server = None
            if engine == "postgres":
                bindir = find_bindir()
                if bindir is None:
                    print("postgres: no PostgreSQL binaries here, skipped")
                    continue
                server = PgServer(bindir)
                server.start()
            try:
                print(f"{engine}, {args.shops} shops, {os.cpu_count()} cores:", flush=True)
                rates = {
                    n: asyncio.run(measure(args.shops, n, template, server)) for n in args.workers
                }
            finally:
                if server is not None:
                    server.stop()
            base = rates[args.workers[0]]
            print(
                f"{engine} ratio to one worker: "
                + ", ".join(f"{n} workers {rate / base:.2f}x" for n, rate in rates.items()),
                flush=True,
            )
    finally:
        fake.terminate()
        fake.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
