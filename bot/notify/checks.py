"""Low-stock forecasts and WB key expiry warnings: when to warn (pure), the checks that queue
the warnings into the outbox, and how the warnings read.

Days of cover is `bot.reports.stock.days_of_cover` (stock over the average daily orders of the
last 14 days), the same number /stock shows. A product is "running low" for a user when it sold
in those 14 days and its cover is under the user's horizon (zero stock included). Products that
did not sell are never alerted: without demand there is no forecast, and a seller's dead stock
would otherwise nag every day.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import formats
from bot.i18n import N_
from bot.notify.texts import (
    LABELS,
    RenderContext,
    Rendered,
    cut_lines,
    fit_list,
    number,
    renderer,
)
from bot.reports.stock import COVER_WINDOW_DAYS, days_of_cover
from bot.store import orders as store_orders
from bot.store import outbox, shops, stock
from bot.store.db import Database
from bot.store.outbox import EventRow, NewEvent
from bot.store.stock import SizeStock

DAY = 86400.0
DEFAULT_ZONE = "Europe/Moscow"
#: Days before a WB key expires when its owner is warned; only the smallest one crossed counts.
EXPIRY_THRESHOLDS = (14, 3, 1)
SNOOZE_SECONDS = 7 * DAY
#: Sizes listed in an alert at most ("no size" products have one row and list none).
SIZES_LISTED = 8
NO_SIZE = ("", "0")

LABELS.update(
    stock_low=N_("low stock"),
    token_expiring=N_("key expiry warnings"),
)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(DEFAULT_ZONE)


# ------------------------------------------------------------------ pure decisions


@dataclass(frozen=True)
class SizeForecast:
    size: str
    quantity: int
    orders_14d: int
    cover: float | None


@dataclass(frozen=True)
class ProductForecast:
    """A product's stock over all its sizes and warehouses, and how long it lasts."""

    nm_id: int
    vendor_code: str
    subject: str
    brand: str
    quantity: int
    orders_14d: int
    cover: float | None
    sizes: tuple[SizeForecast, ...]

    @property
    def avg_daily(self) -> float:
        return self.orders_14d / COVER_WINDOW_DAYS


def forecast(
    sizes: Sequence[SizeStock], orders: Mapping[tuple[int, str], int]
) -> list[ProductForecast]:
    """Per product: stock summed over sizes, orders of the last 14 days of any size (a size no
    longer in the snapshot still shows demand for the product), and per size where WB names one.
    `orders` maps (nm_id, tech_size) to the count."""
    by_product: dict[int, list[SizeStock]] = {}
    for row in sizes:
        by_product.setdefault(row.nm_id, []).append(row)
    per_product: dict[int, int] = {}
    for (nm_id, _size), count in orders.items():
        per_product[nm_id] = per_product.get(nm_id, 0) + count
    result = []
    for nm_id, rows in by_product.items():
        quantity = sum(r.quantity for r in rows)
        ordered = per_product.get(nm_id, 0)
        named = [r for r in rows if r.tech_size not in NO_SIZE]
        result.append(
            ProductForecast(
                nm_id=nm_id,
                vendor_code=rows[0].vendor_code,
                subject=rows[0].subject,
                brand=rows[0].brand,
                quantity=quantity,
                orders_14d=ordered,
                cover=days_of_cover(quantity, ordered),
                sizes=tuple(
                    SizeForecast(
                        r.tech_size,
                        r.quantity,
                        orders.get((nm_id, r.tech_size), 0),
                        days_of_cover(r.quantity, orders.get((nm_id, r.tech_size), 0)),
                    )
                    for r in named
                )
                if len(named) > 1
                else (),
            )
        )
    return result


def is_low(cover: float | None, horizon_days: int) -> bool:
    """Sold in the last 14 days (cover is a number) and lasts less than the horizon; a sold-out
    product (cover 0) is always low."""
    return cover is not None and (cover <= 0 or cover < horizon_days)


def short_sizes(product: ProductForecast, horizon_days: int) -> list[SizeForecast]:
    """The sizes that run out first: those selling and under the horizon, lowest cover first."""
    short = [s for s in product.sizes if is_low(s.cover, horizon_days)]
    return sorted(short, key=lambda s: (s.cover or 0.0, s.size))[:SIZES_LISTED]


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


