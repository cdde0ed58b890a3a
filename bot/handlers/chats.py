"""Where alerts go: a shop's group chat (/notify_here) or its members' private chats
(/notify_private); and chats that block the bot or come back (my_chat_member)."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.notify import chat_returned
from bot.store import Database
from bot.store.outbox import block_chat, note_chat
from bot.store.shops import Shop, set_alert_chat, shops_of_user
from bot.store.users import User

router = Router(name="chats")

GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}
GONE = {"kicked", "left"}
CALLBACK = "notify_here:"


@router.my_chat_member()
async def membership_changed(event: ChatMemberUpdated, db: Database) -> None:
    """Blocked or removed: stop sending there. Unblocked or added: alerts flow again."""
    status = event.new_chat_member.status
    if status in GONE:
        await block_chat(db, event.chat.id)
    else:
        await note_chat(db, event.chat.id, event.chat.type)
        await chat_returned(db, event.chat.id)


async def _route_here(db: Database, shop: Shop, message: Message) -> str:
    await set_alert_chat(db, shop.id, message.chat.id)
    await note_chat(db, message.chat.id, message.chat.type)
    await chat_returned(db, message.chat.id)
    return _("Alerts of «{shop}» will come to this chat now. /notify_private sends them back.")


@router.message(Command("notify_here"), F.chat.type.in_(GROUP_TYPES))
async def notify_here(message: Message, db: Database, user: User) -> None:
    shops = [shop for shop, _role in await shops_of_user(db, user.id)]
    if not shops:
        await message.answer(
            _(
                "Only a member of a connected shop can send its alerts here. Connect a shop in "
                "a private chat with me first (/connect)."
            )
        )
        return
    if len(shops) == 1:
        text = await _route_here(db, shops[0], message)
        await message.answer(text.format(shop=html.escape(shops[0].name)))
        return
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=shop.name[:60], callback_data=f"{CALLBACK}{shop.id}")]
            for shop in shops
        ]
    )
    await message.answer(_("Which shop's alerts should come here?"), reply_markup=keyboard)


@router.callback_query(F.data.startswith(CALLBACK))
async def notify_here_chosen(query: CallbackQuery, db: Database, user: User) -> None:
    message = query.message
    shop_id = (query.data or "")[len(CALLBACK) :]
    shops = {str(shop.id): shop for shop, _role in await shops_of_user(db, user.id)}
    shop = shops.get(shop_id)
    if not isinstance(message, Message) or shop is None:
        await query.answer(_("That shop is not yours."), show_alert=True)
        return
    text = await _route_here(db, shop, message)
    await query.answer()
    await message.answer(text.format(shop=html.escape(shop.name)))


@router.message(Command("notify_here"))
async def notify_here_private(message: Message) -> None:
    await message.answer(
        _("Add me to a group, then send /notify_here there to get a shop's alerts in it.")
    )


@router.message(Command("notify_private"))
async def notify_private(message: Message, db: Database, user: User) -> None:
    """Back to every member's private chat: in a group for the shops routed there, in a private
    chat for all the user's shops."""
    in_group = message.chat.type in GROUP_TYPES
    moved = []
    for shop, _role in await shops_of_user(db, user.id):
        if shop.alert_chat_id is None:
            continue
        if in_group and shop.alert_chat_id != message.chat.id:
            continue
        await set_alert_chat(db, shop.id, None)
        moved.append(html.escape(shop.name))
    if not moved:
        await message.answer(_("Alerts already go to private chats."))
        return
    await message.answer(
        _("Alerts of {shops} go to every member's private chat again.").format(
            shops=", ".join(f"«{name}»" for name in moved)
        )
    )
