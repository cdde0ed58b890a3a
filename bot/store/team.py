"""Who belongs to which shop and where its alerts go, as /shops, /members, /disconnect and
/notify_here need it."""

from __future__ import annotations

import time

from bot.events import EventError, RouteChanged, RouteRequest, from_json
from bot.store.db import Conn, Database
from bot.store.outbox import add_events
from bot.store.shops import SHOP_COLUMNS, Shop, display_name, notice, shop_from_row

OPEN = "'pending', 'held', 'sending'"


async def shops_with_roles(db: Database, user_id: int) -> list[tuple[Shop, str]]:
    """Every shop the user belongs to, disconnected ones included (their data is kept)."""
    columns = ", ".join("s." + c.strip() for c in SHOP_COLUMNS.split(","))
    rows = await db.fetchall(
        f"SELECT {columns}, m.role FROM shops s JOIN memberships m ON m.shop_id = s.id "
        "WHERE m.user_id = ? ORDER BY s.id",
        (user_id,),
    )
    return [(shop_from_row(r), str(r["role"])) for r in rows]


async def set_route(
    db: Database,
    shop_id: int,
    chat_id: int | None,
    brought_by: int | None,
    actor: int,
    chat_title: str = "",
) -> bool:
    """Sends the shop's alerts to a group (``chat_id``) or back to private chats (None), and
    tells the owners other than ``actor``; returns whether anything changed."""
    async with db.transaction() as conn:
        async with conn.execute(
            "UPDATE shops SET alert_chat_id = ?, alert_chat_by = ?, updated_at = ? "
            "WHERE id = ? AND (alert_chat_id IS NOT ? OR alert_chat_by IS NOT ?)",
            (chat_id, brought_by, time.time(), shop_id, chat_id, brought_by),
        ) as cur:
            changed = cur.rowcount > 0
        if changed:
            await _tell_route(conn, shop_id, actor, chat_id, chat_title, brought_by)
    return changed


async def _tell_route(
    conn: Conn,
    shop_id: int,
    actor: int,
    chat_id: int | None,
    chat_title: str,
    brought_by: int | None,
    removed: int | None = None,
) -> None:
    event = RouteChanged(
        actor=actor,
        by_name=await display_name(conn, actor),
        to="group" if chat_id is not None else "private",
        chat_title=chat_title,
        for_name=(
            await display_name(conn, brought_by)
            if brought_by is not None and brought_by != actor
            else ""
        ),
        removed_name=await display_name(conn, removed) if removed is not None else "",
    )
    await add_events(conn, shop_id, [notice(event)], batch="team", catch_up=False)


async def request_route(
    db: Database, shop_id: int, member: int, chat_id: int, chat_title: str
) -> None:
    """A member asks the owners to send the shop's alerts to a group: each owner gets buttons."""
    async with db.transaction() as conn:
        event = notice(
            RouteRequest(
                actor=member,
                by_name=await display_name(conn, member),
                chat_id=chat_id,
                chat_title=chat_title,
            )
        )
        await add_events(conn, shop_id, [event], batch="team", catch_up=False)


async def was_requested(
    db: Database, shop_id: int, member: int, chat_id: int, since: float = 0.0
) -> bool:
    """Whether the member did ask (since then) for the shop's alerts in that chat: buttons can
    be forged, and one request at a time is enough for the owners."""
    # The payload is matched here rather than in SQL (json_extract is SQLite's alone): a shop
    # has a handful of route requests at most.
    rows = await db.fetchall(
        "SELECT payload FROM events WHERE shop_id = ? AND kind = ? AND created_at >= ?",
        (shop_id, RouteRequest.kind, since),
    )
    for row in rows:
        try:
            event = from_json(RouteRequest.kind, row[0])
        except EventError:
            continue
        if isinstance(event, RouteRequest) and (event.actor, event.chat_id) == (member, chat_id):
            return True
    return False


