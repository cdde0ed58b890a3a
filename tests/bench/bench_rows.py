"""Rows downloaded per new order in steady state: one shop, orders arriving at a steady rate
(0.1, 1 and 10 a minute), the real engine against the fake WB at rate scale 0.001 (a WB minute
lasts 60 ms). Counted: rows of supplier/orders and of the order feed, per order placed, each
source apart and in total; with a Statistics-only key and with Statistics + Analytics (the
feed). Every order must be stored and alerted exactly once.

WB's stamps here are the wall clock, so the overlaps (spans of lastChangeDate and status time)
shrink by the rate scale like the periods; the hourly look-back is wall-clock and scales with
the engine. A poll downloads only what is past its cursor (1 row per order); each look-back
reads again everything since the previous one plus the overlap, so a source that needs both
(alerts within a minute, and rows WB publishes late) costs about 2 + overlap/hour rows per
order: its floor (bot.sync.lookback). Orders beside the feed are polled every 10 minutes and
look back on every poll: 1 + overlap/period.

Run: `.venv/bin/python -m tests.bench.bench_rows [--minutes 300]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

import bot.sync.feed as feed_module
import bot.sync.statistics as statistics_module
from bot.crypto import Keyring
from bot.store import Database
from bot.sync.engine import SyncEngine
from bot.timeutil import MSK
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.models import Order, Parsed
from tests.fakes.wb import FakeWB
from tests.sync.conftest import SCALE, Rig, settings_for

ROWS: Counter[str] = Counter()


class CountingClient(WBClient):
    async def orders(self, *args: Any, **kwargs: Any) -> Parsed[Order]:
        page = await super().orders(*args, **kwargs)
        ROWS["orders"] += len(page.rows) + page.skipped
        return page

    async def order_feed(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        data = await super().order_feed(*args, **kwargs)
        ROWS["feed"] += len(data["orders"])
        return data


async def one_run(per_minute: float, categories: tuple[str, ...], minutes: int) -> str:
    ROWS.clear()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.sqlite3")
        await db.open()
        keyring = Keyring([os.urandom(32)])
        async with FakeWB(rate_scale=SCALE) as wb, aiohttp.ClientSession() as http:
            client = CountingClient(http, wb.url_template)
            engine = SyncEngine(db, keyring, client, Limiter(), settings_for(Path(tmp)))
            rig = Rig(wb, engine, db, keyring)
            shop, sid, _ = await rig.connect(categories=categories)

            async def settled() -> bool:
                row = await db.fetchone(
                    "SELECT MIN(baseline_done) FROM polls WHERE shop_id = ?", (shop.id,)
                )
                return bool(row and row[0])

            await rig.run_until(settled)
            await rig.run_for(0.3)
            ROWS.clear()
            minute = 60 * SCALE
            placed = 0
            end = time.monotonic() + minutes * minute
            next_order = time.monotonic()
            while time.monotonic() < end:
                if time.monotonic() >= next_order:
                    stamp = datetime.now(MSK).replace(tzinfo=None)
                    wb.add_order(sid, date=stamp, lastChangeDate=stamp)
                    placed += 1
                    next_order += minute / per_minute
                await engine.tick()
                await asyncio.sleep(0.002)
            await rig.run_for(5 * minute)
            await engine.stop()
            stored = await rig.scalar("SELECT COUNT(*) FROM orders")
            alerts = await rig.scalar("SELECT COUNT(*) FROM events WHERE kind = 'order'")
        await db.close()
    total = ROWS["orders"] + ROWS["feed"]
    statistics, feed = (ROWS[k] / max(placed, 1) for k in ("orders", "feed"))
    return (
        f"  {per_minute:>4g}/min {'+'.join(categories):22} placed {placed:5}, stored {stored}, "
        f"alerted {alerts}: rows per new order {total / max(placed, 1):5.2f} "
        f"(statistics {statistics:5.2f}, feed {feed:5.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=300, help="WB minutes of orders per run")
    minutes = parser.parse_args().minutes
    # The production look-backs are wall-clock; at rate scale 0.001 they shrink the same way.
    statistics_module.CURSOR_OVERLAP *= SCALE
    feed_module.FEED_OVERLAP *= SCALE
    print("Rows downloaded per new order (steady state, one shop):")
    for rate in (0.1, 1.0, 10.0):
        for categories in (("statistics",), ("statistics", "analytics")):
            print(asyncio.run(one_run(rate, categories, minutes)), flush=True)


if __name__ == "__main__":
    main()
