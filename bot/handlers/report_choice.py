"""What /report, /profit, /stock and the orders export share: which shops (a button per shop
and one for all of them, checked against the presser's own, as button data may be forged),
which period (as button data carries it), and the note while a report is prepared."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Protocol

from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.clock import local_today, zone_of
from bot.i18n import language_for
from bot.reports import text
from bot.reports.gate import ReportGate
from bot.reports.periods import Period, PeriodError, parse_period
from bot.reports.text import Translate
from bot.store.db import Database
from bot.store.shops import Shop, shops_of_user
from bot.store.users import User

#: The choice that means every shop of the user together.
ALL = "all"
HELP_WORDS = {"help", "помощь", "?"}


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


async def button_period(
    query: CallbackQuery, token: str, zone: tzinfo, now: datetime, stale: str
) -> Period | None:
    """The period a button carries, read against the user's today; None, after answering the
    query with ``stale``, when it reads no more."""
    try:
        return period_from_token(token, local_today(zone, now))
    except (PeriodError, ValueError):
        await query.answer(stale, show_alert=True)
        return None


class ReportChoice(CallbackData, prefix="rep"):
    """/report with several shops: which shop (an id or "all") and the period asked for (a name,
    or the two days as YYYYMMDD-YYYYMMDD)."""

    shop: str
    period: str


class ProfitChoice(CallbackData, prefix="pro"):
    """/profit with several shops: which shop (an id or "all") and the period, as ReportChoice."""

    shop: str
    period: str


class StockChoice(CallbackData, prefix="stk"):
    """/stock with several shops: which shop (an id or "all")."""

    shop: str


def shop_choice(shops: list[Shop], button: Callable[[str], CallbackData]) -> InlineKeyboardMarkup:
    """One button per shop and one for all of them; ``button`` makes a button's data from the
    choice (a shop id or "all")."""
    rows = [
        [InlineKeyboardButton(text=shop.name[:60], callback_data=button(str(shop.id)).pack())]
        for shop in shops
    ]
    rows.append(
        [InlineKeyboardButton(text=_("All shops together"), callback_data=button(ALL).pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def only_shop(
    message: Message, db: Database, user: User, button: Callable[[str], CallbackData]
) -> list[Shop] | None:
    """A command's shops when the user has just one; otherwise None, after saying there is no
    shop or asking which one with ``shop_choice`` buttons."""
    shops = [shop for shop, _role in await shops_of_user(db, user.id)]
    if not shops:
        await message.answer(text.no_shop(_))
        return None
    if len(shops) > 1:
        await message.answer(_("Which shop?"), reply_markup=shop_choice(shops, button))
        return None
    return shops


def pick_shops(shops: list[Shop], choice: str) -> tuple[list[Shop], str] | None:
    """The shops a callback's choice means, and the label for them; None if not the user's
    (and "all" of no shops is none)."""
    if choice == ALL:
        return (shops, _("All shops")) if shops else None
    chosen = [s for s in shops if str(s.id) == choice]
    return (chosen, chosen[0].name) if chosen else None


async def chosen_shops(
    query: CallbackQuery, db: Database, user: User, choice: str
) -> tuple[Message, list[Shop], str] | None:
    """The shops a report or stock button names, checked against the user's own: a button is
    client data and may be forged. Answers the query itself when the answer is no."""
    shops = [shop for shop, _role in await shops_of_user(db, user.id)]
    picked = pick_shops(shops, choice)
    message = query.message
    if picked is not None and isinstance(message, Message):
        return message, *picked
    if not shops and isinstance(message, Message):
        await query.answer()
        await message.answer(text.no_shop(_))
    else:
        await query.answer(_("This shop is no longer yours."), show_alert=True)
    return None


def stale_report() -> str:
    return _("This button is out of date; send /report again.")


def being_prepared() -> str:
    return _("Your report is being prepared: it comes here as soon as it is ready.")


@dataclass(frozen=True)
class Turn:
    """A kind of request the gate lets each user have one of at a time: its claim, and the
    note heard while one is under way."""

    claim: str
    wait_note: Callable[[], str]


async def in_turn(
    event: CallbackQuery | Message,
    gate: ReportGate,
    user_id: int,
    turn: Turn,
    send: Callable[[], Awaitable[None]],
) -> None:
    """Answers a report button or command with ``send``, one request of a ``turn`` per user at
    a time: a press while one is under way hears its wait note instead, and so does the first
    repeat of the command (further repeats hear nothing)."""
    if not gate.claim(user_id, turn.claim):
        if isinstance(event, CallbackQuery) or gate.first_nudge(user_id, turn.claim):
            await event.answer(turn.wait_note())
        return
    try:
        if isinstance(event, CallbackQuery):
            await event.answer()
        await send()
    finally:
        gate.release(user_id, turn.claim)


@dataclass(frozen=True)
class Asked:
    """A report a command or button asks for, checked: where to answer, for whom, which shops
    (and their label) and which period, read in the user's ``zone`` as of ``now``."""

    message: Message
    user: User
    shops: list[Shop]
    label: str
    period: Period
    zone: tzinfo
    now: datetime

    @property
    def lang(self) -> str:
        return language_for(self.user.language, self.user.tg_language)

    @property
    def shop_ids(self) -> list[int]:
        return [shop.id for shop in self.shops]


