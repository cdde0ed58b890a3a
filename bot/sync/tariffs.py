"""WB's commission by subject (common-api tariffs/commission), once a day: the profit estimate's
fallback for products no finance report row has priced yet."""

from __future__ import annotations

import time

from bot.store.polls import PollState
from bot.store.shops import Shop
from bot.store.tariffs import NewCommission, replace_commission
from bot.sync.flow import FlowEngine, poll_ok
from bot.sync.schedule import next_slot
from bot.sync.skips import count_skips
from bot.wb.models import parse_commission


async def poll_tariffs(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    raw = await engine.call(shop, "tariffs_commission", engine.wb.tariffs_commission, token)
    parsed = parse_commission(raw)
    now = time.time()
    async with engine.tx() as conn:
        rows = [NewCommission(r.subject, r.subject_id, r.fbw_bp, r.fbs_bp) for r in parsed.rows]
        await replace_commission(conn, rows)
        await count_skips(conn, shop.id, "tariffs", parsed)
        # One answer is the whole table: nothing to load first, so the job is never "loading".
        await poll_ok(
            conn, poll, now, next_due_at=next_slot(shop.id, poll.job, period, now), baseline_done=1
        )