def stock_payload(product: ProductForecast, title: str, horizon_days: int) -> dict[str, Any]:
    return {
        "nm_id": product.nm_id,
        "supplier_article": product.vendor_code,
        "vendor_code": product.vendor_code,
        "title": title,
        "subject": product.subject,
        "brand": product.brand,
        "quantity": product.quantity,
        "days_of_cover": None if product.cover is None else round(product.cover, 2),
        "avg_daily": round(product.avg_daily, 3),
        "horizon": horizon_days,
        "sizes": [
            {"size": s.size, "quantity": s.quantity, "days_of_cover": round(s.cover or 0.0, 2)}
            for s in short_sizes(product, horizon_days)
        ],
    }


async def shop_forecasts(
    db: Database, shop_ids: Sequence[int], now: float
) -> dict[int, list[ProductForecast]]:
    """Forecasts of every product in the shops' current stock snapshots."""
    sizes = await stock.stock_sizes(db, shop_ids)
    orders = await store_orders.orders_per_size(db, shop_ids, now - COVER_WINDOW_DAYS * DAY)
    return {shop: forecast(rows, orders.get(shop, {})) for shop, rows in sizes.items()}


async def check_stock(db: Database, shop_id: int, now: float | None = None) -> int:
    """Queues a 'stock_low' event per user and product running out within the user's horizon,
    at most one per product, user's local day and state (running low, sold out): a product
    that runs low and then sells out the same day is alerted twice, never twice alike.
    Call after a stock snapshot is stored.
    Returns how many events were queued."""
    now = time.time() if now is None else now
    recipients = await shops.stock_recipients(db, shop_id)
    if not recipients:
        return 0
    products = (await shop_forecasts(db, [shop_id], now)).get(shop_id, [])
    muted = await stock.muted_products(db, [shop_id], now)
    titles = await stock.product_titles(db, [shop_id])
    events = []
    for user in recipients:
        local_day = datetime.fromtimestamp(now, zone_of(user.timezone)).date().isoformat()
        for product in products:
            if (shop_id, product.nm_id) in muted or not is_low(product.cover, user.horizon_days):
                continue
            title = titles.get((shop_id, product.nm_id), "")
            # Sold out is its own state in the ref: "running low" earlier today must not
            # swallow the later "out of stock", and each state still goes out once a day.
            state = ":out" if product.quantity <= 0 else ""
            events.append(
                NewEvent(
                    "stock_low",
                    f"{product.nm_id}:{local_day}:{user.user_id}{state}",
                    stock_payload(product, title, user.horizon_days),
                    user_id=user.user_id,
                )
            )
    return await outbox.add_shop_events(db, shop_id, events, batch=f"{shop_id}:stock:{now:.3f}")


async def check_token_expiry(db: Database, now: float | None = None) -> int:
    """Queues a 'token_expiring' warning per shop whose key has crossed 14, 3 or 1 days before
    expiry, once per key and threshold. Run hourly. Returns how many were queued."""
    now = time.time() if now is None else now
    queued = 0
    for shop in await shops.expiring_shops(db, now + max(EXPIRY_THRESHOLDS) * DAY):
        threshold = expiry_threshold(now, shop.expires_at)
        if threshold is None:
            continue
        event = NewEvent(
            "token_expiring",
            f"{shop.fingerprint}:{threshold}",
            {
                "shop_name": shop.name,
                "days_left": days_left(now, shop.expires_at),
                "expires_at": shop.expires_at,
            },
        )
        queued += await outbox.add_shop_events(db, shop.id, [event], batch=f"{shop.id}:expiry")
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


def stock_left(item: Mapping[str, Any], ctx: RenderContext) -> str:
    """ "out of stock" or "12 pcs, about 3,5 days" for a stock alert or the summary's list."""
    _ = ctx.gettext
    quantity = int(item.get("quantity") or 0)
    if quantity <= 0:
        return _("out of stock")
    return _("{quantity} pcs, about {days}").format(
        quantity=number(quantity),
        days=days_phrase(float(item.get("days_of_cover") or 0), ctx),
    )


