"""The callback data of the reviews settings (its own module: /settings shows the entry, the
reviews handlers answer it)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ReviewSettings(CallbackData, prefix="rv"):
    """A button of the reviews settings: open them, switch reviews or questions, a threshold."""

    action: str  # "open" | "reviews" | "questions" | "threshold"
    value: int = 0
