"""Unanswered reviews and questions as WB listed them last, and WB's counts of them.

Every write runs inside the caller's transaction, so the rows and the alerts they cause commit
together (the same guarantee as orders)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.db import Conn, Database

KINDS = ("review", "question")


@dataclass(frozen=True)
class Listed:
    """One item of a listing (kind 'review' or 'question') as stored, and as read back."""

    id: str
    nm_id: int
    rating: int | None
    created_at: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class Unanswered:
    """What the summary says of one shop: WB's counts, and the negative ones among those held."""

    reviews: int
    negative: int
    questions: int


async def store_listing(
    conn: Conn,
    shop_id: int,
    kind: str,
    items: Sequence[Listed],
    count: int,
    *,
    complete: bool,
) -> None:
    """Stores a page of unanswered items (newest first) and WB's count of them all.

    What WB no longer lists as unanswered has been answered: every held row when the page held
    them all (``complete``), else only those newer than the page's oldest item."""
    if kind not in KINDS:
        raise ValueError(f"not a review kind: {kind}")
    now = time.time()
    await conn.executemany(
        "INSERT INTO reviews(shop_id, kind, id, nm_id, rating, created_at, answered, payload, "
        "first_seen) VALUES (?,?,?,?,?,?,0,?,?) ON CONFLICT(shop_id, kind, id) DO UPDATE SET "
        "answered = 0, rating = excluded.rating, payload = excluded.payload",
        [
            (
                shop_id,
                kind,
                i.id,
                i.nm_id,
                i.rating,
                i.created_at,
                json.dumps(i.payload, ensure_ascii=False),
                now,
            )
            for i in items
        ],
    )
    floor = -1.0 if complete or not items else min(i.created_at for i in items)
    listed = {i.id for i in items}
    async with conn.execute(
        "SELECT id FROM reviews WHERE shop_id = ? AND kind = ? AND answered = 0 "
        "AND created_at >= ?",
        (shop_id, kind, floor),
    ) as cur:
        gone = [(shop_id, kind, r[0]) for r in await cur.fetchall() if r[0] not in listed]
    await conn.executemany(
        "UPDATE reviews SET answered = 1 WHERE shop_id = ? AND kind = ? AND id = ?", gone
    )
    column = "reviews" if kind == "review" else "questions"
    await conn.execute(
        f"INSERT INTO review_counts(shop_id, {column}, {column}_at) VALUES (?,?,?) "
        f"ON CONFLICT(shop_id) DO UPDATE SET {column} = excluded.{column}, "
        f"{column}_at = excluded.{column}_at",
        (shop_id, count, now),
    )


async def open_negative(
    db: Database, shop_id: int, threshold: int, limit: int = 10
) -> list[Listed]:
    """The newest unanswered reviews rated at or below ``threshold``."""
    rows = await db.fetchall(
        "SELECT id, nm_id, rating, created_at, payload FROM reviews WHERE shop_id = ? "
        "AND kind = 'review' AND answered = 0 AND rating <= ? "
        "ORDER BY created_at DESC LIMIT ?",
        (shop_id, threshold, limit),
    )
    found = []
    for r in rows:
        try:
            payload = json.loads(r["payload"])
        except ValueError:
            payload = {}
        found.append(
            Listed(
                str(r["id"]),
                int(r["nm_id"]),
                int(r["rating"]),
                float(r["created_at"]),
                payload if isinstance(payload, dict) else {},
            )
        )
    return found


async def unanswered(db: Database, shop_id: int, threshold: int) -> Unanswered | None:
    """WB's counts and the negative reviews among those held; None before the first listing."""
    row = await db.fetchone(
        "SELECT reviews, questions FROM review_counts WHERE shop_id = ?", (shop_id,)
    )
    if row is None:
        return None
    negative = await db.fetchone(
        "SELECT COUNT(*) FROM reviews WHERE shop_id = ? AND kind = 'review' AND answered = 0 "
        "AND rating <= ?",
        (shop_id, threshold),
    )
    return Unanswered(
        reviews=int(row["reviews"] or 0),
        negative=int(negative[0]) if negative else 0,
        questions=int(row["questions"] or 0),
    )
