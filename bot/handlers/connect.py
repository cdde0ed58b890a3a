"""/connect: a WB key in a private chat, given with the command or as the reply it asks for.
Keys are accepted only in a private chat; the message carrying one is deleted in every outcome
(bot.handlers.key_intake)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.key_intake import connect_key, how_to_create, warn_key_in_group
from bot.shops.connector import ShopConnector
from bot.store.users import User
from bot.wb.token import looks_like_token, normalize_token

router = Router(name="connect")

PRIVATE = F.chat.type == "private"
GROUPS = F.chat.type.in_({"group", "supergroup"})
#: A reply this long without spaces is taken for an attempt at a key (and deleted), not chat.
KEYLIKE_MIN_LENGTH = 20


class ConnectForm(StatesGroup):
    waiting_key = State()


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(_("Nothing to cancel."))
        return
    current = await state.get_state()
    await state.clear()
    if current is not None and current.startswith("ConnectForm"):
        await message.answer(_("Cancelled. Send /connect when you have the key."))
    else:
        await message.answer(_("Cancelled."))


@router.message(Command("connect", ignore_case=True), GROUPS)
async def connect_in_group(message: Message, command: CommandObject) -> None:
    if command.args and command.args.strip():
        await warn_key_in_group(message)
        return
    await message.reply(
        _("Keys go only to a private chat with me: open a chat with me and send /connect there.")
    )


@router.message(Command("connect", ignore_case=True), PRIVATE)
async def connect_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    connector: ShopConnector,
    user: User,
) -> None:
    if command.args and command.args.strip():
        await state.clear()
        await connect_key(message, command.args, connector, user)
        return
    await state.set_state(ConnectForm.waiting_key)
    await message.answer(_("Send me your WB API token (or /cancel).") + "\n\n" + how_to_create())


@router.message(StateFilter(ConnectForm.waiting_key), F.text.startswith("/"))
async def command_while_waiting(message: Message, state: FSMContext) -> None:
    """Another command ends the wait and goes on to its own handler."""
    await state.clear()
    raise SkipHandler()


@router.message(StateFilter(ConnectForm.waiting_key), PRIVATE)
async def key_reply(
    message: Message, state: FSMContext, connector: ShopConnector, user: User
) -> None:
    text = (message.text or "").strip()
    if not looks_like_key_attempt(text):
        await message.answer(
            _(
                "That does not look like a WB token: a token is one long line starting with "
                "<code>eyJ</code>. Send the token, or /cancel."
            )
        )
        return
    await state.clear()
    await connect_key(message, text, connector, user)


def looks_like_key_attempt(text: str) -> bool:
    if looks_like_token(text):
        return True
    compact = normalize_token(text)
    return len(compact) >= KEYLIKE_MIN_LENGTH and " " not in text.strip()
