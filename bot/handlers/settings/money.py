"""The tax and expenses part of /settings: per shop, the tax regime and its rate and the fixed
monthly expenses that profit counts. Only a shop's owners change them; every button names its
shop and is checked against the presser's role (buttons can be forged)."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot import formats
from bot.handlers.menus import show
from bot.handlers.money_buttons import MoneyMenu
from bot.handlers.settings.menu import back, entry
from bot.handlers.shop_owners import owned_shop, owner_of
from bot.i18n import N_, language_for
from bot.money.cost_sheet import MAX_KOPECKS, parse_kopecks
from bot.store.costs import (
    MoneySettings,
    TaxRegime,
    money_settings,
    set_fixed_monthly,
    set_tax,
)
from bot.store.db import Database
from bot.store.shops import Shop
from bot.store.users import User

router = Router(name="money_settings")

# No line in the menu text: the regime and rate are per shop, shown in this submenu.
entry((5, 0), lambda user: _("💰 Tax and expenses"), MoneyMenu(action="open").pack(), None)

REGIME_NAMES = {
    TaxRegime.USN_INCOME: N_("USN «income»"),
    TaxRegime.USN_PROFIT: N_("USN «income minus expenses»"),
    TaxRegime.VAT: N_("OSNO (VAT)"),
    TaxRegime.NONE: N_("No tax"),
}
#: Rates offered as buttons, in hundredths of a percent; any other can be typed.
RATES = {
    TaxRegime.USN_INCOME: (100, 200, 300, 400, 500, 600),
    TaxRegime.USN_PROFIT: (500, 700, 1000, 1500),
    TaxRegime.VAT: (500, 700, 1000, 2000, 2200),
    TaxRegime.NONE: (),
}


class MoneyInput(StatesGroup):
    rate = State()  # data: shop_id
    fixed = State()  # data: shop_id


def percent(rate_bp: int, lang: str) -> str:
    digits = 0 if rate_bp % 100 == 0 else 2 if rate_bp % 10 else 1
    return formats.decimal(rate_bp / 100, lang, digits) + "%"


def tax_line(settings: MoneySettings, lang: str) -> str:
    if settings.regime is TaxRegime.NONE:
        return _("Tax: none")
    rate = percent(settings.rate_bp, lang)
    if settings.regime is TaxRegime.USN_INCOME:
        return _("Tax: USN «income», {rate} of revenue").format(rate=rate)
    if settings.regime is TaxRegime.USN_PROFIT:
        return _("Tax: USN «income minus expenses», {rate} of revenue less expenses").format(
            rate=rate
        )
    return _("Tax: OSNO, VAT {rate} included in the price").format(rate=rate)


def shop_text(shop: Shop, settings: MoneySettings, lang: str) -> str:
    fixed = (
        _("Fixed expenses: {amount} a month").format(
            amount=formats.price(settings.fixed_monthly, lang)
        )
        if settings.fixed_monthly
        else _("Fixed expenses: none")
    )
    return "\n".join(
        [
            _("💰 <b>Tax and expenses</b> · «{shop}»").format(shop=html.escape(shop.name)),
            "",
            tax_line(settings, lang),
            fixed,
            "",
            _("Profit counts them: the cost of goods comes from /costs."),
        ]
    )


def _button(label: str, action: str, shop_id: int, value: str = "") -> InlineKeyboardButton:
    data = MoneyMenu(action=action, shop_id=shop_id, value=value).pack()
    return InlineKeyboardButton(text=label, callback_data=data)


def shop_keyboard(settings: MoneySettings, lang: str) -> InlineKeyboardMarkup:
    shop_id = settings.shop_id
    regimes = [
        _button(
            ("• " if regime is settings.regime else "") + _(name), "regime", shop_id, regime.value
        )
        for regime, name in REGIME_NAMES.items()
    ]
    rates = [
        _button(
            ("• " if bp == settings.rate_bp else "") + percent(bp, lang), "rate", shop_id, str(bp)
        )
        for bp in RATES[settings.regime]
    ]
    rows = [regimes[:2], regimes[2:]]
    if rates:
        rows += [rates, [_button(_("⌨️ Type a rate"), "type_rate", shop_id)]]
    rows.append(
        [
            _button(_("🧾 Fixed expenses"), "type_fixed", shop_id),
            _button(_("No fixed expenses"), "no_fixed", shop_id),
        ]
    )
    rows.append(back())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def refusal() -> str:
    return _("Only a shop's owner sets its tax and expenses.")


async def show_shop(query: CallbackQuery, shop: Shop, settings: MoneySettings, user: User) -> None:
    lang = language_for(user.language, user.tg_language)
    await show(query, shop_text(shop, settings, lang), shop_keyboard(settings, lang))


@router.callback_query(MoneyMenu.filter(F.action == "open"))
async def open_money(query: CallbackQuery, db: Database, user: User, state: FSMContext) -> None:
    await state.clear()
    shops = await owner_of(db, user)
    if not shops:
        await query.answer(refusal(), show_alert=True)
        return
    if len(shops) == 1:
        await show_shop(query, shops[0], await money_settings(db, shops[0].id), user)
        await query.answer()
        return
    buttons = [[_button(s.name[:60], "shop", s.id)] for s in shops]
    await show(
        query,
        _("💰 Tax and expenses: which shop?"),
        InlineKeyboardMarkup(inline_keyboard=[*buttons, back()]),
    )
    await query.answer()


@router.callback_query(MoneyMenu.filter(F.action == "shop"))
async def open_shop(
    query: CallbackQuery, callback_data: MoneyMenu, db: Database, user: User
) -> None:
    shop = await owned_shop(query, db, user, callback_data.shop_id, refusal())
    if shop is not None:
        await show_shop(query, shop, await money_settings(db, shop.id), user)
        await query.answer()


@router.callback_query(MoneyMenu.filter(F.action.in_({"regime", "rate", "no_fixed"})))
async def change_money(
    query: CallbackQuery, callback_data: MoneyMenu, db: Database, user: User
) -> None:
    shop = await owned_shop(query, db, user, callback_data.shop_id, refusal())
    if shop is None:
        return
    current = await money_settings(db, shop.id)
    if callback_data.action == "regime" and callback_data.value in set(TaxRegime):
        settings = await set_tax(db, shop.id, TaxRegime(callback_data.value), None, user.id)
    elif callback_data.action == "rate" and callback_data.value.isdigit():
        bp = int(callback_data.value)
        if bp not in RATES[current.regime]:
            await query.answer()
            return
        settings = await set_tax(db, shop.id, current.regime, bp, user.id)
    elif callback_data.action == "no_fixed":
        settings = await set_fixed_monthly(db, shop.id, 0, user.id)
    else:
        await query.answer()
        return
    await show_shop(query, shop, settings, user)
    await query.answer(_("Saved"))


@router.callback_query(MoneyMenu.filter(F.action.in_({"type_rate", "type_fixed"})))
async def ask_value(
    query: CallbackQuery, callback_data: MoneyMenu, db: Database, user: User, state: FSMContext
) -> None:
    shop = await owned_shop(query, db, user, callback_data.shop_id, refusal())
    if shop is None:
        return
    if callback_data.action == "type_rate":
        current = await money_settings(db, shop.id)
        if current.regime is TaxRegime.NONE:
            await query.answer()
            return
        await state.set_state(MoneyInput.rate)
        ask = _("Send the tax rate in percent, for example <code>4</code> or <code>6,5</code>.")
    else:
        await state.set_state(MoneyInput.fixed)
        ask = _(
            "Send the fixed expenses of «{shop}» per month in roubles (rent, salaries, "
            "services), for example <code>45 000</code>."
        ).format(shop=html.escape(shop.name))
    await state.update_data(shop_id=shop.id)
    await show(query, ask + " " + _("/cancel keeps the current value."), None)
    await query.answer()


NOT_A_COMMAND = F.text & ~F.text.startswith("/")


async def typed_shop(message: Message, db: Database, user: User, state: FSMContext) -> Shop | None:
    shop_id = (await state.get_data()).get("shop_id")
    shop = next((s for s in await owner_of(db, user) if s.id == shop_id), None)
    if shop is None:
        await state.clear()
        await message.answer(refusal())
    return shop


async def typed_saved(
    message: Message, shop: Shop, settings: MoneySettings, user: User, state: FSMContext
) -> None:
    await state.clear()
    lang = language_for(user.language, user.tg_language)
    await message.answer(
        _("Saved.") + "\n\n" + shop_text(shop, settings, lang),
        reply_markup=shop_keyboard(settings, lang),
    )


@router.message(MoneyInput.rate, NOT_A_COMMAND)
async def typed_rate(message: Message, db: Database, user: User, state: FSMContext) -> None:
    shop = await typed_shop(message, db, user, state)
    if shop is None:
        return
    hundredths = parse_kopecks((message.text or "").strip().rstrip("%"))
    if hundredths is None or not 0 < hundredths <= 10000:
        await message.answer(
            _(
                "That is not a rate. Write a percent above 0 and up to 100, for example 6. "
                "Try again or /cancel."
            )
        )
        return
    current = await money_settings(db, shop.id)
    settings = await set_tax(db, shop.id, current.regime, hundredths, user.id)
    await typed_saved(message, shop, settings, user, state)


@router.message(MoneyInput.fixed, NOT_A_COMMAND)
async def typed_fixed(message: Message, db: Database, user: User, state: FSMContext) -> None:
    shop = await typed_shop(message, db, user, state)
    if shop is None:
        return
    kopecks = parse_kopecks(message.text or "")
    if kopecks is None or not 0 <= kopecks <= MAX_KOPECKS:
        await message.answer(
            _(
                "That is not an amount. Write roubles a month, for example 45 000. "
                "Try again or /cancel."
            )
        )
        return
    settings = await set_fixed_monthly(db, shop.id, kopecks, user.id)
    await typed_saved(message, shop, settings, user, state)
