"""/status: per shop, the token (type, categories, expiry), each job's last good sync and next
poll, the last WB error, and how fresh WB's own data is. Times in the user's zone."""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime, tzinfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot import formats
from bot.clock import zone_of
from bot.handlers.shop_owners import shops_listed
from bot.handlers.shop_texts import (
    categories_text,
    finance_advice,
    job_name,
    no_data_note,
    reviews_advice,
    role_text,
    sandbox_text,
    state_text,
    token_type_name,
    valid_until,
)
from bot.i18n import current_language
from bot.shops.keycheck import days_left
from bot.store.db import Database
from bot.store.polls import KEY_UNREADABLE, PollState, polls_of_shop
from bot.store.shops import Shop
from bot.store.users import User
from bot.sync.plan import token_type_of
from bot.timeutil import msk_to_utc
from bot.wb.methods import Category, TokenType

router = Router(name="status")

JOB_ORDER = ("orders", "feed", "sales", "stock", "fbs", "cards", "reviews", "finance")


def newest_wb_change(polls: list[PollState]) -> datetime | None:
    """The newest lastChangeDate WB returned over all jobs (WB's strings are Moscow time)."""
    newest: datetime | None = None
    for poll in polls:
        if not poll.newest_change:
            continue
        try:
            moment = msk_to_utc(poll.newest_change)
        except ValueError:
            continue
        if newest is None or moment > newest:
            newest = moment
    return newest


def shop_status(shop: Shop, role: str, polls: list[PollState], zone: tzinfo, now: float) -> str:
    lang = current_language()
    lines = [f"<b>{html.escape(shop.name)}</b>: {state_text(shop)} ({role_text(role)})"]
    token = _("Token: {type}, {access}").format(
        type=token_type_name(shop.token_type),
        access=_("read only") if shop.token_read_only else _("read and write"),
    )
    if shop.token_expires_at is not None:
        left = days_left(shop.token_expires_at, datetime.fromtimestamp(now, UTC)) or 0
        token += valid_until(shop.token_expires_at, left, zone)
    lines.append(token + ".")
    lines.append(_("Categories: {names}.").format(names=categories_text(shop.token_categories)))
    if token_type_of(shop) is TokenType.TEST:
        lines.append(sandbox_text())
    if not shop.has_category(int(Category.FEEDBACKS)):
        lines.append(reviews_advice())
    if not shop.has_category(int(Category.FINANCE)):
        lines.append(finance_advice())
    if shop.state == "dead" and shop.dead_at is not None:
        lines.append(
            _("The key stopped working at {time}: send a new one with /connect.").format(
                time=formats.moment(shop.dead_at, zone, lang)
            )
        )
    by_job = {p.job: p for p in polls}
    for job in sorted(by_job, key=lambda j: JOB_ORDER.index(j) if j in JOB_ORDER else 99):
        poll = by_job[job]
        last = formats.moment(poll.last_ok_at, zone, lang) if poll.last_ok_at else _("not yet")
        line = _("• {job}: last sync {last}").format(job=job_name(job), last=last)
        if shop.state == "active":
            due = (
                _("now")
                if poll.next_due_at <= now
                else formats.moment(poll.next_due_at, zone, lang)
            )
            line += _(", next {due}").format(due=due)
        if poll.last_ok_at is not None and not poll.baseline_done:
            line += _(" (first load in progress)")
        lines.append(line)
    stock = by_job.get("stock")
    note = no_data_note(stock, zone) if stock is not None else None
    if note:
        lines.append(_("Stock: {note}").format(note=note))
    # Before the no-data note, a 204 was written down as an error (in English).
    errors = [
        p
        for p in polls
        if p.last_error and p.last_error_at and not p.last_error.startswith("204: ")
    ]
    if any(p.last_error == KEY_UNREADABLE for p in errors):
        lines.append(
            _(
                "⚠️ The bot cannot read its stored copy of this key: a fault on the bot's side, "
                "not your key's. No new key is needed; updates resume once the bot's operator "
                "restores its master key."
            )
        )
        errors = [p for p in errors if p.last_error != KEY_UNREADABLE]
    if errors:
        last_error = max(errors, key=lambda p: p.last_error_at or 0.0)
        lines.append(
            _("Last WB error ({time}): {error}").format(
                time=formats.moment(last_error.last_error_at or 0.0, zone, lang),
                error=html.escape((last_error.last_error or "")[:200]),
            )
        )
    newest = newest_wb_change(polls)
    if newest is not None:
        lines.append(
            _("WB's data is as of {time} (the newest change WB returned).").format(
                time=formats.moment(newest.timestamp(), zone, lang)
            )
        )
    return "\n".join(lines)


@router.message(Command("status"))
async def status_command(message: Message, db: Database, user: User) -> None:
    shops = await shops_listed(message, db, user)
    if shops is None:
        return
    zone = zone_of(user.timezone)
    now = time.time()
    parts = []
    for shop, role in shops:
        polls = await polls_of_shop(db, shop.id)
        parts.append(shop_status(shop, role, polls, zone, now))
    footer = _("Times are in your time zone ({zone}).").format(zone=html.escape(user.timezone))
    await message.answer("\n\n".join([*parts, footer])[:4000])
