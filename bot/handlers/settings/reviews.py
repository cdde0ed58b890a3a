"""Reviews and questions in /settings: review and question alerts on or off, and the threshold
at or below which a review alerts."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.handlers.menus import mark, on_off, show
from bot.handlers.settings.menu import back, entry
from bot.notify.reviews import THRESHOLDS
from bot.store.db import Database
from bot.store.users import User, get_user, update_user

router = Router(name="settings-reviews")


class ReviewSettings(CallbackData, prefix="rv"):
    """A button of the reviews settings: open them, switch reviews or questions, a threshold."""

    action: str  # "open" | "reviews" | "questions" | "threshold"
    value: int = 0


def line(user: User) -> str:
    return _("💬 Reviews: {reviews}, {threshold}★ and below · questions: {questions}").format(
        reviews=on_off(user.alert_reviews),
        threshold=user.review_threshold,
        questions=on_off(user.alert_questions),
    )


entry(
    (4, 0),
    lambda user: _("💬 Reviews and questions"),
    ReviewSettings(action="open").pack(),
    line,
)


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
    return InlineKeyboardMarkup(inline_keyboard=[switches, thresholds, back()])


@router.callback_query(ReviewSettings.filter(F.action == "open"))
async def open_review_settings(query: CallbackQuery, user: User) -> None:
    await show(query, review_settings_text(user), review_settings_keyboard(user))
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
        await show(query, review_settings_text(fresh), review_settings_keyboard(fresh))
    await query.answer(_("Saved"))
