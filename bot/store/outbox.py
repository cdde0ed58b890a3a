"""The outbox: events routed to chats as deliveries, the sender's state machine, chat states.

A delivery goes pending/held → sending → sent (or dropped). `sending` is committed before the
Telegram call, so after a crash the rows left in it are exactly the messages that may or may not
have gone out; they are sent again (at-least-once: a rare duplicate beats a lost order alert).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.db import Database
from bot.store.shops import KEY_CONNECTED, ROUTE_CHANGED, ROUTE_REQUEST
from bot.store.users import User, user_from_row

OPEN_STATES = ("pending", "held", "sending")
# The per-user switch for each kind; kinds missing here (token_dead, token_expiring) always go.
ALERT_SWITCH = {
    "order": "alert_orders",
    "cancel": "alert_cancels",
    "buyout": "alert_buyouts",
    "return": "alert_returns",
    "stock_low": "alert_stock",
    "summary": "alert_summary",
    "review": "alert_reviews",
    "question": "alert_questions",
}
# The owner must act on these (a new key), or was told to and hears it is over, or decides (where
# alerts go, who holds a key), so they go to the owners' private chats even when the shop's alerts
# go to a group.
OWNER_KINDS = frozenset(
    {"token_dead", "token_back", "token_expiring", ROUTE_CHANGED, ROUTE_REQUEST, KEY_CONNECTED}
)


@dataclass(frozen=True)
class EventRow:
    id: int
    shop_id: int
    kind: str
    ref: str
    batch: str | None
    catch_up: bool
    user_id: int | None
    payload: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class Due:
    """An open delivery that may be sent now, with its event."""

    id: int
    chat_id: int
    user_id: int | None
    held: bool
    attempts: int
    event: EventRow


@dataclass(frozen=True)
class ProductInfo:
    title: str
    photo_url: str | None


# What the router decides for one recipient: (state, not_before), or None to skip.
Placement = tuple[str, float] | None


def _event(row: aiosqlite.Row, user_key: str = "user_id") -> EventRow:
    try:
        payload = json.loads(row["payload"] or "{}")
    except ValueError:
        payload = {}
    return EventRow(
        id=row["id"],
        shop_id=row["shop_id"],
        kind=row["kind"],
        ref=row["ref"],
        batch=row["batch"],
        catch_up=bool(row["catch_up"]),
        user_id=row[user_key],
        payload=payload if isinstance(payload, dict) else {},
        created_at=row["created_at"],
    )


async def _fetch(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def _recipients(conn: aiosqlite.Connection, event: EventRow) -> list[tuple[int, int]]:
    """(chat_id, user_id whose settings apply) for an event, before switches and blocks."""
    if event.shop_id == 0:
        return [(event.user_id, event.user_id)] if event.user_id else []
    shops = await _fetch(
        conn, "SELECT state, alert_chat_id FROM shops WHERE id = ?", (event.shop_id,)
    )
    if not shops or shops[0]["state"] == "disconnected":
        return []
    if event.user_id is not None:
        # A shop event meant for one member (their own stock horizon): only them, in private,
        # and only while they are still a member.
        rows = await _fetch(
            conn,
            "SELECT 1 FROM memberships WHERE shop_id = ? AND user_id = ?",
            (event.shop_id, event.user_id),
        )
        return [(event.user_id, event.user_id)] if rows else []
    if event.kind in OWNER_KINDS:
        # The owner who made a change already knows of it.
        actor = event.payload.get("actor")
        rows = await _fetch(
            conn,
            "SELECT user_id FROM memberships WHERE shop_id = ? AND role = 'owner' "
            "AND user_id IS NOT ?",
            (event.shop_id, actor if isinstance(actor, int) else None),
        )
        return [(int(r[0]), int(r[0])) for r in rows]
    group = shops[0]["alert_chat_id"]
    if group is not None:
        rows = await _fetch(
            conn,
            "SELECT user_id FROM memberships WHERE shop_id = ? "
            "ORDER BY role = 'owner' DESC, created_at LIMIT 1",
            (event.shop_id,),
        )
        # Members who asked for a private copy get one; the group is the owner's choice.
        copies = await _fetch(
            conn,
            "SELECT user_id FROM memberships WHERE shop_id = ? AND private_alerts = 1",
            (event.shop_id,),
        )
        to_group = [(int(group), int(rows[0][0]))] if rows else []
        return to_group + [(int(r[0]), int(r[0])) for r in copies]
    rows = await _fetch(
        conn, "SELECT user_id FROM memberships WHERE shop_id = ?", (event.shop_id,)
    )
    return [(int(r[0]), int(r[0])) for r in rows]


async def route_events(
    db: Database, place: Callable[[EventRow, User], Placement], limit: int = 500
) -> int:
    """Fans unrouted events out to deliveries, in one transaction; returns events routed.

    `place` decides per recipient (switches, quiet hours) and knows nothing of SQL.
    """
    if await db.fetchone("SELECT 1 FROM events WHERE routed = 0 LIMIT 1") is None:
        return 0  # the common case costs a read, not the write lock
    async with db.transaction() as conn:
        events = [
            _event(r)
            for r in await _fetch(
                conn, "SELECT * FROM events WHERE routed = 0 ORDER BY id LIMIT ?", (limit,)
            )
        ]
        if not events:
            return 0
        users: dict[int, User | None] = {}
        blocked: dict[int, bool] = {}
        rows: list[tuple[int, int, int, str, float]] = []
        for event in events:
            for chat_id, user_id in await _recipients(conn, event):
                if user_id not in users:
                    found = await _fetch(conn, "SELECT * FROM users WHERE id = ?", (user_id,))
                    users[user_id] = user_from_row(found[0]) if found else None
                if chat_id not in blocked:
                    found = await _fetch(
                        conn, "SELECT blocked_at FROM chats WHERE id = ?", (chat_id,)
                    )
                    blocked[chat_id] = bool(found and found[0][0] is not None)
                user = users[user_id]
                if user is None or blocked[chat_id]:
                    continue
                placement = place(event, user)
                if placement is not None:
                    rows.append((event.id, chat_id, user_id, *placement))
        await conn.executemany(
            "INSERT INTO deliveries(event_id, chat_id, user_id, state, not_before) "
            "VALUES (?,?,?,?,?) ON CONFLICT(event_id, chat_id) DO NOTHING",
            rows,
        )
        await conn.executemany(
            "UPDATE events SET routed = 1 WHERE id = ?", [(e.id,) for e in events]
        )
    return len(events)


async def due_deliveries(db: Database, now: float, limit: int = 2000) -> list[Due]:
    """Open deliveries whose time has come, oldest first."""
    rows = await db.fetchall(
        "SELECT d.id AS d_id, d.chat_id, d.user_id AS d_user_id, d.state, d.attempts, "
        "e.id, e.shop_id, e.kind, e.ref, e.batch, e.catch_up, e.user_id AS ev_user_id, "
        "e.payload, e.created_at "
        "FROM deliveries d JOIN events e ON e.id = d.event_id "
        "WHERE d.state IN ('pending', 'held') AND d.not_before <= ? ORDER BY d.id LIMIT ?",
        (now, limit),
    )
    return [
        Due(
            id=r["d_id"],
            chat_id=r["chat_id"],
            user_id=r["d_user_id"],
            held=r["state"] == "held",
            attempts=r["attempts"],
            event=_event(r, user_key="ev_user_id"),
        )
        for r in rows
    ]


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


async def claim(db: Database, ids: Sequence[int], now: float) -> None:
    """Committed before the send: a crash after it leaves the rows in 'sending'."""
    await db.write(
        f"UPDATE deliveries SET state = 'sending', attempt_at = ?, attempts = attempts + 1 "
        f"WHERE id IN ({_marks(ids)}) AND state IN ('pending', 'held')",
        (now, *ids),
    )


async def mark_sent(db: Database, ids: Sequence[int], message_id: int | None, now: float) -> None:
    await db.write(
        f"UPDATE deliveries SET state = 'sent', sent_at = ?, tg_message_id = ?, error = NULL "
        f"WHERE id IN ({_marks(ids)})",
        (now, message_id, *ids),
    )


async def release(db: Database, ids: Sequence[int], not_before: float, error: str) -> None:
    """Back to pending, to be tried again after `not_before`."""
    await db.write(
        f"UPDATE deliveries SET state = 'pending', not_before = ?, error = ? "
        f"WHERE id IN ({_marks(ids)})",
        (not_before, error[:200], *ids),
    )


async def drop(db: Database, ids: Sequence[int], error: str) -> None:
    await db.write(
        f"UPDATE deliveries SET state = 'dropped', error = ? WHERE id IN ({_marks(ids)})",
        (error[:200], *ids),
    )


async def recover_sending(db: Database) -> int:
    """Rows a crash left between claim and 'sent' go out again; returns how many."""
    return await db.write("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")


async def note_chat(db: Database, chat_id: int, kind: str) -> None:
    await db.write(
        "INSERT INTO chats(id, kind, updated_at) VALUES (?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, updated_at = excluded.updated_at",
        (chat_id, kind, time.time()),
    )


async def block_chat(db: Database, chat_id: int) -> int:
    """The chat blocked the bot: remember it and drop what was waiting for it."""
    now = time.time()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO chats(id, kind, blocked_at, updated_at) VALUES (?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET blocked_at = excluded.blocked_at, "
            "updated_at = excluded.updated_at",
            (chat_id, "group" if chat_id < 0 else "private", now, now),
        )
        async with conn.execute(
            "UPDATE deliveries SET state = 'dropped', error = 'blocked' "
            "WHERE chat_id = ? AND state IN ('pending', 'held', 'sending')",
            (chat_id,),
        ) as cur:
            return cur.rowcount


async def unblock_chat(db: Database, chat_id: int) -> bool:
    """The chat is back (/start, or the bot re-added); returns whether it had been blocked."""
    return (
        await db.write(
            "UPDATE chats SET blocked_at = NULL, updated_at = ? "
            "WHERE id = ? AND blocked_at IS NOT NULL",
            (time.time(), chat_id),
        )
        > 0
    )


async def is_blocked(db: Database, chat_id: int) -> bool:
    row = await db.fetchone("SELECT blocked_at FROM chats WHERE id = ?", (chat_id,))
    return bool(row and row[0] is not None)


async def migrate_chat(db: Database, old: int, new: int) -> None:
    """A group became a supergroup: everything addressed to the old id moves to the new one."""
    now = time.time()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO chats(id, kind, updated_at) VALUES (?, 'supergroup', ?) "
            "ON CONFLICT(id) DO NOTHING",
            (new, now),
        )
        await conn.execute(
            "INSERT INTO chats(id, kind, migrated_to, updated_at) VALUES (?, 'group', ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET migrated_to = excluded.migrated_to, "
            "updated_at = excluded.updated_at",
            (old, new, now),
        )
        await conn.execute(
            "UPDATE shops SET alert_chat_id = ?, updated_at = ? WHERE alert_chat_id = ?",
            (new, now, old),
        )
        await conn.execute(
            "UPDATE OR IGNORE deliveries SET chat_id = ? "
            "WHERE chat_id = ? AND state IN ('pending', 'held', 'sending')",
            (new, old),
        )


async def today_totals(db: Database, shop_id: int, since: float) -> tuple[int, float]:
    """Orders of a shop since `since` (the recipient's local midnight): count and sum."""
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(price_with_disc), 0) FROM orders "
        "WHERE shop_id = ? AND ts >= ?",
        (shop_id, int(since)),
    )
    return (int(row[0]), float(row[1])) if row else (0, 0.0)


