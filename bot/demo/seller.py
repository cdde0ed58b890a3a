"""The seller's shop on the WB side of the demo: a token, a catalogue with cards, a month of
sales history and plenty of stock, written into the WB simulator (tests/fakes/wb.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.timeutil import MSK

HISTORY_DAYS = 30  # the simulated shop's sales history; the bot's first sync reads 90 days
#: The product whose stock is cut to a few pieces to show the low-stock alert.
LOW_STOCK_PIECES = 3


@dataclass
class Shop:
    sid: str
    token: str
    products: list[Any]
    low: Any  # the product that will run low


def make_shop(wb: Any, tokens: Any) -> Shop:
    """A Personal read-only token with five categories; a five-product catalogue with cards,
    30 days of orders (one product selling faster), buyouts and a few cancellations, plenty of
    stock, and WB's finance report: the last four weeks, and this week's days so far."""
    token = tokens.make_token(
        acc=tokens.ACC_PERSONAL,
        categories=("statistics", "analytics", "marketplace", "content", "finance"),
    )
    sid = wb.add_seller(token, name="ИП Смирнова А. В.")
    products = list(wb.catalogue(sid))
    for product in products:
        wb.add_card(sid, product.nm_id, f"{product.subject} {product.brand}")
    low = products[0]
    rng = random.Random(7)
    # Moscow wall clock without an offset, as WB writes statistics rows.
    now = datetime.now(MSK).replace(tzinfo=None)
    weights = [4] + [1] * (len(products) - 1)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(HISTORY_DAYS, -1, -1):
        for _ in range(rng.randint(9, 15)):
            when = midnight - timedelta(days=day, seconds=-rng.randint(0, 86_399))
            if when > now - timedelta(minutes=30):
                continue  # today's orders so far, none in the last half hour
            product = rng.choices(products, weights)[0]
            size = rng.choice(product.sizes)
            row = wb.add_order(
                sid, nmId=product.nm_id, techSize=size.tech_size, date=when, lastChangeDate=when
            )
            bought = when + timedelta(days=rng.randint(2, 5))
            if bought < now and rng.random() < 0.7:
                wb.add_sale(sid, row["srid"], date=bought, lastChangeDate=bought)
            elif rng.random() < 0.15:
                wb.cancel_order(sid, row["srid"], when=when + timedelta(hours=2))
    for product in products:
        for size in product.sizes:
            wb.set_stock(
                sid, product.nm_id, size.barcode, size.tech_size, {"Коледино": 120, "Казань": 80}
            )
    monday = midnight.date() - timedelta(days=midnight.weekday())
    for weeks_back in range(1, 5):
        wb.add_finance_week(sid, monday - timedelta(weeks=weeks_back))
    # WB reports a day the day after: this week's daily reports up to yesterday.
    wb.add_finance_week(sid, monday, period="daily", until=midnight.date() - timedelta(days=1))
    return Shop(sid, token, products, low)
