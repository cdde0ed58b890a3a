"""Days of cover: how long a stock lasts at the recent pace of orders.

Shared by /stock and the low-stock alert, so both say the same number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: The window the average daily orders are taken over.
COVER_WINDOW_DAYS = 14


def days_of_cover(quantity: int, orders_last_14_days: int | float) -> float | None:
    """Stock / average daily orders over the last 14 days; None when nothing was ordered
    (the stock lasts "forever" and no number would be honest). Zero or negative stock is 0."""
    if orders_last_14_days <= 0:
        return None
    if quantity <= 0:
        return 0.0
    return quantity / (orders_last_14_days / COVER_WINDOW_DAYS)


@dataclass(frozen=True)
class StockLine:
    """Stock of one product (sizes and warehouses summed), where it lies (see `where`), the
    product's orders in the last 14 days and its days of cover."""

    nm_id: int
    vendor_code: str
    subject: str
    warehouse: str
    quantity: int
    orders_14d: int
    cover: float | None


def riskiest_first(lines: list[StockLine]) -> list[StockLine]:
    """Lowest cover first; lines without sales (cover None) last, biggest stock first."""
    return sorted(
        lines,
        key=lambda s: (
            s.cover is None,
            s.cover if s.cover is not None else 0.0,
            -s.quantity,
            s.nm_id,
            s.warehouse,
        ),
    )


def where(warehouses: Sequence[tuple[str, int]]) -> str:
    """Where the stock lies: one warehouse by name ("Коледино"), several with their share
    ("Склад WB РФ 134, Минск 123"), none (sold out) as ""."""
    if len(warehouses) == 1:
        return warehouses[0][0]
    return ", ".join(f"{name} {quantity}" for name, quantity in warehouses)
