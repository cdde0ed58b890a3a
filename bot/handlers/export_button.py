"""The "All orders (XLSX)" button under /report's Excel file, an aiogram CallbackData factory
(its own module: /report attaches it and bot.handlers.export answers it).

It names the shops as the report did (a shop id, or all of the user's) and the days as dates,
so it exports the same days whenever it is pressed."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.reports.periods import Period
from bot.store.shops import Shop


class OrdersExport(CallbackData, prefix="xo"):
    shops: str  # a shop id, or "all"
    first: str  # YYYYMMDD
    last: str


def export_button(shops: list[Shop], period: Period) -> InlineKeyboardMarkup:
    """The button under a report of ``shops`` (one, or all of the user's) for ``period``."""
    data = OrdersExport(
        shops=str(shops[0].id) if len(shops) == 1 else "all",
        first=f"{period.first:%Y%m%d}",
        last=f"{period.last:%Y%m%d}",
    )
    button = InlineKeyboardButton(text=_("All orders (XLSX)"), callback_data=data.pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
