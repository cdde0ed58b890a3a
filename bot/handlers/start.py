"""/start and /help: what the bot does and which WB token to create."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

router = Router(name="start")


def help_text() -> str:
    return _(
        "<b>WB Pulse</b> watches your Wildberries shop and tells you what matters:\n"
        "• new orders (grouped when they come in bursts), cancellations, buyouts and returns;\n"
        "• low stock, forecast from how fast each product sells;\n"
        "• a daily summary at the time you choose, in your time zone;\n"
        "• reports on request: text, a chart and an Excel file.\n\n"
        "<b>How to connect</b>\n"
        "1. In the WB seller cabinet open Settings → Access to API and create a token.\n"
        "2. Tick the categories <b>Statistics</b> and <b>Analytics</b>. Add "
        "<b>Marketplace</b> for instant FBS order alerts, <b>Content</b> for product titles "
        "and photos, and <b>Questions and reviews</b> for alerts on bad reviews and new "
        "questions.\n"
        "3. Choose <b>Read only</b>: the bot never changes anything in your shop.\n"
        "4. Send it here as <code>/connect &lt;token&gt;</code>. I delete the message at once and "
        "keep the token encrypted.\n\n"
        "<b>Commands</b>\n"
        "/connect — connect a shop\n"
        "/shops — your shops; /disconnect — remove one\n"
        "/status — how fresh the data is, token expiry, last errors\n"
        "/report today | yesterday | week | month | 2026-11-01 2026-11-15\n"
        "/profit week — what you keep: WB's fees, cost of goods, tax and profit\n"
        "/stock — stock and days of cover\n"
        "/reviews — the latest unanswered negative reviews\n"
        "/summary — today's summary so far\n"
        "/costs — cost prices of your products as a table to fill in; "
        "/cost &lt;article&gt; &lt;price&gt; — one product's\n"
        "/settings — language, time zone, summary time, alerts, tax and expenses\n"
        "/language — switch between English and Russian"
    )


@router.message(CommandStart(deep_link=False))
async def start(message: Message, command: CommandObject | None = None) -> None:
    await message.answer(_("Hello! ") + help_text())


@router.message(Command("help"))
async def help_command(message: Message) -> None:
    await message.answer(help_text())
