"""Money handler tests use the shared dispatcher fixtures, plus a seller sending a file and a
shop with known products (two with Content cards, one known from stock only)."""

from __future__ import annotations

import io
import itertools

from aiogram.types import Update
from openpyxl import Workbook, load_workbook

from bot.store.shops import Shop
from bot.store.stock import upsert_products
from bot.wb.models import Card
from tests.alerts.conftest import put_stock
from tests.dispatch import app, press, say, tg
from tests.reports.seed import make_shop

__all__ = ["app", "press", "say", "tg"]

_ids = itertools.count(900_000)

HEADER = [
    "WB article (nmId)",
    "Seller's article",
    "Size",
    "Title",
    "Cost price, ₽",
    "Effective from (optional)",
]


async def send_file(
    app, tg, user_id: int, name: str, data: bytes, caption: str = "", **fields
) -> None:
    message = tg.user_document(user_id, name, data, caption=caption, **fields)
    await app.dp.feed_update(app.bot, Update(update_id=next(_ids), message=message))


def card(nm_id: int, article: str, title: str) -> Card:
    return Card(
        nm_id=nm_id,
        title=title,
        vendor_code=article,
        brand="Acme",
        subject="Платья",
        photo_url=None,
        sizes=(),
    )


async def shop_with_products(app, owner: int, name: str = "Лавка", first_nm: int = 11) -> Shop:
    """Cards DR-1 (nmId first_nm) and TS-2 (first_nm + 11); ART-<n> (first_nm + 22) known
    from stock only."""
    shop = await make_shop(app.db, app.keyring, owner, name)
    async with app.db.transaction() as conn:
        await upsert_products(
            conn,
            shop.id,
            [card(first_nm, "DR-1", "Платье синее"), card(first_nm + 11, "TS-2", "Футболка")],
        )
    await put_stock(app.db, shop.id, [(first_nm + 22, "0", "Коледино", 4)])
    return shop


def sheet_rows(data: bytes) -> list[list[object]]:
    """The first sheet's cells as values, row by row (as wide as the header)."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        rows = [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
        return [row + [None] * (len(rows[0]) - len(row)) for row in rows]
    finally:
        wb.close()


def workbook(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def last_document(tg, chat_id: int) -> bytes:
    sent = [c for c in tg.sent(chat_id) if c.method == "sendDocument"]
    assert sent, f"no file sent: {tg.texts(chat_id)}"
    return sent[-1].files["document"][1]


def button_data(tg, chat_id: int, message_id: int, label: str) -> str:
    """The callback data of the button whose text contains ``label`` on that message."""
    markup = (tg.message(chat_id, message_id) or {}).get("reply_markup", {})
    for row in markup.get("inline_keyboard", []):
        for b in row:
            if label in b["text"]:
                return b["callback_data"]
    raise AssertionError(f"no button {label!r} in {markup}")


def alert_text(tg) -> str:
    return tg.calls_of("answerCallbackQuery")[-1].params.get("text", "")
