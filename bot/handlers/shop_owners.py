"""The shops a user owns, for what only an owner changes (cost prices, tax and expenses): every
button names its shop and is checked against the presser's role, as buttons can be forged. And
the shops a user sees at all, for /shops and /status."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.store.db import Database
from bot.store.shops import Shop, shops_of_user
from bot.store.team import shops_with_roles
from bot.store.users import User


async def owner_of(db: Database, user: User) -> list[Shop]:
    """The shops the user owns (members see a shop's money but do not change it)."""
    return [shop for shop, role in await shops_of_user(db, user.id) if role == "owner"]


async def owned_shop(
    query: CallbackQuery, db: Database, user: User, shop_id: int, refusal: str = ""
) -> Shop | None:
    """The shop a button names if the presser owns it (buttons can be forged); otherwise says
    so (``refusal``, or that only owners change costs) and gives None."""
    shop = next((s for s in await owner_of(db, user) if s.id == shop_id), None)
    if shop is None:
        refusal = refusal or _("Only a shop's owner can change its cost prices.")
        await query.answer(refusal, show_alert=True)
    return shop


async def shops_listed(
    message: Message, db: Database, user: User
) -> list[tuple[Shop, str]] | None:
    """The user's shops, each with the user's role; None, after saying there are none yet."""
    shops = await shops_with_roles(db, user.id)
    if not shops:
        await message.answer(_("You have no shops yet. Send /connect to add one."))
        return None
    return shops
