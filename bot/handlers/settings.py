"""/settings as an inline menu edited in place, /language, and the low-stock mute buttons.

Callback data: "set:<section>[:<value>]" for the menu, "mute:<shop_id>:<nm_id>:week|ever" for
the buttons under a low-stock alert. Values a user types (a zone, a time, quiet hours) are read
in an FSM state; /cancel leaves it unchanged.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.handlers.money_buttons import MoneyMenu
from bot.handlers.review_buttons import ReviewSettings
from bot.handlers.shops import as_id
from bot.i18n import LANGUAGES, N_, language_for
from bot.notify.checks import SNOOZE_SECONDS, zone_of
from bot.notify.summary import parse_hhmm
from bot.store import stock
from bot.store.db import Database
from bot.store.shops import role_of
from bot.store.users import User, get_user, update_user

router = Router(name="settings")

ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/Minsk",
)
SUMMARY_TIMES = tuple(f"{hour:02d}:00" for hour in range(7, 23))
HORIZONS = (3, 7, 14, 30)
QUIET_PRESETS = (("22:00", "08:00"), ("23:00", "09:00"))
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
# (callback key, users column, label)
ALERT_SWITCHES = (
    ("orders", "alert_orders", N_("Orders")),
    ("cancels", "alert_cancels", N_("Cancellations")),
    ("buyouts", "alert_buyouts", N_("Buyouts")),
    ("returns", "alert_returns", N_("Returns")),
    ("stock", "alert_stock", N_("Low stock")),
    ("summary", "alert_summary", N_("Daily summary")),
    ("loss", "alert_loss", N_("Products sold at a loss")),
)
DASHES = ("–", "—", "−")


class SettingsInput(StatesGroup):
    zone = State()
    summary_time = State()
    quiet = State()


# ------------------------------------------------------------------ parsing typed values


def parse_zone(text: str) -> str | None:
    """An IANA zone name as zoneinfo knows it ("europe/moscow" is not one: names are exact)."""
    name = text.strip()
    if not name or " " in name or name.startswith("/"):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def parse_quiet(text: str) -> tuple[str, str] | None:
    """'22:00-08:00' (any dash, spaces allowed) as zero-padded ('22:00', '08:00'); None when
    malformed or empty (start equal to end)."""
    cleaned = text.strip()
    for dash in DASHES:
        cleaned = cleaned.replace(dash, "-")
    parts = [p.strip() for p in cleaned.split("-")]
    if len(parts) != 2:
        return None
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start is None or end is None or start == end:
        return None
    return start.strftime("%H:%M"), end.strftime("%H:%M")


# ------------------------------------------------------------------ the menu


def on_off(value: bool) -> str:
    return _("on") if value else _("off")


def menu_text(user: User) -> str:
    zone = zone_of(user.timezone)
    local = datetime.now(zone).strftime("%H:%M")
    switches = " · ".join(
        f"{_(label)} {'✅' if getattr(user, column) else '❌'}"
        for _key, column, label in ALERT_SWITCHES
    )
    quiet = (
        f"{user.quiet_start}–{user.quiet_end}" if user.quiet_start and user.quiet_end else _("off")
    )
    language = language_for(user.language, user.tg_language)
    return "\n".join(
        [
            _("⚙️ <b>Settings</b>"),
            "",
            _("🌐 Language: {language}").format(language=LANGUAGE_NAMES[language]),
            _("🕒 Time zone: {zone} (now {time})").format(zone=user.timezone, time=local),
            _("📊 Daily summary at {time}").format(time=user.summary_time)
            + ("" if user.alert_summary else f" ({_('off')})"),
            _("🔔 Alerts: {switches}").format(switches=switches),
            ngettext(
                "📦 Low-stock warning when stock lasts under {days} day",
                "📦 Low-stock warning when stock lasts under {days} days",
                user.stock_horizon_days,
            ).format(days=user.stock_horizon_days),
            _("🌙 Quiet hours: {quiet}").format(quiet=quiet),
            _("🖼 Product photos in alerts: {state}").format(state=on_off(user.photos)),
            _("💬 Reviews: {reviews}, {threshold}★ and below · questions: {questions}").format(
                reviews=on_off(user.alert_reviews),
                threshold=user.review_threshold,
                questions=on_off(user.alert_questions),
            ),
        ]
    )


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def _back() -> list[InlineKeyboardButton]:
    return [_button(_("« Back"), "set:menu")]


def menu_keyboard(user: User) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("🌐 Language"), "set:lang"), _button(_("🕒 Time zone"), "set:tz")],
            [_button(_("📊 Summary time"), "set:time"), _button(_("🔔 Alerts"), "set:alerts")],
            [
                _button(_("📦 Low-stock horizon"), "set:horizon"),
                _button(_("🌙 Quiet hours"), "set:quiet"),
            ],
            [_button(_("🖼 Photos: {state}").format(state=on_off(user.photos)), "set:photos")],
            [_button(_("💬 Reviews and questions"), ReviewSettings(action="open").pack())],
            [_button(_("💰 Tax and expenses"), MoneyMenu(action="open").pack())],
        ]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(LANGUAGE_NAMES[code], f"set:lang:{code}") for code in LANGUAGES],
            _back(),
        ]
    )


def zone_keyboard() -> InlineKeyboardMarkup:
    buttons = [_button(zone, f"set:tz:{zone}") for zone in ZONES]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *_rows(buttons, 2),
            [_button(_("⌨️ Type a zone name"), "set:tz:type")],
            _back(),
        ]
    )


def time_keyboard() -> InlineKeyboardMarkup:
    buttons = [_button(t, f"set:time:{t}") for t in SUMMARY_TIMES]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *_rows(buttons, 4),
            [_button(_("⌨️ Type a time"), "set:time:type")],
            _back(),
        ]
    )


def alerts_keyboard(user: User) -> InlineKeyboardMarkup:
    buttons = [
        _button(f"{'✅' if getattr(user, column) else '❌'} {_(label)}", f"set:alert:{key}")
        for key, column, label in ALERT_SWITCHES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*_rows(buttons, 2), _back()])


def horizon_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        _button(
            ngettext("{days} day", "{days} days", days).format(days=days), f"set:horizon:{days}"
        )
        for days in HORIZONS
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons, _back()])


def quiet_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Off"), "set:quiet:off")],
            [_button(f"{a}–{b}", f"set:quiet:{a}-{b}") for a, b in QUIET_PRESETS],
            [_button(_("⌨️ Type hours"), "set:quiet:type")],
            _back(),
        ]
    )


async def _show(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edits the menu message in place; an unchanged menu is not an error."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text, reply_markup=keyboard)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise


async def _show_menu(query: CallbackQuery, db: Database, user_id: int, note: str = "") -> None:
    fresh = await get_user(db, user_id)
    if fresh is None:
        return
    await _show(query, menu_text(fresh), menu_keyboard(fresh))
    await query.answer(note)


# ------------------------------------------------------------------ commands


@router.message(Command("settings"))
async def settings_command(message: Message, user: User, state: FSMContext) -> None:
    await state.clear()
    await message.answer(menu_text(user), reply_markup=menu_keyboard(user))


@router.message(Command("language"))
async def language_command(
    message: Message, command: CommandObject, db: Database, user: User, i18n: I18n
) -> None:
    wanted = (command.args or "").strip().lower()
    aliases = {"en": "en", "english": "en", "ru": "ru", "russian": "ru", "русский": "ru"}
    if wanted in aliases:
        await update_user(db, user.id, language=aliases[wanted])
        with i18n.use_locale(aliases[wanted]):
            await message.answer(_("Done: I will speak English."))
        return
    await message.answer(_("Choose the language:"), reply_markup=language_keyboard())


@router.message(Command("cancel"), StateFilter(SettingsInput))
async def cancel_input(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Nothing changed."))


# ------------------------------------------------------------------ menu buttons


@router.callback_query(F.data == "set:menu")
async def open_menu(query: CallbackQuery, db: Database, user: User, state: FSMContext) -> None:
    await state.clear()
    await _show_menu(query, db, user.id)


@router.callback_query(F.data == "set:lang")
async def open_language(query: CallbackQuery) -> None:
    await _show(query, _("Choose the language:"), language_keyboard())
    await query.answer()


@router.callback_query(F.data.startswith("set:lang:"))
async def set_language(query: CallbackQuery, db: Database, user: User, i18n: I18n) -> None:
    code = (query.data or "").split(":", 2)[2]
    if code not in LANGUAGES:
        await query.answer()
        return
    await update_user(db, user.id, language=code)
    with i18n.use_locale(code):
        await _show_menu(query, db, user.id, _("Saved"))


@router.callback_query(F.data == "set:tz")
async def open_zones(query: CallbackQuery) -> None:
    await _show(query, _("Choose your time zone:"), zone_keyboard())
    await query.answer()


@router.callback_query(F.data == "set:tz:type")
async def ask_zone(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SettingsInput.zone)
    await _show(
        query,
        _(
            "Send the name of your time zone as in the IANA list, for example "
            "<code>Europe/Moscow</code> or <code>Asia/Dubai</code>. /cancel keeps the current one."
        ),
        None,
    )
    await query.answer()


@router.callback_query(F.data.startswith("set:tz:"))
async def set_zone(query: CallbackQuery, db: Database, user: User) -> None:
    zone = parse_zone((query.data or "").split(":", 2)[2])
    if zone is None:
        await query.answer(_("Unknown time zone."), show_alert=True)
        return
    await update_user(db, user.id, timezone=zone)
    await _show_menu(query, db, user.id, _("Saved"))


@router.callback_query(F.data == "set:time")
async def open_times(query: CallbackQuery) -> None:
    await _show(query, _("When should the daily summary come (your local time)?"), time_keyboard())
    await query.answer()


@router.callback_query(F.data == "set:time:type")
async def ask_time(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SettingsInput.summary_time)
    await _show(
        query,
        _(
            "Send the time as HH:MM, for example <code>08:30</code>. "
            "/cancel keeps the current one."
        ),
        None,
    )
    await query.answer()


@router.callback_query(F.data.startswith("set:time:"))
async def set_time(query: CallbackQuery, db: Database, user: User) -> None:
    at = parse_hhmm((query.data or "").split(":", 2)[2])
    if at is None:
        await query.answer()
        return
    await update_user(db, user.id, summary_time=at.strftime("%H:%M"))
    await _show_menu(query, db, user.id, _("Saved"))


@router.callback_query(F.data == "set:alerts")
async def open_alerts(query: CallbackQuery, user: User) -> None:
    await _show(query, _("Which alerts do you want? Tap to switch."), alerts_keyboard(user))
    await query.answer()


@router.callback_query(F.data.startswith("set:alert:"))
async def toggle_alert(query: CallbackQuery, db: Database, user: User) -> None:
    key = (query.data or "").split(":", 2)[2]
    column = next((c for k, c, _label in ALERT_SWITCHES if k == key), None)
    if column is None:
        await query.answer()
        return
    await update_user(db, user.id, **{column: not getattr(user, column)})
    fresh = await get_user(db, user.id)
    if fresh is not None:
        await _show(query, _("Which alerts do you want? Tap to switch."), alerts_keyboard(fresh))
    await query.answer(_("Saved"))


@router.callback_query(F.data == "set:horizon")
async def open_horizons(query: CallbackQuery) -> None:
    await _show(
        query,
        _("Warn me when a product's stock lasts less than (at the pace of the last 14 days):"),
        horizon_keyboard(),
    )
    await query.answer()


@router.callback_query(F.data.startswith("set:horizon:"))
async def set_horizon(query: CallbackQuery, db: Database, user: User) -> None:
    days = as_id((query.data or "").split(":", 2)[2])
    if days is None or days not in HORIZONS:
        await query.answer()
        return
    await update_user(db, user.id, stock_horizon_days=days)
    await _show_menu(query, db, user.id, _("Saved"))


@router.callback_query(F.data == "set:quiet")
async def open_quiet(query: CallbackQuery) -> None:
    await _show(
        query,
        _(
            "During quiet hours alerts wait and come as one message when they end "
            "(a key problem comes at once)."
        ),
        quiet_keyboard(),
    )
    await query.answer()


@router.callback_query(F.data == "set:quiet:type")
async def ask_quiet(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SettingsInput.quiet)
    await _show(
        query,
        _(
            "Send quiet hours as HH:MM-HH:MM, for example <code>22:30-07:30</code>, "
            "or <code>off</code>. /cancel keeps the current ones."
        ),
        None,
    )
    await query.answer()


@router.callback_query(F.data.startswith("set:quiet:"))
async def set_quiet(query: CallbackQuery, db: Database, user: User) -> None:
    value = (query.data or "").split(":", 2)[2]
    if value == "off":
        await update_user(db, user.id, quiet_start=None, quiet_end=None)
    else:
        hours = parse_quiet(value)
        if hours is None:
            await query.answer()
            return
        await update_user(db, user.id, quiet_start=hours[0], quiet_end=hours[1])
    await _show_menu(query, db, user.id, _("Saved"))


@router.callback_query(F.data == "set:photos")
async def toggle_photos(query: CallbackQuery, db: Database, user: User) -> None:
    await update_user(db, user.id, photos=not user.photos)
    await _show_menu(query, db, user.id, _("Saved"))


# ------------------------------------------------------------------ typed values


async def _typed_saved(message: Message, db: Database, user_id: int, state: FSMContext) -> None:
    await state.clear()
    fresh = await get_user(db, user_id)
    if fresh is not None:
        await message.answer(
            _("Saved.") + "\n\n" + menu_text(fresh), reply_markup=menu_keyboard(fresh)
        )


NOT_A_COMMAND = F.text & ~F.text.startswith("/")


@router.message(SettingsInput.zone, NOT_A_COMMAND)
async def typed_zone(message: Message, db: Database, user: User, state: FSMContext) -> None:
    zone = parse_zone(message.text or "")
    if zone is None:
        await message.answer(
            _(
                "I do not know the time zone «{text}». Names are like <code>Europe/Moscow</code> "
                "or <code>Asia/Dubai</code>, capital letters as written. Try again or /cancel."
            ).format(text=_escape(message.text or ""))
        )
        return
    await update_user(db, user.id, timezone=zone)
    await _typed_saved(message, db, user.id, state)


@router.message(SettingsInput.summary_time, NOT_A_COMMAND)
async def typed_time(message: Message, db: Database, user: User, state: FSMContext) -> None:
    at = parse_hhmm(message.text or "")
    if at is None:
        await message.answer(
            _("That is not a time. Write it as HH:MM, for example 08:30. Try again or /cancel.")
        )
        return
    await update_user(db, user.id, summary_time=at.strftime("%H:%M"))
    await _typed_saved(message, db, user.id, state)


@router.message(SettingsInput.quiet, NOT_A_COMMAND)
async def typed_quiet(message: Message, db: Database, user: User, state: FSMContext) -> None:
    text = (message.text or "").strip().lower()
    if text in ("off", "выкл", "нет"):
        await update_user(db, user.id, quiet_start=None, quiet_end=None)
        await _typed_saved(message, db, user.id, state)
        return
    hours = parse_quiet(text)
    if hours is None:
        await message.answer(
            _(
                "I could not read that. Write quiet hours as HH:MM-HH:MM, for example "
                "22:30-07:30 (start and end must differ), or off. Try again or /cancel."
            )
        )
        return
    await update_user(db, user.id, quiet_start=hours[0], quiet_end=hours[1])
    await _typed_saved(message, db, user.id, state)


def _escape(text: str) -> str:
    return html.escape(text[:64])


# ------------------------------------------------------------------ low-stock alert buttons


@router.callback_query(F.data.startswith("mute:"))
async def mute_product(query: CallbackQuery, db: Database, user: User) -> None:
    parts = (query.data or "").split(":")
    ids = [as_id(p) for p in parts[1:3]] if len(parts) == 4 else []
    if len(ids) != 2 or ids[0] is None or ids[1] is None:
        await query.answer()
        return
    shop_id, nm_id, how = ids[0], ids[1], parts[3]
    if how not in ("week", "ever"):
        await query.answer()
        return
    if await role_of(db, user.id, shop_id) is None:
        await query.answer(_("This shop is not connected to your account."), show_alert=True)
        return
    if how == "week":
        until = time.time() + SNOOZE_SECONDS
        await stock.set_mute(db, shop_id, nm_id, until)
        day = datetime.fromtimestamp(until, zone_of(user.timezone)).strftime("%d.%m")
        note = _("Snoozed: no low-stock alerts for this product until {day}.").format(day=day)
    else:
        await stock.set_mute(db, shop_id, nm_id, None)
        note = _("Ignored: no more low-stock alerts for this product.")
    if isinstance(query.message, Message):
        with suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(note, show_alert=True)
