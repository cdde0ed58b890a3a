"""One user floods /report; everyone else still gets theirs at once, and the process stays
small (issue 12: 20 parallel 88-day reports from one user took 162 s and 873 MB).

`FLOOD_ORDERS=50000` by hand makes the store as big as a busy shop's."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.crypto import Keyring, parse_keys
from bot.store import Database
from tests.e2e.harness import BotProcess
from tests.e2e.seed import master_key
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wb import FakeWB
from tests.reports.seed import make_shop, order, store_rows

pytestmark = pytest.mark.e2e

FLOODER = 4040
OTHERS = (4101, 4102, 4103, 4104, 4105, 4106)
ORDERS = int(os.environ.get("FLOOD_ORDERS", "20000"))
REQUESTS = 100
MB = 1024 * 1024


async def seed(data_dir: Path, master: str) -> None:
    """The flooder's shop: ORDERS orders over 88 days; each other user: a small shop."""
    db = Database(data_dir / "wbpulse.sqlite3")
    await db.open()
    keyring = Keyring(parse_keys(master))
    now = datetime.now(UTC)
    try:
        shop = await make_shop(db, keyring, FLOODER, name="Большой магазин")
        step = timedelta(days=87) / ORDERS
        rows = [
            order(f"f{i}", now - step * i, 500 + i % 3000, nm_id=1 + i % 300)
            for i in range(ORDERS)
        ]
        for i in range(0, len(rows), 5000):
            await store_rows(db, shop.id, rows[i : i + 5000])
        for user in OTHERS:
            small = await make_shop(db, keyring, user, name=f"Лавка {user}")
            await store_rows(
                db,
                small.id,
                [order(f"o{user}-{i}", now - timedelta(hours=i), 900) for i in range(40)],
            )
    finally:
        await db.close()


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_one_users_flood_of_reports_leaves_others_answered_and_memory_small(
    tmp_path, tg: FakeTelegram, wb: FakeWB
) -> None:
    master = master_key()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    await seed(data_dir, master)
    bot = BotProcess(data_dir, tg.base_url, tg.token, wb.url_template, MASTER_KEYS=master)
    bot.start()
    try:
        await bot.wait_ready()
        assert bot.proc is not None
        pid = bot.proc.pid
        await asyncio.sleep(1.0)
        idle = rss(pid)
        peak = idle
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, rss(pid))
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        today = datetime.now(ZoneInfo("Europe/Moscow")).date()
        flood = f"/report {today - timedelta(days=87)} {today}"
        began = time.monotonic()
        for _ in range(REQUESTS):  # 100 in about a second
            tg.user_message(FLOODER, flood)
            await asyncio.sleep(0.01)
        latencies = []
        for user in OTHERS:  # one every 1.5 s while the flooder's report renders
            await asyncio.sleep(1.5)
            asked = time.monotonic()
            after = len(tg.calls)
            tg.user_message(user, "/report week")
            call = await tg.wait_for_text(user, "Orders:", timeout=60, after=after)
            latencies.append(call.time - asked)
        document = await tg.wait_for(
            lambda c: c.method == "sendDocument" and c.chat_id == FLOODER and c.ok, timeout=300
        )
        for user in OTHERS:
            await tg.wait_for(
                lambda c, u=user: c.method == "sendDocument" and c.chat_id == u and c.ok,
                timeout=120,
            )
        await asyncio.sleep(2.0)  # anything still queued for the flooder would have come
        sampling = False
        await sampler
        flooder_texts = tg.texts(FLOODER)
        print(
            f"\n{REQUESTS} x 88-day /report from one user ({ORDERS:,} orders): file after "
            f"{document.time - began:.1f} s; others' text in "
            + ", ".join(f"{s:.2f}" for s in latencies)
            + f" s; RSS idle {idle / MB:.0f} MB, peak {peak / MB:.0f} MB "
            f"(+{(peak - idle) / MB:.0f} MB)"
        )
        assert sum("Orders:" in t for t in flooder_texts) == 1
        assert sum("is being prepared" in t for t in flooder_texts) == 1
        assert len(tg.calls_of("sendDocument", FLOODER)) == 1
        assert max(latencies) < 2.0
        assert peak - idle < 200 * MB
        assert bot.alive
    finally:
        assert await bot.stop() == 0, bot.log()[-3000:]
    assert tg.total_violations() == 0
