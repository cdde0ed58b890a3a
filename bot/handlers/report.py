"""/report: totals against the previous period as text, a chart and an Excel file.

Reads the store only (never WB). With several shops the user picks one, or all together, with
inline buttons (`ReportChoice`).
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import local_today
from bot.handlers.export_button import export_button
from bot.handlers.report_choice import (
    Asked,
    ReportChoice,
    Turn,
    being_prepared,
    command_asked,
    in_turn,
    period_in_turn,
    send_rendered,
)
from bot.handlers.report_data import load_report
from bot.handlers.workbook_labels import xlsx_headers
from bot.money.view import load_money
from bot.reports import money, text
from bot.reports.chart import render_chart
from bot.reports.gate import ReportGate
from bot.reports.xlsx import file_name, render_report_xlsx
from bot.store.db import Database
from bot.store.users import User

log = logging.getLogger(__name__)

#: The gate's claim for /report (its default kind).
REPORT = Turn("report", being_prepared)
router = Router(name="report")


@router.message(Command("report"))
async def report_command(
    message: Message, command: CommandObject, db: Database, user: User, report_gate: ReportGate
) -> None:
    asked = await command_asked(message, command, db, user, text.usage, ReportChoice)
    if asked is not None:
        await in_turn(
            message, report_gate, user.id, REPORT, lambda: send_report(asked, db, report_gate)
        )


@router.callback_query(ReportChoice.filter())
async def report_choice(
    query: CallbackQuery,
    callback_data: ReportChoice,
    db: Database,
    user: User,
    report_gate: ReportGate,
) -> None:
    await period_in_turn(
        query, db, user, report_gate, REPORT, callback_data.shop, callback_data.period, send_report
    )


async def send_report(asked: Asked, db: Database, gate: ReportGate) -> None:
    """Text first (it is what most people read), then the chart and the Excel file, each
    rendered in one of the gate's few slots."""
    message, period, lang, shop_ids = asked.message, asked.period, asked.lang, asked.shop_ids
    today = local_today(asked.zone, asked.now)
    began = asyncio.get_running_loop().time()
    data = await load_report(db, shop_ids, period, asked.zone, asked.now)
    if data.data_starts is not None:
        starts = data.data_starts.astimezone(asked.zone).date()
        if period.last < starts:
            await message.answer(
                _("There is no data for that period: the stored data starts on {day}.").format(
                    day=text.fmt_day(starts, lang)
                )
            )
            return
    view = await load_money(db, shop_ids, period.first, period.last)
    db_seconds = asyncio.get_running_loop().time() - began
    block = money.money_lines(view, lang, _)
    await message.answer(text.render_report(data, asked.label, lang, today, _, block))
    labels = (
        _("Orders per day"),
        _("Orders sum per day, ₽"),
        _("This period"),
        _("Previous period"),
    )
    await send_rendered(
        message,
        gate,
        lambda: render_chart(data.days, data.previous_days, labels),
        "report.png",
        _("Orders per day: this period against the previous one"),
        photo=True,
    )
    headers = xlsx_headers() | {"basis_total": money.basis(view.money, lang, _)}
    await send_rendered(
        message,
        gate,
        lambda: render_report_xlsx(data, headers, lang, view),
        file_name(asked.label, period.first, period.last),
        _("Excel: per day, per product and the profit per product."),
        export_button(asked.shops, period),
    )
    log.info(
        "report %s days=%d shops=%d db=%.3fs total=%.3fs",
        period.name,
        period.days,
        len(shop_ids),
        db_seconds,
        asyncio.get_running_loop().time() - began,
    )
