"""WB key expiry warnings (when to warn, the hourly check that queues them) and how the
low-stock and expiry warnings read. The low-stock events themselves are queued by the stock poll
(bot.sync.stock_alerts) when a snapshot is stored.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import formats
from bot.events import KeyExpiring, StockLow
from bot.i18n import N_
from bot.notify.buttons import MuteProduct
from bot.notify.texts import (
    LABELS,
    RenderContext,
    Rendered,
    cut_lines,
    fit_list,
    number,
    product_lines,
    renderer,
)
from bot.store import shops
from bot.store.db import Database
from bot.store.outbox import EventRow, NewEvent, add_shop_events

DAY = 86400.0
#: Days before a WB key expires when its owner is warned; only the smallest one crossed counts.
EXPIRY_THRESHOLDS = (14, 3, 1)
SNOOZE_SECONDS = 7 * DAY

LABELS.update(
    stock_low=N_("low stock"),
    token_expiring=N_("key expiry warnings"),
)


class Stocked(Protocol):
    """What a stock alert and the summary's list say of a product's stock."""

    @property
    def quantity(self) -> int: ...

    @property
    def days_of_cover(self) -> float | None: ...


# ------------------------------------------------------------------ pure decisions


def expiry_threshold(now: float, expires_at: float) -> int | None:
    """The smallest warning threshold (in days) the key has crossed, None before the first one
    and once the key has expired (a dead key is reported by the sync engine)."""
    left = expires_at - now
    if left <= 0:
        return None
    crossed = [t for t in EXPIRY_THRESHOLDS if left <= t * DAY]
    return min(crossed) if crossed else None


def days_left(now: float, expires_at: float) -> int:
    return max(1, math.ceil((expires_at - now) / DAY))


# ------------------------------------------------------------------ checks (store → outbox)


async def check_token_expiry(db: Database, now: float | None = None) -> int:
    """Queues a 'token_expiring' warning per shop whose key has crossed 14, 3 or 1 days before
    expiry, once per key and threshold. Run hourly. Returns how many were queued."""
    now = time.time() if now is None else now
    queued = 0
    for shop in await shops.expiring_shops(db, now + max(EXPIRY_THRESHOLDS) * DAY):
        threshold = expiry_threshold(now, shop.expires_at)
        if threshold is None:
            continue
        event = KeyExpiring(
            shop_name=shop.name,
            days_left=days_left(now, shop.expires_at),
            expires_at=shop.expires_at,
        )
        queued += await add_shop_events(
            db,
            shop.id,
            [NewEvent(event, f"{shop.fingerprint}:{threshold}")],
            batch=f"{shop.id}:expiry",
        )
    return queued


# ------------------------------------------------------------------ how the warnings read


def days_text(days: float, language: str) -> str:
    """Days of cover to one decimal under 10 (2.5), whole above; a decimal comma in Russian."""
    return formats.days(days, language)


def days_phrase(days: float, ctx: RenderContext, whole: bool = False) -> str:
    """ "3,5 дня", "12 дней", "1 день"; "1 day", "3.5 days" — the number as `days_text` shows
    it, with the word agreeing with it."""
    shown = number(days) if whole else days_text(days, ctx.language)
    return ctx.ngettext("{days} day", "{days} days", formats.plural_count(shown)).format(
        days=shown
    )


def stock_left(item: Stocked, ctx: RenderContext) -> str:
    """ "out of stock" or "12 pcs, about 3,5 days" for a stock alert or the summary's list."""
    _ = ctx.gettext
    if item.quantity <= 0:
        return _("out of stock")
    return _("{quantity} pcs, about {days}").format(
        quantity=number(item.quantity), days=days_phrase(item.days_of_cover or 0.0, ctx)
    )


def _product_name(stock: StockLow) -> str:
    title = stock.title or " ".join((stock.subject, stock.brand)).strip()
    return html.escape(title or f"nmId {stock.nm_id}")


def _cover_line(stock: StockLow, ctx: RenderContext) -> str:
    _ = ctx.gettext
    rate = days_text(stock.avg_daily, ctx.language)
    if stock.sold_out:
        return _(
            "Out of stock at WB warehouses; it sold {rate} a day over the last 14 days."
        ).format(rate=rate)
    return _(
        "Left: {quantity} pcs, enough for about {days} at {rate} a day (your horizon: {horizon})."
    ).format(
        quantity=number(stock.quantity),
        days=days_phrase(stock.days_of_cover or 0.0, ctx),
        rate=rate,
        horizon=days_phrase(stock.horizon, ctx, whole=True),
    )


def _sizes_line(stock: StockLow, ctx: RenderContext) -> str:
    if not stock.sizes:
        return ""
    parts = [f"{html.escape(s.size)} — {number(s.quantity)}" for s in stock.sizes]
    return ctx.gettext("Sizes running out (pcs left): {sizes}").format(sizes=", ".join(parts))


@renderer(StockLow)
def render_stock_low(events: Sequence[EventRow[StockLow]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    if len(events) == 1:
        stock = events[0].event
        lines = [
            _("📦 <b>Running low</b> · {shop}").format(shop=ctx.shop(events[0].shop_id)),
            *product_lines(
                _product_name(stock), html.escape(stock.supplier_article), stock.nm_id, _
            ),
            _cover_line(stock, ctx),
            _sizes_line(stock, ctx),
        ]
        return Rendered(
            cut_lines("\n".join(line for line in lines if line), ctx.limit),
            reply_markup=stock_buttons(events[0].shop_id, stock.nm_id, _),
        )
    head = _("📦 <b>{shop}</b>: running low — {count}").format(
        shop=ctx.shop(events[0].shop_id), count=number(len(events))
    )
    items = []
    for row in events:
        stock = row.event
        items.append(
            f"• {_product_name(stock)} · <code>{html.escape(stock.supplier_article)}"
            f"</code> · nmId {stock.nm_id} — {stock_left(stock, ctx)}"
        )
    return Rendered(fit_list(head, items, "", ctx.limit, _("+{count} more")))


def stock_buttons(shop_id: int, nm_id: int, gettext: Callable[[str], str]) -> InlineKeyboardMarkup:
    """The buttons under a single-product low-stock alert (answered in bot.handlers.mute)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=gettext("Snooze a week"),
                    callback_data=MuteProduct(shop_id=shop_id, nm_id=nm_id, how="week").pack(),
                ),
                InlineKeyboardButton(
                    text=gettext("Ignore this product"),
                    callback_data=MuteProduct(shop_id=shop_id, nm_id=nm_id, how="ever").pack(),
                ),
            ]
        ]
    )


@renderer(KeyExpiring)
def render_token_expiring(events: Sequence[EventRow[KeyExpiring]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    parts = []
    for row in events:
        key = row.event
        name = key.shop_name or ctx.shop_names.get(row.shop_id, "")
        days = key.days_left
        parts.append(
            ctx.ngettext(
                "⏳ <b>The WB key of «{shop}» expires soon</b>: {days} day left (until {date}).",
                "⏳ <b>The WB key of «{shop}» expires soon</b>: {days} days left (until {date}).",
                days,
            ).format(
                shop=html.escape(name),
                days=number(days),
                date=formats.moment(key.expires_at, ctx.tz, ctx.language),
            )
        )
    parts.append(
        _(
            "To keep the alerts coming, create a new read-only token in the WB seller cabinet "
            "(Settings → Access to API, categories Statistics and Analytics) and send it to me "
            "as <code>/connect &lt;token&gt;</code>. Your data and settings stay."
        )
    )
    return Rendered(cut_lines("\n".join(parts), ctx.limit))
