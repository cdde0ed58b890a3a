"""Shops, their sealed WB tokens, and who may see them (members, with their alert choices)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields

from bot.crypto import CryptoError, Keyring, Sealed, aad_for
from bot.events import KeyConnected, Notice
from bot.store.db import Conn, Database, Row, marks
from bot.store.outbox import NewEvent, add_events


@dataclass(frozen=True)
class Shop:
    id: int
    seller_id: str
    name: str
    token_type: int | None
    token_categories: int
    token_read_only: bool
    token_expires_at: float | None
    token_fingerprint: str | None
    state: str
    dead_reason: str | None
    dead_at: float | None
    alert_chat_id: int | None
    baseline_done: bool
    connected_at: float

    def has_category(self, bit: int) -> bool:
        return bool(self.token_categories & (1 << bit))


@dataclass(frozen=True)
class NewToken:
    """What /connect learnt about a token; the token text itself travels separately."""

    seller_id: str
    name: str
    token_type: int
    categories: int
    read_only: bool
    expires_at: float | None


SHOP_COLUMNS = (
    "id, seller_id, name, token_type, token_categories, token_read_only, token_expires_at, "
    "token_fingerprint, state, dead_reason, dead_at, alert_chat_id, baseline_done, connected_at"
)


def notice(event: Notice) -> NewEvent:
    """An owner notice (bot/notify/team.py renders them), unique per moment (each change is
    told); its actor is not told."""
    now = time.time()
    return NewEvent(event, f"{event.actor}:{now:.6f}:{secrets.token_hex(4)}")


async def display_name(conn: Conn, user_id: int) -> str:
    """The name Telegram last showed for the user, else their id (never empty)."""
    async with conn.execute("SELECT display_name FROM users WHERE id = ?", (user_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row and row[0] else str(user_id)


async def tell_key_connected(
    conn: Conn, shop_id: int, user_id: int, shop_name: str, joined: bool
) -> None:
    """Tells the shop's owners (but the user) that the user brought a new key for it, and
    whether that made them a member just now."""
    async with conn.execute(
        "SELECT role FROM memberships WHERE shop_id = ? AND user_id = ?", (shop_id, user_id)
    ) as cur:
        row = await cur.fetchone()
    event = notice(
        KeyConnected(
            actor=user_id,
            by_name=await display_name(conn, user_id),
            role=str(row[0]) if row else "member",
            shop_name=shop_name,
            joined=joined,
        )
    )
    await add_events(conn, shop_id, [event], batch="team", catch_up=False)


def fingerprint(token: str) -> str:
    return hashlib.sha256(b"wbpulse-fp|" + token.encode()).hexdigest()[:16]


def shop_from_row(row: Row, prefix: str = "") -> Shop:
    """A shop from a row of :data:`SHOP_COLUMNS`, named ``prefix + column`` in a join."""
    values = {f.name: row[prefix + f.name] for f in fields(Shop)}
    for flag in ("token_read_only", "baseline_done"):
        values[flag] = bool(values[flag])
    return Shop(**values)


async def connect_shop(
    db: Database, keyring: Keyring, owner_id: int, info: NewToken, token: str
) -> tuple[Shop, bool]:
    """Stores a shop with its sealed token; the same seller again only replaces the key.

    Returns the shop and whether it is new. Data, cursors and sent alerts of a known shop stay.
    """
    now = time.time()
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT id FROM shops WHERE seller_id = ?", (info.seller_id,)
        ) as cur:
            row = await cur.fetchone()
        is_new = row is None
        if row is None:
            async with conn.execute(
                "INSERT INTO shops(seller_id, name, connected_at, updated_at) VALUES (?,?,?,?) "
                "RETURNING id",
                (info.seller_id, info.name, now, now),
            ) as cur:
                created = await cur.fetchone()
                shop_id = int(created[0]) if created else 0
        else:
            shop_id = int(row[0])
        sealed = keyring.seal(token, aad_for(shop_id, info.seller_id))
        await conn.execute(
            "UPDATE shops SET name = ?, token_key_id = ?, token_nonce = ?, token_sealed = ?, "
            "token_fingerprint = ?, token_type = ?, token_categories = ?, token_read_only = ?, "
            "token_expires_at = ?, state = 'active', dead_reason = NULL, dead_at = NULL, "
            "updated_at = ? WHERE id = ?",
            (
                info.name,
                sealed.key_id,
                sealed.nonce,
                sealed.ciphertext,
                fingerprint(token),
                info.token_type,
                info.categories,
                int(info.read_only),
                info.expires_at,
                now,
                shop_id,
            ),
        )
        # Whoever proves they hold a key for the shop is at least a member of it; an owner only
        # of a shop nobody owns. A key proves access to the WB cabinet, not who runs the shop
        # here: the owners stay, their new key takes effect, and they are told who brought it.
        async with conn.execute(
            "SELECT 1 FROM memberships WHERE shop_id = ? AND role = 'owner'", (shop_id,)
        ) as cur:
            owned = await cur.fetchone() is not None
        async with conn.execute(
            "SELECT 1 FROM memberships WHERE shop_id = ? AND user_id = ?", (shop_id, owner_id)
        ) as cur:
            joined = await cur.fetchone() is None
        await conn.execute(
            "INSERT INTO memberships(user_id, shop_id, role, created_at) VALUES (?,?,?,?) "
            "ON CONFLICT(user_id, shop_id) DO UPDATE SET role = CASE WHEN ? THEN memberships.role "
            "ELSE 'owner' END",
            (owner_id, shop_id, "member" if owned else "owner", now, owned),
        )
        if not is_new:
            await tell_key_connected(conn, shop_id, owner_id, info.name, joined)
        shop = await _shop_in(conn, shop_id)
    return shop, is_new


async def _shop_in(conn: Conn, shop_id: int) -> Shop:
    """The shop as the caller's transaction sees it (its own writes included)."""
    async with conn.execute(f"SELECT {SHOP_COLUMNS} FROM shops WHERE id = ?", (shop_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise LookupError(f"shop {shop_id} is not in the transaction that wrote it")
    return shop_from_row(row)


async def get_shop(db: Database, shop_id: int) -> Shop | None:
    row = await db.fetchone(f"SELECT {SHOP_COLUMNS} FROM shops WHERE id = ?", (shop_id,))
    return shop_from_row(row) if row else None


async def shops_of_user(db: Database, user_id: int) -> list[tuple[Shop, str]]:
    rows = await db.fetchall(
        f"SELECT {', '.join('s.' + c.strip() for c in SHOP_COLUMNS.split(','))}, m.role "
        "FROM shops s JOIN memberships m ON m.shop_id = s.id WHERE m.user_id = ? "
        "AND s.state != 'disconnected' ORDER BY s.id",
        (user_id,),
    )
    return [(shop_from_row(r), r["role"]) for r in rows]


async def active_shops(db: Database) -> list[Shop]:
    rows = await db.fetchall(f"SELECT {SHOP_COLUMNS} FROM shops WHERE state = 'active'")
    return [shop_from_row(r) for r in rows]


async def role_of(db: Database, user_id: int, shop_id: int) -> str | None:
    row = await db.fetchone(
        "SELECT role FROM memberships WHERE user_id = ? AND shop_id = ?", (user_id, shop_id)
    )
    return str(row[0]) if row else None


async def members(db: Database, shop_id: int) -> list[tuple[int, str, str | None]]:
    """(user id, role, name as Telegram last showed it) for everyone who sees the shop."""
    rows = await db.fetchall(
        "SELECT m.user_id, m.role, u.display_name FROM memberships m "
        "LEFT JOIN users u ON u.id = m.user_id WHERE m.shop_id = ? ORDER BY m.created_at",
        (shop_id,),
    )
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]


async def open_token(db: Database, keyring: Keyring, shop_id: int) -> str | None:
    row = await db.fetchone(
        "SELECT seller_id, token_key_id, token_nonce, token_sealed FROM shops WHERE id = ?",
        (shop_id,),
    )
    if row is None:
        return None
    return open_sealed(keyring, shop_id, row["seller_id"], sealed_from_row(row))


def sealed_from_row(row: Row, prefix: str = "") -> Sealed | None:
    """The sealed key in a row's token_key_id, token_nonce, token_sealed (None if none)."""
    if row[prefix + "token_sealed"] is None:
        return None
    return Sealed(
        row[prefix + "token_key_id"],
        bytes(row[prefix + "token_nonce"]),
        bytes(row[prefix + "token_sealed"]),
    )


def open_sealed(
    keyring: Keyring, shop_id: int, seller_id: str, sealed: Sealed | None
) -> str | None:
    """The WB token of a shop from its sealed key (raises CryptoError if it does not open)."""
    return None if sealed is None else keyring.open(sealed, aad_for(shop_id, seller_id))


# A shop that an old version marked dead because its sealed key did not open (reason "unknown",
# as for a 401 WB gave no reason for) is polled again under this reason: a working key brings it
# back and the owner is told, a 401 puts it back to dead without telling the owner twice.
RECHECK = "recheck"
SAMPLES_PER_KEY = 3


@dataclass(frozen=True)
class SealedCheck:
    """What the configured master keys open: rows with a sealed token, and how many of them
    are sealed under a key whose sample rows opened."""

    sealed: int
    opened: int
    missing_key_ids: tuple[str, ...]  # key ids named by rows that no configured key opens


async def count_sealed(db: Database) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM shops WHERE token_sealed IS NOT NULL")
    return int(row[0]) if row else 0


async def check_sealed(db: Database, keyring: Keyring) -> SealedCheck:
    """Opens a few rows per sealing key: a key id names the key, a sample proves it opens."""
    groups = await db.fetchall(
        "SELECT token_key_id, COUNT(*) FROM shops WHERE token_sealed IS NOT NULL "
        "GROUP BY token_key_id"
    )
    sealed = opened = 0
    missing = []
    for key_id, count in groups:
        sealed += int(count)
        rows = await db.fetchall(
            "SELECT id, seller_id, token_key_id, token_nonce, token_sealed FROM shops "
            "WHERE token_sealed IS NOT NULL AND token_key_id = ? ORDER BY id LIMIT ?",
            (key_id, SAMPLES_PER_KEY),
        )
        if any(_opens(keyring, row) for row in rows):
            opened += int(count)
        else:
            missing.append(str(key_id))
    return SealedCheck(sealed, opened, tuple(missing))


def _opens(keyring: Keyring, row: Row) -> bool:
    try:
        open_sealed(keyring, int(row["id"]), row["seller_id"], sealed_from_row(row))
    except CryptoError:
        return False
    return True


async def recheck_crypto_dead(db: Database, keyring: Keyring) -> int:
    """Puts back to polling the dead shops whose key opens now; returns how many."""
    rows = await db.fetchall(
        "SELECT id, seller_id, token_key_id, token_nonce, token_sealed FROM shops "
        "WHERE state = 'dead' AND dead_reason = 'unknown' AND token_sealed IS NOT NULL"
    )
    ids = [int(row["id"]) for row in rows if _opens(keyring, row)]
    if not ids:
        return 0
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE shops SET state = 'active', dead_reason = ?, updated_at = ? "
            "WHERE id = ? AND state = 'dead' AND dead_reason = 'unknown'",
            [(RECHECK, time.time(), shop_id) for shop_id in ids],
        )
    return len(ids)


