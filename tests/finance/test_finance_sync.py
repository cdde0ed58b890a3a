"""The finance job against the fake WB: it fetches the last weeks' reports and the current
week's daily ones, pages by rrdId to 204, never gets a 429 (a Base key: 2 calls per 24 hours,
one per 12), and a report fetched again changes nothing."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta

import aiohttp
import pytest
import time_machine

from bot.store.finance import report_days
from bot.sync.engine import SyncEngine
from bot.sync.finance import BACKFILL_WEEKS, kopecks, today_msk
from bot.timeutil import MSK
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.methods import TokenType
from tests.fakes import wb_finance
from tests.fakes.wb import FakeWB
from tests.sync.conftest import Rig, settings_for

GROUP = "finance_detailed"
#: A Thursday noon in Moscow: the current week has three days WB has reported daily.
THURSDAY = datetime(2026, 12, 3, 12, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def on_a_thursday():
    with time_machine.travel(THURSDAY, tick=True):
        yield


def seed(wb: FakeWB, sid: str) -> tuple[list[dict], list[dict]]:
    """The last BACKFILL_WEEKS weekly reports and the current week's daily ones so far."""
    today = today_msk(time.time())
    monday = today - timedelta(days=today.weekday())
    weekly: list[dict] = []
    for back in range(1, BACKFILL_WEEKS + 1):
        weekly += wb.add_finance_week(sid, monday - timedelta(weeks=back))
    daily = wb.add_finance_week(sid, monday, period="daily", until=today - timedelta(days=1))
    return weekly, daily


@pytest.fixture
async def base_rig(tmp_path, db, keyring):
    """A rig whose time runs 50,000 times faster: a Base key's 12 hours are 0.864 s."""
    scale = 2e-5
    async with (
        FakeWB(rate_scale=scale) as wb,
        aiohttp.ClientSession() as http,
    ):
        settings = settings_for(tmp_path, wb_rate_scale=scale)
        engine = SyncEngine(db, keyring, WBClient(http, wb.url_template), Limiter(), settings)
        yield Rig(wb, engine, db, keyring)
        await engine.stop()


async def _stored(rig: Rig, shop_id: int) -> set[int]:
    rows = await rig.rows("SELECT rrd_id FROM finance_rows WHERE shop_id = ?", (shop_id,))
    return {r[0] for r in rows}


async def test_a_base_key_fetches_every_report_without_a_single_429(base_rig) -> None:
    rig = base_rig
    shop, sid, _ = await rig.connect(acc=int(TokenType.BASE), categories=("finance",))
    weekly, daily = seed(rig.wb, sid)
    assert len({r["dateFrom"] for r in daily}) == 3  # Monday to Wednesday
    wanted = {r["rrdId"] for r in weekly + daily}
    await rig.run_until(lambda: _has(rig, shop.id, wanted), within=30)
    # Then a while longer: the daily refreshes keep within the budget too.
    await rig.run_for(4)
    calls = rig.wb.requests_for(sid, GROUP)
    assert rig.wb.total_violations() == 0
    assert all(c.status in (200, 204) for c in calls)
    interval = rig.wb.limit_for(GROUP, 1).interval
    gaps = [b.t - a.t for a, b in itertools.pairwise(calls)]
    assert min(gaps) >= interval * 0.999  # one call per 12 hours (scaled), never two
    # Each week: its page, then WB's 204; then the week so far, daily.
    assert len(calls) >= 2 * BACKFILL_WEEKS + 2


async def _has(rig: Rig, shop_id: int, wanted: set[int]) -> bool:
    return wanted <= await _stored(rig, shop_id)


async def test_a_personal_key_stores_every_row_and_a_second_fetch_changes_nothing(rig) -> None:
    shop, sid, _ = await rig.connect(categories=("statistics", "finance"))
    weekly, daily = seed(rig.wb, sid)
    wanted = {r["rrdId"] for r in weekly + daily}
    await rig.run_until(lambda: _has_all(rig, shop.id, wanted, BACKFILL_WEEKS), within=20)
    assert await _stored(rig, shop.id) == wanted
    today = today_msk(time.time())
    first = today - timedelta(days=today.weekday() + 7 * BACKFILL_WEEKS)
    days = await report_days(rig.db, shop.id, first, today)
    # Every week (and the days of this one) to the kopeck of what the cabinet would sum (each
    # amount rounded to the kopeck once, as stored).
    transfer = sum(kopecks(wb_finance.to_transfer([r])) for r in weekly + daily)
    assert sum(d.figures.to_be_paid for d in days) == transfer

    tables = ("finance_rows", "finance_sums")
    before = [await rig.rows(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5, 6") for t in tables]
    # Forget what was fetched: every report is fetched again from rrdId 0.
    await rig.db.write("DELETE FROM finance_periods WHERE shop_id = ?", (shop.id,))
    calls = len(rig.wb.requests_for(sid, GROUP))
    await rig.run_until(
        lambda: (
            len(rig.wb.requests_for(sid, GROUP)) >= calls + 2 * BACKFILL_WEEKS
            and _has_all(rig, shop.id, wanted, BACKFILL_WEEKS)
        ),
        within=20,
    )
    after = [await rig.rows(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5, 6") for t in tables]
    assert after == before
    assert rig.wb.total_violations() == 0


async def _has_all(rig: Rig, shop_id: int, wanted: set[int], weeks: int) -> bool:
    return await _has(rig, shop_id, wanted) and await _complete_weeks(rig, shop_id) == weeks


async def _complete_weeks(rig: Rig, shop_id: int) -> int:
    return int(
        await rig.scalar(
            "SELECT COUNT(*) FROM finance_periods WHERE shop_id = ? AND period = 'weekly' "
            "AND complete = 1",
            (shop_id,),
        )
        or 0
    )
