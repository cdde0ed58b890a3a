"""Where alerts go: a shop's group chat (/notify_here) or its members' private chats
(/notify_private); and chats that block the bot or come back (my_chat_member).

The owner decides where a shop's alerts go. A member's /notify_here asks the owners, who get
buttons to allow or refuse it; a member's /notify_private gets them a private copy only."""

from __future__ import annotations

import html
import logging
import time
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.notify import chat_returned
from bot.notify.team import RouteAnswer, RouteChoice
from bot.store import Database, team
from bot.store.outbox import block_chat, note_chat
from bot.store.shops import Shop, get_shop, role_of, shops_of_user
from bot.store.users import User

log = logging.getLogger(__name__)

router = Router(name="chats")

GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}
GONE = {"kicked", "left"}
#: A member's repeated /notify_here within this time does not ask the owners again.
REQUEST_AGAIN_SECONDS = 3600


@router.my_chat_member()
async def membership_changed(event: ChatMemberUpdated, db: Database) -> None:
    """Blocked or removed: stop sending there (a shop's group alerts go to private chats then,
    not nowhere). Unblocked or added: alerts flow again."""
    status = event.new_chat_member.status
    if status in GONE:
        if event.chat.type in GROUP_TYPES:
            await team.group_gone(db, event.chat.id, event.chat.title or "", event.from_user.id)
        await block_chat(db, event.chat.id)
    else:
        await note_chat(db, event.chat.id, event.chat.type)
        await chat_returned(db, event.chat.id)


async def _route_here(db: Database, shop: Shop, message: Message, user: User) -> str:
    """The owner's own choice: the shop's alerts come to this group from now on."""
    await note_chat(db, message.chat.id, message.chat.type)
    await chat_returned(db, message.chat.id)
    await team.set_route(db, shop.id, message.chat.id, user.id, user.id, message.chat.title or "")
    return _(
        "Alerts of «{shop}» will come to this chat now. /notify_private sends them back."
    ).format(shop=html.escape(shop.name))


async def _ask_owner(db: Database, shop: Shop, message: Message, user: User) -> str:
    """A member may not move a shop's alerts: the owners get buttons to allow it."""
    await note_chat(db, message.chat.id, message.chat.type)
    since = time.time() - REQUEST_AGAIN_SECONDS
    if not await team.was_requested(db, shop.id, user.id, message.chat.id, since):
        await team.request_route(db, shop.id, user.id, message.chat.id, message.chat.title or "")
    return _(
        "Where the alerts of «{shop}» go is the owner's decision. I asked the owner: once they "
        "allow it, the alerts will come to this chat."
    ).format(shop=html.escape(shop.name))


async def _here(db: Database, shop: Shop, role: str, message: Message, user: User) -> str:
    if role == "owner":
        return await _route_here(db, shop, message, user)
    return await _ask_owner(db, shop, message, user)


@router.message(Command("notify_here"), F.chat.type.in_(GROUP_TYPES))
async def notify_here(message: Message, db: Database, user: User) -> None:
    shops = await shops_of_user(db, user.id)
    if not shops:
        await message.answer(
            _(
                "Only a member of a connected shop can send its alerts here. Connect a shop in "
                "a private chat with me first (/connect)."
            )
        )
        return
    if len(shops) == 1:
        await message.answer(await _here(db, *shops[0], message, user))
        return
    keyboard = InlineKeyboardBuilder()
    for shop, _role in shops:  # one shop a row
        keyboard.button(text=shop.name[:60], callback_data=RouteChoice(shop_id=shop.id))
    await message.answer(
        _("Which shop's alerts should come here?"), reply_markup=keyboard.adjust(1).as_markup()
    )


@router.callback_query(RouteChoice.filter())
async def notify_here_chosen(
    query: CallbackQuery, callback_data: RouteChoice, db: Database, user: User
) -> None:
    message = query.message
    role = await role_of(db, user.id, callback_data.shop_id)
    shop = await get_shop(db, callback_data.shop_id) if role else None
    if (
        not isinstance(message, Message)
        or message.chat.type not in GROUP_TYPES
        or shop is None
        or role is None
        or shop.state == "disconnected"
    ):
        await query.answer(_("That shop is not yours."), show_alert=True)
        return
    await query.answer()
    await message.answer(await _here(db, shop, role, message, user))


