"""When a (shop, job) runs: the token type that sets the pace, and the stable phase that spreads
shops over a job's period so a thousand shops never call WB in the same second. Pure: the flows
and the plan both use it."""

from __future__ import annotations

import hashlib

from bot.store.shops import Shop
from bot.wb.methods import TokenType


def token_type_of(shop: Shop) -> TokenType:
    try:
        return TokenType(shop.token_type or TokenType.BASE)
    except ValueError:
        return TokenType.BASE


def phase(shop_id: int, job: str, period: float) -> float:
    digest = hashlib.blake2b(f"{shop_id}|{job}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % 1_000_000) / 1_000_000 * period


def next_slot(shop_id: int, job: str, period: float, after: float) -> float:
    """The first time after `after` that falls on this (shop, job)'s phase of the period."""
    offset = phase(shop_id, job, period)
    cycles = (after - offset) // period + 1
    return cycles * period + offset