class PeriodButton(Protocol):
    """A button factory that names a shop choice and a period (`ReportChoice`, `ProfitChoice`)."""

    def __call__(self, *, shop: str, period: str) -> CallbackData: ...


async def command_asked(
    message: Message,
    command: CommandObject,
    db: Database,
    user: User,
    usage: Callable[[Translate], str],
    button: PeriodButton,
) -> Asked | None:
    """What a report command asks for: the period its words name, then its shop (`only_shop`,
    whose ``button``s carry the period). None once the user is answered otherwise: a help word
    with the command's ``usage``, words that name no period with what is wrong and the usage."""
    zone = zone_of(user.timezone)
    now = datetime.now(UTC)
    args = (command.args or "").strip()
    if args.lower() in HELP_WORDS:
        await message.answer(usage(_))
        return None
    try:
        period = parse_period(args, local_today(zone, now))
    except PeriodError as error:
        await db.bump("report_bad_input")
        # period_problem ends with /report's usage: the command's own takes its place.
        wrong = text.period_problem(error.problem, _).split("\n\n")[0]
        await message.answer(wrong + "\n\n" + usage(_))
        return None
    token = period_token(period)
    shops = await only_shop(message, db, user, lambda shop: button(shop=shop, period=token))
    if shops is None:
        return None
    return Asked(message, user, shops, shops[0].name, period, zone, now)


async def button_asked(
    query: CallbackQuery, db: Database, user: User, choice: str, token: str, stale: str
) -> Asked | None:
    """What a report button asks for: the shops it names (``choice``, `chosen_shops`) and its
    period (``token``, `button_period`, ``stale`` when it reads no more); None once the query
    is answered otherwise."""
    picked = await chosen_shops(query, db, user, choice)
    if picked is None:
        return None
    message, shops, label = picked
    zone = zone_of(user.timezone)
    now = datetime.now(UTC)
    period = await button_period(query, token, zone, now, stale)
    if period is None:
        return None
    return Asked(message, user, shops, label, period, zone, now)


#: What answers a report button in turn, as `period_in_turn` calls it.
PeriodSend = Callable[[Asked, Database, ReportGate], Awaitable[None]]


async def period_in_turn(
    query: CallbackQuery,
    db: Database,
    user: User,
    gate: ReportGate,
    turn: Turn,
    choice: str,
    token: str,
    send: PeriodSend,
) -> None:
    """A report button that names shops (``choice``) and a period (``token``): both checked
    (`button_asked`), then ``send`` in turn (`in_turn`)."""
    asked = await button_asked(query, db, user, choice, token, stale_report())
    if asked is not None:
        await in_turn(query, gate, user.id, turn, lambda: send(asked, db, gate))


async def send_rendered(
    message: Message,
    gate: ReportGate,
    render: Callable[[], bytes],
    filename: str,
    caption: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    photo: bool = False,
) -> None:
    """A file (or a chart, as a ``photo``) rendered off the event loop in one of the gate's few
    slots, the same slots for every report."""
    async with gate.render():
        content = await asyncio.to_thread(render)
    upload = BufferedInputFile(content, filename=filename)
    if photo:
        await message.answer_photo(upload, caption=caption, reply_markup=reply_markup)
    else:
        await message.answer_document(upload, caption=caption, reply_markup=reply_markup)
