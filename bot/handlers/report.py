"""/report: totals against the previous period as text, a chart and an Excel file.

Reads the store only (never WB). With several shops the user picks one, or all together, with
inline buttons carrying `rep:<shop_id|all>:<period>`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.handlers.export_button import export_button
from bot.handlers.report_data import load_report
from bot.i18n import language_for
from bot.money.view import load_money
from bot.reports import money, text
from bot.reports.chart import render_chart
from bot.reports.gate import ReportGate
from bot.reports.periods import Period, PeriodError, parse_period
from bot.reports.xlsx import file_name, render_report_xlsx
from bot.store.db import Database
from bot.store.shops import Shop, shops_of_user
from bot.store.users import User

log = logging.getLogger(__name__)
router = Router(name="report")

HELP_WORDS = {"help", "помощь", "?"}
DEFAULT_ZONE = "Europe/Moscow"


def user_zone(user: User) -> tzinfo:
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(DEFAULT_ZONE)


def local_today(zone: tzinfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def period_token(period: Period) -> str:
    """The period in callback data: a name, or the two days as YYYYMMDD-YYYYMMDD."""
    if period.name == "custom":
        return f"{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    return period.name


def period_from_token(token: str, today: date) -> Period:
    if "-" in token:
        first, last = token.split("-", 1)
        token = f"{first[:4]}-{first[4:6]}-{first[6:]} {last[:4]}-{last[4:6]}-{last[6:]}"
    return parse_period(token, today)


def shop_choice(shops: list[Shop], prefix: str, suffix: str) -> InlineKeyboardMarkup:
    """One button per shop and one for all of them: callback `<prefix>:<id|all>[:<suffix>]`."""
    tail = f":{suffix}" if suffix else ""
    rows = [
        [InlineKeyboardButton(text=shop.name[:60], callback_data=f"{prefix}:{shop.id}{tail}")]
        for shop in shops
    ]
    rows.append(
        [InlineKeyboardButton(text=_("All shops together"), callback_data=f"{prefix}:all{tail}")]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def pick_shops(shops: list[Shop], choice: str) -> tuple[list[Shop], str] | None:
    """The shops a callback's choice means, and the label for them; None if not the user's
    (and "all" of no shops is none)."""
    if choice == "all":
        return (shops, _("All shops")) if shops else None
    chosen = [s for s in shops if str(s.id) == choice]
    return (chosen, chosen[0].name) if chosen else None


async def chosen_shops(
    query: CallbackQuery, db: Database, user: User, choice: str | None
) -> tuple[Message, list[Shop], str] | None:
    """The shops a report or stock button names, checked against the user's own: a button is
    client data and may be forged. Answers the query itself when the answer is no."""
    shops = [shop for shop, _role in await shops_of_user(db, user.id)]
    picked = pick_shops(shops, choice) if choice is not None else None
    message = query.message
    if picked is not None and isinstance(message, Message):
        return message, *picked
    if not shops and isinstance(message, Message):
        await query.answer()
        await message.answer(text.no_shop(_))
    else:
        await query.answer(_("This shop is no longer yours."), show_alert=True)
    return None


def being_prepared() -> str:
    return _("Your report is being prepared: it comes here as soon as it is ready.")


@router.message(Command("report"))
async def report_command(
    message: Message, command: CommandObject, db: Database, user: User, report_gate: ReportGate
) -> None:
    args = (command.args or "").strip()
    if args.lower() in HELP_WORDS:
        await message.answer(text.usage(_))
        return
    zone = user_zone(user)
    now = datetime.now(UTC)
    try:
        period = parse_period(args, local_today(zone, now))
    except PeriodError as error:
        await db.bump("report_bad_input")
        await message.answer(text.period_problem(error.problem, _))
        return
    shops = [shop for shop, _role in await shops_of_user(db, user.id)]
    if not shops:
        await message.answer(text.no_shop(_))
        return
    if len(shops) > 1:
        await message.answer(
            _("Which shop?"), reply_markup=shop_choice(shops, "rep", period_token(period))
        )
        return
    if not report_gate.claim(user.id):
        if report_gate.first_nudge(user.id):
            await message.answer(being_prepared())
        return
    try:
        await send_report(message, db, user, shops, shops[0].name, period, zone, now, report_gate)
    finally:
        report_gate.release(user.id)


@router.callback_query(F.data.startswith("rep:"))
async def report_choice(
    query: CallbackQuery, db: Database, user: User, report_gate: ReportGate
) -> None:
    parts = (query.data or "").split(":")
    picked = await chosen_shops(query, db, user, parts[1] if len(parts) == 3 else None)
    if picked is None:
        return
    message, shops, label = picked
    zone = user_zone(user)
    now = datetime.now(UTC)
    try:
        period = period_from_token(parts[2], local_today(zone, now))
    except PeriodError:
        await query.answer(_("This button is out of date; send /report again."), show_alert=True)
        return
    if not report_gate.claim(user.id):
        await query.answer(being_prepared())
        return
    try:
        await query.answer()
        await send_report(message, db, user, shops, label, period, zone, now, report_gate)
    finally:
        report_gate.release(user.id)


async def send_report(
    message: Message,
    db: Database,
    user: User,
    shops: list[Shop],
    label: str,
    period: Period,
    zone: tzinfo,
    now: datetime,
    gate: ReportGate,
) -> None:
    """Text first (it is what most people read), then the chart and the Excel file, each
    rendered in one of the gate's few slots."""
    shop_ids = [s.id for s in shops]
    lang = language_for(user.language, user.tg_language)
    today = local_today(zone, now)
    began = asyncio.get_running_loop().time()
    data = await load_report(db, shop_ids, period, zone, now)
    if data.data_starts is not None:
        starts = data.data_starts.astimezone(zone).date()
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
    await message.answer(text.render_report(data, label, lang, today, _, block))
    async with gate.render():
        chart = await asyncio.to_thread(
            render_chart,
            data.days,
            data.previous_days,
            (
                _("Orders per day"),
                _("Orders sum per day, ₽"),
                _("This period"),
                _("Previous period"),
            ),
        )
    await message.answer_photo(
        BufferedInputFile(chart, filename="report.png"),
        caption=_("Orders per day: this period against the previous one"),
    )
    async with gate.render():
        headers = xlsx_headers() | {"basis_total": money.basis(view.money, lang, _)}
        workbook = await asyncio.to_thread(render_report_xlsx, data, headers, lang, view)
    await message.answer_document(
        BufferedInputFile(workbook, filename=file_name(label, period.first, period.last)),
        caption=_("Excel: per day, per product and the profit per product."),
        reply_markup=export_button(shops, period),
    )
    log.info(
        "report %s days=%d shops=%d db=%.3fs total=%.3fs",
        period.name,
        period.days,
        len(shop_ids),
        db_seconds,
        asyncio.get_running_loop().time() - began,
    )


