"""The process starts, answers /start in the user's language and stops cleanly."""

import sqlite3

from tests.e2e.harness import BotProcess


async def test_start_in_english_for_an_english_speaker(bot, tg):
    tg.user_message(1001, "/start", language_code="en")
    call = await tg.wait_for_text(1001, "How to connect", timeout=20)
    assert "Statistics" in call.text and "Read only" in call.text


async def test_start_in_russian_for_a_russian_speaker(bot, tg):
    tg.user_message(1002, "/start", language_code="ru")
    call = await tg.wait_for_text(1002, "Как подключить", timeout=20)
    assert "Статистика" in call.text


async def test_ukrainian_speaker_reads_russian_and_commands_exist_in_both(bot, tg):
    tg.user_message(1003, "/help", language_code="uk")
    await tg.wait_for_text(1003, "Как подключить", timeout=20)
    assert {"", "ru"} <= set(tg.commands)
    ru = {c["command"]: c["description"] for c in tg.commands["ru"]}
    assert ru["report"] != {c["command"]: c["description"] for c in tg.commands[""]}["report"]


async def test_sigterm_stops_cleanly_and_restart_resumes(tmp_path, tg, wb):
    proc = BotProcess(tmp_path / "d", tg.base_url, tg.token, wb.url_template)
    proc.start()
    await proc.wait_ready()
    tg.user_message(1004, "/start")
    await tg.wait_for_text(1004, "How to connect", timeout=20)
    assert await proc.stop() == 0
    assert "stopped" in proc.log()
    with sqlite3.connect(tmp_path / "d" / "wbpulse.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 1
    proc.start()
    await proc.wait_ready()
    tg.user_message(1004, "/help")
    await tg.wait_for_text(1004, "How to connect", timeout=20, after=len(tg.calls))
    assert await proc.stop() == 0
    assert tg.total_violations() == 0
    assert tg.token not in proc.log()


async def test_every_private_message_gets_an_answer(bot, tg):
    # As fast as a test can type: the replies are paced, none is lost to a 429.
    for text in ["hello", "/nonsense", "🙂" * 50, "/report", "x" * 4000]:
        before = len(tg.calls)
        tg.user_message(1005, text, language_code="en")
        await tg.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == 1005 and c.ok,
            timeout=20,
            after=before,
        )
    assert bot.alive
    assert tg.total_violations() == 0
