"""A lost, wrong or damaged master key stops `python -m bot` with one line naming the key file or
MASTER_KEYS (exit 2) instead of sealing the shops away under a new key; `check-config` opens a
sealed token to prove the key is the right one. No key ever appears in the output."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from bot.crypto import new_key
from tests.e2e.harness import run_cli
from tests.e2e.seed import seed_shop
from tests.fakes.tokens import make_token

BOT_TOKEN = "123456:" + "A" * 35
CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens: the bot must stop before Telegram


def seeded(tmp_path: Path, master: str) -> Path:
    data = tmp_path / "data"
    asyncio.run(seed_shop(data, master, make_token(acc=3), 7001, 0.001))
    return data


def run(data: Path, *args: str, master_keys: str | None = None) -> CompletedProcess[str]:
    env = {
        "DATA_DIR": str(data),
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": CLOSED_PORT,
        "WB_API_URL_TEMPLATE": CLOSED_PORT + "/{host}",
    }
    if master_keys is not None:
        env["MASTER_KEYS"] = master_keys
    return run_cli(env, *args)


def one_line(result: CompletedProcess[str], *secrets: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
    return lines[0]


def shop_state(data: Path) -> str:
    with sqlite3.connect(data / "wbpulse.sqlite3") as conn:
        return str(conn.execute("SELECT state FROM shops").fetchone()[0])


@pytest.mark.e2e
def test_a_lost_key_file_stops_the_bot_and_no_new_key_is_made(tmp_path):
    master = new_key()
    data = seeded(tmp_path, master)  # sealed under MASTER_KEYS, which is now forgotten
    line = one_line(run(data), master)
    assert str(data / "master.key") in line and "is missing" in line
    assert "MASTER_KEYS" in line and "1 WB token(s)" in line
    assert not (data / "master.key").exists()
    assert shop_state(data) == "active"
    # The key comes back: the same checks pass.
    ok = run(data, "check-config", master_keys=master)
    assert ok.returncode == 0, ok.stderr
    assert "master key from MASTER_KEYS opens 1 of 1 sealed WB token(s)" in ok.stdout
    assert master not in ok.stdout + ok.stderr


@pytest.mark.e2e
def test_a_wrong_key_stops_the_bot_and_check_config_says_so(tmp_path):
    master, other = new_key(), new_key()
    data = seeded(tmp_path, master)
    (data / "master.key").write_text(other + "\n")
    line = one_line(run(data), master, other)
    assert f"the master key file {data / 'master.key'} opens none of the 1 sealed" in line
    line = one_line(run(data, "check-config", master_keys=other), master, other)
    assert line.startswith("wbpulse: MASTER_KEYS opens none of the 1 sealed WB token(s)")
    assert (data / "master.key").read_text() == other + "\n"
    assert shop_state(data) == "active"


@pytest.mark.e2e
def test_a_damaged_key_file_is_named_in_one_line(tmp_path):
    master = new_key()
    data = seeded(tmp_path, master)
    damaged = "canary-not-a-key-" + master[:20]
    (data / "master.key").write_text(damaged)
    for args in ((), ("check-config",)):
        line = one_line(run(data, *args), master, damaged, master[:20])
        assert line.startswith(f"wbpulse: the master key file {data / 'master.key'} is not a")
        assert "MASTER_KEYS holds" not in line
    short = new_key()[:8]  # base64, but not 32 bytes
    (data / "master.key").write_text(short)
    line = one_line(run(data, "check-config"), master, short)
    assert "32 bytes" in line and str(data / "master.key") in line


@pytest.mark.e2e
def test_check_config_with_no_database_makes_no_key(tmp_path):
    data = tmp_path / "fresh"
    result = run(data, "check-config")
    assert result.returncode == 0, result.stderr
    assert "master key: none yet" in result.stdout
    assert not (data / "master.key").exists()


@pytest.mark.e2e
def test_rotate_keys_reseals_under_the_new_key_without_a_bot_token(tmp_path):
    old, new = new_key(), new_key()
    data = seeded(tmp_path, old)
    env = {"DATA_DIR": str(data), "MASTER_KEYS": f"{new},{old}"}
    rotated = run_cli(env, "rotate-keys")
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.startswith("re-sealed 1 token(s) under key ")
    # The old key can go now: the new one alone opens the token.
    ok = run(data, "check-config", master_keys=new)
    assert "master key from MASTER_KEYS opens 1 of 1 sealed WB token(s)" in ok.stdout, ok.stderr
    # Dropping the old key too early is refused in one line, nothing changed.
    early = seeded(tmp_path / "early", old)
    line = one_line(run_cli({"DATA_DIR": str(early), "MASTER_KEYS": new}, "rotate-keys"), old, new)
    assert line.startswith("wbpulse: MASTER_KEYS opens none of the 1 sealed WB token(s)")
    for output in (rotated, ok):
        assert old not in output.stdout + output.stderr
        assert new not in output.stdout + output.stderr
