"""The warehouse_remains flow against a fake WB that follows 12-reports.yaml: status checked
before every download on every token type, and a 204 "Нет данных" that keeps the snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sync.engine import SyncEngine
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from tests.fakes.wb import FakeWB
from tests.sync.conftest import SCALE, Rig, settings_for


@pytest.fixture
async def stock_rig(tmp_path, db, keyring, request) -> AsyncIterator[Rig]:
    """A rig whose fake builds a report in `stock_task_delay` (unscaled ms, as in WB seconds)."""
    opts = getattr(request, "param", {})
    async with (
        FakeWB(rate_scale=SCALE, **opts) as wb,
        aiohttp.ClientSession() as http,
    ):
        engine = SyncEngine(
            db, keyring, WBClient(http, wb.url_template), Limiter(), settings_for(tmp_path)
        )
        yield Rig(wb, engine, db, keyring)
        await engine.stop()


async def stock_state(rig: Rig, shop_id: int) -> tuple:
    row = await rig.db.fetchone(
        "SELECT baseline_done, last_error FROM polls WHERE shop_id = ? AND method = 'stock'",
        (shop_id,),
    )
    return tuple(row) if row else (None, None)


# A Base report is ready 20 WB-minutes after it is ordered: after the first status check
# (15 minutes after the create call, when the download's budget is back) and before the second.
@pytest.mark.parametrize("stock_rig", [{"stock_task_delay": 1200}], indirect=True)
async def test_base_token_checks_the_status_and_downloads_only_a_finished_report(stock_rig):
    rig = stock_rig
    shop, sid, _ = await rig.connect(acc=1, categories=("statistics", "analytics"))
    product = rig.wb.catalogue(sid)[0]
    size = product.sizes[0]
    rig.wb.set_stock(sid, product.nm_id, size.barcode, size.tech_size, {"Склад WB РФ": 4})
    await rig.run_until(lambda: _done(rig, shop.id), within=20)
    calls = [
        (r.group, r.status)
        for r in rig.wb.requests_for(sid)
        if r.group and r.group.startswith("remains")
    ]
    assert calls == [
        ("remains_create", 200),
        ("remains_status", 200),  # "processing": no download spent on it
        ("remains_status", 200),  # "done"
        ("remains_download", 200),
    ]
    assert await rig.scalar("SELECT SUM(quantity) FROM stock") == 4
    assert rig.wb.total_violations() == 0


async def _done(rig: Rig, shop_id: int) -> bool:
    return (await stock_state(rig, shop_id))[0] == 1


@pytest.mark.parametrize("stock_rig", [{"stock_task_delay": 1.0}], indirect=True)
async def test_no_data_204_keeps_the_previous_snapshot_and_its_time(stock_rig):
    rig = stock_rig
    shop, sid, _ = await rig.connect(categories=("statistics", "analytics"))
    product = rig.wb.catalogue(sid)[0]
    size = product.sizes[0]
    rig.wb.set_stock(sid, product.nm_id, size.barcode, size.tech_size, {"Минск": 6})
    await rig.run_until(lambda: _done(rig, shop.id))
    before = await rig.db.fetchall("SELECT warehouse, quantity, updated_at FROM stock")
    # WB's report now has no rows at all, which the fake (like the spec) answers with 204.
    rig.wb.set_stock(sid, product.nm_id, size.barcode, size.tech_size, {"Минск": 0})
    await rig.db.write("UPDATE polls SET next_due_at = 0 WHERE method = 'stock'")
    await rig.run_until(
        lambda: _said_no_data(rig, shop.id),
        within=10,
    )
    downloads = [r.status for r in rig.wb.requests_for(sid, "remains_download")]
    assert downloads[-1] == 204
    after = await rig.db.fetchall("SELECT warehouse, quantity, updated_at FROM stock")
    assert [tuple(r) for r in after] == [tuple(r) for r in before] and before[0][1] == 6
    assert await rig.scalar("SELECT value FROM counters WHERE name = 'wb_stock_no_data'") == 1


async def _said_no_data(rig: Rig, shop_id: int) -> bool:
    cursor = await rig.scalar(
        "SELECT cursor FROM polls WHERE shop_id = ? AND method = 'stock'", (shop_id,)
    )
    return "no_data_since" in str(cursor or "")
