"""Products: WB's cards, the stock snapshot and the low-stock mutes, with what /stock and the
low-stock alert read of them.

`replace_stock` and `upsert_products` run inside the caller's transaction (a poll's), so the
snapshot commits together with the poll's state."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from bot.rows import NewCard, NewStock
from bot.store.db import Conn, Database, marks, unix

#: A product WB no longer lists stays in the snapshot at 0 while it sold in this many days.
KNOWN_DAYS = 14  # bot.reports.stock.COVER_WINDOW_DAYS: the window days of cover look at


#: Orders from the seller's own warehouse (FBS) say nothing about stock at WB's.
SELLER_WAREHOUSE = "Склад продавца"


async def replace_stock(
    conn: Conn,
    shop_id: int,
    rows: Sequence[NewStock],
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


async def upsert_products(conn: Conn, shop_id: int, cards: Sequence[NewCard]) -> None:
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


@dataclass(frozen=True)
class ProductInfo:
    title: str
    photo_url: str | None


async def products(
    db: Database, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], ProductInfo]:
    wanted = sorted(set(keys))
    found: dict[tuple[int, int], ProductInfo] = {}
    for shop_id in {k[0] for k in wanted}:
        nm_ids = [nm for s, nm in wanted if s == shop_id]
        rows = await db.fetchall(
            f"SELECT nm_id, title, photo_url FROM products WHERE shop_id = ? "
            f"AND nm_id IN ({marks(nm_ids)})",
            (shop_id, *nm_ids),
        )
        for r in rows:
            found[(shop_id, int(r["nm_id"]))] = ProductInfo(r["title"] or "", r["photo_url"])
    return found


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


async def stock_sizes(db: Database, shop_ids: Sequence[int]) -> dict[int, list[SizeStock]]:
    """The current snapshot per shop, one row per product size."""
    if not shop_ids:
        return {}
    qs = marks(shop_ids)
    rows = await db.fetchall(
        "SELECT shop_id, nm_id, tech_size, SUM(quantity), MAX(vendor_code), MAX(subject), "
        f"MAX(brand) FROM stock WHERE shop_id IN ({qs}) "
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


async def product_titles(db: Database, shop_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    if not shop_ids:
        return {}
    qs = marks(shop_ids)
    rows = await db.fetchall(
        f"SELECT shop_id, nm_id, title FROM products WHERE shop_id IN ({qs}) AND title != ''",
        tuple(shop_ids),
    )
    return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}


async def muted_products(
    db: Database, shop_ids: Sequence[int], now: float
) -> set[tuple[int, int]]:
    """(shop_id, nm_id) whose low-stock alerts are snoozed until later or ignored for good."""
    if not shop_ids:
        return set()
    qs = marks(shop_ids)
    rows = await db.fetchall(
        f"SELECT shop_id, nm_id FROM stock_mutes WHERE shop_id IN ({qs}) "
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


@dataclass(frozen=True)
class StockRecord:
    """One product's stock over its sizes and the shop's real warehouses, with the product's
    orders in the cover window (every warehouse, FBS included, cancelled ones too: the same
    count the low-stock alert divides by, see bot.notify.checks)."""

    shop_id: int
    nm_id: int
    vendor_code: str
    subject: str
    quantity: int
    warehouses: tuple[tuple[str, int], ...]  # where it lies, most first; () when sold out
    orders_14d: int
    updated_at: datetime


async def stock_with_orders(
    db: Database, shop_ids: Sequence[int], since: datetime
) -> list[StockRecord]:
    """Stock per product (sizes and warehouses summed) with its orders since `since`.

    Per product, not per warehouse: WB now reports stock on aggregated warehouses ("Склад WB
    РФ", "Склад WB СГТ РФ", "Минск" apart) while orders keep naming where they ship from, so a
    warehouse's stock cannot be matched with that warehouse's orders."""
    if not shop_ids:
        return []
    qs = marks(shop_ids)
    # One pass over the window's orders (by the (shop_id, ts) index), joined to the snapshot.
    rows = await db.fetchall(
        "WITH recent AS (SELECT shop_id, nm_id, COUNT(*) AS n FROM orders "
        f"  WHERE shop_id IN ({qs}) AND ts >= ? GROUP BY shop_id, nm_id) "
        "SELECT s.shop_id, s.nm_id, MAX(s.vendor_code), MAX(s.subject), s.warehouse, "
        "SUM(s.quantity), COALESCE(MAX(r.n), 0), MAX(s.updated_at) "
        "FROM stock s LEFT JOIN recent r ON r.shop_id = s.shop_id AND r.nm_id = s.nm_id "
        f"WHERE s.shop_id IN ({qs}) GROUP BY s.shop_id, s.nm_id, s.warehouse "
        "ORDER BY s.shop_id, s.nm_id",
        (*shop_ids, unix(since), *shop_ids),
    )
    found: list[StockRecord] = []
    for (shop_id, nm_id), group in groupby(rows, key=lambda r: (int(r[0]), int(r[1]))):
        parts = list(group)
        places = sorted(
            ((str(r[4]), int(r[5] or 0)) for r in parts if r[4] and int(r[5] or 0) > 0),
            key=lambda p: (-p[1], p[0]),
        )
        found.append(
            StockRecord(
                shop_id=shop_id,
                nm_id=nm_id,
                vendor_code=max(str(r[2] or "") for r in parts),
                subject=max(str(r[3] or "") for r in parts),
                quantity=sum(q for _name, q in places),
                warehouses=tuple(places),
                orders_14d=int(parts[0][6] or 0),
                updated_at=datetime.fromtimestamp(max(float(r[7]) for r in parts), UTC),
            )
        )
    return found
