"""The installed package, not the checkout: a wheel built the way `pip install .` (and the
Dockerfile) builds it carries compiled catalogues, so the bot speaks Russian and its commands
work from any directory; `health` needs no BOT_TOKEN."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "bot", "locales")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel of a clean copy of the sources (what the image gets), unpacked."""
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.mo.tmp")
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "out"), src],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "out").glob("*.whl")
    site = tmp / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def run_installed(
    site: Path, cwd: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """The base interpreter with the unpacked wheel first and this venv's dependencies after it
    (a path on PYTHONPATH does not run the editable install's hook, so `bot` is the wheel's)."""
    deps = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [getattr(sys, "_base_executable", sys.executable), *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{site}:{deps}", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def russian(msgid: str) -> str:
    with (ROOT / "locales" / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return str(read_po(fh, locale="ru")[msgid].string)


def test_the_installed_bot_speaks_russian_from_another_directory(installed, tmp_path):
    assert not list(installed.glob("bot/locales/*/LC_MESSAGES/*.po")), "only compiled ones ship"
    probe = (
        "import bot, bot.i18n as i; m = i.make_i18n(); print(bot.__file__); "
        "print(i.locales_dir()); print(m.gettext('Start and help', locale='ru'))"
    )
    result = run_installed(installed, tmp_path, "-c", probe)
    assert result.returncode == 0, result.stderr
    module, root, text = result.stdout.splitlines()
    assert module == str(installed / "bot" / "__init__.py")
    assert root == str(installed / "bot" / "locales")
    assert text == russian("Start and help") != "Start and help"


def test_the_installed_commands_run_from_any_directory(installed, tmp_path):
    data = tmp_path / "data"
    ok = run_installed(
        installed,
        tmp_path,
        "-m",
        "bot",
        "check-config",
        BOT_TOKEN="123456:" + "A" * 35,
        DATA_DIR=str(data),
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"ok: data in {data}")
    # The image's HEALTHCHECK: no BOT_TOKEN in its environment.
    data.mkdir()
    (data / "heartbeat").write_text(f"{time.time():.0f}\n")
    health = run_installed(
        installed, tmp_path, "-X", "importtime", "-m", "bot", "health", DATA_DIR=str(data)
    )
    assert health.returncode == 0, health.stderr
    assert health.stdout.startswith("healthy")
    # Every 30 s on the bot's own 2 cores, within a 5 s timeout: only the settings are loaded
    # (with aiogram, matplotlib and the store it took 5 s of CPU).
    imported = {line.rsplit("|", 1)[-1].strip() for line in health.stderr.splitlines()}
    assert "bot.config" in imported
    assert not {"aiogram", "matplotlib", "aiosqlite", "bot.app"} & imported
    (data / "heartbeat").write_text(f"{time.time() - 600:.0f}\n")
    stale = run_installed(installed, tmp_path, "-m", "bot", "health", DATA_DIR=str(data))
    assert stale.returncode == 1
    assert stale.stderr.startswith("unhealthy: last heartbeat")
