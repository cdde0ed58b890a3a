"""Users and their settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

from bot.store.db import Database, Row


@dataclass(frozen=True)
class User:
    id: int
    language: str | None
    tg_language: str | None
    timezone: str
    summary_time: str
    alert_orders: bool
    alert_cancels: bool
    alert_buyouts: bool
    alert_returns: bool
    alert_stock: bool
    alert_summary: bool
    photos: bool
    stock_horizon_days: int
    quiet_start: str | None
    quiet_end: str | None
    last_summary_day: str | None
    created_at: float
    display_name: str | None = None  # as Telegram showed it last: "Anna K. (@anna)"
    alert_reviews: bool = True
    alert_questions: bool = True
    review_threshold: int = 3  # a review at or below this many stars is negative: it alerts
    alert_loss: bool = True  # a product sold at a loss (bot.money.alerts)


MAX_NAME = 80

_BOOLS = {f.name for f in fields(User) if f.type == "bool"}
SETTABLE = {f.name for f in fields(User)} - {"id", "created_at", "tg_language", "display_name"}


def user_from_row(row: Row) -> User:
    values: dict[str, Any] = {k: (bool(row[k]) if k in _BOOLS else row[k]) for k in row.keys()}
    return User(**values)


async def get_user(db: Database, user_id: int) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    return user_from_row(row) if row else None


async def ensure_user(
    db: Database,
    user_id: int,
    tg_language: str | None,
    default_timezone: str,
    display_name: str | None = None,
) -> User:
    """Creates the user on first contact (every alert on, the default zone) and notes Telegram's
    language, which decides the bot's language until the user picks one, and their name."""
    name = display_name[:MAX_NAME] if display_name else None
    async with db.transaction() as conn:
        async with conn.execute(
            "INSERT INTO users(id, tg_language, timezone, created_at, display_name) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET tg_language = COALESCE(excluded.tg_language, "
            "users.tg_language), "
            "display_name = COALESCE(excluded.display_name, users.display_name) "
            "RETURNING *",
            (user_id, tg_language, default_timezone, time.time(), name),
        ) as cur:
            row = await cur.fetchone()
    # The row as written, from the writing transaction itself: a read through the reader
    # afterwards could miss it.
    if row is None:
        raise RuntimeError(f"upsert of user {user_id} returned no row")
    return user_from_row(row)


async def update_user(db: Database, user_id: int, **values: object) -> None:
    unknown = set(values) - SETTABLE
    if unknown:
        raise ValueError(f"not a user setting: {sorted(unknown)}")
    if not values:
        return
    assignments = ", ".join(f"{name} = ?" for name in values)
    await db.write(
        f"UPDATE users SET {assignments} WHERE id = ?",
        (*(int(v) if isinstance(v, bool) else v for v in values.values()), user_id),
    )


async def summary_readers(db: Database) -> list[User]:
    """Users with the daily summary on and at least one active shop."""
    rows = await db.fetchall(
        "SELECT * FROM users u WHERE u.alert_summary = 1 AND EXISTS ("
        "SELECT 1 FROM memberships m JOIN shops s ON s.id = m.shop_id "
        "WHERE m.user_id = u.id AND s.state = 'active') ORDER BY u.id"
    )
    return [user_from_row(r) for r in rows]
