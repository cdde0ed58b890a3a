"""/settings, /language, /summary and the low-stock buttons as a user sees them: real Dispatcher
and Bot, fake Bot API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.store.users import ensure_user, get_user
from tests.alerts.conftest import press, say
from tests.lang import nb
from tests.reports.seed import make_shop, order, store_rows

USER = 800
MSK = ZoneInfo("Europe/Moscow")


async def open_menu(app, tg) -> int:
    await say(app, tg, USER, "/settings")
    return tg.sent(USER)[-1].result["message_id"]


def shown(tg, message_id: int) -> str:
    return tg.message(USER, message_id)["text"]


async def test_menu_buttons_change_the_settings_and_edit_the_menu_in_place(app, tg):
    menu = await open_menu(app, tg)
    assert "Low-stock warning when stock lasts under 7 days" in shown(tg, menu)
    await press(app, tg, USER, menu, "set:horizon")
    await press(app, tg, USER, menu, "set:horizon:14")
    await press(app, tg, USER, menu, "set:time:07:00")
    await press(app, tg, USER, menu, "set:tz:Asia/Novosibirsk")
    await press(app, tg, USER, menu, "set:quiet:23:00-09:00")
    await press(app, tg, USER, menu, "set:alert:orders")
    await press(app, tg, USER, menu, "set:alert:stock")
    await press(app, tg, USER, menu, "set:photos")
    user = await get_user(app.db, USER)
    assert user.stock_horizon_days == 14
    assert user.summary_time == "07:00"
    assert user.timezone == "Asia/Novosibirsk"
    assert (user.quiet_start, user.quiet_end) == ("23:00", "09:00")
    assert not user.alert_orders and not user.alert_stock and user.alert_cancels
    assert not user.photos
    assert len(tg.sent(USER)) == 1  # every change edited the one menu message
    await press(app, tg, USER, menu, "set:menu")
    text = shown(tg, menu)
    assert "under 14 days" in text and "Asia/Novosibirsk" in text and "23:00–09:00" in text
    await press(app, tg, USER, menu, "set:quiet:off")
    assert (await get_user(app.db, USER)).quiet_start is None


async def test_typed_zone_time_and_quiet_hours_with_clear_answers_to_bad_input(app, tg):
    menu = await open_menu(app, tg)
    await press(app, tg, USER, menu, "set:tz:type")
    await say(app, tg, USER, "Mars/Phobos")
    assert "I do not know the time zone «Mars/Phobos»" in tg.texts(USER)[-1]
    await say(app, tg, USER, "America/Sao_Paulo")
    assert (await get_user(app.db, USER)).timezone == "America/Sao_Paulo"
    assert "Saved." in tg.texts(USER)[-1]

    await press(app, tg, USER, menu, "set:time:type")
    await say(app, tg, USER, "25:61")
    assert "That is not a time" in tg.texts(USER)[-1]
    await say(app, tg, USER, "8:30")
    assert (await get_user(app.db, USER)).summary_time == "08:30"

    await press(app, tg, USER, menu, "set:quiet:type")
    await say(app, tg, USER, "22:00-22:00")
    assert "start and end must differ" in tg.texts(USER)[-1]
    await say(app, tg, USER, "22:30 – 7:00")
    user = await get_user(app.db, USER)
    assert (user.quiet_start, user.quiet_end) == ("22:30", "07:00")

    await press(app, tg, USER, menu, "set:tz:type")
    await say(app, tg, USER, "/cancel")
    await say(app, tg, USER, "Europe/Moscow")  # no longer waiting for a zone
    assert (await get_user(app.db, USER)).timezone == "America/Sao_Paulo"


async def test_language_command_and_button_switch_the_language(app, tg):
    await say(app, tg, USER, "/language ru")
    assert (await get_user(app.db, USER)).language == "ru"
    assert tg.texts(USER)[-1] == "Готово: буду говорить по-русски."
    await say(app, tg, USER, "/language")
    picker = tg.sent(USER)[-1].result["message_id"]
    await press(app, tg, USER, picker, "set:lang:en")
    assert (await get_user(app.db, USER)).language == "en"
    assert "Settings" in shown(tg, picker)


async def test_snooze_and_ignore_buttons_mute_the_product(app, tg):
    await ensure_user(app.db, USER, "en", "Europe/Moscow")
    shop = await make_shop(app.db, app.keyring, USER)
    stranger = await make_shop(app.db, app.keyring, 999, name="Other")
    await say(app, tg, USER, "/settings")
    message = tg.sent(USER)[-1].result["message_id"]
    await press(app, tg, USER, message, f"mute:{shop.id}:11:week")
    await press(app, tg, USER, message, f"mute:{shop.id}:12:ever")
    await press(app, tg, USER, message, f"mute:{stranger.id}:13:ever")
    rows = await app.db.fetchall("SELECT shop_id, nm_id, until FROM stock_mutes ORDER BY nm_id")
    assert [(r[0], r[1]) for r in rows] == [(shop.id, 11), (shop.id, 12)]
    assert abs(rows[0][2] - (time.time() + 7 * 86400)) < 60
    assert rows[1][2] is None
    answers = [str(a.get("text")) for a in tg.answered.values()]
    assert any("not connected to your account" in a for a in answers)


async def test_summary_command_shows_today_so_far_including_this_hour(app, tg):
    await ensure_user(app.db, USER, "en", "Europe/Moscow")
    shop = await make_shop(app.db, app.keyring, USER)
    now = datetime.now(UTC)
    first = now - timedelta(seconds=5)
    if first.astimezone(MSK).date() != now.astimezone(MSK).date():
        pytest.skip("Moscow midnight fell between the two orders")
    await store_rows(app.db, shop.id, [order("a", first, 1500), order("b", now, 250)])
    await say(app, tg, USER, "/summary")
    text = tg.texts(USER)[-1]
    assert "Today so far" in text
    assert nb("Orders: 2 · 1 750 ₽") in text


async def test_summary_without_a_shop_says_how_to_connect(app, tg):
    await say(app, tg, USER, "/summary")
    assert "No shop is connected yet" in tg.texts(USER)[-1]


def button_data(tg, message_id: int, text: str) -> str:
    keyboard = tg.message(USER, message_id)["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in keyboard for b in row if b["text"] == text)


async def test_the_time_and_quiet_buttons_as_shown_set_what_they_say(app, tg):
    menu = await open_menu(app, tg)
    await press(app, tg, USER, menu, button_data(tg, menu, "📊 Summary time"))
    await press(app, tg, USER, menu, button_data(tg, menu, "08:00"))
    await press(app, tg, USER, menu, button_data(tg, menu, "🌙 Quiet hours"))
    await press(app, tg, USER, menu, button_data(tg, menu, "22:00–08:00"))
    user = await get_user(app.db, USER)
    assert (user.summary_time, user.quiet_start, user.quiet_end) == ("08:00", "22:00", "08:00")
    assert "Quiet hours: 22:00–08:00" in shown(tg, menu)


async def test_time_and_quiet_buttons_sent_before_the_button_factories_still_work(app, tg):
    """These two packed HH:MM with a colon, the separator of aiogram's callback data."""
    menu = await open_menu(app, tg)
    await press(app, tg, USER, menu, "set:time:07:00")
    await press(app, tg, USER, menu, "set:quiet:23:00-09:00")
    user = await get_user(app.db, USER)
    assert (user.summary_time, user.quiet_start, user.quiet_end) == ("07:00", "23:00", "09:00")
    assert [a.get("text") for a in tg.answered.values()] == ["Saved", "Saved"]
