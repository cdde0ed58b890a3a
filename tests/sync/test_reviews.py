"""The reviews job against the fake WB: the first listing is silent, a new review or question
becomes one event, answered ones leave the counts, and the shared category budget is kept with
Base (5 per hour, one list per poll) and Personal keys (the "unseen?" check first)."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.notify.summary import compute_summary, summary_text
from bot.notify.texts import RenderContext
from bot.store.users import get_user, update_user
from bot.sync.plan import plan_new_jobs
from tests.lang import EN, RU

pytestmark = pytest.mark.asyncio

CATS = ("statistics", "feedbacks")


async def connect(rig, **kw):
    return await rig.connect_earlier(categories=CATS, **kw)


async def reviews_loaded(rig, shop_id):
    found = await rig.rows(
        "SELECT baseline_done FROM polls WHERE shop_id = ? AND method = 'reviews'", (shop_id,)
    )
    return found and found[0][0] == 1


async def events(rig, kind):
    return await rig.rows("SELECT ref, payload FROM events WHERE kind = ?", (kind,))


async def test_first_listing_is_silent_then_each_new_review_and_question_is_one_event(rig):
    shop, sid = await connect(rig)
    old = datetime.now(UTC) - timedelta(days=2)
    rig.wb.add_feedback(sid, 1, "Старый плохой отзыв", created=old)
    rig.wb.add_question(sid, "Старый вопрос?", created=old)
    await rig.run_until(lambda: reviews_loaded(rig, shop.id))
    assert await events(rig, "review") == [] and await events(rig, "question") == []
    assert await rig.rows("SELECT reviews, questions FROM review_counts") == [(1, 1)]

    bad = rig.wb.add_feedback(sid, 2, "Порвалось через день", pros="Цвет", cons="Швы", photos=3)
    good = rig.wb.add_feedback(sid, 5, "Отлично")
    question = rig.wb.add_question(sid, "Есть размер XL?")
    await rig.run_until(
        lambda: _count(rig, "SELECT COUNT(*) FROM events WHERE kind IN ('review','question')", 3)
    )
    await rig.run_for(0.5)  # more polls: nothing twice
    found = {ref: json.loads(p) for ref, p in await events(rig, "review")}
    assert set(found) == {bad["id"], good["id"]}
    assert found[bad["id"]]["rating"] == 2 and found[bad["id"]]["photos"] == 3
    assert found[bad["id"]]["cons"] == "Швы" and found[bad["id"]]["pros"] == "Цвет"
    assert found[bad["id"]]["supplier_article"] == bad["productDetails"]["supplierArticle"]
    assert [r for r, _ in await events(rig, "question")] == [question["id"]]

    rig.wb.answer_feedback(sid, bad["id"])
    await rig.run_until(lambda: _count(rig, "SELECT reviews FROM review_counts", 2))
    answered = await rig.rows("SELECT answered FROM reviews WHERE id = ?", (bad["id"],))
    assert answered == [(1,)]
    assert await rig.rows("SELECT reviews, questions FROM review_counts") == [(2, 2)]
    assert rig.wb.total_violations() == 0


async def _count(rig, sql, expected):
    row = await rig.db.fetchone(sql)
    return row is not None and row[0] == expected


async def test_personal_key_asks_unseen_first_and_lists_only_when_told_or_on_the_sweep(rig):
    shop, sid = await connect(rig)
    await rig.run_until(lambda: reviews_loaded(rig, shop.id))
    rig.wb.requests.clear()
    await rig.run_for(0.4)  # polls every 60 ms (scaled), the sweep every 600 ms
    paths = [r.path for r in rig.wb.requests_for(sid, "feedbacks")]
    assert paths and set(paths) == {"/feedbacks-api/api/v1/new-feedbacks-questions"}

    review = rig.wb.add_feedback(sid, 1, "Брак")
    await rig.run_until(lambda: _count(rig, "SELECT COUNT(*) FROM events", 1), within=2)
    assert [r for r, _ in await events(rig, "review")] == [review["id"]]
    assert rig.wb.total_violations() == 0


async def test_base_key_spends_one_call_per_poll_and_never_passes_five_per_hour(rig):
    shop, sid = await connect(rig, acc=1)
    # Base: 5 per hour, burst 1 -> one call per 12 min (0.72 s scaled): lists alternate.
    await rig.run_until(lambda: reviews_loaded(rig, shop.id), within=10)
    review = rig.wb.add_feedback(sid, 2, "Не тот цвет")
    await rig.run_until(lambda: _count(rig, "SELECT COUNT(*) FROM events", 1), within=10)
    assert [r for r, _ in await events(rig, "review")] == [review["id"]]
    calls = rig.wb.requests_for(sid, "feedbacks")
    assert {r.path.rsplit("/", 1)[-1] for r in calls} == {"feedbacks", "questions"}
    gaps = [b.t - a.t for a, b in itertools.pairwise(calls)]
    assert min(gaps) >= 0.72 * 0.95, gaps
    assert rig.wb.total_violations() == 0


async def test_the_summary_counts_equal_the_fakes_unanswered_reviews_and_questions(rig):
    shop, sid = await connect(rig)
    for rating in (1, 2, 3, 4, 5, 5):
        rig.wb.add_feedback(sid, rating, f"оценка {rating}")
    answered = rig.wb.add_feedback(sid, 1, "уже отвечен")
    rig.wb.answer_feedback(sid, answered["id"])
    first = rig.wb.add_question(sid, "Размер?")
    rig.wb.add_question(sid, "Цвет?")
    rig.wb.answer_question(sid, first["id"])
    await rig.run_until(lambda: reviews_loaded(rig, shop.id))
    await rig.run_for(0.7)  # past one sweep

    seller = rig.wb.sellers[sid]
    open_reviews = [f for f in seller.feedbacks.values() if f["answer"] is None]
    open_questions = [q for q in seller.questions.values() if q["answer"] is None]
    user = await get_user(rig.db, 1)
    assert user is not None and user.review_threshold == 3
    negative = sum(1 for f in open_reviews if f["productValuation"] <= 3)
    assert (len(open_reviews), negative, len(open_questions)) == (6, 3, 1)

    payload = await compute_summary(rig.db, user, time.time(), "today")
    en = summary_text(payload, _ctx("en"))
    assert "💬 <b>Waiting for your answer</b>" in en
    assert "Reviews: 6 (negative, 3★ and below: 3) · questions: 1" in en
    ru = summary_text(payload, _ctx("ru"))
    assert "💬 <b>Ждут вашего ответа</b>" in ru
    assert "Отзывы: 6 (негативных, 3★ и ниже: 3) · вопросы: 1" in ru

    await update_user(rig.db, 1, review_threshold=4)
    user = await get_user(rig.db, 1)
    payload = await compute_summary(rig.db, user, time.time(), "today")
    assert "(negative, 4★ and below: 4)" in summary_text(payload, _ctx("en"))


def _ctx(lang):
    return RenderContext(
        user=None, language=lang, gettext=RU if lang == "ru" else EN, tz=ZoneInfo("Europe/Moscow")
    )


async def test_a_shop_connected_before_reviews_existed_gets_the_job_at_start_and_keeps_the_rest(
    rig,
):
    shop, sid = await connect(rig)
    await rig.run_until(lambda: reviews_loaded(rig, shop.id))
    # The shop as an older bot left it: no reviews job, orders and sales mid-cycle.
    async with rig.db.transaction() as conn:
        await conn.execute("DELETE FROM polls WHERE method = 'reviews'")
        await conn.execute("DELETE FROM reviews")
        await conn.execute("DELETE FROM review_counts")
    before = await rig.rows("SELECT method, next_due_at, cursor FROM polls ORDER BY method")
    assert await plan_new_jobs(rig.db, 0.001) == 1
    assert await plan_new_jobs(rig.db, 0.001) == 0
    after = await rig.rows("SELECT method, next_due_at, cursor FROM polls ORDER BY method")
    assert [r for r in after if r[0] != "reviews"] == before
    old = rig.wb.add_feedback(
        sid, 1, "До обновления бота", created=datetime.now(UTC) - timedelta(days=1)
    )
    await rig.run_until(lambda: reviews_loaded(rig, shop.id))
    stored = await rig.rows("SELECT id FROM reviews")
    assert (old["id"],) in stored
    assert await events(rig, "review") == []  # written before /connect: history


async def test_a_bad_review_from_wb_is_skipped_logged_and_counted_the_good_ones_still_alert(
    rig, caplog
):
    shop, sid = await connect(rig)
    await rig.run_until(lambda: reviews_loaded(rig, shop.id))
    good = rig.wb.add_feedback(sid, 1, "Хороший разбор, плохой товар")
    broken = {**good, "id": "broken", "productValuation": "пять", "createdDate": "вчера"}
    body = {
        "data": {"countUnanswered": 2, "countArchive": 0, "feedbacks": [broken, good]},
        "error": False,
        "errorText": "",
        "additionalErrors": None,
    }
    rig.wb.malformed_next("/api/v1/feedbacks", body, times=50, sid=sid)
    with caplog.at_level("WARNING", logger="bot.sync.reviews"):
        await rig.run_until(lambda: _count(rig, "SELECT COUNT(*) FROM events", 1))
    assert [r for r, _ in await events(rig, "review")] == [good["id"]]
    skipped = await rig.scalar("SELECT value FROM counters WHERE name = 'wb_rows_skipped_reviews'")
    assert skipped is not None and int(skipped) >= 1
    assert "skipped 1 bad items" in caplog.text and "productValuation not 1..5" in caplog.text
