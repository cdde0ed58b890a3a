"""A WB key arriving in a chat: the message carrying it deleted in every outcome, the key handed
to the shop connector, and the outcome worded. /connect and the key-anywhere router both end
here."""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, tzinfo

from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot import formats
from bot.clock import zone_of
from bot.handlers.shop_texts import (
    categories_text,
    dead_reason_text,
    finance_advice,
    job_name,
    period_text,
    reviews_advice,
    sandbox_text,
    token_type_name,
    valid_until,
)
from bot.i18n import N_, current_language
from bot.shops.connector import Connected, ShopConnector
from bot.shops.keycheck import Busy, Refusal, Refused, Unauthorized, Unreachable
from bot.store.shops import Shop
from bot.store.users import User
from bot.sync.plan import jobs_for, token_type_of
from bot.wb.methods import Category, TokenType

log = logging.getLogger(__name__)

#: A token closer than this to its end gets a warning at /connect (WB warns only 3 days ahead).
EXPIRY_WARNING_DAYS = 14


HOW_TO_CREATE = N_(
    "In the WB seller cabinet open Settings → Access to API and create a token with the "
    "categories <b>Statistics</b> and <b>Analytics</b> (add <b>Marketplace</b> for instant FBS "
    "orders and <b>Content</b> for titles and photos), choose <b>Read only</b>, and send it here "
    "with /connect."
)


def how_to_create() -> str:
    return _(HOW_TO_CREATE)


def refusal_text(refused: Refused, zone: tzinfo) -> str:
    if refused.refusal is Refusal.OLD_STYLE:
        head = _(
            "This is an old-style statistics key (x64/Base64). WB replaced these keys with API "
            "tokens in 2023 and no longer accepts them."
        )
    elif refused.refusal is Refusal.MALFORMED:
        head = _(
            "This does not look like a WB API token: it cannot be read. Copy the whole token "
            "from the WB cabinet; it starts with <code>eyJ</code> and has two dots."
        )
    elif refused.refusal is Refusal.EXPIRED:
        expired = refused.expired_at
        when = (
            formats.day_of(expired.timestamp(), zone, current_language())
            if expired is not None
            else "?"
        )
        head = _("This token expired on {date}.").format(date=when)
    elif refused.refusal is Refusal.TEST_TOKEN:
        head = _(
            "This is a Test token for WB's sandbox; it cannot see a real shop. Create a Personal "
            "or Base token instead."
        )
    else:
        head = _(
            "This token lacks the <b>Statistics</b> category, which orders and sales come from."
        )
    return head + "\n\n" + how_to_create() + "\n\n" + _("Nothing was saved.")


def wb_refusal_text(result: Unauthorized | Busy | Unreachable) -> str:
    if isinstance(result, Busy):
        return _(
            "WB allows only a few key checks at a time. Send the key again in {seconds} "
            "seconds. Nothing was saved."
        ).format(seconds=result.seconds)
    if isinstance(result, Unreachable):
        return _(
            "WB could not be reached just now (it is slow or down). Nothing was saved; send the "
            "key again in a few minutes."
        )
    return (
        dead_reason_text(result.reason)
        + ".\n\n"
        + how_to_create()
        + "\n\n"
        + _("Nothing was saved.")
    )


