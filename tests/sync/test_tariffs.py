"""The daily 'tariffs' job: WB's commission by subject (common-api tariffs/commission, any
valid key) lands in the store; a bad row costs itself, counted, never the table."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.status import shop_status
from bot.i18n import make_i18n
from bot.store.polls import polls_of_shop
from bot.store.tariffs import product_commission
from bot.sync import plan

pytestmark = pytest.mark.asyncio


async def test_tariffs_job_stores_wbs_commission_by_subject(rig, caplog):
    rig.wb.commission.append(
        {"subjectName": "Бракованный", "subjectID": 7, "paidStorageKgvp": "x"}
    )
    rig.wb.commission.append({"subjectName": "Носки", "subjectID": 8, "paidStorageKgvp": "12,5",
                              "kgvpMarketplace": "15,5"})  # fmt: skip
    shop, _sid, _ = await rig.connect(categories=("statistics",))  # no category of its own
    assert "tariffs" in plan.jobs_for(shop, 1.0)

    async def stored():
        row = await rig.db.fetchone("SELECT COUNT(*) FROM tariff_commission")
        return row is not None and row[0] > 0

    with caplog.at_level("WARNING", logger="bot.sync.skips"):
        await rig.run_until(stored)
    rows = await rig.db.fetchall(
        "SELECT subject, fbw_bp, fbs_bp FROM tariff_commission ORDER BY subject"
    )
    table = {r["subject"]: (r["fbw_bp"], r["fbs_bp"]) for r in rows}
    assert table["Футболки"] == (1550, 1850)  # 15.5% and 18.5% as the fake sends them
    assert table["Носки"] == (1250, 1550)  # "12,5": WB's comma decimals
    assert "Бракованный" not in table
    assert await rig.db.counter("wb_rows_skipped_tariffs") == 1
    # Counted and logged with the reason, as every flow's bad rows are (bot.sync.skips).
    assert f"shop {shop.id} tariffs: skipped 1 bad rows" in caplog.text
    async with rig.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO products(shop_id, nm_id, subject, updated_at) VALUES (?, 5, 'Носки', 0)",
            (shop.id,),
        )
    assert await product_commission(rig.db, shop.id) == {5: 1250}


async def test_status_never_shows_the_tariffs_job_as_a_first_load(rig):
    """One answer is the whole table: after it, /status must not say the job is still loading
    (and the first-sync wait, which waits for every job, must end)."""
    shop, _sid, _ = await rig.connect(categories=("statistics",))

    async def tariffs_ran():
        polls = await polls_of_shop(rig.db, shop.id)
        return any(p.job == "tariffs" and p.last_ok_at is not None for p in polls)

    await rig.run_until(tariffs_ran)
    polls = await polls_of_shop(rig.db, shop.id)
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        text = shop_status(shop, "owner", polls, ZoneInfo("Europe/Moscow"), time.time())
    line = next(x for x in text.splitlines() if "commission by subject" in x)
    assert "first load in progress" not in line, line
