"""The rows the bot reads from WB and keeps ("new": as they come, before the store keeps them),
each shape defined once for both sides: bot.wb's models extend these with the fields only WB's
side has (an order's income id and sticker, a card's sizes...) and the store (bot.store.orders,
bot.store.stock) takes these shapes, so a row parsed from WB goes to the store as it is and comes
back as the same object for the sync's events. This module imports nothing of bot's
(tests/unit/test_import_walls.py), so both may import it.

Every datetime is UTC-aware; money is in rubles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Statistics:
    """What a row of statistics-api's supplier/orders and supplier/sales both carry."""

    srid: str
    date: datetime
    last_change_raw: str  # verbatim lastChangeDate: the sync's cursor; the store compares it
    last_change: datetime
    nm_id: int
    supplier_article: str
    barcode: str
    tech_size: str
    subject: str
    brand: str
    category: str
    warehouse_name: str
    warehouse_type: str
    region_name: str
    oblast_name: str
    country_name: str
    total_price: float
    discount_percent: float
    spp: float
    finished_price: float
    price_with_disc: float
    g_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewOrder(Statistics):
    """One unit of one order as the statistics report tells it."""

    is_cancel: bool
    cancel_date: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSale(Statistics):
    """A buyout (`saleID` S…) or a return (R…) as the statistics report tells it; `srid` may be
    empty."""

    sale_id: str
    for_pay: float
    is_return: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NewFbsOrder:
    """A new order from the seller's own warehouse; `rid` is the statistics `srid`."""

    rid: str
    created_at: datetime
    nm_id: int
    article: str
    price: float


@dataclass(frozen=True, slots=True, kw_only=True)
class NewFeedOrder:
    """An order of the real-time order feed, which names the product by nmId only."""

    srid: str
    nm_id: int
    created_at: datetime
    updated_at: datetime  # the time of the current status
    status: str  # created | buyout | cancel | return | returnDefective
    warehouse_name: str
    is_mp: bool  # the seller's own warehouse
    city: str
    district: str  # federal district, or the country outside Russia
    seller_price: float  # the seller's price after the seller's discount; 0 until WB knows it


@dataclass(frozen=True, slots=True, kw_only=True)
class NewStock:
    """Stock of one product size at one real warehouse (the warehouse_remains report; WB's
    rows have no field more)."""

    nm_id: int
    barcode: str
    tech_size: str
    vendor_code: str
    brand: str
    subject: str
    warehouse: str
    quantity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCard:
    """What the bot keeps of a product card."""

    nm_id: int
    title: str
    vendor_code: str
    brand: str
    subject: str
    photo_url: str | None
