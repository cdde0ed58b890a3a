"""Builds WB rows and stores them the way the sync engine does (upserts + rollups, one
transaction), so report tests start from known ground truth."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.crypto import Keyring
from bot.store import Database
from bot.store.rollups import refresh_rollups
from bot.store.shops import NewToken, Shop, connect_shop
from bot.store.users import ensure_user
from bot.sync.rows import upsert_orders, upsert_sales
from bot.timeutil import utc_to_msk_str
from bot.wb.methods import Category
from bot.wb.models import Order, Sale

ALL_CATEGORIES = (1 << Category.STATISTICS) | (1 << Category.ANALYTICS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def order(
    srid: str,
    at: datetime,
    price: float,
    nm_id: int = 1,
    *,
    article: str = "",
    warehouse: str = "Коледино",
    region: str = "Москва",
    cancelled_at: datetime | None = None,
) -> Order:
    return Order(
        srid=srid,
        date=at,
        last_change_raw=utc_to_msk_str(cancelled_at or at),
        last_change=cancelled_at or at,
        nm_id=nm_id,
        supplier_article=article or f"ART-{nm_id}",
        barcode="",
        tech_size="0",
        subject="Платья",
        brand="",
        category="",
        warehouse_name=warehouse,
        warehouse_type="Склад WB",
        region_name=region,
        oblast_name="",
        country_name="Россия",
        total_price=price * 2,
        discount_percent=50,
        spp=0,
        finished_price=price * 0.9,
        price_with_disc=price,
        is_cancel=cancelled_at is not None,
        cancel_date=cancelled_at,
        g_number="",
        income_id=None,
        sticker="",
    )


def sale(sale_id: str, at: datetime, price: float, for_pay: float, nm_id: int = 1) -> Sale:
    """`S…` is a buyout, `R…` a return (WB writes a return's money as negative)."""
    sign = -1 if sale_id.startswith("R") else 1
    return Sale(
        sale_id=sale_id,
        srid=f"srid-{sale_id}",
        date=at,
        last_change_raw=utc_to_msk_str(at),
        last_change=at,
        nm_id=nm_id,
        supplier_article=f"ART-{nm_id}",
        barcode="",
        tech_size="0",
        subject="Платья",
        brand="",
        category="",
        warehouse_name="Коледино",
        warehouse_type="Склад WB",
        region_name="Москва",
        oblast_name="",
        country_name="Россия",
        total_price=sign * price * 2,
        discount_percent=50,
        spp=0,
        finished_price=sign * price * 0.9,
        price_with_disc=sign * price,
        for_pay=sign * for_pay,
        payment_sale_amount=0,
        g_number="",
        is_return=sign < 0,
    )


async def store_rows(
    db: Database, shop_id: int, orders: list[Order], sales: list[Sale] | None = None
) -> None:
    async with db.transaction() as conn:
        changes = await upsert_orders(conn, shop_id, orders)
        _new, sale_hours = await upsert_sales(conn, shop_id, sales or [])
        await refresh_rollups(conn, shop_id, changes.hours | sale_hours)


async def make_shop(
    db: Database,
    keyring: Keyring,
    owner_id: int,
    name: str = "Моя лавка",
    categories: int = ALL_CATEGORIES,
) -> Shop:
    await ensure_user(db, owner_id, "en", "Europe/Moscow")
    info = NewToken(
        seller_id=f"seller-{name}-{owner_id}",
        name=name,
        token_type=3,
        categories=categories,
        read_only=True,
        expires_at=time.time() + 86400 * 100,
    )
    shop, _new = await connect_shop(db, keyring, owner_id, info, f"token-{name}")
    return shop


async def mark_polled(db: Database, shop_id: int, newest: datetime, ok_at: float) -> None:
    """What the sync engine leaves after a good poll of orders and sales."""
    for method in ("orders", "sales"):
        await db.write(
            "INSERT INTO polls(shop_id, method, next_due_at, last_ok_at, newest_change) "
            "VALUES (?, ?, 0, ?, ?) ON CONFLICT(shop_id, method) DO UPDATE SET "
            "last_ok_at = excluded.last_ok_at, newest_change = excluded.newest_change",
            (shop_id, method, ok_at, utc_to_msk_str(newest)),
        )
