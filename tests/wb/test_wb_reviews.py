"""feedbacks-api in the method table (one group, WB's limits) and its lenient parsers."""

from __future__ import annotations

import pytest

from bot.wb.methods import METHODS, Category, TokenType, limit_for, poll_period
from bot.wb.models import BadPayload
from bot.wb.reviews import parse_new, parse_questions, parse_reviews
from tests.fakes.wb import LIMITS

NAMES = ("feedbacks_new", "feedbacks", "questions", "feedbacks_unanswered", "questions_unanswered")


def test_every_feedbacks_method_shares_one_group_with_the_fakes_limits():
    methods = [METHODS[n] for n in NAMES]
    assert {m.group for m in methods} == {"feedbacks"}
    assert {m.category for m in methods} == {Category.FEEDBACKS}
    personal, base = LIMITS["feedbacks"]
    for m in methods:
        mine = limit_for(m, TokenType.PERSONAL)
        assert mine is not None and (mine.period, mine.count, mine.burst) == (1.0, 3, 6)
        assert (personal.period, personal.limit, personal.burst) == (1, 3, 6)
        theirs = limit_for(m, TokenType.BASE)
        assert theirs is not None and (theirs.period, theirs.count, theirs.burst) == (3600, 5, 1)
        assert (base.period, base.limit, base.burst) == (3600, 5, 1)
    assert poll_period(METHODS["feedbacks"], TokenType.PERSONAL) == 60.0
    assert poll_period(METHODS["feedbacks"], TokenType.BASE) == 12 * 60.0


def test_bad_items_are_skipped_and_counted_not_fatal():
    body = {
        "data": {
            "countUnanswered": 7,
            "feedbacks": [
                {
                    "id": "a",
                    "productValuation": 2,
                    "createdDate": "2024-09-26T10:20:48+03:00",
                    "productDetails": {"nmId": 5, "supplierArticle": "X"},
                    "photoLinks": [{}, {}],
                },
                {"id": "b", "productValuation": 9, "createdDate": "2024-09-26T10:20:48+03:00"},
                {"id": "c", "productValuation": 1, "productDetails": {"nmId": 5}},
                "junk",
            ],
        }
    }
    listing = parse_reviews(body)
    assert listing.unanswered == 7
    assert [r.id for r in listing.reviews.rows] == ["a"]
    assert listing.reviews.rows[0].photos == 2
    assert listing.reviews.rows[0].created_at.isoformat() == "2024-09-26T07:20:48+00:00"
    assert listing.reviews.skipped == 3
    with pytest.raises(BadPayload):
        parse_questions({"data": None, "error": True})


def test_an_odd_unseen_answer_means_look_anyway():
    assert parse_new({"data": {"hasNewFeedbacks": False, "hasNewQuestions": False}}) == (
        False,
        False,
    )
    assert parse_new({"data": {"hasNewFeedbacks": True, "hasNewQuestions": False}}) == (
        True,
        False,
    )
    assert parse_new(None) == (True, True)