@router.callback_query(RouteAnswer.filter())
async def route_answered(
    query: CallbackQuery, callback_data: RouteAnswer, db: Database, user: User, bot: Bot
) -> None:
    """An owner's answer to a member's request; the request is checked again as it is now."""
    shop_id, group = callback_data.shop_id, callback_data.chat_id
    shop = await get_shop(db, shop_id)
    if shop is None or await role_of(db, user.id, shop_id) != "owner":
        await query.answer(_("Only the shop's owner can do this."), show_alert=True)
        return
    name = html.escape(shop.name)
    if not await team.was_requested(db, shop_id, callback_data.member, group):
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    if await role_of(db, callback_data.member, shop_id) is None:
        outcome = _("They are no longer a member of «{shop}»; nothing changed.").format(shop=name)
    elif not callback_data.allow:
        outcome = _("Refused: the alerts of «{shop}» stay where they are.").format(shop=name)
        await _tell_group(
            bot,
            group,
            _("The owner of «{shop}» declined to send its alerts here.").format(shop=name),
        )
    else:
        told = await _tell_group(
            bot,
            group,
            _(
                "Alerts of «{shop}» will come to this chat now: the owner allowed it. Only the "
                "owner can change that."
            ).format(shop=name),
        )
        if told is None:
            outcome = _("I am no longer in that group; nothing changed.")
        else:
            title = told.chat.title or ""
            await note_chat(db, group, told.chat.type)
            await team.set_route(db, shop_id, group, callback_data.member, user.id, title)
            outcome = _("Allowed: the alerts of «{shop}» go to «{group}» now.").format(
                shop=name, group=html.escape(title)
            )
    await query.answer()
    if isinstance(query.message, Message):
        with suppress(TelegramAPIError):
            await query.message.edit_text(outcome)


async def _tell_group(bot: Bot, chat_id: int, text: str) -> Message | None:
    try:
        return await bot.send_message(chat_id, text)
    except TelegramAPIError as exc:
        log.info("could not write to a group: %s", type(exc).__name__)
        return None


@router.message(Command("notify_here"))
async def notify_here_private(message: Message) -> None:
    await message.answer(
        _("Add me to a group, then send /notify_here there to get a shop's alerts in it.")
    )


@router.message(Command("notify_private"))
async def notify_private(
    message: Message, command: CommandObject, db: Database, user: User
) -> None:
    """An owner brings a shop's alerts back to every member's private chat (in a group: the shops
    routed there); a member can only ask for a private copy for themselves, and
    ``/notify_private off`` stops it."""
    in_group = message.chat.type in GROUP_TYPES
    if (command.args or "").strip().lower() == "off":
        await private_copy_off(message, db, user, in_group)
        return
    moved, copies = [], []
    for shop, role in await shops_of_user(db, user.id):
        if shop.alert_chat_id is None:
            continue
        if in_group and shop.alert_chat_id != message.chat.id:
            continue
        if role == "owner":
            await team.set_route(db, shop.id, None, None, user.id)
            moved.append(html.escape(shop.name))
        else:
            await team.set_private_copy(db, shop.id, user.id)
            copies.append(html.escape(shop.name))
    lines = []
    if moved:
        lines.append(
            _("Alerts of {shops} go to every member's private chat again.").format(
                shops=", ".join(f"«{name}»" for name in moved)
            )
        )
    if copies:
        lines.append(
            _(
                "Alerts of {shops} will also come to your private chat with me; where the shop's "
                "alerts go is the owner's decision. /notify_private off stops the copy."
            ).format(shops=", ".join(f"«{name}»" for name in copies))
        )
    await message.answer("\n".join(lines) or _("Alerts already go to private chats."))


async def private_copy_off(message: Message, db: Database, user: User, in_group: bool) -> None:
    """A member stops their private copy (in a group: of the shops routed there)."""
    stopped = []
    for shop in await team.private_copies(db, user.id):
        if in_group and shop.alert_chat_id != message.chat.id:
            continue
        if await team.set_private_copy(db, shop.id, user.id, on=False):
            stopped.append(html.escape(shop.name))
    if not stopped:
        await message.answer(_("You get no private copy of a shop's alerts."))
        return
    await message.answer(
        _(
            "Alerts of {shops} no longer come to your private chat with me. /notify_private "
            "turns the copy on again."
        ).format(shops=", ".join(f"«{name}»" for name in stopped))
    )
