"""/costs (a template of the shop's products to fill in with cost prices, read back when the
seller sends it) and /cost <article|nmId> <price> for one product. Only a shop's owners change
its costs.

A filled template is taken in the conversation right after /costs (any document: a wrong one
gets told why), or at any time as an .xlsx whose first row is the template's header; the shop
is then the one whose products the file lists.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import aiohttp
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot import formats
from bot.clock import local_today, zone_of
from bot.handlers.money_buttons import CostPick, CostShop
from bot.handlers.shop_owners import owned_shop
from bot.i18n import LANGUAGES, N_, language_for
from bot.money import cost_sheet
from bot.reports import text
from bot.reports.gate import ReportGate
from bot.store.costs import KnownProduct, NewCost, cost_book, cost_on, known_products, save_costs
from bot.store.db import Database
from bot.store.shops import Shop, shops_of_user
from bot.store.users import User

log = logging.getLogger(__name__)
router = Router(name="costs")
router.message.filter(F.chat.type == "private")  # costs are the owner's business, not a group's

HEADERS = {
    "nm_id": N_("WB article (nmId)"),
    "article": N_("Seller's article"),
    "size": N_("Size"),
    "title": N_("Title"),
    "cost": N_("Cost price, ₽"),
    "effective": N_("Effective from (optional)"),
}
SHOWN_PROBLEMS = 30
DOWNLOAD_SECONDS = 30


class CostUpload(StatesGroup):
    file = State()  # data: shop_id, the shop /costs sent the template of


def header_names(i18n: I18n) -> dict[str, set[str]]:
    """The template's column headers in every language: a file made in English is read after
    a switch to Russian."""
    return {
        key: {head, key} | {i18n.gettext(head, locale=lang) for lang in LANGUAGES}
        for key, head in HEADERS.items()
    }


async def owned_shops(message: Message, db: Database, user: User) -> list[Shop] | None:
    """The shops the user owns; None (having said why) when there are none."""
    roles = await shops_of_user(db, user.id)
    owned = [shop for shop, role in roles if role == "owner"]
    if owned:
        return owned
    if roles:
        names = ", ".join(f"«{html.escape(shop.name)}»" for shop, _role in roles)
        await message.answer(
            _("Only a shop's owner can change its cost prices: ask the owner of {shops}.").format(
                shops=names
            )
        )
    else:
        await message.answer(text.no_shop(_))
    return None


# ------------------------------------------------------------------ /costs: the template


@router.message(Command("costs"))
async def costs_command(
    message: Message, db: Database, user: User, state: FSMContext, report_gate: ReportGate
) -> None:
    owned = await owned_shops(message, db, user)
    if owned is None:
        return
    if len(owned) > 1:
        buttons = [
            [InlineKeyboardButton(text=s.name[:60], callback_data=CostShop(shop_id=s.id).pack())]
            for s in owned
        ]
        await message.answer(
            _("Which shop?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )
        return
    await send_template(message, db, user, owned[0], state, report_gate)


@router.callback_query(CostShop.filter())
async def costs_shop_chosen(
    query: CallbackQuery,
    callback_data: CostShop,
    db: Database,
    user: User,
    state: FSMContext,
    report_gate: ReportGate,
) -> None:
    shop = await owned_shop(query, db, user, callback_data.shop_id)
    if shop is None:
        return
    await query.answer()
    if isinstance(query.message, Message):
        await send_template(query.message, db, user, shop, state, report_gate)


async def send_template(
    message: Message,
    db: Database,
    user: User,
    shop: Shop,
    state: FSMContext,
    gate: ReportGate,
) -> None:
    name = html.escape(shop.name)
    products = await known_products(db, shop.id)
    if not products:
        await message.answer(
            _(
                "I know no products of «{shop}» yet: they come with its first orders, stock "
                "report or product cards. Try /costs again a little later."
            ).format(shop=name)
        )
        return
    today = local_today(zone_of(user.timezone), datetime.now(UTC))
    current = (await cost_book(db, [shop.id])).current(shop.id, today)
    rows = cost_sheet.template_rows(products, current)
    lang = language_for(user.language, user.tg_language)
    headers = {key: _(head) for key, head in HEADERS.items()}
    async with gate.render():
        workbook = await asyncio.to_thread(
            cost_sheet.render_template, rows, headers, _("Cost prices"), lang
        )
    await state.set_state(CostUpload.file)
    await state.update_data(shop_id=shop.id)
    await message.answer_document(
        BufferedInputFile(workbook, filename=f"wbpulse_costs_{today.isoformat()}.xlsx"),
        caption=_(
            "Cost prices of «{shop}»: write the cost of one unit in the «{column}» column "
            "and send this file back here. An empty cell leaves a product as it is. A new cost "
            "counts from today, or from the day in «{effective}»; earlier days keep their old "
            "costs. For one size only, copy the product's row and type the size."
        ).format(shop=name, column=_(HEADERS["cost"]), effective=_(HEADERS["effective"])),
    )


# ------------------------------------------------------------------ the filled template


def is_xlsx(document: Document | None) -> bool:
    return document is not None and (document.file_name or "").lower().endswith(".xlsx")


def sheet_problem(reason: str) -> str:
    if reason in ("size", "unpacked"):
        return _(
            "This file is too big for a cost template (at most {mb} MB, {rows} rows). Send "
            "the template /costs made, filled in."
        ).format(
            mb=cost_sheet.MAX_FILE_BYTES // (1024 * 1024), rows=formats.number(cost_sheet.MAX_ROWS)
        )
    if reason == "rows":
        return _("The file has more than {rows} rows. Send the template /costs made.").format(
            rows=formats.number(cost_sheet.MAX_ROWS)
        )
    if reason == "header":
        return _(
            "This file is not the cost template: its first row has no «{nm_id}» and «{cost}» "
            "columns. Send /costs for the template."
        ).format(nm_id=_(HEADERS["nm_id"]), cost=_(HEADERS["cost"]))
    return _(
        "I cannot read this file as an Excel workbook (.xlsx): it may be damaged or of "
        "another kind. Save the template in Excel or Google Sheets as .xlsx and send it again."
    )


@router.message(CostUpload.file, F.document)
@router.message(F.document.func(is_xlsx))
async def take_template(
    message: Message,
    bot: Bot,
    db: Database,
    user: User,
    state: FSMContext,
    i18n: I18n,
    report_gate: ReportGate,
) -> None:
    """Any document in the conversation after /costs, for the shop chosen there; or an .xlsx at
    any time, for the shop whose products it lists."""
    shop_id = None
    if await state.get_state() == CostUpload.file.state:
        shop_id = (await state.get_data()).get("shop_id")
    document = message.document
    if document is None:
        return
    if not is_xlsx(document):
        await message.answer(
            _(
                "This is not an .xlsx file. Fill in the template /costs sent and send it back "
                "as .xlsx (in Excel or Google Sheets: File → Download → .xlsx)."
            )
        )
        return
    if (document.file_size or 0) > cost_sheet.MAX_FILE_BYTES:
        await message.answer(sheet_problem("size"))
        return
    owned = await owned_shops(message, db, user)
    if owned is None:
        return
    data = await download(bot, document)
    if data is None:
        await message.answer(_("I could not download the file from Telegram. Send it again."))
        return
    try:
        async with report_gate.render():  # reading a workbook is as heavy as writing one
            rows = await asyncio.to_thread(cost_sheet.read_sheet, data, header_names(i18n))
    except cost_sheet.SheetError as error:
        await message.answer(sheet_problem(error.reason))
        return
    shop = await shop_of_file(db, owned, rows, shop_id)
    if shop is None:
        await message.answer(
            _(
                "I cannot tell which of your shops this file is for. Send /costs, choose the "
                "shop, then send the file."
            )
        )
        return
    await apply_template(message, db, user, state, shop, rows)


async def download(bot: Bot, document: Document) -> bytes | None:
    buffer = io.BytesIO()
    try:
        await bot.download(document, destination=buffer, timeout=DOWNLOAD_SECONDS)
    except (TelegramAPIError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("cost template download failed: %s", type(exc).__name__)
        return None
    return buffer.getvalue()


async def shop_of_file(
    db: Database, owned: list[Shop], rows: Sequence[cost_sheet.SheetRow], shop_id: int | None
) -> Shop | None:
    """The shop the conversation is about, the user's only one, or the one whose products
    the file lists most of (shops are different sellers: their nmIds do not overlap)."""
    for shop in owned:
        if shop.id == shop_id:
            return shop
    if len(owned) == 1:
        return owned[0]
    listed = {str(row.values.get("nm_id")).strip() for row in rows}
    scores = []
    for shop in owned:
        known = {str(p.nm_id) for p in await known_products(db, shop.id)}
        scores.append((len(listed & known), shop.id, shop))
    scores.sort(key=lambda s: s[:2], reverse=True)
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    return scores[0][2]


def problem_text(problem: cost_sheet.Problem, lang: str) -> str:
    value = html.escape(problem.value)
    if problem.kind in ("negative_cost", "huge_cost"):
        value = formats.price(int(problem.value), lang)
    words = {
        "no_nm_id": _("no nmId"),
        "bad_nm_id": _("nmId «{value}» is not a number"),
        "unknown_nm_id": _("nmId {value} is not a product of this shop"),
        "bad_cost": _("the cost «{value}» is not a number"),
        "negative_cost": _("the cost {value} is below zero"),
        "huge_cost": _("the cost {value} is too large"),
        "no_cost": _("a size or a date without a cost"),
        "bad_date": _("«{value}» is not a date (write it as 01.12.2026)"),
        "duplicate": _("repeats row {value} (the same nmId, size and date)"),
    }
    return words.get(problem.kind, problem.kind).format(value=value)


def rejected_text(problems: Sequence[cost_sheet.Problem], lang: str) -> str:
    by_row: dict[int, list[str]] = defaultdict(list)
    for problem in problems:
        by_row[problem.row].append(problem_text(problem, lang))
    lines = [
        ngettext(
            "❌ Nothing saved: {count} row has a problem. Fix it and send the file again.",
            "❌ Nothing saved: {count} rows have problems. Fix them and send the file again.",
            len(by_row),
        ).format(count=len(by_row)),
        "",
    ]
    for number in sorted(by_row)[:SHOWN_PROBLEMS]:
        lines.append(
            _("Row {row}: {problems}").format(row=number, problems="; ".join(by_row[number]))
        )
    if len(by_row) > SHOWN_PROBLEMS:
        lines.append(_("…and {count} more rows.").format(count=len(by_row) - SHOWN_PROBLEMS))
    return "\n".join(lines)


async def apply_template(
    message: Message,
    db: Database,
    user: User,
    state: FSMContext,
    shop: Shop,
    rows: Sequence[cost_sheet.SheetRow],
) -> None:
    today = local_today(zone_of(user.timezone), datetime.now(UTC))
    known = {p.nm_id for p in await known_products(db, shop.id)}
    checked = cost_sheet.check_rows(rows, known, today)
    if checked.problems:
        lang = language_for(user.language, user.tg_language)
        await message.answer(rejected_text(checked.problems, lang))
        return
    name = html.escape(shop.name)
    if not checked.costs:
        await message.answer(
            _("The file has no cost filled in: write them in the «{column}» column.").format(
                column=_(HEADERS["cost"])
            )
        )
        return
    book = await cost_book(db, [shop.id])
    changed = [
        c for c in checked.costs if book.cost(shop.id, c.nm_id, c.size, c.effective) != c.kopecks
    ]
    await save_costs(db, shop.id, changed, by=user.id)
    await state.clear()
    lines = [
        ngettext(
            "✅ «{shop}»: {count} cost price saved.",
            "✅ «{shop}»: {count} cost prices saved.",
            len(changed),
        ).format(shop=name, count=len(changed))
    ]
    same = len(checked.costs) - len(changed)
    if same:
        lines.append(
            ngettext(
                "{count} row had the cost already.", "{count} rows had the cost already.", same
            ).format(count=same)
        )
    if any(c.effective == today for c in changed):
        lang = language_for(user.language, user.tg_language)
        lines.append(
            _("New costs count from today, {day}; earlier days keep their old costs.").format(
                day=text.fmt_day(today, lang)
            )
        )
    await message.answer("\n".join(lines))


# ------------------------------------------------------------------ /cost for one product


def cost_usage() -> str:
    return _(
        "Send <code>/cost &lt;article or nmId&gt; &lt;price&gt;</code>, for example "
        "<code>/cost DR-1 450,50</code>. For many products at once, /costs sends a table to "
        "fill in."
    )


def matches(product: KnownProduct, wanted: str) -> bool:
    if wanted.isdigit() and product.nm_id == int(wanted):
        return True
    return bool(product.article) and product.article.casefold() == wanted.casefold()


@router.message(Command("cost"))
async def cost_command(message: Message, command: CommandObject, db: Database, user: User) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) != 2:
        await message.answer(cost_usage())
        return
    wanted, price = parts
    kopecks = cost_sheet.parse_kopecks(price)
    if kopecks is None or kopecks < 0 or kopecks > cost_sheet.MAX_KOPECKS:
        await message.answer(
            _("«{price}» is not a price: write a number of roubles, 0 or more.").format(
                price=html.escape(price[:40])
            )
            + "\n"
            + cost_usage()
        )
        return
    owned = await owned_shops(message, db, user)
    if owned is None:
        return
    found = [
        (shop, product)
        for shop in owned
        for product in await known_products(db, shop.id)
        if matches(product, wanted)
    ]
    if not found:
        await message.answer(
            _(
                "I do not know «{wanted}» among the products of your shops. Write its seller's "
                "article or WB nmId as /costs lists them."
            ).format(wanted=html.escape(wanted[:60]))
        )
        return
    if len(found) > 1:
        buttons = [
            [
                InlineKeyboardButton(
                    text=f"{shop.name[:30]} · {p.article[:20]} · nmId {p.nm_id}",
                    callback_data=CostPick(shop_id=shop.id, nm_id=p.nm_id, kopecks=kopecks).pack(),
                )
            ]
            for shop, p in found
        ]
        await message.answer(
            _("Which product?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )
        return
    shop, product = found[0]
    await message.answer(await set_one_cost(db, user, shop, product, kopecks))


@router.callback_query(CostPick.filter())
async def cost_pick(
    query: CallbackQuery, callback_data: CostPick, db: Database, user: User
) -> None:
    shop = await owned_shop(query, db, user, callback_data.shop_id)
    if shop is None:
        return
    products = {p.nm_id: p for p in await known_products(db, shop.id)}
    product = products.get(callback_data.nm_id)
    if product is None or not 0 <= callback_data.kopecks <= cost_sheet.MAX_KOPECKS:
        await query.answer(_("This button is out of date; send /cost again."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        with_text = await set_one_cost(db, user, shop, product, callback_data.kopecks)
        try:
            await query.message.edit_text(with_text)
        except TelegramBadRequest:
            await query.message.answer(with_text)


async def set_one_cost(
    db: Database, user: User, shop: Shop, product: KnownProduct, kopecks: int
) -> str:
    today: date = local_today(zone_of(user.timezone), datetime.now(UTC))
    await save_costs(db, shop.id, [NewCost(product.nm_id, kopecks, today)], by=user.id)
    # Read after the save: a cost set earlier today is replaced, not kept for earlier days.
    before = await cost_on(db, shop.id, product.nm_id, today - timedelta(days=1))
    lang = language_for(user.language, user.tg_language)
    line = _("✅ Cost price of {article} (nmId {nm_id}) in «{shop}»: {price} from {day}.").format(
        article=html.escape(product.article or product.title),
        nm_id=product.nm_id,
        shop=html.escape(shop.name),
        price=formats.price(kopecks, lang),
        day=text.fmt_day(today, lang),
    )
    if before is not None and before != kopecks:
        line += " " + _("Earlier days keep the cost of {price}.").format(
            price=formats.price(before, lang)
        )
    return line
