"""Runs the real bot (`python -m bot`) as a process against the fake servers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One `python -m bot` process (`args=("worker",)`: a worker); its output goes to a log
    file the tests can scan (`name` tells the processes of one data folder apart)."""

    def __init__(
        self,
        data_dir: Path,
        tg_url: str,
        tg_token: str,
        wb_template: str,
        *,
        args: tuple[str, ...] = (),
        name: str = "bot",
        **env: str,
    ) -> None:
        self.data_dir = data_dir
        self.args = args
        self.log_path = data_dir.parent / f"{data_dir.name}-{name}.log"
        # What the log says once this start is at work: a worker never polls Telegram.
        self.ready_text = "not taking Telegram updates" if "worker" in args else "Run polling"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WB_", "TELEGRAM_"))
        }
        self.env.update(
            BOT_TOKEN=tg_token,
            TELEGRAM_API_URL=tg_url,
            WB_API_URL_TEMPLATE=wb_template,
            DATA_DIR=str(data_dir),
            WB_RATE_SCALE="0.001",
            TICK_SECONDS="0.05",
            LOG_LEVEL="INFO",
        )
        self.env.update(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self._ready_mark = 0

    def start(self) -> None:
        self._ready_mark = self.log().count(self.ready_text)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def wait_ready(self, within: float = 60) -> None:
        """Until this start's process is polling (the fake may still see a killed one's poll)."""
        for _ in range(int(within * 20)):
            if self.log().count(self.ready_text) > self._ready_mark:
                return
            if not self.alive:
                raise AssertionError("bot exited:\n" + self.log()[-3000:])
            await asyncio.sleep(0.05)
        raise AssertionError("bot did not start polling:\n" + self.log()[-3000:])

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    async def stop(self, sig: int = signal.SIGTERM, grace: float = 20) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        for _ in range(int(grace * 20)):
            if self.proc.poll() is not None:
                return self.proc.returncode
            await asyncio.sleep(0.05)
        self.proc.kill()
        return self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def run_cli(
    env_extra: dict[str, str], *args: str, cwd: Path = ROOT, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m bot <args>` to its end, with the operator's variables only from ``env_extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "WB_", "TELEGRAM_", "MASTER_", "DATA_"))
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
