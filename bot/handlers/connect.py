"""/connect: a WB key in, checked locally and by WB, stored sealed; the message carrying it is
deleted in every outcome. Keys are accepted only in a private chat."""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot import formats
from bot.connect import (
    Accepted,
    Busy,
    Refusal,
    Refused,
    Unauthorized,
    Unreachable,
    category_mask,
    check_claims,
    check_with_wb,
    days_left,
    extract_key,
    period_parts,
)
from bot.i18n import N_, current_language
from bot.store.shops import NewToken, Shop, connect_shop, role_of
from bot.store.users import User
from bot.sync.plan import jobs_for, plan_shop, token_type_of
from bot.wb.methods import Category, TokenType
from bot.wb.token import looks_like_token, normalize_token

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

router = Router(name="connect")

PRIVATE = F.chat.type == "private"
GROUPS = F.chat.type.in_({"group", "supergroup"})
#: A reply this long without spaces is taken for an attempt at a key (and deleted), not chat.
KEYLIKE_MIN_LENGTH = 20
#: A token closer than this to its end gets a warning at /connect (WB warns only 3 days ahead).
EXPIRY_WARNING_DAYS = 14


class ConnectForm(StatesGroup):
    waiting_key = State()


# --- texts shared by /connect, /shops and /status ---------------------------------------------


def token_type_name(token_type: int | None) -> str:
    names = {
        TokenType.BASE: _("Base"),
        TokenType.TEST: _("Test"),
        TokenType.PERSONAL: _("Personal"),
        TokenType.SERVICE: _("Service"),
    }
    try:
        return names[TokenType(token_type or 0)]
    except ValueError:
        return _("unknown")


def category_name(category: Category) -> str:
    names = {
        Category.CONTENT: _("Content"),
        Category.ANALYTICS: _("Analytics"),
        Category.PRICES: _("Prices and discounts"),
        Category.MARKETPLACE: _("Marketplace"),
        Category.STATISTICS: _("Statistics"),
        Category.PROMOTION: _("Promotion"),
        Category.FEEDBACKS: _("Questions and reviews"),
        Category.CHAT: _("Buyers chat"),
        Category.SUPPLIES: _("Supplies"),
        Category.RETURNS: _("Buyers returns"),
        Category.DOCUMENTS: _("Documents"),
        Category.FINANCE: _("Finance"),
        Category.USERS: _("Users"),
    }
    return names.get(category, str(int(category)))


def categories_text(mask: int) -> str:
    names = [category_name(c) for c in Category if mask & (1 << int(c))]
    return ", ".join(names) if names else "—"


def sandbox_text() -> str:
    return _(
        "• A <b>Test</b> token works in WB's sandbox, which has no Analytics or common API: "
        "no stock, no low-stock alerts, no order feed and no shop name from WB."
    )


def job_name(job: str) -> str:
    names = {
        "orders": _("orders and cancellations"),
        "sales": _("buyouts and returns"),
        "stock": _("stock"),
        "fbs": _("new FBS orders"),
        "feed": _("order feed (every order, deferred payment too)"),
        "cards": _("product titles and photos"),
        "reviews": _("reviews and questions"),
        "finance": _("WB's finance report (weekly; this week daily)"),
    }
    return names.get(job, job)


def reviews_advice() -> str:
    return _(
        "• Add <b>Questions and reviews</b> for an alert within minutes of a bad review or a "
        "new question, /reviews, and unanswered counts in the daily summary."
    )


def finance_advice() -> str:
    return _(
        "• Add <b>Finance</b> for profit by WB's own finance report: commission, logistics, "
        "storage, penalties, deductions and what WB transfers, exact for every week WB has "
        "published. Without it, profit is only an estimate from sales."
    )


def period_text(seconds: float) -> str:
    number, unit = period_parts(seconds)
    units = {
        "s": _("{n} s"),
        "min": _("{n} min"),
        "h": _("{n} h"),
        "d": _("{n} d"),
    }
    return _("every {period}").format(period=units[unit].format(n=number))


def dead_reason_text(reason: str | None) -> str:
    reasons = {
        "expired": _("WB says the token has expired"),
        "revoked": _("WB says the token was revoked or deleted"),
        "scope": _("WB says the token lacks a category it needs"),
        "malformed": _("WB could not read the token"),
        "forbidden": _("WB closed this token's access"),
    }
    return reasons.get(reason or "", _("WB refused the token"))


def user_zone(user: User) -> tzinfo:
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("Europe/Moscow")


def local_time(ts: float, zone: tzinfo) -> str:
    """ "06.12.2026 14:05" in Russian, "2026-12-06 14:05" in English."""
    moment = datetime.fromtimestamp(ts, UTC).astimezone(zone)
    return f"{formats.day(moment.date(), current_language())} {moment:%H:%M}"


