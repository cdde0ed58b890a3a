"""/shops, team access (/invite, invite deep links, /members) and /disconnect.

Teammates join through a one-time link, so the WB key never has to be shared. Only owners
invite, remove members or disconnect; a member may leave.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot import formats
from bot.clock import zone_of
from bot.handlers.shop_owners import shops_listed
from bot.handlers.shop_texts import role_text, state_text, token_type_name
from bot.i18n import current_language
from bot.notify.buttons import RowId
from bot.store import shops as shop_store
from bot.store.db import Database
from bot.store.shops import Shop
from bot.store.team import remove_member, shops_with_roles
from bot.store.users import User

log = logging.getLogger(__name__)

router = Router(name="shops")

INVITE_TTL_SECONDS = 24 * 3600

#: What a shop button does: invite to it ("inv"), list its members ("mem"), disconnect or leave
#: it ("dsc": asks; "dsy": the owner is sure; "dsk"/"dsw": keep or wipe the data), leave it
#: ("lv"), or cancel ("no").
ShopVerb = Literal["inv", "mem", "dsc", "dsy", "dsk", "dsw", "lv", "no"]


class ShopAction(CallbackData, prefix="sh"):
    action: ShopVerb
    shop_id: RowId


class MemberRemoval(CallbackData, prefix="sh"):
    """An owner removes a member from a shop."""

    action: Literal["mrm"] = "mrm"
    shop_id: RowId
    member: RowId


def button(text: str, action: ShopVerb, shop_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=ShopAction(action=action, shop_id=shop_id).pack()
    )


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=list(rows))


@router.message(Command("shops"))
async def shops_command(message: Message, db: Database, user: User) -> None:
    shops = await shops_listed(message, db, user)
    if shops is None:
        return
    zone = zone_of(user.timezone)
    lines = [_("<b>Your shops</b>")]
    for shop, role in shops:
        lines.append("")
        lines.append(f"<b>{html.escape(shop.name)}</b>: {state_text(shop)}")
        details = _("you: {role}; token: {type}").format(
            role=role_text(role), type=token_type_name(shop.token_type)
        )
        if shop.token_expires_at is not None and shop.state != "disconnected":
            details += _(", valid until {date}").format(
                date=formats.day_of(shop.token_expires_at, zone, current_language())
            )
        lines.append(details)
    lines.append("")
    lines.append(
        _(
            "/connect adds a shop or replaces a key; /invite lets a teammate in without the key; "
            "/members; /status; /disconnect"
        )
    )
    await message.answer("\n".join(lines))


# --- invites ------------------------------------------------------------------------------------


async def connected_shops(db: Database, user_id: int) -> list[tuple[Shop, str]]:
    """The user's shops that are not disconnected, each with the user's role in it."""
    return [(s, r) for s, r in await shops_with_roles(db, user_id) if s.state != "disconnected"]


async def owned_shops(db: Database, user_id: int) -> list[tuple[Shop, str]]:
    return [(shop, role) for shop, role in await connected_shops(db, user_id) if role == "owner"]


View = tuple[str, InlineKeyboardMarkup | None]


async def one_shop(
    message: Message,
    shops: list[tuple[Shop, str]],
    none: str,
    question: str,
    verb: ShopVerb,
    view: Callable[[Shop, str], Awaitable[View]],
    label: Callable[[Shop, str], str] = lambda shop, _role: shop.name,
) -> None:
    """A command about one shop: ``none`` without shops, the shop's ``view`` with one, else the
    ``question`` with a ``verb`` button (``label``) per shop."""
    if not shops:
        await message.answer(none)
        return
    if len(shops) == 1:
        text, markup = await view(*shops[0])
        await message.answer(text, reply_markup=markup)
        return
    await message.answer(
        question, reply_markup=keyboard(*[[button(label(s, r), verb, s.id)] for s, r in shops])
    )


@router.message(Command("invite"))
async def invite_command(message: Message, db: Database, user: User, bot: Bot) -> None:
    async def invite_view(shop: Shop, _role: str) -> View:
        return await invite_text(db, bot, shop, user.id), None

    await one_shop(
        message,
        await owned_shops(db, user.id),
        _("Only a shop's owner can invite. Connect a shop with /connect."),
        _("Which shop should the teammate see?"),
        "inv",
        invite_view,
    )


@dataclass(frozen=True)
class OwnerPress:
    """A shop button pressed by the shop's owner: the shop, the button's message, its verb."""

    shop: Shop
    message: Message
    action: ShopVerb
    user_id: int


OwnerStep = Callable[[OwnerPress, Database, Bot], Awaitable[None]]


def owners_button(*verbs: ShopVerb) -> Callable[[OwnerStep], OwnerStep]:
    """Registers ``step`` for the shop buttons of ``verbs``: it runs, the button answered, only
    when the presser owns the shop the button names (buttons can be forged); anyone else hears
    that only the owner may."""

    def register(step: OwnerStep) -> OwnerStep:
        @router.callback_query(ShopAction.filter(F.action.in_(set(verbs))))
        async def pressed(
            query: CallbackQuery, callback_data: ShopAction, db: Database, user: User, bot: Bot
        ) -> None:
            shop = await owner_shop(db, user.id, callback_data.shop_id)
            if shop is None or not isinstance(query.message, Message):
                await query.answer(_("Only the shop's owner can do this."), show_alert=True)
                return
            await query.answer()
            await step(OwnerPress(shop, query.message, callback_data.action, user.id), db, bot)

        return step

    return register


@owners_button("inv")
async def invite_choice(press: OwnerPress, db: Database, bot: Bot) -> None:
    await press.message.answer(await invite_text(db, bot, press.shop, press.user_id))


async def invite_text(db: Database, bot: Bot, shop: Shop, user_id: int) -> str:
    code = await shop_store.create_invite(db, shop.id, user_id, INVITE_TTL_SECONDS)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={code}"
    return _(
        "Send this link to a teammate: {link}\n\nIt works once, for 24 hours. They get the "
        "alerts and reports of <b>{name}</b> and never see the key. /members lists and removes "
        "them."
    ).format(link=link, name=html.escape(shop.name))


async def owner_shop(db: Database, user_id: int, shop_id: int) -> Shop | None:
    """The shop named in callback data, if the user owns it."""
    if await shop_store.role_of(db, user_id, shop_id) != "owner":
        return None
    return await shop_store.get_shop(db, shop_id)


@router.message(CommandStart(deep_link=True), F.chat.type == "private")
async def start_with_invite(
    message: Message, command: CommandObject, db: Database, user: User
) -> None:
    code = (command.args or "").strip()
    role = None
    shop = await shop_store.redeem_invite(db, code, user.id) if code else None
    if shop is not None:
        role = await shop_store.role_of(db, user.id, shop.id)
    if shop is None:
        await message.answer(
            _(
                "This invite link has expired or was already used. Ask the shop's owner for a "
                "new one (/invite)."
            )
        )
        return
    if role == "owner":
        await message.answer(
            _("You already own <b>{name}</b>.").format(name=html.escape(shop.name))
        )
        return
    await message.answer(
        _(
            "Welcome! You are now a member of <b>{name}</b>: you get its alerts and reports. "
            "Try /report today or /status."
        ).format(name=html.escape(shop.name))
    )


# --- members ------------------------------------------------------------------------------------


@router.message(Command("members"))
async def members_command(message: Message, db: Database, user: User) -> None:
    await one_shop(
        message,
        await owned_shops(db, user.id),
        _("Only a shop's owner can manage its members."),
        _("Whose members?"),
        "mem",
        lambda shop, _role: members_view(db, shop),
    )


#: Members listed (and buttons) in one message: ~100 characters a line keeps it under 4096.
MAX_LISTED = 30


async def members_view(db: Database, shop: Shop) -> tuple[str, InlineKeyboardMarkup | None]:
    people = await shop_store.members(db, shop.id)
    lines = [_("<b>{name}</b>: who sees this shop").format(name=html.escape(shop.name))]
    rows = []
    hidden = max(0, len(people) - MAX_LISTED)
    for user_id, role, name in people[:MAX_LISTED]:
        shown = html.escape(name or str(user_id))
        lines.append(f'• <a href="tg://user?id={user_id}">{shown}</a> ({role_text(role)})')
        if role == "member":
            label = _("Remove {name}").format(name=(name or str(user_id))[:40])
            removal = MemberRemoval(shop_id=shop.id, member=user_id).pack()
            rows.append([InlineKeyboardButton(text=label, callback_data=removal)])
    if hidden:
        lines.append(_("…and {n} more").format(n=hidden))
    if not rows:
        lines.append("")
        lines.append(_("No members yet: /invite makes a link for a teammate."))
    return "\n".join(lines), keyboard(*rows) if rows else None


@owners_button("mem")
async def members_choice(press: OwnerPress, db: Database, _bot: Bot) -> None:
    text, markup = await members_view(db, press.shop)
    await press.message.edit_text(text, reply_markup=markup)


@router.callback_query(MemberRemoval.filter())
async def member_remove(
    query: CallbackQuery, callback_data: MemberRemoval, db: Database, user: User
) -> None:
    shop = await owner_shop(db, user.id, callback_data.shop_id)
    member = callback_data.member
    if shop is None:
        await query.answer(_("Only the shop's owner can do this."), show_alert=True)
        return
    removed = await remove_member(db, shop.id, member, actor=user.id)
    await query.answer(_("Removed.") if removed else _("Already gone."))
    if isinstance(query.message, Message):
        text, markup = await members_view(db, shop)
        await query.message.edit_text(text, reply_markup=markup)


# --- disconnect ---------------------------------------------------------------------------------


@router.message(Command("disconnect"))
async def disconnect_command(message: Message, db: Database, user: User) -> None:
    async def confirm(shop: Shop, role: str) -> View:
        return confirm_view(shop, role)

    await one_shop(
        message,
        await connected_shops(db, user.id),
        _("You have no connected shops."),
        _("Which shop?"),
        "dsc",
        confirm,
        lambda s, r: s.name if r == "owner" else _("{name} (leave)").format(name=s.name),
    )


def confirm_view(shop: Shop, role: str) -> tuple[str, InlineKeyboardMarkup]:
    name = html.escape(shop.name)
    if role != "owner":
        return _("Leave <b>{name}</b>? You will stop getting its alerts and reports.").format(
            name=name
        ), keyboard([button(_("Leave"), "lv", shop.id), button(_("Cancel"), "no", shop.id)])
    return _("Disconnect <b>{name}</b>? The bot stops polling WB and deletes the key.").format(
        name=name
    ), keyboard([button(_("Disconnect"), "dsy", shop.id), button(_("Cancel"), "no", shop.id)])


@router.callback_query(ShopAction.filter(F.action == "dsc"))
async def disconnect_choice(
    query: CallbackQuery, callback_data: ShopAction, db: Database, user: User
) -> None:
    shop_id = callback_data.shop_id
    role = await shop_store.role_of(db, user.id, shop_id)
    shop = await shop_store.get_shop(db, shop_id) if role else None
    if shop is None or role is None or not isinstance(query.message, Message):
        await query.answer(_("This shop is no longer yours."), show_alert=True)
        return
    await query.answer()
    text, markup = confirm_view(shop, role)
    await query.message.edit_text(text, reply_markup=markup)


@owners_button("dsy")
async def disconnect_confirmed(press: OwnerPress, _db: Database, _bot: Bot) -> None:
    shop = press.shop
    await press.message.edit_text(
        _(
            "Keep <b>{name}</b>'s data (reports keep working, and reconnecting later resumes "
            "without re-alerting) or delete everything?"
        ).format(name=html.escape(shop.name)),
        reply_markup=keyboard(
            [button(_("Keep data"), "dsk", shop.id)],
            [button(_("Delete everything"), "dsw", shop.id)],
            [button(_("Cancel"), "no", shop.id)],
        ),
    )


@owners_button("dsk", "dsw")
async def disconnect_done(press: OwnerPress, db: Database, _bot: Bot) -> None:
    shop = press.shop
    wipe = press.action == "dsw"
    # The limiter keeps the shop's buckets: WB's budget belongs to the seller, and a quick
    # reconnect must not call WB sooner than it allows.
    await shop_store.disconnect(db, shop.id, wipe)
    log.info("shop %s disconnected (wipe=%s)", shop.id, wipe)
    name = html.escape(shop.name)
    if wipe:
        text = _("<b>{name}</b> is disconnected and its data deleted.").format(name=name)
    else:
        text = _(
            "<b>{name}</b> is disconnected; its data is kept. Send /connect with a key to resume."
        ).format(name=name)
    text += "\n" + _("You may also delete the token in the WB cabinet (Settings → Access to API).")
    await press.message.edit_text(text)


@router.callback_query(ShopAction.filter(F.action == "lv"))
async def leave(query: CallbackQuery, callback_data: ShopAction, db: Database, user: User) -> None:
    left = await remove_member(db, callback_data.shop_id, user.id, actor=user.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("You left the shop.") if left else _("You were not a member of that shop.")
        )


@router.callback_query(ShopAction.filter(F.action == "no"))
async def cancelled(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Cancelled."))
