"""`python -m bot` against a Telegram that refuses the token or cannot be reached: a wrong token
ends in one line and exit 2 (retrying cannot help); an outage is waited out with a back-off and
one log line per attempt, never a traceback, and the bot then works."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import BotProcess, run_cli

WRONG_TOKEN = "654321:" + "W" * 35
CLOSED_PORT = "http://127.0.0.1:9"


async def test_a_token_telegram_rejects_stops_the_bot_with_one_line(tmp_path, tg):
    result = await asyncio.to_thread(
        run_cli,
        {
            "BOT_TOKEN": WRONG_TOKEN,
            "TELEGRAM_API_URL": tg.base_url,
            "WB_API_URL_TEMPLATE": CLOSED_PORT + "/{host}",
            "DATA_DIR": str(tmp_path / "data"),
        },
    )
    assert result.returncode == 2, result.stderr
    # A fresh data folder: the token is checked before the database is created or migrated.
    assert result.stderr == (
        "wbpulse: Telegram rejected BOT_TOKEN (401 Unauthorized): copy the token again "
        "from @BotFather\n"
    )
    assert result.stdout == ""
    assert WRONG_TOKEN not in result.stdout + result.stderr
    assert [c.method for c in tg.calls] == ["getMe"]


async def test_telegram_unreachable_at_start_is_retried_then_the_bot_answers(tmp_path, tg, wb):
    tg.disconnect_next("getMe", times=2)
    tg.fail_next("getMe", 502, "Bad Gateway")
    proc = BotProcess(
        tmp_path / "data", tg.base_url, tg.token, wb.url_template, TELEGRAM_RETRY_SECONDS="0.1"
    )
    proc.start()
    try:
        await proc.wait_ready()
        tg.user_message(1101, "/start", language_code="en")
        await tg.wait_for_text(1101, "How to connect", timeout=20)
    finally:
        assert await proc.stop() == 0
    log = proc.log()
    retries = [line for line in log.splitlines() if "Telegram unreachable at start" in line]
    assert len(retries) == 3, log
    assert [r.split("attempt ")[1].split(",")[0] for r in retries] == ["1", "2", "3"]
    assert [r.rsplit("next in ", 1)[1] for r in retries] == ["0.1 s", "0.2 s", "0.4 s"]
    assert "Server disconnected" in retries[0] and "Bad Gateway" in retries[2]
    assert "Traceback" not in log
    assert tg.token not in log


async def test_a_closed_telegram_port_backs_off_without_a_traceback(tmp_path):
    proc = BotProcess(
        tmp_path / "data",
        CLOSED_PORT,
        "123456:" + "A" * 35,
        CLOSED_PORT + "/{host}",
        TELEGRAM_RETRY_SECONDS="0.2",
    )
    proc.start()
    try:
        for _ in range(1200):  # up to 60 s: a loaded machine starts Python slowly
            if proc.log().count("Telegram unreachable at start") >= 3 or not proc.alive:
                break
            await asyncio.sleep(0.05)
        assert proc.alive, proc.log()
    finally:
        await proc.stop()
    retries = [line for line in proc.log().splitlines() if "Telegram unreachable" in line]
    assert len(retries) >= 3, proc.log()
    assert "Cannot connect to host 127.0.0.1:9" in retries[0]
    assert [r.rsplit("next in ", 1)[1] for r in retries[:3]] == ["0.2 s", "0.4 s", "0.8 s"]
    assert "Traceback" not in proc.log()
