"""Tax and fixed expenses in /settings, through the buttons a seller sees: one new entry in the
main menu, the regime and rate per shop, typed values, and owners only."""

from __future__ import annotations

from bot.formats import NBSP
from bot.store.costs import MoneySettings, TaxRegime, money_settings
from bot.store.shops import create_invite
from tests.money.conftest import alert_text, button_data, press, say
from tests.reports.seed import make_shop

OWNER, MEMBER = 711, 712


def shown(tg, chat_id: int, message_id: int) -> str:
    return tg.message(chat_id, message_id)["text"]


async def open_money_menu(app, tg, user_id: int) -> int:
    await say(app, tg, user_id, "/settings")
    menu = tg.sent(user_id)[-1].result["message_id"]
    await press(app, tg, user_id, menu, button_data(tg, user_id, menu, "Tax and expenses"))
    return menu


async def test_tax_regime_rate_and_fixed_expenses_are_set_with_the_buttons(app, tg):
    shop = await make_shop(app.db, app.keyring, OWNER, "Лавка")
    menu = await open_money_menu(app, tg, OWNER)
    assert shown(tg, OWNER, menu) == (
        "💰 Tax and expenses · «Лавка»\n\nTax: none\nFixed expenses: none\n\n"
        "Profit counts them: the cost of goods comes from /costs."
    )

    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "USN «income»"))
    assert "Tax: USN «income», 6% of revenue" in shown(tg, OWNER, menu)
    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "4%"))
    assert "Tax: USN «income», 4% of revenue" in shown(tg, OWNER, menu)
    assert "• 4%" in str(tg.message(OWNER, menu)["reply_markup"])

    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "Type a rate"))
    await say(app, tg, OWNER, "abc")
    assert tg.texts(OWNER)[-1].startswith("That is not a rate.")
    await say(app, tg, OWNER, "6,5 %")
    assert tg.texts(OWNER)[-1].startswith("Saved.\n\n💰 Tax and expenses · «Лавка»\n\n")
    assert "Tax: USN «income», 6.5% of revenue" in tg.texts(OWNER)[-1]
    menu = tg.sent(OWNER)[-1].result["message_id"]  # the menu comes again under the answer

    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "Fixed expenses"))
    await say(app, tg, OWNER, "45 000")
    assert f"Fixed expenses: 45{NBSP}000{NBSP}₽ a month" in tg.texts(OWNER)[-1]
    menu = tg.sent(OWNER)[-1].result["message_id"]

    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "OSNO (VAT)"))
    assert "Tax: OSNO, VAT 22% included in the price" in shown(tg, OWNER, menu)
    assert await money_settings(app.db, shop.id) == MoneySettings(
        shop.id, TaxRegime.VAT, 2200, 4_500_000
    )

    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "No fixed expenses"))
    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "No tax"))
    assert await money_settings(app.db, shop.id) == MoneySettings(shop.id)
    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "« Back"))
    assert shown(tg, OWNER, menu).startswith("⚙️ Settings")


async def test_with_two_shops_the_menu_asks_which_and_each_keeps_its_own(app, tg):
    first = await make_shop(app.db, app.keyring, OWNER, "Лавка")
    second = await make_shop(app.db, app.keyring, OWNER, "Вторая")
    menu = await open_money_menu(app, tg, OWNER)
    assert shown(tg, OWNER, menu) == "💰 Tax and expenses: which shop?"
    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "Вторая"))
    await press(app, tg, OWNER, menu, button_data(tg, OWNER, menu, "USN «income minus"))
    assert "15% of revenue less expenses" in shown(tg, OWNER, menu)
    assert (await money_settings(app.db, second.id)).regime is TaxRegime.USN_PROFIT
    assert (await money_settings(app.db, first.id)).regime is TaxRegime.NONE


async def test_a_member_cannot_change_tax_or_expenses(app, tg):
    shop = await make_shop(app.db, app.keyring, OWNER, "Лавка")
    code = await create_invite(app.db, shop.id, OWNER, 3600)
    await say(app, tg, MEMBER, f"/start {code}")

    await open_money_menu(app, tg, MEMBER)
    assert alert_text(tg) == "Only a shop's owner sets its tax and expenses."
    # A forged button naming the owner's shop.
    await press(app, tg, MEMBER, 1, f"mny:regime:{shop.id}:usn_income")
    assert alert_text(tg) == "Only a shop's owner sets its tax and expenses."
    await press(app, tg, MEMBER, 1, f"mny:type_fixed:{shop.id}:")
    await say(app, tg, MEMBER, "1000")
    assert await money_settings(app.db, shop.id) == MoneySettings(shop.id)
