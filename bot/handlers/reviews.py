"""/reviews (the latest unanswered negative reviews per shop) and the reviews part of /settings:
review and question alerts on or off, and the threshold at or below which a review alerts."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.connect import user_zone
from bot.handlers.review_buttons import ReviewSettings
from bot.handlers.settings import _back, _show, on_off
from bot.i18n import language_for
from bot.notify.reviews import CABINET_REVIEWS, LIST_TEXT_CHARS, THRESHOLDS, review_lines
from bot.notify.texts import cut_lines
from bot.store.db import Database
from bot.store.reviews import open_negative, unanswered
from bot.store.shops import Shop, shops_of_user
from bot.store.users import User, get_user, update_user
from bot.wb.methods import Category

router = Router(name="reviews")

LISTED = 10  # the newest unanswered negative reviews /reviews shows per shop
MESSAGE_LIMIT = 4000


# ------------------------------------------------------------------ /reviews


def missing_category_text() -> str:
    return _(
        "This key has no <b>Questions and reviews</b> category. Add it to the token in the WB "
        "cabinet (Settings → Access to API) and send the new one with /connect: you will get "
        "an alert within minutes of every bad review and new question, and the daily summary "
        "will count what waits for your answer."
    )


async def shop_reviews_text(db: Database, shop: Shop, user: User) -> str:
    head = f"<b>{html.escape(shop.name)}</b>"
    if not shop.has_category(int(Category.FEEDBACKS)):
        return f"{head}\n{missing_category_text()}"
    threshold = user.review_threshold
    counts = await unanswered(db, shop.id, threshold)
    if counts is None:
        return head + "\n" + _("Reviews are still loading: ask again in a few minutes.")
    found = await open_negative(db, shop.id, threshold, LISTED)
    lines = [
        head
        + " · "
        + _("unanswered reviews: {count}, of them {threshold}★ and below: {negative}").format(
            count=counts.reviews, threshold=threshold, negative=counts.negative
        )
    ]
    if not found:
        lines.append(
            _("No unanswered reviews at {threshold}★ or below. 👍").format(threshold=threshold)
        )
    zone = user_zone(user)
    lang = language_for(user.language, user.tg_language)
    for item in found:
        body = review_lines(item.payload, item.created_at, zone, lang, _, LIST_TEXT_CHARS)
        lines += ["", *body]
    if counts.negative > len(found):
        lines += [
            "",
            _("…and {count} more in the WB cabinet.").format(count=counts.negative - len(found)),
        ]
    return cut_lines("\n".join(lines), MESSAGE_LIMIT)


@router.message(Command("reviews"))
async def reviews_command(message: Message, db: Database, user: User) -> None:
    shops = [shop for shop, _role in await shops_of_user(db, user.id)]
    if not shops:
        await message.answer(_("You have no shops yet. Send /connect to add one."))
        return
    button = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Answer in the WB cabinet"), url=CABINET_REVIEWS)]
        ]
    )
    for shop in shops:
        text = await shop_reviews_text(db, shop, user)
        usable = shop.has_category(int(Category.FEEDBACKS))
        await message.answer(text, reply_markup=button if usable else None)


# ------------------------------------------------------------------ settings


def review_settings_text(user: User) -> str:
    return "\n".join(
        [
            _("💬 <b>Reviews and questions</b>"),
            "",
            _("A review alerts you when it is rated {threshold}★ or below.").format(
                threshold=user.review_threshold
            ),
            _("Review alerts: {reviews} · question alerts: {questions}").format(
                reviews=on_off(user.alert_reviews), questions=on_off(user.alert_questions)
            ),
        ]
    )


def review_settings_keyboard(user: User) -> InlineKeyboardMarkup:
    def mark(on: bool) -> str:
        return "✅" if on else "❌"

    reviews, questions = _("Reviews"), _("Questions")
    switches = [
        InlineKeyboardButton(
            text=f"{mark(user.alert_reviews)} {reviews}",
            callback_data=ReviewSettings(action="reviews").pack(),
        ),
        InlineKeyboardButton(
            text=f"{mark(user.alert_questions)} {questions}",
            callback_data=ReviewSettings(action="questions").pack(),
        ),
    ]
    thresholds = [
        InlineKeyboardButton(
            text=("• " if n == user.review_threshold else "") + f"≤{n}★",
            callback_data=ReviewSettings(action="threshold", value=n).pack(),
        )
        for n in THRESHOLDS
    ]
    return InlineKeyboardMarkup(inline_keyboard=[switches, thresholds, _back()])


@router.callback_query(ReviewSettings.filter(F.action == "open"))
async def open_review_settings(query: CallbackQuery, user: User) -> None:
    await _show(query, review_settings_text(user), review_settings_keyboard(user))
    await query.answer()


@router.callback_query(ReviewSettings.filter())
async def change_review_settings(
    query: CallbackQuery, callback_data: ReviewSettings, db: Database, user: User
) -> None:
    if callback_data.action == "reviews":
        await update_user(db, user.id, alert_reviews=not user.alert_reviews)
    elif callback_data.action == "questions":
        await update_user(db, user.id, alert_questions=not user.alert_questions)
    elif callback_data.action == "threshold" and callback_data.value in THRESHOLDS:
        await update_user(db, user.id, review_threshold=callback_data.value)
    else:
        await query.answer()
        return
    fresh = await get_user(db, user.id)
    if fresh is not None:
        await _show(query, review_settings_text(fresh), review_settings_keyboard(fresh))
    await query.answer(_("Saved"))
