"""Puts a connected shop into a bot's database before the bot process starts, the way
/connect would, so the sync tests do not depend on the chat flow."""

from __future__ import annotations

from pathlib import Path

from bot.crypto import Keyring, new_key, parse_keys
from bot.store import Database
from bot.store.shops import NewToken, connect_shop
from bot.store.users import ensure_user
from bot.sync.plan import plan_shop
from bot.wb.token import inspect_token


def master_key() -> str:
    return new_key()


async def seed_shop(data_dir: Path, master: str, token: str, user_id: int, scale: float) -> int:
    info = inspect_token(token)
    mask = 0
    for category in info.categories:
        mask |= 1 << int(category)
    db = Database(data_dir / "wbpulse.sqlite3")
    await db.open()
    try:
        await ensure_user(db, user_id, "en", "Europe/Moscow")
        shop, _ = await connect_shop(
            db,
            Keyring(parse_keys(master)),
            user_id,
            NewToken(
                info.seller_id or "",
                "Seeded shop",
                int(info.token_type),
                mask,
                info.read_only,
                info.expires_at.timestamp() if info.expires_at else None,
            ),
            token,
        )
        await plan_shop(db, shop, scale)
        return shop.id
    finally:
        await db.close()
