"""/stock as a seller reads it: the message and the XLSX cells, against known ground truth.

The snapshot is stored by the sync engine's own `replace_stock`, the orders by the same upserts
the engine uses; the bot answers through the real dispatcher and the fake Bot API."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from bot.rows import NewStock
from bot.store.users import ensure_user, update_user
from bot.sync.rows import replace_stock
from bot.wb.models import parse_stock
from tests.fakes.wb import SPEC_REMAINS_ROW
from tests.reports.conftest import say
from tests.reports.seed import make_shop, order, store_rows

USER = 710
VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")  # UTC+10: an "as of" in Moscow or UTC would show


def stock_row(nm_id: int, warehouse: str, quantity: int, barcode: str = "") -> NewStock:
    return NewStock(
        nm_id=nm_id,
        barcode=barcode or f"bc-{nm_id}",
        tech_size="0",
        vendor_code=f"ART-{nm_id}",
        brand="Бренд",
        subject="Платья",
        warehouse=warehouse,
        quantity=quantity,
    )


async def seed(app, language: str = "en"):
    """nm 11: 7 orders in 14 days, 5 in stock (3 + 2 of two barcodes) → 10 days of cover;
    nm 12: 28 orders, 40 in stock → 20 days; nm 13: 9 in stock, never ordered. An order 15 days
    old is outside the window."""
    await ensure_user(app.db, USER, language, "Europe/Moscow")
    await update_user(app.db, USER, timezone="Asia/Vladivostok")
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    now = datetime.now(UTC)
    orders = [
        order(f"a{i}", now - timedelta(days=i * 2, hours=1), 100, nm_id=11) for i in range(7)
    ]
    orders += [
        order(f"b{i}", now - timedelta(hours=i * 11 + 1), 100, nm_id=12, warehouse="Казань")
        for i in range(28)
    ]
    orders.append(order("old", now - timedelta(days=15), 100, nm_id=11))
    await store_rows(app.db, shop.id, orders)
    async with app.db.transaction() as conn:
        await replace_stock(
            conn,
            shop.id,
            [
                stock_row(11, "Коледино", 3, "bc-11a"),
                stock_row(11, "Коледино", 2, "bc-11b"),
                stock_row(12, "Казань", 40),
                stock_row(13, "Коледино", 9),
            ],
        )
    return shop


def sheet_rows(tg) -> list[tuple]:
    body = tg.calls_of("sendDocument", USER)[-1].files["document"][1]
    book = openpyxl.load_workbook(io.BytesIO(body))
    return list(book.worksheets[0].iter_rows(min_row=2, values_only=True))


async def test_stock_shows_quantity_cover_and_orders_as_of_the_users_time(app, tg):
    await seed(app)
    await say(app, tg, USER, "/stock")
    now_local = datetime.now(VLADIVOSTOK)
    text = next(t for t in tg.texts(USER) if "stock and days of cover" in t)
    lines = text.splitlines()
    assert lines[1] == "ART-11 (Платья) · Коледино: 5 · orders in 14 days: 7 · 10 days"
    assert lines[2] == "ART-12 (Платья) · Казань: 40 · orders in 14 days: 28 · 20 days"
    assert lines[3] == "ART-13 (Платья) · Коледино: 9 · no orders in 14 days"
    as_of = next(line for line in lines if line.startswith("Stock as of "))
    assert as_of.endswith(now_local.strftime("%H:%M")), as_of
    assert "1970" not in text
    assert sheet_rows(tg) == [
        (11, "ART-11", "Платья", "Коледино", 5, 7, 10.0),
        (12, "ART-12", "Платья", "Казань", 40, 28, 20.0),
        (13, "ART-13", "Платья", "Коледино", 9, 0, None),
    ]


async def test_stock_in_russian_says_days_in_agreement_with_the_number(app, tg):
    await seed(app, language="ru")
    await say(app, tg, USER, "/stock", language="ru")
    text = tg.texts(USER)[-2]
    assert "ART-11 (Платья) · Коледино: 5 · заказов за 14 дней: 7 · 10 дней" in text
    assert "ART-12 (Платья) · Казань: 40 · заказов за 14 дней: 28 · 20 дней" in text
    assert " 0,0 дн" not in text and "1970" not in text


async def test_aggregated_warehouses_read_as_one_product_with_its_orders(app, tg):
    """267 on the shelves (not 534 with the "total" row, nor 285 with goods in transit), one
    line for the product, and the orders that name real warehouses count for its cover."""
    await ensure_user(app.db, USER, "en", "Europe/Moscow")
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    now = datetime.now(UTC)
    await store_rows(
        app.db,
        shop.id,
        [
            order(f"k{i}", now - timedelta(hours=i * 12 + 1), 100, nm_id=183804172)
            for i in range(28)  # from "Коледино", as orders still say: 2 a day
        ],
    )
    parsed = parse_stock([SPEC_REMAINS_ROW])  # the spec's example
    async with app.db.transaction() as conn:
        await replace_stock(conn, shop.id, parsed.rows)
    await say(app, tg, USER, "/stock")
    text = tg.texts(USER)[-2]
    product = [line for line in text.splitlines() if "41058" in line]
    assert product == [
        "41058/прозрачный (Фотоальбомы) · Склад WB РФ 134, Минск 123, Склад WB СГТ РФ 10: 267"
        " · orders in 14 days: 28 · 134 days"
    ]
    assert "В пути" not in text and "Всего" not in text
    assert sheet_rows(tg) == [
        (
            183804172,
            "41058/прозрачный",
            "Фотоальбомы",
            "Склад WB РФ 134, Минск 123, Склад WB СГТ РФ 10",
            267,
            28,
            133.5,
        )
    ]
