"""The callback data of the money buttons (their own module: /settings shows the entry to the
tax menu, bot/handlers/settings/money.py answers it)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CostShop(CallbackData, prefix="cst"):
    """/costs with several shops: the template of this one."""

    shop_id: int


class CostPick(CallbackData, prefix="cpk"):
    """/cost matched products in several shops: set the cost of this one."""

    shop_id: int
    nm_id: int
    kopecks: int


class MoneyMenu(CallbackData, prefix="mny"):
    """A button of the tax and expenses settings."""

    action: str  # "open" | "shop" | "regime" | "rate" | "type_rate" | "type_fixed" | "no_fixed"
    shop_id: int = 0
    value: str = ""
