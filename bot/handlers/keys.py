"""A WB key is deleted wherever it shows up: in any message or caption, new or edited, in a
private chat, a group or a channel, after any command or none, however it is disguised
(zero-width characters, split over lines, inside other words or markup).

This router runs before every other one, so no command handler ever sees a key. In a private
chat `/connect <key>` (any case, no @mention or ours) and a bare key still connect; a key after
any other command is deleted and the sender is told how to connect it. In a group the sender is
told to revoke it; in a channel the post is deleted and the channel is told the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.handlers import key_intake
from bot.handlers.key_intake import warn_key_in_group as warn_in_group
from bot.shops.connector import ShopConnector
from bot.store.users import User
from bot.wb.token import find_key, visible_text

log = logging.getLogger(__name__)

router = Router(name="keys")

GROUPS = frozenset({"group", "supergroup"})


def texts_of(message: Message) -> Iterator[str]:
    """Everything a reader of the message can read or open: its text or caption, the
    addresses behind its links, a quote from another message, a poll's question and options."""
    for text, entities in (
        (message.text, message.entities),
        (message.caption, message.caption_entities),
    ):
        if text:
            yield text
        for entity in entities or ():
            if entity.url:
                yield entity.url
    if message.quote is not None:
        yield message.quote.text
    if message.poll is not None:
        yield message.poll.question
        yield from (option.text for option in message.poll.options)


def key_in(message: Message) -> str | None:
    for text in texts_of(message):
        key = find_key(text)
        if key is not None:
            return key
    return None


class CarriesKey(Filter):
    """Passes the key found on to the handler as ``wb_key``."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        key = key_in(message)
        return False if key is None else {"wb_key": key}


async def asks_to_connect(message: Message, bot: Bot) -> bool:
    """A bare key, a caption, or /connect in any case addressed to no bot or to this one."""
    first = visible_text(message.text or message.caption or "").split(maxsplit=1)
    if not first or not first[0].startswith("/"):
        return True
    command, _at, mention = first[0][1:].partition("@")
    if command.lower() != "connect":
        return False
    if not mention:
        return True
    me = await bot.me()
    return (me.username or "").lower() == mention.lower()


@router.message(CarriesKey())
@router.edited_message(CarriesKey())
@router.channel_post(CarriesKey())
@router.edited_channel_post(CarriesKey())
async def key_anywhere(
    message: Message,
    wb_key: str,
    bot: Bot,
    connector: ShopConnector,
    user: User | None = None,
    state: FSMContext | None = None,
) -> None:
    chat_type = message.chat.type
    if chat_type == "private":
        if user is not None and await asks_to_connect(message, bot):
            if state is not None:
                await state.clear()
            await key_intake.connect_key(message, wb_key, connector, user)
            return
        await key_after_another_command(message)
    elif chat_type in GROUPS:
        await warn_in_group(message)
    else:
        await key_in_channel(message)


async def key_after_another_command(message: Message) -> None:
    """Only the sender and the bot saw it: deleted, it is safe; say how to connect it."""
    deleted = await key_intake.delete_quietly(message)
    if deleted:
        text = _(
            "🔒 I deleted your message: it held a WB key. Only you and I saw it, so the key is "
            "safe. To connect a shop with it, send <code>/connect &lt;key&gt;</code>; "
            "anything else, send again without the key."
        )
    else:
        text = (
            _(
                "Your message holds a WB key. To connect a shop with it, send "
                "<code>/connect &lt;key&gt;</code>; anything else, send again without the key."
            )
            + "\n"
            + key_intake.could_not_delete_private_text()
        )
    await message.answer(text)


async def key_in_channel(message: Message) -> None:
    """Every subscriber may have read it: only revoking it makes it safe again."""
    deleted = await key_intake.delete_quietly(message)
    text = _(
        "A WB key was posted here, where others can see it. Revoke it now in the WB cabinet "
        "(Settings → Access to API → delete the token), create a new one and send it to me in a "
        "private chat. I saved nothing."
    )
    if not deleted:
        text += "\n" + key_intake.could_not_delete_text()
    try:
        await message.answer(text)
    except TelegramAPIError as exc:  # a channel where the bot may delete but not post
        log.warning("could not warn a channel about a key: %s", type(exc).__name__)
