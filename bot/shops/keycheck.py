"""What /connect decides about a key, apart from Telegram: the local claim checks, the quick WB
check (ping and the shop's name) within WB's limits and a deadline, and what the token allows.

Nothing here stores anything or holds on to the token; no result carries any part of it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any, Protocol

from bot.wb.client import WBClient, WBError, WBForbidden, WBRateLimited, WBUnauthorized
from bot.wb.limiter import Limiter
from bot.wb.methods import METHODS, Category, limit_for
from bot.wb.token import (
    MalformedToken,
    OldStyleKey,
    TokenInfo,
    find_key,
    inspect_token,
    visible_text,
)

log = logging.getLogger(__name__)

#: The whole WB check (ping, then the shop's name) ends by then; the user hears back within 10 s.
WB_CHECK_SECONDS = 8.0
#: The name of a shop whose seller-info WB would not give now: "Shop " and the start of the sid.
FALLBACK_NAME_PREFIX = "Shop "


class Refusal(Enum):
    """Why a key is refused before anything is stored."""

    OLD_STYLE = "old_style"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    TEST_TOKEN = "test_token"
    NO_STATISTICS = "no_statistics"


@dataclass(frozen=True)
class Refused:
    refusal: Refusal
    detail: str = ""  # safe to log: never holds the token
    expired_at: datetime | None = None


def extract_key(text: str) -> str:
    """The key in a message: a JWT wherever it sits in the text (people write "here is my key:
    eyJ...", split it over lines or carry zero-width characters along), else the whole text,
    which may be an old-style key or a broken paste."""
    found = find_key(text)
    return found if found is not None else visible_text(text).strip()


def check_claims(raw: str, now: datetime, sandbox: bool) -> TokenInfo | Refused:
    """The checks that need no network: shape, expiry, type and the Statistics category."""
    try:
        info = inspect_token(raw)
    except OldStyleKey:
        return Refused(Refusal.OLD_STYLE)
    except MalformedToken as exc:
        return Refused(Refusal.MALFORMED, exc.reason)
    if info.seller_id is None:
        return Refused(Refusal.MALFORMED, "no seller id (claim sid)")
    if info.expired(now):
        return Refused(Refusal.EXPIRED, expired_at=info.expires_at)
    if info.is_test and not sandbox:
        return Refused(Refusal.TEST_TOKEN)
    if not info.has(Category.STATISTICS):
        return Refused(Refusal.NO_STATISTICS)
    return info


def category_mask(info: TokenInfo) -> int:
    """The token's categories as the bit mask the shops table keeps."""
    mask = 0
    for category in info.categories:
        mask |= 1 << int(category)
    return mask


def fallback_name(seller_id: str) -> str:
    return FALLBACK_NAME_PREFIX + seller_id[:8]


# --- the WB check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """WB took the key. ``name`` is WB's name for the shop, or a fallback when WB's limit for
    seller-info (once a day for Base tokens) is spent."""

    name: str


@dataclass(frozen=True)
class Unauthorized:
    reason: str  # bot.wb.client.UnauthorizedReason, or "forbidden"


@dataclass(frozen=True)
class Busy:
    """WB's own limit on the check is spent; the user may try again in ``seconds``."""

    seconds: int


@dataclass(frozen=True)
class Unreachable:
    """WB did not answer in time, or answered with a server error."""


WBCheck = Accepted | Unauthorized | Busy | Unreachable


class BudgetStore(Protocol):
    """Where WB budgets persist (the sync engine's wb_budget rows), so a restart between two
    /connect attempts cannot call WB sooner than it allows."""

    async def load_budget(self, key: tuple[int, str], limit: Any) -> None: ...

    async def save_budget(self, key: tuple[int, str]) -> None: ...


def ping_key(seller_id: str) -> tuple[int, str]:
    # Shop id 0 never exists: these buckets belong to a seller not yet stored.
    return (0, f"ping|{seller_id}")


def seller_info_key(seller_id: str) -> tuple[int, str]:
    return (0, f"seller_info|{seller_id}")


async def check_with_wb(
    wb: WBClient,
    limiter: Limiter,
    token: str,
    info: TokenInfo,
    scale: float,
    seconds: float = WB_CHECK_SECONDS,
    budget: BudgetStore | None = None,
) -> WBCheck:
    """Pings statistics-api with the key (3 per 30 s per seller), then asks WB for the shop's
    name if its limit allows. Never waits past ``seconds`` in all."""
    sid = info.seller_id or ""
    ping = METHODS["ping"]
    limit = limit_for(ping, info.token_type, scale)
    if limit is None:  # the method table gives ping a limit for every token type
        raise LookupError(f"no ping limit for token type {info.token_type}")
    key = ping_key(sid)
    if budget is not None:
        await budget.load_budget(key, limit)
    wait = limiter.reserve(key, limit)
    if budget is not None:
        await budget.save_budget(key)
    if wait > 0:
        return Busy(max(1, math.ceil(wait)))
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        async with asyncio.timeout_at(deadline):
            await wb.ping(token, on_headers=partial(limiter.observe, key))
    except WBUnauthorized as exc:
        return Unauthorized(exc.reason)
    except WBForbidden:
        return Unauthorized("forbidden")
    except WBRateLimited as exc:
        limiter.on_rate_limited(key, exc.retry_after)
        return Busy(max(1, math.ceil(exc.retry_after)))
    except TimeoutError:
        log.warning("connect: WB ping timed out")
        return Unreachable()
    except WBError as exc:
        # str(exc) holds the method and status, never the token.
        log.warning("connect: WB ping failed: %s", type(exc).__name__)
        return Unreachable()
    finally:
        if budget is not None:
            await budget.save_budget(key)
    return Accepted(await _shop_name(wb, limiter, token, info, scale, deadline, budget))


async def _shop_name(
    wb: WBClient,
    limiter: Limiter,
    token: str,
    info: TokenInfo,
    scale: float,
    deadline: float,
    budget: BudgetStore | None,
) -> str:
    sid = info.seller_id or ""
    limit = limit_for(METHODS["seller_info"], info.token_type, scale)
    key = seller_info_key(sid)
    if limit is None:
        return fallback_name(sid)
    if budget is not None:
        await budget.load_budget(key, limit)
    allowed = limiter.reserve(key, limit) <= 0
    if budget is not None:
        await budget.save_budget(key)
    if not allowed:
        return fallback_name(sid)
    try:
        async with asyncio.timeout_at(deadline):
            data = await wb.seller_info(token, on_headers=partial(limiter.observe, key))
    except WBRateLimited as exc:
        limiter.on_rate_limited(key, exc.retry_after)
        return fallback_name(sid)
    except (TimeoutError, WBError) as exc:
        log.info("connect: no seller info (%s); using a fallback name", type(exc).__name__)
        return fallback_name(sid)
    return seller_name(data) or fallback_name(sid)


def seller_name(data: dict[str, Any]) -> str | None:
    """The seller's name as in the WB cabinet, else the trade mark."""
    for field in ("name", "tradeMark"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return None


# --- what the token allows ----------------------------------------------------------------------


def days_left(expires_at: float | None, now: datetime) -> int | None:
    """Whole days until the token expires (0 on its last day); None if it never does."""
    if expires_at is None:
        return None
    return max(0, int((expires_at - now.timestamp()) // 86400))


def period_parts(seconds: float) -> tuple[int, str]:
    """A poll period as (number, unit) with unit one of "s", "min", "h", "d", rounded to the
    unit a seller would use."""
    if seconds < 60:
        return max(1, round(seconds)), "s"
    if seconds < 3600:
        return round(seconds / 60), "min"
    if seconds < 86400:
        return round(seconds / 3600), "h"
    return round(seconds / 86400), "d"
