"""What a poll writes besides the rows themselves: outbox events, poll state, stock snapshots,
product cards. Every function runs inside the caller's transaction, so rows, cursor and the
events they cause commit together."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.wb.models import Card, StockRow


@dataclass(frozen=True)
class NewEvent:
    kind: str
    ref: str
    payload: dict[str, Any]
    user_id: int | None = None


async def add_events(
    conn: aiosqlite.Connection,
    shop_id: int,
    events: Sequence[NewEvent],
    *,
    batch: str,
    catch_up: bool,
) -> int:
    """Inserts events at most once each, ever (UNIQUE(shop_id, kind, ref)); returns how many."""
    if not events:
        return 0
    before = conn.total_changes
    now = time.time()
    await conn.executemany(
        "INSERT INTO events(shop_id, kind, ref, batch, catch_up, user_id, payload, created_at) "
        "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(shop_id, kind, ref) DO NOTHING",
        [
            (
                shop_id,
                e.kind,
                e.ref,
                batch,
                int(catch_up),
                e.user_id,
                json.dumps(e.payload, ensure_ascii=False),
                now,
            )
            for e in events
        ],
    )
    return conn.total_changes - before


async def update_poll(conn: aiosqlite.Connection, shop_id: int, job: str, **values: Any) -> None:
    allowed = {
        "next_due_at",
        "last_ok_at",
        "last_error",
        "last_error_at",
        "failures",
        "cursor",
        "newest_change",
        "task",
        "task_started_at",
        "baseline_done",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a poll column: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in values)
    await conn.execute(
        f"UPDATE polls SET {assignments} WHERE shop_id = ? AND method = ?",
        (*values.values(), shop_id, job),
    )


async def replace_stock(
    conn: aiosqlite.Connection, shop_id: int, rows: Sequence[StockRow]
) -> None:
    """WB keeps no stock history: each report replaces the shop's snapshot whole."""
    now = time.time()
    merged: dict[tuple[int, str, str], list[Any]] = {}
    for r in rows:
        key = (r.nm_id, r.barcode, r.warehouse)
        if key in merged:
            merged[key][5] += r.quantity  # a warehouse listed twice in one report
        else:
            merged[key] = [
                shop_id,
                r.nm_id,
                r.barcode,
                r.tech_size,
                r.warehouse,
                r.quantity,
                r.vendor_code,
                r.subject,
                r.brand,
                now,
            ]
    await conn.execute("DELETE FROM stock WHERE shop_id = ?", (shop_id,))
    await conn.executemany(
        "INSERT INTO stock(shop_id, nm_id, barcode, tech_size, warehouse, quantity, vendor_code, "
        "subject, brand, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        list(merged.values()),
    )


async def upsert_products(conn: aiosqlite.Connection, shop_id: int, cards: Sequence[Card]) -> None:
    now = time.time()
    await conn.executemany(
        "INSERT INTO products(shop_id, nm_id, title, vendor_code, brand, subject, photo_url, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(shop_id, nm_id) DO UPDATE SET "
        "title = excluded.title, vendor_code = excluded.vendor_code, brand = excluded.brand, "
        "subject = excluded.subject, photo_url = excluded.photo_url, "
        "updated_at = excluded.updated_at",
        [
            (shop_id, c.nm_id, c.title, c.vendor_code, c.brand, c.subject, c.photo_url, now)
            for c in cards
        ],
    )


async def bump(conn: aiosqlite.Connection, name: str, by: int) -> None:
    if by:
        await conn.execute(
            "INSERT INTO counters(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )
