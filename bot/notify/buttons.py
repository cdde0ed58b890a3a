"""The data of the buttons under alerts, shared by the alert that shows them and the handler that
answers them (bot.handlers). Packed strings stay as they were, so buttons under alerts sent
before a release keep working."""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

#: An id SQLite can hold: forged button data beyond it is refused by the filter, not by SQLite.
RowId = Annotated[int, Field(ge=-(2**63), lt=2**63)]


class MuteProduct(CallbackData, prefix="mute"):
    """Under a single-product low-stock alert: snooze the product for a week, or ignore it."""

    shop_id: RowId
    nm_id: RowId
    how: Literal["week", "ever"]
