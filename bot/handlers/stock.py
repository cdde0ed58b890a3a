"""/stock: stock per product and warehouse with days of cover, riskiest first, and an XLSX."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import local_today, zone_of
from bot.handlers.report_choice import (
    StockChoice,
    Turn,
    chosen_shops,
    in_turn,
    only_shop,
    send_rendered,
)
from bot.handlers.shop_texts import no_data_note
from bot.handlers.workbook_labels import xlsx_headers
from bot.i18n import language_for
from bot.reports import text
from bot.reports.gate import ReportGate
from bot.reports.stock import (
    COVER_WINDOW_DAYS,
    StockLine,
    days_of_cover,
    riskiest_first,
    where,
)
from bot.reports.xlsx import render_stock_xlsx
from bot.store import stock
from bot.store.db import Database
from bot.store.polls import get_poll
from bot.store.shops import Shop
from bot.store.users import User
from bot.wb.methods import Category

router = Router(name="stock")


def being_prepared() -> str:
    return _("Your stock report is being prepared: it comes here as soon as it is ready.")


#: The gate's claim for /stock: one per user at a time, beside their /report.
STOCK = Turn("stock", being_prepared)


@router.message(Command("stock"))
async def stock_command(
    message: Message, db: Database, user: User, report_gate: ReportGate
) -> None:
    shops = await only_shop(message, db, user, lambda shop: StockChoice(shop=shop))
    if shops is None:
        return
    await in_turn(
        message,
        report_gate,
        user.id,
        STOCK,
        lambda: send_stock(message, db, user, shops, shops[0].name, report_gate),
    )


@router.callback_query(StockChoice.filter())
async def stock_choice(
    query: CallbackQuery,
    callback_data: StockChoice,
    db: Database,
    user: User,
    report_gate: ReportGate,
) -> None:
    picked = await chosen_shops(query, db, user, callback_data.shop)
    if picked is None:
        return
    message, shops, label = picked
    await in_turn(
        query,
        report_gate,
        user.id,
        STOCK,
        lambda: send_stock(message, db, user, shops, label, report_gate),
    )


async def send_stock(
    message: Message, db: Database, user: User, shops: list[Shop], label: str, gate: ReportGate
) -> None:
    with_stock = [s for s in shops if s.has_category(int(Category.ANALYTICS))]
    if not with_stock:
        await message.answer(
            _(
                "Stock comes from WB's Analytics category, which this shop's token does not "
                "have. Create a token with Analytics ticked and send it with /connect."
            )
        )
        return
    zone = zone_of(user.timezone)
    now = datetime.now(UTC)
    records = await stock.stock_with_orders(
        db, [s.id for s in with_stock], now - timedelta(days=COVER_WINDOW_DAYS)
    )
    lines = riskiest_first(
        [
            StockLine(
                nm_id=r.nm_id,
                vendor_code=r.vendor_code,
                subject=r.subject,
                warehouse=where(r.warehouses),
                quantity=r.quantity,
                orders_14d=r.orders_14d,
                cover=days_of_cover(r.quantity, r.orders_14d),
            )
            for r in records
        ]
    )
    updated = max((r.updated_at for r in records), default=None)
    lang = language_for(user.language, user.tg_language)
    body = text.render_stock(lines, label, updated, zone, lang, local_today(zone, now), _)
    missing = [s.name for s in shops if s not in with_stock]
    if missing:
        body += "\n" + _("No stock for {shops}: their tokens lack the Analytics category.").format(
            shops=html.escape(", ".join(missing))
        )
    polls = [await get_poll(db, s.id, "stock") for s in with_stock]
    for shop, poll in zip(with_stock, polls, strict=True):
        note = no_data_note(poll, zone) if records else None
        if note:
            body += "\n" + (f"{html.escape(shop.name)}: {note}" if len(with_stock) > 1 else note)
    if not records:
        if any(p is not None and p.baseline_done for p in polls):
            # WB answered (an empty report, or 204 "no data") and nothing was ever known.
            body += "\n" + _("WB lists none of your goods at its warehouses.")
        else:
            body += "\n" + _(
                "WB has not sent a stock report yet; it comes about every 30 minutes."
            )
    await message.answer(body)
    if lines:
        headers = xlsx_headers()
        await send_rendered(
            message,
            gate,
            lambda: render_stock_xlsx(lines, headers, lang),
            f"wbpulse_stock_{local_today(zone, now).isoformat()}.xlsx",
            _("Excel: stock per product, where it lies, and days of cover."),
        )
