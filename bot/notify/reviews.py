"""How reviews and questions read: the alerts, the /reviews list and the summary's line.

A review alerts the readers whose threshold it is at or below (their own setting, 3★ unless
they chose otherwise); a question alerts everyone who keeps question alerts on."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import formats
from bot.events import EventError, QuestionAsked, ReviewPosted, UnansweredCounts, from_dict
from bot.i18n import N_
from bot.notify.texts import LABELS, RenderContext, Rendered, cut_lines, product_lines, renderer
from bot.store.db import Database
from bot.store.outbox import EventRow
from bot.store.reviews import unanswered

DEFAULT_THRESHOLD = 3
THRESHOLDS = (1, 2, 3, 4, 5)
# WB documents no link to a single review: these open the unanswered tabs of the cabinet's
# "Reviews and questions" section, where the newest one is on top.
CABINET_REVIEWS = "https://seller.wildberries.ru/feedbacks/feedbacks-tab/not-answered"
CABINET_QUESTIONS = "https://seller.wildberries.ru/feedbacks/questions-tab/not-answered"
TEXT_CHARS = 900  # an alert quotes this much of a review; the cabinet has the rest
LIST_TEXT_CHARS = 200  # /reviews quotes less: ten of them must fit one message

LABELS.update({ReviewPosted.kind: N_("reviews"), QuestionAsked.kind: N_("questions")})


def is_negative(review: ReviewPosted, threshold: int) -> bool:
    """At or below the reader's threshold; a review without a rating (0) is not."""
    return 0 < review.rating <= threshold


def as_review(stored: ReviewPosted | Mapping[str, Any]) -> ReviewPosted:
    """A review as the reviews table keeps it (the event's fields); what does not load reads
    as empty rather than failing the whole list."""
    if isinstance(stored, ReviewPosted):
        return stored
    try:
        return from_dict(ReviewPosted, stored)
    except EventError:
        return ReviewPosted()


def stars(rating: int) -> str:
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating)


def _quote(text: str, limit: int) -> str:
    text = text.strip()
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _when(ts: int, fallback: float, zone: tzinfo, lang: str) -> str:
    moment = datetime.fromtimestamp(ts or fallback, UTC)
    return formats.stamp(moment, zone, datetime.now(zone).date(), lang)


def _product_lines(item: ReviewPosted | QuestionAsked, gettext: Callable[[str], str]) -> list[str]:
    title = item.title.strip() or item.brand.strip() or f"nmId {item.nm_id}"
    return product_lines(
        _quote(title, 200), _quote(item.supplier_article, 100), item.nm_id, gettext
    )


def review_lines(
    stored: ReviewPosted | Mapping[str, Any],
    fallback: float,
    zone: tzinfo,
    lang: str,
    gettext: Callable[[str], str],
    text_chars: int = TEXT_CHARS,
) -> list[str]:
    """Rating, product, the buyer's words, photos and date: the body of an alert or list item."""
    _ = gettext
    review = as_review(stored)
    words = {"text": review.text.strip(), "pros": review.pros.strip(), "cons": review.cons.strip()}
    lines = [
        _("{stars} {rating} of 5 · {when}").format(
            stars=stars(review.rating),
            rating=review.rating,
            when=_when(review.ts, fallback, zone, lang),
        ),
        *_product_lines(review, gettext),
    ]
    if words["text"]:
        lines.append(f"«{_quote(words['text'], text_chars)}»")
    if words["pros"]:
        lines.append(_("👍 Pros: {text}").format(text=_quote(words["pros"], text_chars)))
    if words["cons"]:
        lines.append(_("👎 Cons: {text}").format(text=_quote(words["cons"], text_chars)))
    if not any(words.values()):
        lines.append(_("(a rating without words)"))
    if review.photos:
        lines.append(_("📷 Photos: {count}").format(count=review.photos))
    return lines


def _posts(parts: list[str], ctx: RenderContext, cabinet: str) -> Rendered:
    """Reviews or questions, one after another, under the button to the cabinet's tab."""
    button = InlineKeyboardButton(text=ctx.gettext("Answer in the WB cabinet"), url=cabinet)
    return Rendered(
        cut_lines("\n\n".join(parts), ctx.limit),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


def _review(row: EventRow[ReviewPosted], ctx: RenderContext) -> str:
    head = ctx.gettext("💬 <b>New review</b> · {shop}").format(shop=ctx.shop(row.shop_id))
    body = review_lines(row.event, row.created_at, ctx.tz, ctx.language, ctx.gettext)
    return "\n".join([head, *body])


def _question(row: EventRow[QuestionAsked], ctx: RenderContext) -> str:
    question = row.event
    head = ctx.gettext("❓ <b>New question</b> · {shop} · {when}").format(
        shop=ctx.shop(row.shop_id), when=_when(question.ts, row.created_at, ctx.tz, ctx.language)
    )
    body = _product_lines(question, ctx.gettext)
    return "\n".join([head, *body, f"«{_quote(question.text, TEXT_CHARS)}»"])


@renderer(ReviewPosted)
def render_reviews(events: Sequence[EventRow[ReviewPosted]], ctx: RenderContext) -> Rendered:
    return _posts([_review(row, ctx) for row in events], ctx, CABINET_REVIEWS)


@renderer(QuestionAsked)
def render_questions(events: Sequence[EventRow[QuestionAsked]], ctx: RenderContext) -> Rendered:
    return _posts([_question(row, ctx) for row in events], ctx, CABINET_QUESTIONS)


# ------------------------------------------------------------------ the daily summary


async def unanswered_counts(
    db: Database, shops: Sequence[tuple[int, str]], threshold: int
) -> tuple[UnansweredCounts, ...]:
    """Per shop whose key lists reviews: WB's unanswered counts, and the negative reviews
    (at or below the reader's threshold) among them, as the summary carries them."""
    found = []
    for shop_id, name in shops:
        counts = await unanswered(db, shop_id, threshold)
        if counts is not None:
            found.append(
                UnansweredCounts(
                    shop=name,
                    reviews=counts.reviews,
                    negative=counts.negative,
                    questions=counts.questions,
                    threshold=threshold,
                )
            )
    return tuple(found)


def unanswered_lines(items: Sequence[UnansweredCounts], ctx: RenderContext) -> list[str]:
    _ = ctx.gettext
    if not items:
        return []
    lines = ["", _("💬 <b>Waiting for your answer</b>")]
    for item in items:
        line = _(
            "Reviews: {reviews} (negative, {threshold}★ and below: {negative}) · "
            "questions: {questions}"
        ).format(
            reviews=formats.number(item.reviews),
            negative=formats.number(item.negative),
            threshold=item.threshold or DEFAULT_THRESHOLD,
            questions=formats.number(item.questions),
        )
        if len(items) > 1:
            line = f"{_quote(item.shop.strip(), 60)}: {line}"
        lines.append(line)
    return lines
