"""What the low-stock, token-expiry and daily-summary checks read and write.

Reads go through the reader connection; every write that creates an outbox event commits together
with whatever makes it happen at most once (the event's UNIQUE ref, the user's last summary day).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database
from bot.store.sync import NewEvent, add_events
from bot.store.users import User, user_from_row


@dataclass(frozen=True)
class SizeStock:
    """Stock of one product size summed over the shop's real warehouses (the snapshot holds
    only real ones: "in transit" and "total" rows are dropped when WB's report is parsed)."""

    nm_id: int
    tech_size: str
    quantity: int
    vendor_code: str
    subject: str
    brand: str


@dataclass(frozen=True)
class Recipient:
    """A member of a shop who wants low-stock alerts, with their own horizon and zone."""

    user_id: int
    horizon_days: int
    timezone: str


@dataclass(frozen=True)
class ExpiringShop:
    id: int
    name: str
    fingerprint: str
    expires_at: float


async def stock_sizes(db: Database, shop_ids: Sequence[int]) -> dict[int, list[SizeStock]]:
    """The current snapshot per shop, one row per product size."""
    if not shop_ids:
        return {}
    marks = ",".join("?" * len(shop_ids))
    rows = await db.fetchall(
        "SELECT shop_id, nm_id, tech_size, SUM(quantity), MAX(vendor_code), MAX(subject), "
        f"MAX(brand) FROM stock WHERE shop_id IN ({marks}) "
        "GROUP BY shop_id, nm_id, tech_size ORDER BY shop_id, nm_id, tech_size",
        tuple(shop_ids),
    )
    found: dict[int, list[SizeStock]] = {}
    for r in rows:
        found.setdefault(int(r[0]), []).append(
            SizeStock(
                nm_id=int(r[1]),
                tech_size=str(r[2] or ""),
                quantity=int(r[3] or 0),
                vendor_code=str(r[4] or ""),
                subject=str(r[5] or ""),
                brand=str(r[6] or ""),
            )
        )
    return found


async def orders_per_size(
    db: Database, shop_ids: Sequence[int], since: float
) -> dict[int, dict[tuple[int, str], int]]:
    """Orders placed since `since` (cancelled ones included: a cancelled order still shows
    demand) per shop and (nm_id, tech_size)."""
    if not shop_ids:
        return {}
    marks = ",".join("?" * len(shop_ids))
    rows = await db.fetchall(
        "SELECT shop_id, nm_id, tech_size, COUNT(*) FROM orders "
        f"WHERE shop_id IN ({marks}) AND ts >= ? GROUP BY shop_id, nm_id, tech_size",
        (*shop_ids, int(since)),
    )
    found: dict[int, dict[tuple[int, str], int]] = {}
    for r in rows:
        found.setdefault(int(r[0]), {})[(int(r[1]), str(r[2] or ""))] = int(r[3])
    return found


async def product_titles(db: Database, shop_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    if not shop_ids:
        return {}
    marks = ",".join("?" * len(shop_ids))
    rows = await db.fetchall(
        f"SELECT shop_id, nm_id, title FROM products WHERE shop_id IN ({marks}) AND title != ''",
        tuple(shop_ids),
    )
    return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}


async def muted_products(
    db: Database, shop_ids: Sequence[int], now: float
) -> set[tuple[int, int]]:
    """(shop_id, nm_id) whose low-stock alerts are snoozed until later or ignored for good."""
    if not shop_ids:
        return set()
    marks = ",".join("?" * len(shop_ids))
    rows = await db.fetchall(
        f"SELECT shop_id, nm_id FROM stock_mutes WHERE shop_id IN ({marks}) "
        "AND (until IS NULL OR until > ?)",
        (*shop_ids, now),
    )
    return {(int(r[0]), int(r[1])) for r in rows}


async def set_mute(db: Database, shop_id: int, nm_id: int, until: float | None) -> None:
    await db.write(
        "INSERT INTO stock_mutes(shop_id, nm_id, until) VALUES (?, ?, ?) "
        "ON CONFLICT(shop_id, nm_id) DO UPDATE SET until = excluded.until",
        (shop_id, nm_id, until),
    )


async def stock_recipients(db: Database, shop_id: int) -> list[Recipient]:
    """Members of an active shop with the low-stock switch on."""
    rows = await db.fetchall(
        "SELECT u.id, u.stock_horizon_days, u.timezone FROM memberships m "
        "JOIN users u ON u.id = m.user_id JOIN shops s ON s.id = m.shop_id "
        "WHERE m.shop_id = ? AND s.state = 'active' AND u.alert_stock = 1 ORDER BY u.id",
        (shop_id,),
    )
    return [Recipient(int(r[0]), int(r[1]), str(r[2])) for r in rows]


async def add_shop_events(
    db: Database, shop_id: int, events: Sequence[NewEvent], batch: str
) -> int:
    """Inserts the events at most once each (UNIQUE(shop_id, kind, ref)); returns how many."""
    if not events:
        return 0
    async with db.transaction() as conn:
        return await add_events(conn, shop_id, events, batch=batch, catch_up=False)


async def expiring_shops(db: Database, before: float) -> list[ExpiringShop]:
    """Active shops whose key expires before `before`."""
    rows = await db.fetchall(
        "SELECT id, name, token_fingerprint, token_expires_at FROM shops "
        "WHERE state = 'active' AND token_expires_at IS NOT NULL AND token_expires_at < ? "
        "AND token_fingerprint IS NOT NULL ORDER BY id",
        (before,),
    )
    return [ExpiringShop(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


async def summary_readers(db: Database) -> list[User]:
    """Users with the daily summary on and at least one active shop."""
    rows = await db.fetchall(
        "SELECT * FROM users u WHERE u.alert_summary = 1 AND EXISTS ("
        "SELECT 1 FROM memberships m JOIN shops s ON s.id = m.shop_id "
        "WHERE m.user_id = u.id AND s.state = 'active') ORDER BY u.id"
    )
    return [user_from_row(r) for r in rows]


async def active_shops_of(db: Database, user_id: int) -> list[tuple[int, str]]:
    """(id, name) of the user's active shops."""
    rows = await db.fetchall(
        "SELECT s.id, s.name FROM shops s JOIN memberships m ON m.shop_id = s.id "
        "WHERE m.user_id = ? AND s.state = 'active' ORDER BY s.id",
        (user_id,),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def queue_summary(
    db: Database, user_id: int, local_day: str, payload: dict[str, Any], now: float
) -> bool:
    """Marks the day as summarised and queues the summary, together: a crash between the two
    can neither lose the day's summary nor send it twice. False when it was already queued."""
    async with db.transaction() as conn:
        async with conn.execute(
            "UPDATE users SET last_summary_day = ? WHERE id = ? "
            "AND (last_summary_day IS NULL OR last_summary_day != ?)",
            (local_day, user_id, local_day),
        ) as cur:
            if cur.rowcount != 1:
                return False
        await conn.execute(
            "INSERT INTO events(shop_id, kind, ref, user_id, payload, created_at) "
            "VALUES (0, 'summary', ?, ?, ?, ?) "
            "ON CONFLICT(shop_id, kind, ref) DO NOTHING",
            (f"{user_id}:{local_day}", user_id, json.dumps(payload, ensure_ascii=False), now),
        )
    return True
