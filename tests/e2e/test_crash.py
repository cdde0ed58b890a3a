"""Crash safety: the bot is killed with SIGKILL at random moments while orders arrive; after
each restart every order has exactly one new-order event in the outbox, and none is missing.

CRASH_RUNS sets the number of kills (20 in CI; run 200+ by hand:
`CRASH_RUNS=200 .venv/bin/python -m pytest tests/e2e/test_crash.py -s`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
from collections import Counter

import pytest

from tests.e2e.harness import BotProcess
from tests.e2e.seed import master_key, seed_shop
from tests.fakes.tokens import make_token

RUNS = int(os.environ.get("CRASH_RUNS", "20"))


def query(path, sql):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(sql).fetchall()


async def wait_until(predicate, within=30.0):
    for _ in range(int(within * 20)):
        try:
            if predicate():
                return
        except sqlite3.OperationalError:
            pass  # the database is being created or locked for a moment
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


@pytest.mark.timeout(max(900, RUNS * 30))  # ~10 s per kill on a slow box
async def test_sigkill_at_random_moments_loses_and_duplicates_no_order_event(tmp_path, tg, wb):
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    token = make_token(acc=3, categories=("statistics", "marketplace"))
    sid = wb.add_seller(token, name="Crash shop")
    for _ in range(5):
        wb.add_order(sid)  # history: the silent baseline
    master = master_key()
    data = tmp_path / "data"
    await seed_shop(data, master, token, 5000, 0.001)
    db_path = data / "wbpulse.sqlite3"
    proc = BotProcess(data, tg.base_url, tg.token, wb.url_template, MASTER_KEYS=master)

    proc.start()
    await wait_until(lambda: query(db_path, "SELECT MIN(baseline_done) FROM polls")[0][0] == 1)
    created: list[str] = []
    stop = asyncio.Event()

    async def seller_gets_orders():
        while not stop.is_set():
            created.append(wb.add_order(sid, fbs=rng.random() < 0.3)["srid"])
            if rng.random() < 0.2 and created:
                wb.cancel_order(sid, rng.choice(created))
            await asyncio.sleep(rng.uniform(0.01, 0.08))

    orders_task = asyncio.create_task(seller_gets_orders())
    kills = 0
    try:
        for _ in range(RUNS):
            await asyncio.sleep(rng.uniform(0.2, 2.5))
            proc.kill()
            kills += 1
            assert not proc.alive
            proc.start()
            await proc.wait_ready()
    finally:
        stop.set()
        await orders_task

    try:
        with contextlib.suppress(AssertionError):
            await wait_until(
                lambda: (
                    query(db_path, "SELECT COUNT(*) FROM events WHERE kind='order'")[0][0]
                    >= len(set(created))
                ),
                within=30,
            )
        await asyncio.sleep(0.5)
    finally:
        code = await proc.stop()
    refs = Counter(r[0] for r in query(db_path, "SELECT ref FROM events WHERE kind = 'order'"))
    stored = {r[0] for r in query(db_path, "SELECT srid FROM orders")}
    missing = set(created) - set(refs)
    duplicates = [r for r, n in refs.items() if n > 1]
    if missing:
        print("missing:", sorted(missing)[:5], [wb.order(sid, m) for m in sorted(missing)[:2]])
    print(
        f"\ncrash suite: {kills} kills, {len(created)} orders, {len(missing)} lost events, "
        f"{len(duplicates)} duplicate event rows"
    )
    deliveries = dict(query(db_path, "SELECT state, COUNT(*) FROM deliveries GROUP BY state"))
    resent = dict(
        query(
            db_path,
            "SELECT name, value FROM counters WHERE name IN "
            "('tg_resent_after_crash', 'tg_maybe_delivered')",
        )
    )
    print(
        f"deliveries by state {deliveries}; possibly duplicated Telegram deliveries {resent}; "
        f"messages in the seller's chat {len(tg.sent(5000))}"
    )
    assert kills == RUNS
    assert missing == set()
    assert duplicates == []
    assert set(created) <= stored
    assert query(db_path, "PRAGMA integrity_check")[0][0] == "ok"
    assert wb.total_violations() == 0
    assert code == 0, proc.log()[-2000:]
