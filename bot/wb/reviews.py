"""Reviews and questions from feedbacks-api (09-communications.yaml), parsed leniently like every
WB row: a bad item is skipped and counted, never fatal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.timeutil import parse_utc
from bot.wb.models import (
    BadPayload,
    Parsed,
    _integer,
    _parse_rows,
    _required_key,
    _Skip,
    _text,
    _time,
)

REVIEW_TEXT = 1500  # WB allows long reviews; an alert shows this much and links to the rest


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """What a review and a question both say: the buyer's words about one product."""

    id: str
    nm_id: int
    text: str
    created_at: datetime
    product_name: str
    article: str  # supplierArticle
    brand: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Review(Post):
    """A buyer's review (getV1Feedbacks ``responseFeedback`` item)."""

    rating: int  # productValuation, 1..5
    pros: str
    cons: str
    photos: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Question(Post):
    """A buyer's question (getV1Questions ``questions`` item)."""


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of unanswered items and WB's own count of every unanswered one."""

    unanswered: int
    reviews: Parsed[Review]
    questions: Parsed[Question]


def _details(row: Mapping[str, Any]) -> Mapping[str, Any]:
    details = row.get("productDetails")
    if not isinstance(details, dict):
        raise _Skip("productDetails missing")
    return details


def _nm(details: Mapping[str, Any]) -> int:
    nm_id = _integer(details.get("nmId"))
    if nm_id is None or nm_id <= 0:
        raise _Skip("nmId not a positive integer")
    return nm_id


def _post(row: Mapping[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `Post`, read from a review or a question item and its productDetails."""
    return {
        "id": _required_key(row, "id"),
        "nm_id": _nm(details),
        "text": _text(row, "text", REVIEW_TEXT),
        "created_at": _time(row, "createdDate", parse_utc),
        "product_name": _text(details, "productName"),
        "article": _text(details, "supplierArticle"),
        "brand": _text(details, "brandName"),
    }


def _review(row: Mapping[str, Any]) -> Review:
    details = _details(row)
    rating = _integer(row.get("productValuation"))
    if rating is None or not 1 <= rating <= 5:
        raise _Skip("productValuation not 1..5")
    photos = row.get("photoLinks")
    return Review(
        **_post(row, details),
        rating=rating,
        pros=_text(row, "pros", REVIEW_TEXT),
        cons=_text(row, "cons", REVIEW_TEXT),
        photos=len(photos) if isinstance(photos, list) else 0,
    )


def _question(row: Mapping[str, Any]) -> Question:
    return Question(**_post(row, _details(row)))


def _data(body: Any, key: str) -> tuple[int, list[Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise BadPayload(f"{key}: expected data with a {key} array")
    count = _integer(data.get("countUnanswered"))
    return (count if count is not None and count >= 0 else len(data[key])), data[key]


def parse_reviews(body: Any) -> Listing:
    count, items = _data(body, "feedbacks")
    return Listing(count, _parse_rows(items, _review), Parsed())


def parse_questions(body: Any) -> Listing:
    count, items = _data(body, "questions")
    return Listing(count, Parsed(), _parse_rows(items, _question))


def parse_new(body: Any) -> tuple[bool, bool]:
    """getV1NewFeedbacksQuestions: (unseen reviews, unseen questions); anything odd is "yes"
    (a wasted fetch beats a missed review)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return True, True
    return data.get("hasNewFeedbacks") is not False, data.get("hasNewQuestions") is not False
