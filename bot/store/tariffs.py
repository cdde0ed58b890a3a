"""WB's current commission by subject (GET common-api /api/v1/tariffs/commission): what the
profit estimate falls back on for a product no finance report row has priced yet."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.db import Conn, Database


@dataclass(frozen=True)
class NewCommission:
    """One subject's rates as the store keeps them (the sync converts WB's rows)."""

    subject: str
    subject_id: int | None
    fbw_bp: int | None
    fbs_bp: int | None


async def replace_commission(conn: Conn, rows: Sequence[NewCommission]) -> None:
    """WB's whole table as it stands now (a subject WB dropped keeps its last rate)."""
    now = time.time()
    await conn.executemany(
        "INSERT INTO tariff_commission(subject, subject_id, fbw_bp, fbs_bp, updated_at) "
        "VALUES (?,?,?,?,?) ON CONFLICT(subject) DO UPDATE SET "
        "subject_id = excluded.subject_id, fbw_bp = excluded.fbw_bp, "
        "fbs_bp = excluded.fbs_bp, updated_at = excluded.updated_at",
        [(r.subject, r.subject_id, r.fbw_bp, r.fbs_bp, now) for r in rows],
    )


async def product_commission(db: Database, shop_id: int) -> dict[int, int]:
    """The shop's products (by their cards' subject) with WB's commission from its warehouse
    (FBW, `paidStorageKgvp`), in basis points."""
    rows = await db.fetchall(
        "SELECT p.nm_id, t.fbw_bp FROM products p "
        "JOIN tariff_commission t ON t.subject = p.subject WHERE p.shop_id = ?",
        (shop_id,),
    )
    return {int(r["nm_id"]): int(r["fbw_bp"]) for r in rows}