def _product_name(payload: Mapping[str, Any]) -> str:
    title = str(payload.get("title") or "")
    if not title:
        title = " ".join(str(payload.get(k) or "") for k in ("subject", "brand")).strip()
    return html.escape(title or f"nmId {payload.get('nm_id')}")


def _cover_line(payload: Mapping[str, Any], ctx: RenderContext) -> str:
    _ = ctx.gettext
    quantity = int(payload.get("quantity") or 0)
    rate = days_text(float(payload.get("avg_daily") or 0), ctx.language)
    if quantity <= 0:
        return _(
            "Out of stock at WB warehouses; it sold {rate} a day over the last 14 days."
        ).format(rate=rate)
    return _(
        "Left: {quantity} pcs, enough for about {days} at {rate} a day (your horizon: {horizon})."
    ).format(
        quantity=number(quantity),
        days=days_phrase(float(payload.get("days_of_cover") or 0), ctx),
        rate=rate,
        horizon=days_phrase(int(payload.get("horizon") or 0), ctx, whole=True),
    )


def _sizes_line(payload: Mapping[str, Any], ctx: RenderContext) -> str:
    sizes = payload.get("sizes") or []
    if not isinstance(sizes, list) or not sizes:
        return ""
    parts = [
        f"{html.escape(str(s.get('size', '')))} — {number(int(s.get('quantity') or 0))}"
        for s in sizes
        if isinstance(s, dict)
    ]
    return ctx.gettext("Sizes running out (pcs left): {sizes}").format(sizes=", ".join(parts))


@renderer("stock_low")
def render_stock_low(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    if len(events) == 1:
        p = events[0].payload
        lines = [
            _("📦 <b>Running low</b> · {shop}").format(shop=ctx.shop(events[0].shop_id)),
            f"<b>{_product_name(p)}</b>",
            _("Article <code>{article}</code> · nmId {nm_id}").format(
                article=html.escape(str(p.get("supplier_article") or "")), nm_id=p.get("nm_id")
            ),
            _cover_line(p, ctx),
            _sizes_line(p, ctx),
        ]
        return Rendered(
            cut_lines("\n".join(line for line in lines if line), ctx.limit),
            reply_markup=stock_buttons(events[0].shop_id, int(p.get("nm_id") or 0), _),
        )
    head = _("📦 <b>{shop}</b>: running low — {count}").format(
        shop=ctx.shop(events[0].shop_id), count=number(len(events))
    )
    items = []
    for event in events:
        p = event.payload
        left = stock_left(p, ctx)
        items.append(
            f"• {_product_name(p)} · <code>{html.escape(str(p.get('supplier_article') or ''))}"
            f"</code> · nmId {p.get('nm_id')} — {left}"
        )
    return Rendered(fit_list(head, items, "", ctx.limit, _("+{count} more")))


def stock_buttons(shop_id: int, nm_id: int, gettext: Callable[[str], str]) -> InlineKeyboardMarkup:
    """The buttons under a single-product low-stock alert (handled in bot.handlers.settings)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=gettext("Snooze a week"), callback_data=f"mute:{shop_id}:{nm_id}:week"
                ),
                InlineKeyboardButton(
                    text=gettext("Ignore this product"),
                    callback_data=f"mute:{shop_id}:{nm_id}:ever",
                ),
            ]
        ]
    )


@renderer("token_expiring")
def render_token_expiring(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    parts = []
    for event in events:
        p = event.payload
        name = str(p.get("shop_name") or "") or ctx.shop_names.get(event.shop_id, "")
        expires = datetime.fromtimestamp(float(p.get("expires_at") or 0), ctx.tz)
        days = int(p.get("days_left") or 0)
        parts.append(
            ctx.ngettext(
                "⏳ <b>The WB key of «{shop}» expires soon</b>: {days} day left (until {date}).",
                "⏳ <b>The WB key of «{shop}» expires soon</b>: {days} days left (until {date}).",
                days,
            ).format(
                shop=html.escape(name),
                days=number(days),
                date=formats.day(expires.date(), ctx.language) + expires.strftime(" %H:%M"),
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
