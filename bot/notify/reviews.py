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
from bot.i18n import N_
from bot.notify.texts import LABELS, RenderContext, Rendered, cut_lines, renderer
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

LABELS.update({"review": N_("reviews"), "question": N_("questions")})


def is_negative(payload: Mapping[str, Any], threshold: int) -> bool:
    rating = payload.get("rating")
    return isinstance(rating, int) and not isinstance(rating, bool) and rating <= threshold


def stars(rating: int) -> str:
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating)


def _s(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    return value.strip() if isinstance(value, str) else ""


def _quote(text: str, limit: int) -> str:
    text = text.strip()
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _int(payload: Mapping[str, Any], key: str) -> int:
    value = payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _when(payload: Mapping[str, Any], fallback: float, zone: tzinfo, lang: str) -> str:
    moment = datetime.fromtimestamp(_int(payload, "ts") or fallback, UTC)
    return formats.stamp(moment, zone, datetime.now(zone).date(), lang)


def _product_lines(payload: Mapping[str, Any], gettext: Callable[[str], str]) -> list[str]:
    _ = gettext
    title = _s(payload, "title") or _s(payload, "brand") or f"nmId {_int(payload, 'nm_id')}"
    return [
        f"<b>{_quote(title, 200)}</b>",
        _("Article <code>{article}</code> · nmId {nm_id}").format(
            article=_quote(_s(payload, "supplier_article"), 100), nm_id=_int(payload, "nm_id")
        ),
    ]


def review_lines(
    payload: Mapping[str, Any],
    fallback: float,
    zone: tzinfo,
    lang: str,
    gettext: Callable[[str], str],
    text_chars: int = TEXT_CHARS,
) -> list[str]:
    """Rating, product, the buyer's words, photos and date: the body of an alert or list item."""
    _ = gettext
    rating = _int(payload, "rating")
    lines = [
        _("{stars} {rating} of 5 · {when}").format(
            stars=stars(rating), rating=rating, when=_when(payload, fallback, zone, lang)
        ),
        *_product_lines(payload, gettext),
    ]
    if _s(payload, "text"):
        lines.append(f"«{_quote(_s(payload, 'text'), text_chars)}»")
    if _s(payload, "pros"):
        lines.append(_("👍 Pros: {text}").format(text=_quote(_s(payload, "pros"), text_chars)))
    if _s(payload, "cons"):
        lines.append(_("👎 Cons: {text}").format(text=_quote(_s(payload, "cons"), text_chars)))
    if not any(_s(payload, k) for k in ("text", "pros", "cons")):
        lines.append(_("(a rating without words)"))
    if _int(payload, "photos"):
        lines.append(_("📷 Photos: {count}").format(count=_int(payload, "photos")))
    return lines


def _button(text: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, url=url)]])


@renderer("review")
def render_reviews(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    parts = []
    for event in events:
        head = _("💬 <b>New review</b> · {shop}").format(shop=ctx.shop(event.shop_id))
        body = review_lines(event.payload, event.created_at, ctx.tz, ctx.language, ctx.gettext)
        parts.append("\n".join([head, *body]))
    return Rendered(
        cut_lines("\n\n".join(parts), ctx.limit),
        reply_markup=_button(_("Answer in the WB cabinet"), CABINET_REVIEWS),
    )


@renderer("question")
def render_questions(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    parts = []
    for event in events:
        p = event.payload
        lines = [
            _("❓ <b>New question</b> · {shop} · {when}").format(
                shop=ctx.shop(event.shop_id),
                when=_when(p, event.created_at, ctx.tz, ctx.language),
            ),
            *_product_lines(p, ctx.gettext),
            f"«{_quote(_s(p, 'text'), TEXT_CHARS)}»",
        ]
        parts.append("\n".join(lines))
    return Rendered(
        cut_lines("\n\n".join(parts), ctx.limit),
        reply_markup=_button(_("Answer in the WB cabinet"), CABINET_QUESTIONS),
    )


# ------------------------------------------------------------------ the daily summary


async def unanswered_payload(
    db: Database, shops: Sequence[tuple[int, str]], threshold: int
) -> list[dict[str, Any]]:
    """Per shop whose key lists reviews: WB's unanswered counts, and the negative reviews
    (at or below the reader's threshold) among them, as the summary's payload carries them."""
    found = []
    for shop_id, name in shops:
        counts = await unanswered(db, shop_id, threshold)
        if counts is not None:
            found.append(
                {
                    "shop": name,
                    "reviews": counts.reviews,
                    "negative": counts.negative,
                    "questions": counts.questions,
                    "threshold": threshold,
                }
            )
    return found


def unanswered_lines(value: Any, ctx: RenderContext) -> list[str]:
    _ = ctx.gettext
    items = [i for i in value or [] if isinstance(i, dict)]
    if not items:
        return []
    lines = ["", _("💬 <b>Waiting for your answer</b>")]
    for item in items:
        line = _(
            "Reviews: {reviews} (negative, {threshold}★ and below: {negative}) · "
            "questions: {questions}"
        ).format(
            reviews=formats.number(_int(item, "reviews")),
            negative=formats.number(_int(item, "negative")),
            threshold=_int(item, "threshold") or DEFAULT_THRESHOLD,
            questions=formats.number(_int(item, "questions")),
        )
        if len(items) > 1:
            line = f"{_quote(_s(item, 'shop'), 60)}: {line}"
        lines.append(line)
    return lines
