"""Reviews through the real process: the baseline is silent, a 2★ review reaches the owner
within one poll period plus 5 s, a 5★ one does not (default threshold 3★), a question does, a
SIGKILL and restart send nothing twice, and WB's shared category limit is never passed with a
Personal or a Base key (5 per hour)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.wb.methods import METHODS, TokenType, poll_period
from tests.e2e.harness import BotProcess
from tests.e2e.seed import master_key, seed_shop
from tests.e2e.test_crash import query, wait_until
from tests.fakes.tokens import make_token

SCALE = 0.001
CHAT = 7101


async def start(tmp_path, tg, wb, acc):
    master = master_key()
    data = tmp_path / "data"
    token = make_token(acc=acc, categories=("statistics", "feedbacks"))
    sid = wb.add_seller(token, name="Shop")
    old = datetime.now(UTC) - timedelta(days=3)
    history = [
        wb.add_feedback(sid, 1, "Старый отзыв до подключения", created=old),
        wb.add_question(sid, "Старый вопрос?", created=old),
    ]
    await seed_shop(data, master, token, CHAT, SCALE)
    db = data / "wbpulse.sqlite3"
    with sqlite3.connect(db, timeout=10) as conn:
        conn.execute("UPDATE users SET alert_summary = 0")
        # WB stamps reviews to the second: one of the very second of /connect is history.
        conn.execute("UPDATE shops SET connected_at = connected_at - 2")
    proc = BotProcess(data, tg.base_url, tg.token, wb.url_template, MASTER_KEYS=master)
    proc.start()
    await proc.wait_ready()
    await wait_until(
        lambda: query(db, "SELECT baseline_done FROM polls WHERE method = 'reviews'")[0][0] == 1,
        within=60,
    )
    return proc, db, sid, history


def review_messages(tg, review_id_text):
    return [t for t in tg.texts(CHAT) if review_id_text in t]


async def test_a_bad_review_arrives_within_a_poll_a_good_one_does_not_and_restart_repeats_none(
    tmp_path, tg, wb
):
    proc, db, sid, _ = await start(tmp_path, tg, wb, acc=3)
    try:
        await asyncio.sleep(0.5)
        assert tg.sent(CHAT) == [], "the baseline must be silent"
        period = poll_period(METHODS["feedbacks"], TokenType.PERSONAL, SCALE)
        assert period is not None
        good = wb.add_feedback(sid, 5, "Всё отлично, спасибо")
        bad = wb.add_feedback(sid, 2, "Швы разошлись на второй день", cons="Качество", photos=2)
        added = time.monotonic()
        call = await tg.wait_for_text(CHAT, "Швы разошлись", timeout=period + 5)
        assert time.monotonic() - added <= period + 5
        assert "★★☆☆☆" in call.text and "2 of 5" in call.text
        assert bad["productDetails"]["supplierArticle"] in call.text
        assert "Photos: 2" in call.text and "Cons: Качество" in call.text
        buttons = call.params["reply_markup"]["inline_keyboard"][0]
        assert buttons[0]["url"].startswith("https://seller.wildberries.ru/")

        question = wb.add_question(sid, "Есть ли размер XL?")
        await tg.wait_for_text(CHAT, "Есть ли размер XL?", timeout=period + 5)

        # Killed between polls, once Telegram's answer is recorded (a kill inside the send
        # itself may repeat that one message: the outbox is at-least-once by design).
        await wait_until(
            lambda: query(db, "SELECT COUNT(*) FROM deliveries WHERE state != 'sent'")[0][0] == 0
        )
        proc.kill()  # mid-way: the next review arrives while the bot is down
        later = wb.add_feedback(sid, 1, "Пришёл не тот цвет")
        proc.start()
        await proc.wait_ready()
        await tg.wait_for_text(CHAT, "Пришёл не тот цвет", timeout=30)
        await asyncio.sleep(1.0)  # many more polls and sender passes
        for text in ("Швы разошлись", "Есть ли размер XL?", "Пришёл не тот цвет"):
            assert len(review_messages(tg, text)) == 1, text
        assert review_messages(tg, "Всё отлично") == [], "5★ is above the default threshold"
        assert review_messages(tg, "Старый") == []
        refs = query(db, "SELECT ref FROM events WHERE kind IN ('review', 'question')")
        assert sorted(r[0] for r in refs) == sorted(
            [good["id"], bad["id"], later["id"], question["id"]]
        )
        assert wb.total_violations() == 0, wb.violations

        # What the seller reads in /summary and /reviews is the fake's state.
        seller = wb.sellers[sid]
        waiting = [f for f in seller.feedbacks.values() if f["answer"] is None]
        negative = sum(1 for f in waiting if f["productValuation"] <= 3)
        questions = sum(1 for q in seller.questions.values() if q["answer"] is None)
        after = len(tg.calls)
        tg.user_message(CHAT, "/summary", language_code="en")
        call = await tg.wait_for_text(CHAT, "Waiting for your answer", timeout=20, after=after)
        assert (
            f"Reviews: {len(waiting)} (negative, 3★ and below: {negative}) · "
            f"questions: {questions}" in (call.text or "")
        )
        after = len(tg.calls)
        tg.user_message(CHAT, "/reviews", language_code="ru")
        call = await tg.wait_for_text(CHAT, "неотвеченных отзывов", timeout=20, after=after)
        text = call.text or ""
        assert f"неотвеченных отзывов: {len(waiting)}, из них на 3★ и ниже: {negative}" in text
        assert text.index("Пришёл не тот цвет") < text.index("Швы разошлись")
        assert "Всё отлично" not in text
    finally:
        assert await proc.stop() == 0


@pytest.mark.parametrize("acc", [1, 3], ids=["base", "personal"])
async def test_no_rate_limit_violations_with_base_or_personal_keys(tmp_path, tg, wb, acc):
    proc, db, sid, _ = await start(tmp_path, tg, wb, acc=acc)
    try:
        review = wb.add_feedback(sid, 3, "Так себе")
        # Base: one call per 12 min (0.72 s scaled), lists in turn: within two of them.
        await tg.wait_for_text(CHAT, "Так себе", timeout=10)
        await asyncio.sleep(3.0)  # a few more Base slots, dozens of Personal polls
        calls = wb.requests_for(sid, "feedbacks")
        assert calls and wb.total_violations() == 0, wb.violations
        if acc == 1:
            budget = wb.limit_for("feedbacks", 1)
            span = calls[-1].t - calls[0].t
            assert len(calls) <= budget.burst + span / budget.interval + 1
        assert len(review_messages(tg, "Так себе")) == 1
        assert query(db, "SELECT ref FROM events WHERE kind = 'review'") == [(review["id"],)]
    finally:
        assert await proc.stop() == 0