def xlsx_headers() -> dict[str, str]:
    return {
        "sheet_days": _("Days"),
        "sheet_products": _("Products"),
        "sheet_orders": _("Orders"),
        "sheet_stock": _("Stock"),
        "day": _("Day"),
        "orders": _("Orders"),
        "orders_sum": _("Orders sum, ₽"),
        "cancels": _("Cancellations"),
        "cancels_sum": _("Cancellations sum, ₽"),
        "buyouts": _("Buyouts"),
        "buyouts_sum": _("Buyouts sum, ₽"),
        "returns": _("Returns"),
        "returns_sum": _("Returns sum, ₽"),
        "for_pay": _("To be paid, ₽"),
        "nm_id": _("WB article (nmId)"),
        "article": _("Seller's article"),
        "subject": _("Subject"),
        "title": _("Title"),
        "time": _("Time"),
        "size": _("Size"),
        "warehouse": _("Warehouse"),
        "warehouses": _("Warehouses (pcs)"),
        "region": _("Region"),
        "price": _("Price, ₽"),
        "cancelled": _("Cancelled"),
        "yes": _("yes"),
        "no": _("no"),
        "srid": "srid",
        "quantity": _("Quantity"),
        "orders_14d": _("Orders in 14 days"),
        "cover_days": _("Days of cover"),
        "sheet_profit": _("Profit"),
        "basis": _("Basis"),
        "estimate": _("estimate"),
        "by_report": _("WB's report"),
        "cost_unknown": _("cost unknown: /costs"),
        "not_a_product": _("not tied to a product"),
        "fixed": _("fixed expenses"),
        "total": _("Total"),
        "sold": _("Sold, pcs"),
        "returned": _("Returned, pcs"),
        "revenue": _("Revenue, ₽"),
        "commission": _("WB commission, ₽"),
        "logistics": _("Logistics, ₽"),
        "storage": _("Storage, ₽"),
        "acceptance": _("Acceptance, ₽"),
        "penalties": _("Penalties, ₽"),
        "deductions": _("Deductions, ₽"),
        "additional": _("Additional payments, ₽"),
        "to_be_paid": _("To be paid, ₽"),
        "cost": _("Cost of goods, ₽"),
        "tax": _("Tax, ₽"),
        "profit": _("Profit, ₽"),
        "unit_profit": _("Profit per unit sold, ₽"),
        "margin": _("Margin, %"),
        "roi": _("ROI, %"),
    }
