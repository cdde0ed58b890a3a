"""Product cards from content-api (titles, photos, articles), paged by WB's cursor."""

from __future__ import annotations

import json
import time

from bot.store.polls import PollState
from bot.store.shops import Shop
from bot.sync.flow import FlowEngine, poll_ok
from bot.sync.rows import upsert_products
from bot.sync.schedule import next_slot
from bot.sync.skips import count_skips
from bot.wb.models import parse_cards

CARDS_PAGE = 100


async def poll_cards(
    engine: FlowEngine, shop: Shop, token: str, poll: PollState, period: float
) -> None:
    cursor = json.loads(poll.cursor) if poll.cursor else None
    raw, next_cursor = await engine.call(
        shop, "cards", engine.wb.cards_page, token, cursor, CARDS_PAGE
    )
    parsed = parse_cards(raw)
    now = time.time()
    last_page = int(next_cursor.get("total", 0) or 0) < CARDS_PAGE or not raw
    async with engine.tx() as conn:
        await upsert_products(conn, shop.id, parsed.rows)
        await count_skips(conn, shop.id, "cards", parsed)
        await poll_ok(
            conn,
            poll,
            now,
            cursor=None if last_page else json.dumps(next_cursor),
            baseline_done=int(poll.baseline_done or last_page),
            next_due_at=next_slot(shop.id, poll.job, period, now) if last_page else now,
        )
