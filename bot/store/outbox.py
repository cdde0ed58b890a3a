"""The outbox: events routed to chats as deliveries, the sender's state machine, chat states.

An event is stored as the JSON of its class (bot.events) under its kind, and loaded back as that
class; one that does not load (a kind this version does not know, a damaged row) is logged,
counted (`events_unreadable`) and skipped, never a crash.

A delivery goes pending/held → sending → sent (or dropped). `sending` is committed before the
Telegram call, so after a crash the rows left in it are exactly the messages that may or may not
have gone out; they are sent again (at-least-once: a rare duplicate beats a lost order alert).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.events import Event, EventError, Summary, from_json, to_json
from bot.store.db import Conn, Database, Row, bump, executemany_counted
from bot.store.users import User, user_from_row

log = logging.getLogger(__name__)

OPEN_STATES = ("pending", "held", "sending")
#: Counted when a stored event does not load (a kind this version does not know, bad JSON).
UNREADABLE_COUNTER = "events_unreadable"

E_co = TypeVar("E_co", bound=Event, covariant=True)


@dataclass(frozen=True)
class NewEvent:
    """An event to queue: at most once ever per (shop, kind, ref)."""

    event: Event
    ref: str
    user_id: int | None = None  # for one member only (their own stock horizon), or a user event

    @property
    def kind(self) -> str:
        return self.event.kind


@dataclass(frozen=True)
class EventRow(Generic[E_co]):
    """A stored event, loaded as its class."""

    id: int
    shop_id: int
    ref: str
    batch: str | None
    catch_up: bool
    user_id: int | None
    event: E_co
    created_at: float

    @property
    def kind(self) -> str:
        return self.event.kind


@dataclass(frozen=True)
class Due:
    """An open delivery that may be sent now, with its event."""

    id: int
    chat_id: int
    user_id: int | None
    held: bool
    attempts: int
    event: EventRow[Event]


# What the router decides for one recipient: (state, not_before), or None to skip.
Placement = tuple[str, float] | None


async def add_events(
    conn: Conn,
    shop_id: int,
    events: Sequence[NewEvent],
    *,
    batch: str | None,
    catch_up: bool,
) -> int:
    """Inserts events at most once each, ever (UNIQUE(shop_id, kind, ref)); returns how many.
    Runs in the caller's transaction, so the rows that cause the events commit with them."""
    if not events:
        return 0
    now = time.time()
    return await executemany_counted(
        conn,
        "INSERT INTO events(shop_id, kind, ref, batch, catch_up, user_id, payload, created_at) "
        "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(shop_id, kind, ref) DO NOTHING",
        [
            (shop_id, e.kind, e.ref, batch, int(catch_up), e.user_id, to_json(e.event), now)
            for e in events
        ],
    )


async def recent_refs(db: Database, shop_id: int, kind: str, since: float) -> list[str]:
    """The refs of the shop's events of one kind queued since `since` (unix seconds)."""
    rows = await db.fetchall(
        "SELECT ref FROM events WHERE shop_id = ? AND kind = ? AND created_at >= ?",
        (shop_id, kind, since),
    )
    return [str(r[0]) for r in rows]


async def add_shop_events(
    db: Database, shop_id: int, events: Sequence[NewEvent], batch: str
) -> int:
    """`add_events` in a transaction of its own; returns how many were new."""
    if not events:
        return 0
    async with db.transaction() as conn:
        return await add_events(conn, shop_id, events, batch=batch, catch_up=False)


async def queue_summary(
    db: Database, user_id: int, local_day: str, summary: Summary, now: float
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
            "VALUES (0, ?, ?, ?, ?, ?) ON CONFLICT(shop_id, kind, ref) DO NOTHING",
            (summary.kind, f"{user_id}:{local_day}", user_id, to_json(summary), now),
        )
    return True


def _event(row: Row, user_key: str = "user_id") -> EventRow[Event] | None:
    """The row's event as its class; None (logged) when it does not load."""
    try:
        event = from_json(row["kind"], row["payload"])
    except EventError as exc:
        log.error("event %s (shop %s) does not load: %s", row["id"], row["shop_id"], exc)
        return None
    return EventRow(
        id=row["id"],
        shop_id=row["shop_id"],
        ref=row["ref"],
        batch=row["batch"],
        catch_up=bool(row["catch_up"]),
        user_id=row[user_key],
        event=event,
        created_at=row["created_at"],
    )


