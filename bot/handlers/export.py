"""The "All orders (XLSX)" button under /report's Excel file (bot.handlers.export_button):
every order of the report's shops and days as a file of its own, written off the event loop,
with a note while it is written. The shops are checked against the user's own again (a button
is client data)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from datetime import date, datetime, timedelta

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.handlers.export_button import OrdersExport
from bot.handlers.report_choice import Asked, Turn, being_prepared, period_in_turn
from bot.handlers.workbook_labels import xlsx_headers
from bot.money.view import order_estimates
from bot.reports import text
from bot.reports.export import EXPORT_LIMIT, export_file_name, render_orders_xlsx
from bot.reports.gate import ReportGate
from bot.store import orders as store
from bot.store.db import Database
from bot.store.users import User
from bot.timeutil import MSK

log = logging.getLogger(__name__)
router = Router(name="export")

#: The gate's claim for an export: one per user at a time, beside their /report.
EXPORT = Turn("export", being_prepared)
#: The note is edited at most this often while the file is written.
PROGRESS_SECONDS = 3.0


@router.callback_query(OrdersExport.filter())
async def export_orders(
    query: CallbackQuery,
    callback_data: OrdersExport,
    db: Database,
    user: User,
    report_gate: ReportGate,
) -> None:
    token = f"{callback_data.first}-{callback_data.last}"
    await period_in_turn(
        query, db, user, report_gate, EXPORT, callback_data.shops, token, send_export
    )


async def send_export(asked: Asked, db: Database, gate: ReportGate) -> None:
    message, period, lang = asked.message, asked.period, asked.lang
    days = f"{text.fmt_day(period.first, lang)} – {text.fmt_day(period.last, lang)}"
    writing = _("Writing every order of {days} into Excel…").format(days=days)
    note = await message.answer(writing)
    loop = asyncio.get_running_loop()
    shown = time.monotonic()

    def progress(count: int) -> None:  # in the writing thread
        nonlocal shown
        if time.monotonic() - shown >= PROGRESS_SECONDS:
            shown = time.monotonic()
            so_far = _("{count} so far.").format(count=text.fmt_int(count))
            edit = note.edit_text(f"{writing}\n{so_far}")
            asyncio.run_coroutine_threadsafe(_quietly(edit), loop)

    start, end = period.bounds(asked.zone, asked.now)
    # Read once, before the stream: the writing thread then prices each order in memory.
    estimates = await order_estimates(db, asked.shop_ids, _wb_day(end))
    orders = store.stream_raw_orders(db, asked.shop_ids, start, end, EXPORT_LIMIT)
    began = loop.time()
    async with gate.export():
        workbook, count = await asyncio.to_thread(
            render_orders_xlsx, orders, asked.zone, xlsx_headers(), lang, progress, estimates
        )
    if not count:
        await _quietly(note.edit_text(_("No orders on {days}.").format(days=days)))
        return
    caption = _("Every order of {days}: {count}.").format(days=days, count=text.fmt_int(count))
    if count >= EXPORT_LIMIT:
        caption += " " + _("An Excel sheet holds no more: these are the first.")
    await message.answer_document(
        BufferedInputFile(
            workbook, filename=export_file_name(asked.label, period.first, period.last)
        ),
        caption=caption,
    )
    await _quietly(note.delete())
    log.info("orders export: %d orders in %.3fs", count, loop.time() - began)


def _wb_day(end: datetime) -> date:
    """The last WB (Moscow) day of a span ending, exclusive, at ``end``."""
    return (end - timedelta(microseconds=1)).astimezone(MSK).date()


async def _quietly(call: Awaitable[object]) -> None:
    """An edit or delete of the note that may fail (deleted by the user, not modified)."""
    with contextlib.suppress(TelegramAPIError):
        await call
