"""The real process on PostgreSQL (DATABASE_URL=postgresql://...) against the fake Telegram and
WB: a seller connects a shop in the chat, and a new order is alerted once. Nothing is written
to an SQLite file."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.e2e.harness import BotProcess
from tests.fakes.tokens import ACC_PERSONAL, make_token

pytestmark = pytest.mark.e2e


async def rows(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_a_shop_connected_on_postgres_gets_its_order_alert_once(tmp_path, tg, wb, pg_url):
    data = tmp_path / "data"
    proc = BotProcess(data, tg.base_url, tg.token, wb.url_template, DATABASE_URL=pg_url)
    proc.start()
    try:
        await proc.wait_ready()
        user = 4001
        token = make_token(acc=ACC_PERSONAL, categories=("statistics",))
        sid = wb.add_seller(token, name="ИП Постгресов")
        wb.add_order(sid)  # history: loaded silently
        tg.user_message(user, f"/connect {token}")
        reply = await tg.wait_for_text(user, "is connected", timeout=30)
        assert "ИП Постгресов" in reply.text
        for _ in range(600):
            done = await rows(pg_url, "SELECT MIN(baseline_done) AS done FROM polls")
            if done and done[0]["done"] == 1:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the first, silent load did not finish:\n" + proc.log()[-3000:])
        after = len(tg.calls)
        order = wb.add_order(sid)
        alert = await tg.wait_for_text(user, "New order", timeout=60, after=after)
        assert str(order["nmId"]) in alert.text and order["supplierArticle"] in alert.text
        await asyncio.sleep(1.0)  # a second alert would be on its way by now
        alerts = [c for c in tg.sent(user)[1:] if "New order" in (c.text or "")]
        assert len(alerts) == 1
        events = await rows(pg_url, "SELECT ref FROM events WHERE kind = 'order'")
        assert [e["ref"] for e in events] == [order["srid"]]
        assert not (data / "wbpulse.sqlite3").exists()
        assert tg.total_violations() == 0, tg.violations
    finally:
        assert await proc.stop() == 0, proc.log()[-3000:]
