"""The bot in the demo: `python -m bot` as a child process, as in production, pointed at the
fakes with WB's limits scaled down, and stopped as Docker stops it."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_TIMEZONE, Settings
from bot.crypto import new_key

#: WB's limits scaled by this: the 1-per-minute orders poll runs every 0.12 s, the 30-minute
#: stock snapshot every 3.6 s, so an hour of the bot's life takes about 7 s.
RATE_SCALE = 0.002
TICK_SECONDS = 0.05
#: The checkout this package lives in (the fakes are in its tests/).
ROOT = Path(__file__).resolve().parents[2]


def bot_env(tg: Any, wb: Any, data_dir: Path) -> dict[str, str]:
    """Only the demo's settings: none of the operator's (a real token, a real Telegram URL)
    leaks in from the environment."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        WB_API_URL_TEMPLATE=wb.url_template,
        DATA_DIR=str(data_dir),
        MASTER_KEYS=new_key(),
        WB_RATE_SCALE=str(RATE_SCALE),
        TICK_SECONDS=str(TICK_SECONDS),
        DEFAULT_TIMEZONE=DEFAULT_TIMEZONE,
        LOG_LEVEL="INFO",
    )
    return env


def start_bot(env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    # cwd is a scratch folder so a developer's .env is not read; the bot comes from PYTHONPATH.
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )


async def stop_bot(proc: subprocess.Popen[bytes], grace: float = 20.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(proc.wait, grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return await asyncio.to_thread(proc.wait)


def baseline_done(db_path: Path) -> bool:
    """Every job of the shop has finished its first, silent load (read from the bot's store
    through a read-only connection)."""
    if not db_path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            total, done = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(baseline_done), 0) FROM polls"
            ).fetchone()
    except sqlite3.Error:
        return False
    return bool(total) and total == done
