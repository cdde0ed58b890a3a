"""`python -m bot demo`: a seller's first hour with the bot, played in well under a minute
without a bot token or internet.

Why this shape: the point is proof that the real bot works, so nothing here stands in for it.
The bot runs as `python -m bot` in a child process, exactly as in production, pointed at the
project's own test doubles on 127.0.0.1: a WB seller API simulator (tests/fakes/wb.py, which
enforces WB's rate limits) and a local Telegram Bot API (tests/fakes/telegram.py, which enforces
Telegram's flood limits and records every call). WB's rate limits are scaled down (WB_RATE_SCALE)
so an hour of polling plays in seconds. The chat is printed from the fake Telegram's record of
what the bot really sent; the chart and the Excel file it sent are saved to a folder.

The fakes live in the checkout's tests/ (not in the installed package), so the demo runs from
the project root of a checkout.
"""

from __future__ import annotations

from bot.demo.chat import default_language
from bot.demo.story import run_demo

__all__ = ["default_language", "run_demo"]
