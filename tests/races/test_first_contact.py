"""A crowd of first-time users arriving at once, while reports read the store: every one of
them is greeted, nobody gets the apology (issue 12: a write then a read through the shared
reader missed the write, and the user row "vanished")."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta

from aiogram.types import Update

from tests.dispatch import _ids
from tests.reports.seed import make_shop, mark_polled, order, store_rows

#: 10,000 by hand (`CROWD_USERS=10000`); CI runs a smaller crowd, which old code also failed.
CROWD = int(os.environ.get("CROWD_USERS", "1000"))
APOLOGY = "Something went wrong on my side"
REPORTERS = (9_000_000_001, 9_000_000_002)


async def seed_reports(app) -> None:
    """Two shops with 30 days of orders, so each /report reads for a while on the reader."""
    now = datetime.now(UTC)
    for reporter in REPORTERS:
        shop = await make_shop(app.db, app.keyring, reporter, name=f"Busy shop {reporter}")
        rows = [
            order(f"r{i}", now - timedelta(minutes=7 * i), 100 + i % 900, nm_id=1 + i % 40)
            for i in range(6000)
        ]
        await store_rows(app.db, shop.id, rows)
        await mark_polled(app.db, shop.id, now, now.timestamp())


async def test_a_crowd_of_first_time_users_is_greeted_while_reports_run(app, tg):
    await seed_reports(app)
    stop = asyncio.Event()

    async def report_loop(reporter: int) -> None:
        while not stop.is_set():
            message = tg.user_message(reporter, "/report month")
            await app.dp.feed_update(app.bot, Update(update_id=next(_ids), message=message))

    async def first_contact(user_id: int) -> None:
        message = tg.user_message(user_id, "/start", language_code="en")
        await app.dp.feed_update(app.bot, Update(update_id=next(_ids), message=message))

    loops = [asyncio.create_task(report_loop(reporter)) for reporter in REPORTERS]
    await asyncio.sleep(0.2)  # the reports are reading when the crowd arrives
    began = time.monotonic()
    users = range(1, CROWD + 1)
    await asyncio.gather(*(first_contact(u) for u in users))
    took = time.monotonic() - began
    stop.set()
    await asyncio.gather(*loops)
    reports = sum(len(tg.calls_of("sendDocument", r)) for r in REPORTERS)

    apologies = [u for u in users if any(APOLOGY in t for t in tg.texts(u))]
    greeted = [u for u in users if [t[:6] for t in tg.texts(u)] == ["Hello!"]]
    print(
        f"\n{CROWD} first-time users in {took:.1f} s beside {reports} reports: "
        f"{len(greeted)} greeted, {len(apologies)} apologies"
    )
    assert apologies == []
    assert len(greeted) == CROWD
    assert reports >= len(REPORTERS)  # each reporter's reports rendered beside the crowd
    assert await app.db.counter("handler_errors") == 0