async def set_private_copy(db: Database, shop_id: int, user_id: int, on: bool = True) -> bool:
    """The member gets the shop's alerts in their own private chat too (or no longer, ``on``
    False), and the owners are told who; True if it changed."""
    async with db.transaction() as conn:
        async with conn.execute(
            "UPDATE memberships SET private_alerts = ? "
            "WHERE shop_id = ? AND user_id = ? AND role = 'member' AND private_alerts = ?",
            (int(on), shop_id, user_id, int(not on)),
        ) as cur:
            changed = cur.rowcount > 0
        if changed:
            event = notice(
                RouteChanged(
                    actor=user_id,
                    by_name=await display_name(conn, user_id),
                    copy="on" if on else "off",
                )
            )
            await add_events(conn, shop_id, [event], batch="team", catch_up=False)
    return changed


async def private_copies(db: Database, user_id: int) -> list[Shop]:
    """The shops whose alerts the member gets a private copy of."""
    columns = ", ".join("s." + c.strip() for c in SHOP_COLUMNS.split(","))
    rows = await db.fetchall(
        f"SELECT {columns} FROM shops s JOIN memberships m ON m.shop_id = s.id "
        "WHERE m.user_id = ? AND m.role = 'member' AND m.private_alerts = 1 ORDER BY s.id",
        (user_id,),
    )
    return [shop_from_row(r) for r in rows]


async def remove_member(db: Database, shop_id: int, user_id: int, actor: int) -> bool:
    """A member leaves (``actor`` is them) or is removed by an owner; with them go every route
    they brought and every alert still waiting for them, and the owners are told."""
    async with db.transaction() as conn:
        async with conn.execute(
            "DELETE FROM memberships WHERE shop_id = ? AND user_id = ? AND role = 'member'",
            (shop_id, user_id),
        ) as cur:
            if cur.rowcount == 0:
                return False
        await conn.execute(
            "UPDATE deliveries SET state = 'dropped', error = 'member removed' "
            f"WHERE user_id = ? AND state IN ({OPEN}) "
            "AND event_id IN (SELECT id FROM events WHERE shop_id = ?)",
            (user_id, shop_id),
        )
        async with conn.execute(
            "SELECT alert_chat_id FROM shops WHERE id = ? AND alert_chat_by = ?",
            (shop_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return True
        await _back_to_private(conn, shop_id, int(row[0]))
        await _tell_route(conn, shop_id, actor, None, "", None, removed=user_id)
    return True


async def _back_to_private(conn: Conn, shop_id: int, group: int) -> None:
    """The shop's alerts leave the group for private chats, those still waiting included: their
    events are routed again, and the dropped rows keep the group from getting them twice."""
    await conn.execute(
        "UPDATE events SET routed = 0 WHERE shop_id = ? AND id IN (SELECT event_id FROM "
        f"deliveries WHERE chat_id = ? AND state IN ({OPEN}))",
        (shop_id, group),
    )
    await conn.execute(
        "UPDATE deliveries SET state = 'dropped', error = 'route removed' "
        f"WHERE chat_id = ? AND state IN ({OPEN}) "
        "AND event_id IN (SELECT id FROM events WHERE shop_id = ?)",
        (group, shop_id),
    )
    await conn.execute(
        "UPDATE shops SET alert_chat_id = NULL, alert_chat_by = NULL, updated_at = ? WHERE id = ?",
        (time.time(), shop_id),
    )


async def group_gone(db: Database, chat_id: int, title: str, actor: int) -> int:
    """The bot was removed from a group: the shops whose alerts went there send them to private
    chats again (rather than nowhere), and their owners are told; returns how many."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT id FROM shops WHERE alert_chat_id = ?", (chat_id,)) as cur:
            shops = [int(r[0]) for r in await cur.fetchall()]
        for shop_id in shops:
            await _back_to_private(conn, shop_id, chat_id)
            # An owner who removed the bot knows; the others are told.
            event = notice(RouteChanged(actor=actor, to="private", gone=True, chat_title=title))
            await add_events(conn, shop_id, [event], batch="team", catch_up=False)
    return len(shops)
