"""A restart in the middle of /connect keeps the conversation: the process is killed while it
waits for the key, and the key sent to the new process completes the connect (issue 12: the
FSM lived in memory)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.harness import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tokens import ACC_PERSONAL, make_token
from tests.fakes.wb import FakeWB

pytestmark = pytest.mark.e2e

USER = 3030
SID = "5e11e700-0000-4000-8000-000000003030"


async def say(tg: FakeTelegram, text: str, expect: str) -> tuple[int, str]:
    after = len(tg.calls)
    message = tg.user_message(USER, text, language_code="en")
    call = await tg.wait_for_text(USER, expect, timeout=20, after=after)
    return message["message_id"], call.text


async def test_connect_killed_while_waiting_for_the_key_completes_after_restart(
    tmp_path, tg: FakeTelegram, wb: FakeWB
) -> None:
    key = make_token(acc=ACC_PERSONAL, categories=("statistics", "analytics"), sid=SID)
    wb.add_seller(key, name="ИП Перезапусков")
    bot = BotProcess(tmp_path / "data", tg.base_url, tg.token, wb.url_template)
    bot.start()
    try:
        await bot.wait_ready()
        await say(tg, "/connect", "Send me your WB API token")
        bot.kill()  # SIGKILL: nothing is saved on the way out
        bot.start()
        await bot.wait_ready()
        # Still waiting for the key: a stray line is answered as a wrong key, not as chat.
        await say(tg, "it is coming", "That does not look like a WB token")
        message_id, reply = await say(tg, key, "is connected")
        assert "ИП Перезапусков" in reply
        assert (USER, message_id) in tg.deleted
        await say(tg, "/cancel", "Nothing to cancel")  # the wait ended with the key
        assert bot.alive
    finally:
        assert await bot.stop() == 0, bot.log()[-3000:]
    with sqlite3.connect(bot.data_dir / "wbpulse.sqlite3") as conn:
        assert conn.execute("SELECT seller_id, state FROM shops").fetchall() == [(SID, "active")]
        assert conn.execute("SELECT COUNT(*) FROM fsm").fetchone()[0] == 0
    for path in bot.data_dir.iterdir():
        if path.is_file():
            assert key.split(".")[1].encode() not in path.read_bytes(), path.name
    assert key not in bot.log()
