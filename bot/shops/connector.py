"""Connecting a shop with a WB key: the local checks, the quick WB check, then the sealed key
stored and the shop's sync jobs planned. The handlers word the outcome; nothing here knows
Telegram, and no outcome carries any part of the token."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.crypto import Keyring
from bot.shops.keycheck import (
    Accepted,
    BudgetStore,
    Busy,
    Refused,
    Unauthorized,
    Unreachable,
    category_mask,
    check_claims,
    check_with_wb,
    days_left,
    extract_key,
)
from bot.store.db import Database
from bot.store.shops import NewToken, Shop, connect_shop, role_of
from bot.sync.plan import plan_shop
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.token import normalize_token

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connected:
    """The key is stored. ``joined_as_member``: the shop already had an owner here, so the
    sender joined it as a member (the owners are told who brought the key)."""

    shop: Shop
    is_new: bool
    days_left: int | None
    joined_as_member: bool


ConnectOutcome = Refused | Unauthorized | Busy | Unreachable | Connected


@dataclass(frozen=True)
class ShopConnector:
    """Everything /connect needs beyond the chat: the store, the keyring, WB and its limits, and
    where WB budgets persist (the sync engine's), so a restart between two attempts cannot call
    WB sooner than it allows."""

    db: Database
    keyring: Keyring
    wb: WBClient
    limiter: Limiter
    budget: BudgetStore
    settings: Settings

    async def connect(self, raw: str, user_id: int, now: datetime) -> ConnectOutcome:
        """Checks the key locally and with WB, and stores it only if all checks pass."""
        raw = extract_key(raw)
        checked = check_claims(raw, now, self.settings.wb_sandbox)
        if isinstance(checked, Refused):
            log.info("connect: key refused locally (%s)", checked.refusal.value)
            return checked
        info = checked
        token = normalize_token(raw)
        scale = self.settings.wb_rate_scale
        result = await check_with_wb(self.wb, self.limiter, token, info, scale, budget=self.budget)
        if not isinstance(result, Accepted):
            log.info("connect: key refused by the WB check (%s)", type(result).__name__)
            return result
        new = NewToken(
            seller_id=info.seller_id or "",
            name=result.name,
            token_type=int(info.token_type),
            categories=category_mask(info),
            read_only=info.read_only,
            expires_at=info.expires_at.timestamp() if info.expires_at else None,
        )
        shop, is_new = await connect_shop(self.db, self.keyring, user_id, new, token)
        await plan_shop(self.db, shop, scale)
        log.info("connect: shop %s %s", shop.id, "connected" if is_new else "key replaced")
        member = not is_new and await role_of(self.db, user_id, shop.id) == "member"
        return Connected(shop, is_new, days_left(shop.token_expires_at, now), member)