async def key_works_again(conn: Conn, shop: Shop) -> bool:
    """Ends a recheck whose poll succeeded (True once). The old "key stopped working" event is
    dropped, so a real revocation later is told again and an undelivered one never goes."""
    async with conn.execute(
        "UPDATE shops SET dead_reason = NULL, dead_at = NULL, updated_at = ? "
        "WHERE id = ? AND state = 'active' AND dead_reason = ?",
        (time.time(), shop.id, RECHECK),
    ) as cur:
        if cur.rowcount == 0:
            return False
    await conn.execute(
        "DELETE FROM events WHERE shop_id = ? AND kind = 'token_dead' AND ref = ?",
        (shop.id, shop.token_fingerprint or "key"),
    )
    return True


async def mark_dead(
    db: Database, shop_id: int, reason: str, fingerprint: str | None = None
) -> bool:
    """Returns True only the first time, so the owner is told once. With ``fingerprint``, only
    while the shop still holds that key: a poll that started with a key since replaced must
    not kill the new one."""
    changed = await db.write(
        "UPDATE shops SET state = 'dead', dead_reason = ?, dead_at = ?, updated_at = ? "
        "WHERE id = ? AND state = 'active' "
        "AND (CAST(? AS TEXT) IS NULL OR token_fingerprint = ?)",
        (reason, time.time(), time.time(), shop_id, fingerprint, fingerprint),
    )
    return changed > 0


