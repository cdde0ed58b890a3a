"""The fake's feedbacks-api follows WB's spec (ZloyDeDD/wb-api-skill
swagger/09-communications.yaml, MissiaL/wildberries-api assets/openapi/user-communication.json
x-wb-rate-limits): names, envelope,
required parameters, newest-first paging, and one limit shared by every method of the category."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.fakes.tokens import ACC_BASE, ACC_PERSONAL, make_token
from tests.fakes.wb import FakeWB

pytestmark = pytest.mark.asyncio

FEEDBACKS = "/api/v1/feedbacks"
QUESTIONS = "/api/v1/questions"
NEW = "/api/v1/new-feedbacks-questions"
LIST = {"isAnswered": "false", "take": "10", "skip": "0"}


@pytest.fixture
async def wb() -> AsyncIterator[FakeWB]:
    async with FakeWB(rate_scale=0.01) as fake:
        yield fake


async def get(wb: FakeWB, token: str, path: str, **query: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            wb.base_url("feedbacks-api") + path, params=query, headers={"Authorization": token}
        ) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


async def test_reviews_list_has_the_spec_fields_newest_first_and_the_unanswered_count(wb):
    token = make_token(acc=ACC_PERSONAL, categories=("feedbacks",))
    sid = wb.add_seller(token)
    now = datetime.now(UTC)
    older = wb.add_feedback(sid, 4, "ок", created=now - timedelta(hours=1))
    newer = wb.add_feedback(sid, 1, "плохо", pros="", cons="швы", photos=2)
    answered = wb.add_feedback(sid, 5, "супер", created=now - timedelta(hours=2))
    wb.answer_feedback(sid, answered["id"])
    status, body = await get(wb, token, FEEDBACKS, **LIST, order="dateDesc")
    assert status == 200
    assert set(body) == {"data", "error", "errorText", "additionalErrors"}
    assert body["error"] is False
    data = body["data"]
    assert data["countUnanswered"] == 2 and data["countArchive"] == 1
    assert [f["id"] for f in data["feedbacks"]] == [newer["id"], older["id"]]
    item = data["feedbacks"][0]
    for key in ("text", "pros", "cons", "productValuation", "createdDate", "answer", "state"):
        assert key in item
    assert item["productValuation"] == 1 and len(item["photoLinks"]) == 2
    assert set(item["productDetails"]) >= {"nmId", "imtId", "productName", "supplierArticle"}
    # The spec's example stamp: "2024-09-26T10:20:48+03:00".
    assert item["createdDate"].endswith("+03:00")
    status, body = await get(wb, token, FEEDBACKS, **{**LIST, "isAnswered": "true"})
    assert [f["id"] for f in body["data"]["feedbacks"]] == [answered["id"]]


async def test_required_parameters_and_caps_answer_400_in_wbs_error_shape(wb):
    token = make_token(acc=ACC_PERSONAL, categories=("feedbacks",))
    status, body = await get(wb, token, FEEDBACKS, take="10", skip="0")
    assert status == 400 and body["error"] is True and body["errorText"]
    status, _ = await get(wb, token, FEEDBACKS, **{**LIST, "take": "5001"})
    assert status == 400  # "Количество отзывов (max. 5 000)"
    status, _ = await get(wb, token, QUESTIONS, **{**LIST, "take": "9000", "skip": "2000"})
    assert status == 400  # take + skip at most 10 000
    status, _ = await get(wb, token, QUESTIONS, **{**LIST, "take": "9000", "skip": "1000"})
    assert status == 200


async def test_unseen_flags_and_counts_follow_the_sellers_actions(wb):
    token = make_token(acc=ACC_PERSONAL, categories=("feedbacks",))
    sid = wb.add_seller(token)
    _, body = await get(wb, token, NEW)
    assert body["data"] == {"hasNewQuestions": False, "hasNewFeedbacks": False}
    question = wb.add_question(sid, "Какой размер?")
    _status, body = await get(wb, token, NEW)
    assert body["data"] == {"hasNewQuestions": True, "hasNewFeedbacks": False}
    _, body = await get(wb, token, "/api/v1/questions/count-unanswered")
    assert body["data"] == {"countUnanswered": 1, "countUnansweredToday": 1}
    wb.view_all(sid)
    _, body = await get(wb, token, NEW)
    assert body["data"]["hasNewQuestions"] is False
    wb.answer_question(sid, question["id"])
    _, body = await get(wb, token, "/api/v1/questions/count-unanswered")
    assert body["data"]["countUnanswered"] == 0


async def test_one_budget_for_the_whole_category_base_five_per_hour_burst_one(wb):
    base = make_token(acc=ACC_BASE, categories=("feedbacks",))
    sid = wb.add_seller(base)
    assert wb.limit_for("feedbacks", ACC_BASE).interval == pytest.approx(12 * 60 * 0.01)
    assert (await get(wb, base, NEW))[0] == 200
    status, _body = await get(wb, base, FEEDBACKS, **LIST)  # another method, the same bucket
    assert status == 429
    assert wb.violations[(sid, "feedbacks")] == 1


async def test_personal_keys_get_a_burst_of_six_across_the_category():
    personal = make_token(acc=ACC_PERSONAL, categories=("feedbacks",))
    async with FakeWB(rate_scale=1.0) as wb:  # 3/s: seven quick calls outrun the refill
        pid = wb.add_seller(personal)
        paths = [FEEDBACKS, QUESTIONS] * 3
        statuses = [(await get(wb, personal, path, **LIST))[0] for path in paths]
        assert statuses == [200] * 6
        assert (await get(wb, personal, NEW))[0] == 429
        assert wb.violations[(pid, "feedbacks")] == 1


async def test_a_key_without_the_category_is_refused(wb):
    token = make_token(acc=ACC_PERSONAL, categories=("statistics",))
    status, body = await get(wb, token, NEW)
    assert status == 401 and body["detail"] == "token scope not allowed"
