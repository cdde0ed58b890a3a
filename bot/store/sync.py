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


#: A product WB no longer lists stays in the snapshot at 0 while it sold in this many days.
KNOWN_DAYS = 14  # bot.reports.stock.COVER_WINDOW_DAYS: the window days of cover look at
#: Orders from the seller's own warehouse (FBS) say nothing about stock at WB's.
SELLER_WAREHOUSE = "Склад продавца"


async def replace_stock(
    conn: aiosqlite.Connection,
    shop_id: int,
    rows: Sequence[StockRow],
    now: float | None = None,
) -> None:
    """WB keeps no stock history: each report replaces the shop's snapshot whole.

    WB lists a warehouse "только при ненулевом quantity" (12-reports.yaml, the download's
    `warehouses`), so a sold-out size comes back with no entries or no row at all: absence is
    WB's way of saying 0. A size the shop is known to have, one in stock in the previous
    snapshot or a product ordered from WB's warehouses in the last 14 days, is kept at 0
    (warehouse "") so the low-stock alert, /stock and the summary say "out of stock" instead of
    forgetting it. A zero row lives on only while the product keeps being ordered."""
    now = time.time() if now is None else now
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
    barcodes = {(r.nm_id, r.barcode) for r in rows}
    sizes = {(r.nm_id, r.tech_size) for r in rows}
    products = {r.nm_id for r in rows}
    previous = await conn.execute_fetchall(
        "SELECT nm_id, barcode, MAX(tech_size), MAX(vendor_code), MAX(subject), MAX(brand), "
        "SUM(quantity) FROM stock WHERE shop_id = ? GROUP BY nm_id, barcode",
        (shop_id,),
    )
    ordered = await conn.execute_fetchall(
        "SELECT nm_id, barcode, tech_size, MAX(supplier_article), MAX(subject), MAX(brand), "
        "0 FROM orders WHERE shop_id = ? AND ts >= ? AND warehouse_type != ? "
        "GROUP BY nm_id, barcode, tech_size",
        (shop_id, int(now - KNOWN_DAYS * 86400), SELLER_WAREHOUSE),
    )
    selling = {int(r[0]) for r in ordered}
    for nm_id, barcode, size, vendor_code, subject, brand, quantity in [*previous, *ordered]:
        nm_id, barcode, size = int(nm_id), str(barcode or ""), str(size or "")
        if (
            (nm_id, barcode) in barcodes
            or (size and (nm_id, size) in sizes)  # the size is listed (under a new barcode)
            or (not barcode and nm_id in products)  # an order without a barcode: no size known
        ):
            continue
        if int(quantity or 0) <= 0 and nm_id not in selling:
            continue  # long sold out and no longer ordered: forgotten
        barcodes.add((nm_id, barcode))
        merged[(nm_id, barcode, "")] = [
            shop_id, nm_id, barcode, size, "", 0, vendor_code or "", subject or "", brand or "",
            now,
        ]  # fmt: skip
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
