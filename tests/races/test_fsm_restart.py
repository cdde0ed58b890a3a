"""A conversation survives a restart: the FSM lives in the database (issue 12: it lived in
memory, so a restart in the middle of /settings or /connect lost it)."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.app import build, shutdown
from bot.store.fsm import KeyInStateData, SQLiteStorage
from bot.wb.token import looks_like_token
from tests.dispatch import _detach_routers, press, say
from tests.fakes.tokens import make_token

USER = 5150


async def restart(app):
    """Stops the app as the process would at SIGTERM and builds a fresh one on the same data."""
    await shutdown(app)
    _detach_routers()
    return await build(app.settings)


async def test_settings_waiting_for_a_time_zone_takes_it_after_a_restart(app, tg):
    await say(app, tg, USER, "/settings")
    menu = tg.sent(USER)[-1].result["message_id"]
    await press(app, tg, USER, menu, "set:tz:type")
    assert "Send the name of your time zone" in tg.message(USER, menu)["text"]
    again = await restart(app)
    try:
        await say(again, tg, USER, "Asia/Yekaterinburg")
        await say(again, tg, USER, "Asia/Dubai")  # the conversation ended with the first answer
    finally:
        await shutdown(again)
    saved, after = tg.texts(USER)[-2:]
    assert saved.startswith("Saved.") and "Asia/Yekaterinburg" in saved
    assert after.startswith("I did not understand that.")
    store = app.settings.database()  # SQLite or PostgreSQL, as the app ran
    await store.open()
    try:
        assert await store.fetchall("SELECT * FROM fsm") == []
    finally:
        await store.close()


async def test_conversation_data_keeps_its_values_and_refuses_a_wb_key(db):
    storage = SQLiteStorage(db, looks_like_token)
    key = StorageKey(bot_id=1, chat_id=USER, user_id=USER)
    await storage.set_state(key, "SettingsInput:quiet")
    await storage.set_data(key, {"shop": 7, "labels": ["a", "б"]})
    fresh = SQLiteStorage(db, looks_like_token)  # what a restarted process reads
    assert await fresh.get_state(key) == "SettingsInput:quiet"
    assert await fresh.get_data(key) == {"shop": 7, "labels": ["a", "б"]}
    with pytest.raises(KeyInStateData):
        await storage.set_data(key, {"draft": {"text": f"my key {make_token()}"}})
    assert await fresh.get_data(key) == {"shop": 7, "labels": ["a", "б"]}
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    assert await db.fetchall("SELECT * FROM fsm") == []