async def products(
    db: Database, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], ProductInfo]:
    wanted = sorted(set(keys))
    found: dict[tuple[int, int], ProductInfo] = {}
    for shop_id in {k[0] for k in wanted}:
        nm_ids = [nm for s, nm in wanted if s == shop_id]
        rows = await db.fetchall(
            f"SELECT nm_id, title, photo_url FROM products WHERE shop_id = ? "
            f"AND nm_id IN ({_marks(nm_ids)})",
            (shop_id, *nm_ids),
        )
        for r in rows:
            found[(shop_id, int(r["nm_id"]))] = ProductInfo(r["title"] or "", r["photo_url"])
    return found


async def shop_names(db: Database, shop_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    rows = await db.fetchall(f"SELECT id, name FROM shops WHERE id IN ({_marks(ids)})", ids)
    return {int(r[0]): str(r[1]) for r in rows}


async def get_user_row(db: Database, user_id: int) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    return user_from_row(row) if row else None


async def delivery_states(db: Database) -> dict[str, int]:
    """How many deliveries are in each state (for /status and tests)."""
    rows = await db.fetchall("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
    return {str(r[0]): int(r[1]) for r in rows}


async def next_due_at(db: Database) -> float | None:
    row = await db.fetchone(
        "SELECT MIN(not_before) FROM deliveries WHERE state IN ('pending', 'held')"
    )
    return float(row[0]) if row and row[0] is not None else None