async def _fetch(conn: Conn, sql: str, params: Sequence[Any]) -> list[Any]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def _recipients(conn: Conn, event: EventRow[Event]) -> list[tuple[int, int]]:
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
    if event.event.to_owners:
        # The owner who made a change already knows of it.
        rows = await _fetch(
            conn,
            "SELECT user_id FROM memberships WHERE shop_id = ? AND role = 'owner' "
            "AND user_id IS NOT ?",
            (event.shop_id, event.event.actor),
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
    db: Database, place: Callable[[EventRow[Event], User], Placement], limit: int = 500
) -> int:
    """Fans unrouted events out to deliveries, in one transaction; returns events routed.

    `place` decides per recipient (switches, quiet hours) and knows nothing of SQL. An event
    that does not load is logged, counted and marked routed with no delivery: it must neither
    stop the others nor be read again on every pass.
    """
    if await db.fetchone("SELECT 1 FROM events WHERE routed = 0 LIMIT 1") is None:
        return 0  # the common case costs a read, not the write lock
    async with db.transaction() as conn:
        unrouted = await _fetch(
            conn, "SELECT * FROM events WHERE routed = 0 ORDER BY id LIMIT ?", (limit,)
        )
        if not unrouted:
            return 0
        loaded = [(r["id"], _event(r)) for r in unrouted]
        events = [e for _id, e in loaded if e is not None]
        await bump(conn, UNREADABLE_COUNTER, len(unrouted) - len(events))
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
            "UPDATE events SET routed = 1 WHERE id = ?", [(i,) for i, _e in loaded]
        )
    return len(unrouted)


async def due_deliveries(db: Database, now: float, limit: int = 2000) -> list[Due]:
    """Open deliveries whose time has come, oldest first. A delivery whose event does not load
    (queued by another version) is dropped, logged and counted rather than tried forever."""
    rows = await db.fetchall(
        "SELECT d.id AS d_id, d.chat_id, d.user_id AS d_user_id, d.state, d.attempts, "
        "e.id, e.shop_id, e.kind, e.ref, e.batch, e.catch_up, e.user_id AS ev_user_id, "
        "e.payload, e.created_at "
        "FROM deliveries d JOIN events e ON e.id = d.event_id "
        "WHERE d.state IN ('pending', 'held') AND d.not_before <= ? ORDER BY d.id LIMIT ?",
        (now, limit),
    )
    due: list[Due] = []
    unreadable: list[int] = []
    for r in rows:
        event = _event(r, user_key="ev_user_id")
        if event is None:
            unreadable.append(r["d_id"])
            continue
        due.append(
            Due(
                id=r["d_id"],
                chat_id=r["chat_id"],
                user_id=r["d_user_id"],
                held=r["state"] == "held",
                attempts=r["attempts"],
                event=event,
            )
        )
    if unreadable:
        async with db.transaction() as conn:
            await conn.execute(
                f"UPDATE deliveries SET state = 'dropped', error = 'unreadable event' "
                f"WHERE id IN ({_marks(unreadable)})",
                unreadable,
            )
            await bump(conn, UNREADABLE_COUNTER, len(unreadable))
    return due


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


async def claim(
    db: Database,
    ids: Sequence[int],
    now: float,
    worker: str | None = None,
    lease_until: float | None = None,
) -> None:
    """Committed before the send: a crash after it leaves the rows in 'sending', leased to the
    worker until `lease_until` (no lease: free to recover at once)."""
    await db.write(
        f"UPDATE deliveries SET state = 'sending', attempt_at = ?, attempts = attempts + 1, "
        f"claimed_by = ?, lease_until = ? "
        f"WHERE id IN ({_marks(ids)}) AND state IN ('pending', 'held')",
        (now, worker, lease_until, *ids),
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


async def recover_sending(db: Database, now: float | None = None) -> int:
    """Rows a crash left between claim and 'sent' go out again once their lease lapsed (a row
    with no lease at once); returns how many. `now` None: every row in 'sending', leased or
    not (the one process of a single-process bot knows none is in flight)."""
    if now is None:
        return await db.write("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")
    lapsed = "state = 'sending' AND (lease_until IS NULL OR lease_until < ?)"
    if await db.fetchone(f"SELECT 1 FROM deliveries WHERE {lapsed} LIMIT 1", (now,)) is None:
        return 0  # every pass asks: the common answer costs a read, not the write lock
    return await db.write(
        f"UPDATE deliveries SET state = 'pending', claimed_by = NULL, lease_until = NULL "
        f"WHERE {lapsed}",
        (now,),
    )


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
            # A delivery the new chat has already (UNIQUE(event_id, chat_id)) stays as it was.
            "UPDATE deliveries SET chat_id = ? "
            "WHERE chat_id = ? AND state IN ('pending', 'held', 'sending') AND NOT EXISTS "
            "(SELECT 1 FROM deliveries d WHERE d.event_id = deliveries.event_id "
            "AND d.chat_id = ?)",
            (new, old, new),
        )


async def delivery_states(db: Database) -> dict[str, int]:
    """How many deliveries are in each state (for /status and tests)."""
    rows = await db.fetchall("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
    return {str(r[0]): int(r[1]) for r in rows}
