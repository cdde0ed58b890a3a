"""/reviews: the latest unanswered negative reviews per shop (their settings are a submenu of
/settings, bot.handlers.settings.reviews)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import zone_of
from bot.i18n import language_for
from bot.notify.reviews import CABINET_REVIEWS, LIST_TEXT_CHARS, review_lines
from bot.notify.texts import cut_lines
from bot.store.db import Database
from bot.store.reviews import open_negative, unanswered
from bot.store.shops import Shop, shops_of_user
from bot.store.users import User
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
    zone = zone_of(user.timezone)
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
