"""`python -m bot demo` shows a seller's first hour with no token and no internet: the real bot
against the local fakes, the chat printed as the seller sees it, the chart and the Excel file
it sent saved to a folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import openpyxl
import pytest

from bot.demo import default_language
from tests.e2e.harness import ROOT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def digits(text: str) -> int:
    """A number as the bot writes it (thin or normal spaces between thousands)."""
    return int(re.sub(r"\D", "", text))


def play_demo(out, lang: str) -> str:
    # No operator settings: the demo must not need (or leak into) a real configuration.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WB_", "TELEGRAM_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", str(out), "--lang", lang],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_demo_plays_a_first_hour_and_saves_the_files(tmp_path):
    out = tmp_path / "demo-output"
    chat = play_demo(out, "en")

    assert "you> /connect" in chat and "(hidden)" in chat
    assert re.search(r"eyJ[\w-]{20,}", chat) is None, "the WB key must never be printed"
    assert "(your message with the key was deleted)" in chat
    assert "is connected" in chat
    # One story about the first sync: the bot and the narration both say 90 days.
    assert "quietly loads the last 90 days" in chat and "loads WB's last 90 days" in chat
    assert not re.search(r"loads (the last )?30 days", chat)
    # The burst comes as one grouped message, then a single order with its seller's article.
    assert re.search(r"new orders — 4\b", chat)
    single = re.search(r"New order · .*\n(?:.*\n){0,2}\s+Article ([A-Z]+-\d+-\d+)", chat)
    assert single, chat
    cancelled = chat.index("Order cancelled")
    assert single.group(1) in chat[cancelled : cancelled + 300]
    assert "Running low" in chat
    report = re.search(r"Orders: ([\d\s\u2009\u202f]+?) ·", chat)
    assert report and digits(report.group(1)) > 0, chat
    # The money view: the cost template goes out and comes back filled, then the week's profit.
    assert "you> /costs" in chat and "you> [wbpulse_costs_" in chat
    assert re.search(r"5 cost prices saved", chat), chat
    profit = re.search(
        r"you> /profit week\n.*\n.*\n(?:.*\n)*?\s+Profit: (−?[\d\s]+\.\d\d)\s₽", chat
    )
    assert profit, chat
    assert re.search(r"Cost of goods: [1-9][\d\s]*\.\d\d\s₽", chat), chat
    assert "you> /summary" in chat and "Today so far ·" in chat
    assert "you> /status" in chat and "last sync" in chat
    assert str(out) in chat.strip().splitlines()[-1]

    pngs = list(out.glob("*.png"))
    assert pngs and pngs[0].read_bytes().startswith(PNG_SIGNATURE)
    workbooks = sorted(out.glob("*.xlsx"))
    assert [w.name.startswith("wbpulse_costs_") for w in workbooks] == [True, False]
    sheets = openpyxl.load_workbook(workbooks[1], read_only=True).sheetnames
    # Every order comes as its own file at the "All orders (XLSX)" button, not as a sheet.
    assert {"Days", "Products"} <= set(sheets) and "Orders" not in sheets


def test_the_demo_in_russian_is_russian_from_the_first_line_to_the_last(tmp_path):
    out = tmp_path / "demo-output"
    chat = play_demo(out, "ru")

    assert chat.startswith("Демо WB Pulse")
    assert "Анна, продавец на WB" in chat and "(скрыт)" in chat
    assert "(ваше сообщение с ключом удалено)" in chat and "подключён" in chat
    assert "тихо загрузит последние 90 дней" in chat and "последние 90 дней из WB" in chat
    assert re.search(r"новые заказы — 4\b", chat)
    assert "Заказ отменён" in chat and "Заканчивается товар" in chat
    assert "you> /report неделя" in chat
    header = re.search(r"(\d{2})\.(\d{2})\.(\d{4}) – \d{2}\.\d{2}\.\d{4}", chat)
    assert header, chat  # the week's report, dated as Russian sellers write dates
    report = re.search(r"Заказы: ([\d\s]+?) ·", chat)
    assert report and digits(report.group(1)) > 0, chat
    assert "Сегодня на текущий момент ·" in chat and "последняя синхронизация" in chat
    assert not re.search(r"\b(Orders|New order|Running low|Today so far)\b", chat)
    assert chat.strip().splitlines()[-1].startswith("Готово за")
    assert "you> /profit неделя" in chat and "Себестоимость:" in chat
    assert re.search(r"сохранена себестоимость 5 товаров", chat), chat
    report_book = [w for w in out.glob("*.xlsx") if not w.name.startswith("wbpulse_costs_")]
    sheets = openpyxl.load_workbook(report_book[0], read_only=True).sheetnames
    assert {"Дни", "Товары", "Прибыль"} <= set(sheets) and "Заказы" not in sheets


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"}, "ru"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_demo_speaks_russian_by_default_on_a_russian_system(environ, language):
    assert default_language(environ) == language