def connected_text(
    shop: Shop, is_new: bool, days_left: int | None, zone: tzinfo, *, deleted: bool = True
) -> str:
    """What the token allows, how fresh each kind of data will be, and what to add for more."""
    name = html.escape(shop.name)
    if is_new:
        lines = [_("✅ Shop <b>{name}</b> is connected.").format(name=name)]
    else:
        lines = [
            _(
                "🔑 Key updated for <b>{name}</b>. All data stays; nothing will be alerted twice."
            ).format(name=name)
        ]
    token = _("Token: {type}, {access}").format(
        type=token_type_name(shop.token_type),
        access=_("read only") if shop.token_read_only else _("read and write"),
    )
    if shop.token_expires_at is not None:
        token += valid_until(shop.token_expires_at, days_left or 0, zone)
    lines.append(token + ".")
    lines.append(_("Categories: {names}.").format(names=categories_text(shop.token_categories)))
    lines.append("")
    lines.append(_("<b>How fresh your data will be</b> (WB's limits for this token):"))
    for job, period in jobs_for(shop, 1.0).items():
        lines.append(f"• {job_name(job)}: {period_text(period)}")
    advice = []
    if token_type_of(shop) is TokenType.TEST:
        advice.append(sandbox_text())
    elif not shop.has_category(int(Category.ANALYTICS)):
        advice.append(
            _(
                "• No <b>Analytics</b>: the shop works without stock and low-stock alerts, and "
                "without WB's order feed, so orders with deferred payment or instalments may "
                "come late or never. Add Analytics to the token to get them."
            )
        )
    if not shop.has_category(int(Category.MARKETPLACE)):
        advice.append(_("• Add <b>Marketplace</b> for instant alerts of new FBS orders."))
    if not shop.has_category(int(Category.CONTENT)):
        advice.append(_("• Add <b>Content</b> for product titles and photos in alerts."))
    if not shop.has_category(int(Category.FEEDBACKS)):
        advice.append(reviews_advice())
    if not shop.has_category(int(Category.FINANCE)):
        advice.append(finance_advice())
    if token_type_of(shop) is TokenType.BASE:
        advice.append(
            _(
                "• WB gives Base tokens tiny limits. A <b>Personal</b> token gets orders every "
                "minute; it is fine when you run this bot for yourself."
            )
        )
    if days_left is not None and days_left < EXPIRY_WARNING_DAYS:
        advice.append(
            ngettext(
                "⚠️ This token expires in {days} day: create a new one soon.",
                "⚠️ This token expires in {days} days: create a new one soon.",
                days_left,
            ).format(days=days_left)
        )
    if not shop.token_read_only:
        advice.append(
            _(
                "⚠️ This token can change your shop. A <b>Read only</b> token is safer: the bot "
                "never changes anything."
            )
        )
    if advice:
        lines.append("")
        lines.append(_("<b>For more</b> (create a new token and send it with /connect):"))
        lines.extend(advice)
    lines.append("")
    if is_new:
        lines.append(
            _(
                "The first sync quietly loads the last 90 days: no flood of old alerts. Alerts "
                "start with what happens from now on. /status shows the progress."
            )
        )
    if deleted:
        lines.append(_("🔒 I deleted the message with your key and keep the key encrypted."))
    else:
        lines.append(_("🔒 I keep the key encrypted."))
    return "\n".join(lines)


async def warn_key_in_group(message: Message) -> None:
    """Anyone in the group may have read the key: only revoking it makes it safe again."""
    deleted = await delete_quietly(message)
    who = ""
    if message.from_user is not None:
        who = (
            f'<a href="tg://user?id={message.from_user.id}">'
            f"{html.escape(message.from_user.first_name)}</a>, "
        )
    text = who + _(
        "you posted a WB key in a group, where others can see it. Revoke it now in the WB "
        "cabinet (Settings → Access to API → delete the token), create a new one and send it "
        "to me in a private chat. I saved nothing."
    )
    if not deleted:
        text += "\n" + could_not_delete_text()
    try:
        await message.answer(text)
    except TelegramAPIError as exc:  # a group where the bot may no longer write
        log.warning("could not warn a group about a key: %s", type(exc).__name__)


def could_not_delete_text() -> str:
    return _(
        "I could not delete the message (I need the admin right to delete messages): "
        "delete it yourself."
    )


def could_not_delete_private_text() -> str:
    """Telegram lets a bot delete a message in a private chat only within 48 hours."""
    return _("I could not delete the message with the key: please delete it yourself.")


async def delete_quietly(message: Message) -> bool:
    try:
        await message.delete()
    except TelegramAPIError as exc:
        # The description never holds the message text.
        log.warning("could not delete a message carrying a key: %s", type(exc).__name__)
        return False
    return True


async def connect_key(message: Message, raw: str, connector: ShopConnector, user: User) -> None:
    """Deletes the message, then connects the shop if every check passes, and says how it
    went."""
    deleted = await delete_quietly(message)
    zone = zone_of(user.timezone)
    tail = "" if deleted else "\n\n" + could_not_delete_private_text()
    outcome = await connector.connect(raw, user.id, datetime.now(UTC))
    if isinstance(outcome, Refused):
        await message.answer(refusal_text(outcome, zone) + tail)
        return
    if not isinstance(outcome, Connected):
        await message.answer(wb_refusal_text(outcome) + tail)
        return
    shop = outcome.shop
    reply = connected_text(shop, outcome.is_new, outcome.days_left, zone, deleted=deleted)
    if outcome.joined_as_member:
        reply += "\n\n" + _(
            "<b>{name}</b> already has an owner here, so you joined it as a member; the owners "
            "were told who connected the key."
        ).format(name=html.escape(shop.name))
    await message.answer(reply + tail)
