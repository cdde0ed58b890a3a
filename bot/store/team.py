"""Who belongs to which shop, as /shops, /members and /disconnect need it."""

from __future__ import annotations

from bot.store.db import Database
from bot.store.shops import SHOP_COLUMNS, Shop, shop_from_row


async def shops_with_roles(db: Database, user_id: int) -> list[tuple[Shop, str]]:
    """Every shop the user belongs to, disconnected ones included (their data is kept)."""
    columns = ", ".join("s." + c.strip() for c in SHOP_COLUMNS.split(","))
    rows = await db.fetchall(
        f"SELECT {columns}, m.role FROM shops s JOIN memberships m ON m.shop_id = s.id "
        "WHERE m.user_id = ? ORDER BY s.id",
        (user_id,),
    )
    return [(shop_from_row(r), str(r["role"])) for r in rows]
