"""`python -m bot demo` shows a seller's first hour with no token and no internet: the real bot
against the local fakes, the chat printed as the seller sees it, the chart and the Excel file
it sent saved to a folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import openpyxl

from tests.e2e.harness import ROOT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def digits(text: str) -> int:
    """A number as the bot writes it (thin or normal spaces between thousands)."""
    return int(re.sub(r"\D", "", text))


def test_demo_plays_a_first_hour_and_saves_the_files(tmp_path):
    out = tmp_path / "demo-output"
    # No operator settings: the demo must not need (or leak into) a real configuration.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WB_", "TELEGRAM_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    chat = done.stdout
    assert done.returncode == 0, chat[-3000:] + done.stderr[-3000:]

    assert "you> /connect" in chat and "(hidden)" in chat
    assert re.search(r"eyJ[\w-]{20,}", chat) is None, "the WB key must never be printed"
    assert "(your message with the key was deleted)" in chat
    assert "is connected" in chat
    # The burst comes as one grouped message, then a single order with its seller's article.
    assert re.search(r"new orders — 4\b", chat)
    single = re.search(r"New order · .*\n(?:.*\n){0,2}\s+Article ([A-Z]+-\d+-\d+)", chat)
    assert single, chat
    cancelled = chat.index("Order cancelled")
    assert single.group(1) in chat[cancelled : cancelled + 300]
    assert "Running low" in chat
    report = re.search(r"Orders: ([\d\s\u2009\u202f]+?) ·", chat)
    assert report and digits(report.group(1)) > 0, chat
    assert "you> /summary" in chat and "Today so far ·" in chat
    assert "you> /status" in chat and "last sync" in chat
    assert str(out) in chat.strip().splitlines()[-1]

    pngs = list(out.glob("*.png"))
    assert pngs and pngs[0].read_bytes().startswith(PNG_SIGNATURE)
    workbooks = list(out.glob("*.xlsx"))
    assert len(workbooks) == 1
    sheets = openpyxl.load_workbook(workbooks[0], read_only=True).sheetnames
    assert {"Days", "Products", "Orders"} <= set(sheets)
