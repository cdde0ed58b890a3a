"""Alerts through the real process: orders found by the poller reach the seller's chat once,
grouped, within Telegram's limits; a 429 is obeyed; a blocked chat gets nothing more; the daily
summary arrives at the chosen local time."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.harness import BotProcess
from tests.e2e.seed import master_key, seed_shop
from tests.e2e.test_crash import query, wait_until
from tests.fakes.tokens import make_token

SHOPS = 20


async def start_with_shops(tmp_path, tg, wb, n, **env):
    master = master_key()
    data = tmp_path / "data"
    sellers = []
    for i in range(n):
        token = make_token(acc=3, categories=("statistics",))
        sid = wb.add_seller(token, name=f"Shop {i}")
        wb.add_order(sid)  # history, loaded silently
        await seed_shop(data, master, token, 7001 + i, 0.001)
        sellers.append((sid, 7001 + i))
    with sqlite3.connect(data / "wbpulse.sqlite3", timeout=10) as conn:
        # No 09:00 summary in the middle of a test that counts messages (a run may cross it);
        # the summary test turns it on for its own time.
        conn.execute("UPDATE users SET alert_summary = 0")
    proc = BotProcess(data, tg.base_url, tg.token, wb.url_template, MASTER_KEYS=master, **env)
    proc.start()
    await proc.wait_ready()
    db = data / "wbpulse.sqlite3"
    # Every job of every shop has its first load done (how many jobs a key gets is the plan's).
    await wait_until(
        lambda: (
            query(db, "SELECT COUNT(DISTINCT shop_id), MIN(baseline_done) FROM polls")[0] == (n, 1)
        ),
        within=60,
    )
    return proc, db, sellers


def sent_to(tg, chat_id, since=0.0):
    return [c for c in tg.sent(chat_id) if c.time >= since]


async def test_bursts_in_twenty_chats_arrive_once_within_telegram_limits(tmp_path, tg, wb):
    proc, db, sellers = await start_with_shops(tmp_path, tg, wb, SHOPS)
    try:
        assert tg.sent() == [], "the baseline must be silent"
        expected = {}
        for sid, chat in sellers:
            rows = [wb.add_order(sid) for _ in range(6)]
            expected[chat] = rows
        # One chat answers 429 once; another blocks the bot.
        first_chat, blocked_chat = sellers[0][1], sellers[1][1]
        tg.fail_next("sendMessage", 429, retry_after=1, chat_id=first_chat)
        tg.block(blocked_chat)
        await wait_until(
            lambda: all(sent_to(tg, chat) for chat in expected if chat != blocked_chat),
            within=60,
        )
        for chat, rows in expected.items():
            if chat == blocked_chat:
                continue
            text = "\n".join(tg.texts(chat))
            for row in rows:
                assert str(row["nmId"]) in text and row["supplierArticle"] in text
            assert len(tg.texts(chat)) <= 2, "one poll's orders come as one message"
        assert sent_to(tg, blocked_chat) == []
        blocked_at = time.monotonic()
        wb.add_order(sellers[1][0])
        wb.add_order(sellers[2][0])
        await tg.wait_for_text(sellers[2][1], "New order", timeout=30, after=len(tg.calls))
        await asyncio.sleep(0.5)
        assert [c for c in tg.calls_of("sendMessage", blocked_chat) if c.time > blocked_at] == []
        assert tg.total_violations() == 0, tg.violations
        sql = "SELECT COUNT(*), COUNT(DISTINCT ref) FROM events WHERE kind='order'"
        await wait_until(lambda: query(db, sql)[0][0] >= SHOPS * 6 + 2, within=30)
        events = query(db, sql)
        assert events[0][0] == events[0][1] == SHOPS * 6 + 2
    finally:
        assert await proc.stop() == 0


async def test_cancellation_and_daily_summary_at_the_chosen_local_time(tmp_path, tg, wb):
    proc, db, sellers = await start_with_shops(tmp_path, tg, wb, 1)
    sid, chat = sellers[0]
    try:
        order = wb.add_order(sid)
        await tg.wait_for_text(chat, "New order", timeout=30)
        wb.cancel_order(sid, order["srid"])
        await tg.wait_for_text(chat, "cancelled", timeout=30)
        assert sum("New order" in t for t in tg.texts(chat)) == 1

        zone = ZoneInfo("Asia/Novosibirsk")
        local = datetime.now(zone)
        # The next minute: T is still ahead when it is set, so the summary must not come
        # before it and must come within 60 s after it.
        due = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        after = len(tg.calls)
        with sqlite3.connect(db, timeout=10) as conn:
            conn.execute(
                "UPDATE users SET timezone = 'Asia/Novosibirsk', summary_time = ?, "
                "alert_summary = 1, last_summary_day = NULL, "
                "created_at = created_at - 86400 WHERE id = ?",
                (due.strftime("%H:%M"), chat),
            )
        call = await tg.wait_for_text(chat, "Summary for", timeout=130, after=after)
        arrived = datetime.now(zone)
        assert 0 <= (arrived - due).total_seconds() < 60
        yesterday = query(db, "SELECT last_summary_day FROM users")[0][0]
        assert yesterday == due.date().isoformat()
        assert "data as of" in call.text.lower() or "Data as of" in call.text
    finally:
        assert await proc.stop() == 0