def valid_until(expires_at: float, days: int, zone: tzinfo) -> str:
    """ ", valid until 23.12.2026 (30 days left)", the days agreeing with their number."""
    return ngettext(
        ", valid until {date} ({days} day left)", ", valid until {date} ({days} days left)", days
    ).format(date=local_date(expires_at, zone), days=days)


def local_date(ts: float, zone: tzinfo) -> str:
    return formats.day(datetime.fromtimestamp(ts, UTC).astimezone(zone).date(), current_language())


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
        when = local_date(expired.timestamp(), zone) if expired is not None else "?"
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


# --- the conversation -------------------------------------------------------------------------


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(_("Nothing to cancel."))
        return
    current = await state.get_state()
    await state.clear()
    if current is not None and current.startswith("ConnectForm"):
        await message.answer(_("Cancelled. Send /connect when you have the key."))
    else:
        await message.answer(_("Cancelled."))


@router.message(Command("connect", ignore_case=True), GROUPS)
async def connect_in_group(message: Message, command: CommandObject) -> None:
    if command.args and command.args.strip():
        await warn_key_in_group(message)
        return
    await message.reply(
        _("Keys go only to a private chat with me: open a chat with me and send /connect there.")
    )


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


@router.message(Command("connect", ignore_case=True), PRIVATE)
async def connect_command(
    message: Message, command: CommandObject, state: FSMContext, app: App, user: User
) -> None:
    if command.args and command.args.strip():
        await state.clear()
        await connect_key(message, command.args, app, user)
        return
    await state.set_state(ConnectForm.waiting_key)
    await message.answer(_("Send me your WB API token (or /cancel).") + "\n\n" + how_to_create())


@router.message(StateFilter(ConnectForm.waiting_key), F.text.startswith("/"))
async def command_while_waiting(message: Message, state: FSMContext) -> None:
    """Another command ends the wait and goes on to its own handler."""
    await state.clear()
    raise SkipHandler()


@router.message(StateFilter(ConnectForm.waiting_key), PRIVATE)
async def key_reply(message: Message, state: FSMContext, app: App, user: User) -> None:
    text = (message.text or "").strip()
    if not looks_like_key_attempt(text):
        await message.answer(
            _(
                "That does not look like a WB token: a token is one long line starting with "
                "<code>eyJ</code>. Send the token, or /cancel."
            )
        )
        return
    await state.clear()
    await connect_key(message, text, app, user)


def looks_like_key_attempt(text: str) -> bool:
    if looks_like_token(text):
        return True
    compact = normalize_token(text)
    return len(compact) >= KEYLIKE_MIN_LENGTH and " " not in text.strip()


async def delete_quietly(message: Message) -> bool:
    try:
        await message.delete()
    except TelegramAPIError as exc:
        # The description never holds the message text.
        log.warning("could not delete a message carrying a key: %s", type(exc).__name__)
        return False
    return True


async def connect_key(message: Message, raw: str, app: App, user: User) -> None:
    """Deletes the message, checks the key locally and with WB, and stores it only if all
    checks pass."""
    deleted = await delete_quietly(message)
    zone = user_zone(user)
    tail = "" if deleted else "\n\n" + could_not_delete_private_text()
    now = datetime.now(UTC)
    raw = extract_key(raw)
    checked = check_claims(raw, now, app.settings.wb_sandbox)
    if isinstance(checked, Refused):
        log.info("connect: key refused locally (%s)", checked.refusal.value)
        await message.answer(refusal_text(checked, zone) + tail)
        return
    info = checked
    token = normalize_token(raw)
    result = await check_with_wb(
        app.wb, app.limiter, token, info, app.settings.wb_rate_scale, budget=app.sync
    )
    if not isinstance(result, Accepted):
        log.info("connect: key refused by the WB check (%s)", type(result).__name__)
        await message.answer(wb_refusal_text(result) + tail)
        return
    new = NewToken(
        seller_id=info.seller_id or "",
        name=result.name,
        token_type=int(info.token_type),
        categories=category_mask(info),
        read_only=info.read_only,
        expires_at=info.expires_at.timestamp() if info.expires_at else None,
    )
    shop, is_new = await connect_shop(app.db, app.keyring, user.id, new, token)
    await plan_shop(app.db, shop, app.settings.wb_rate_scale)
    log.info("connect: shop %s %s", shop.id, "connected" if is_new else "key replaced")
    left = days_left(shop.token_expires_at, now)
    reply = connected_text(shop, is_new, left, zone, deleted=deleted)
    if not is_new and await role_of(app.db, user.id, shop.id) == "member":
        reply += "\n\n" + _(
            "<b>{name}</b> already has an owner here, so you joined it as a member; the owners "
            "were told who connected the key."
        ).format(name=html.escape(shop.name))
    await message.answer(reply + tail)