async def disconnect(db: Database, shop_id: int, wipe: bool) -> None:
    """Deletes the sealed key and stops polling; the data stays unless the user wipes it."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM polls WHERE shop_id = ?", (shop_id,))
        await conn.execute("DELETE FROM invites WHERE shop_id = ?", (shop_id,))
        if wipe:
            for table in (
                "orders",
                "sales",
                "stock",
                "products",
                "rollup_hours",
                "rollup_products",
                "rollup_product_weeks",
                "rollup_warehouses",
                "rollup_regions",
                "wb_budget",
                "stock_mutes",
                "events",
                "finance_rows",
                "finance_sums",
                "finance_periods",
            ):
                await conn.execute(f"DELETE FROM {table} WHERE shop_id = ?", (shop_id,))
            await conn.execute("DELETE FROM memberships WHERE shop_id = ?", (shop_id,))
            await conn.execute("DELETE FROM shops WHERE id = ?", (shop_id,))
        else:
            await conn.execute(
                "UPDATE shops SET state = 'disconnected', token_key_id = NULL, "
                "token_nonce = NULL, token_sealed = NULL, baseline_done = 0, updated_at = ? "
                "WHERE id = ?",
                (time.time(), shop_id),
            )


async def create_invite(db: Database, shop_id: int, created_by: int, ttl: float) -> str:
    code = secrets.token_urlsafe(12)
    await db.write(
        "INSERT INTO invites(code, shop_id, created_by, expires_at) VALUES (?,?,?,?)",
        (code, shop_id, created_by, time.time() + ttl),
    )
    return code


async def redeem_invite(db: Database, code: str, user_id: int) -> Shop | None:
    """A one-time code: the first user to use it before it expires joins the shop."""
    now = time.time()
    async with db.transaction() as conn:
        async with conn.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE code = ? AND used_by IS NULL "
            "AND expires_at > ? RETURNING shop_id",
            (user_id, now, code, now),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        await conn.execute(
            "INSERT INTO memberships(user_id, shop_id, role, created_at) VALUES (?,?,'member',?) "
            "ON CONFLICT(user_id, shop_id) DO NOTHING",
            (user_id, int(row[0]), now),
        )
        return await _shop_in(conn, int(row[0]))


async def set_alert_chat(db: Database, shop_id: int, chat_id: int | None) -> None:
    await db.write(
        "UPDATE shops SET alert_chat_id = ?, updated_at = ? WHERE id = ?",
        (chat_id, time.time(), shop_id),
    )


async def reseal_all(db: Database, keyring: Keyring) -> int:
    """Re-seals every token under the newest key (`python -m bot rotate-keys`)."""
    count = 0
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT id, seller_id, token_key_id, token_nonce, token_sealed FROM shops "
            "WHERE token_sealed IS NOT NULL"
        ) as cur:
            rows = list(await cur.fetchall())
        for row in rows:
            aad = aad_for(row["id"], row["seller_id"])
            plain = keyring.open(
                Sealed(row["token_key_id"], bytes(row["token_nonce"]), bytes(row["token_sealed"])),
                aad,
            )
            sealed = keyring.seal(plain, aad)
            await conn.execute(
                "UPDATE shops SET token_key_id = ?, token_nonce = ?, token_sealed = ? "
                "WHERE id = ?",
                (sealed.key_id, sealed.nonce, sealed.ciphertext, row["id"]),
            )
            count += 1
    return count


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


async def stock_recipients(db: Database, shop_id: int) -> list[Recipient]:
    """Members of an active shop with the low-stock switch on."""
    rows = await db.fetchall(
        "SELECT u.id, u.stock_horizon_days, u.timezone FROM memberships m "
        "JOIN users u ON u.id = m.user_id JOIN shops s ON s.id = m.shop_id "
        "WHERE m.shop_id = ? AND s.state = 'active' AND u.alert_stock = 1 ORDER BY u.id",
        (shop_id,),
    )
    return [Recipient(int(r[0]), int(r[1]), str(r[2])) for r in rows]


async def expiring_shops(db: Database, before: float) -> list[ExpiringShop]:
    """Active shops whose key expires before `before`."""
    rows = await db.fetchall(
        "SELECT id, name, token_fingerprint, token_expires_at FROM shops "
        "WHERE state = 'active' AND token_expires_at IS NOT NULL AND token_expires_at < ? "
        "AND token_fingerprint IS NOT NULL ORDER BY id",
        (before,),
    )
    return [ExpiringShop(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


async def active_shops_of(db: Database, user_id: int) -> list[tuple[int, str]]:
    """(id, name) of the user's active shops."""
    rows = await db.fetchall(
        "SELECT s.id, s.name FROM shops s JOIN memberships m ON m.shop_id = s.id "
        "WHERE m.user_id = ? AND s.state = 'active' ORDER BY s.id",
        (user_id,),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def shop_names(db: Database, shop_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    rows = await db.fetchall(f"SELECT id, name FROM shops WHERE id IN ({marks(ids)})", ids)
    return {int(r[0]): str(r[1]) for r in rows}
