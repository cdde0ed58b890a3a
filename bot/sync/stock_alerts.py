"""What a new stock snapshot means for each reader: low-stock forecasts (pure) and the
'stock_low' events a stock poll queues in the outbox right after storing the snapshot.

Days of cover is `bot.reports.stock.days_of_cover` (stock over the average daily orders of the
last 14 days), the same number /stock shows. A product is "running low" for a user when it sold
in those 14 days and its cover is under the user's horizon (zero stock included). Products that
did not sell are never alerted: without demand there is no forecast, and a seller's dead stock
would otherwise nag every day.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import zone_of
from bot.events import ShortSize, StockLow
from bot.reports.stock import COVER_WINDOW_DAYS, days_of_cover
from bot.store import orders, shops, stock
from bot.store.db import Database
from bot.store.outbox import NewEvent, add_shop_events
from bot.store.stock import SizeStock

DAY = 86400.0
#: Sizes listed in an alert at most ("no size" products have one row and list none).
SIZES_LISTED = 8
NO_SIZE = ("", "0")


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


def stock_low(product: ProductForecast, title: str, horizon_days: int) -> StockLow:
    return StockLow(
        nm_id=product.nm_id,
        supplier_article=product.vendor_code,
        title=title,
        subject=product.subject,
        brand=product.brand,
        quantity=product.quantity,
        days_of_cover=None if product.cover is None else round(product.cover, 2),
        avg_daily=round(product.avg_daily, 3),
        horizon=horizon_days,
        sizes=tuple(
            ShortSize(size=s.size, quantity=s.quantity, days_of_cover=round(s.cover or 0.0, 2))
            for s in short_sizes(product, horizon_days)
        ),
    )


# ------------------------------------------------------------------ store → outbox


async def shop_forecasts(
    db: Database, shop_ids: Sequence[int], now: float
) -> dict[int, list[ProductForecast]]:
    """Forecasts of every product in the shops' current stock snapshots."""
    sizes = await stock.stock_sizes(db, shop_ids)
    ordered = await orders.orders_per_size(db, shop_ids, now - COVER_WINDOW_DAYS * DAY)
    return {shop: forecast(rows, ordered.get(shop, {})) for shop, rows in sizes.items()}


async def check_stock(db: Database, shop_id: int, now: float | None = None) -> int:
    """Queues a 'stock_low' event per user and product running out within the user's horizon,
    at most one per product, user's local day and state (running low, sold out): a product
    that runs low and then sells out the same day is alerted twice, never twice alike.
    The stock poll calls it once a snapshot is stored. Returns how many events were queued."""
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
                    stock_low(product, title, user.horizon_days),
                    f"{product.nm_id}:{local_day}:{user.user_id}{state}",
                    user_id=user.user_id,
                )
            )
    return await add_shop_events(db, shop_id, events, batch=f"{shop_id}:stock:{now:.3f}")
