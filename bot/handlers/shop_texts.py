"""Texts about a shop, its WB key and its sync that /connect, /shops, /status and /stock share,
in the reader's language (aiogram's i18n context)."""

from __future__ import annotations

from datetime import tzinfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot import formats
from bot.i18n import current_language
from bot.shops.keycheck import period_parts
from bot.store.polls import PollState, stock_no_data
from bot.store.shops import Shop
from bot.wb.methods import Category, TokenType


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
        "tariffs": _("WB's commission by subject (for profit estimates)"),
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


def valid_until(expires_at: float, days: int, zone: tzinfo) -> str:
    """ ", valid until 23.12.2026 (30 days left)", the days agreeing with their number."""
    return ngettext(
        ", valid until {date} ({days} day left)", ", valid until {date} ({days} days left)", days
    ).format(date=formats.day_of(expires_at, zone, current_language()), days=days)


def state_text(shop: Shop) -> str:
    if shop.state == "active":
        return _("✅ active")
    if shop.state == "dead":
        return _("⛔ key dead: {reason}").format(reason=dead_reason_text(shop.dead_reason))
    return _("⏸ disconnected (data kept)")


def role_text(role: str) -> str:
    return _("owner") if role == "owner" else _("member")


def no_data_note(poll: PollState | None, zone: tzinfo) -> str | None:
    """What /stock and /status say while WB answers the stock report with 204 "no data" (see
    bot.sync.engine's _stock_no_data): since when, and what the numbers shown are."""
    run = stock_no_data(poll.cursor) if poll is not None else None
    if poll is None or run is None or poll.last_ok_at is None:
        return None
    since = formats.moment(poll.last_ok_at, zone, current_language())
    if run.emptied:
        return _(
            "WB has sent no stock data since {time}. Its report lists only goods in stock, so "
            "after hours of that the bot counts them all as sold out."
        ).format(time=since)
    return _("WB has sent no stock data since {time}; the numbers are as of then.").format(
        time=since
    )
