"""Owner notices: where a shop's alerts go (a change, or a member asking for a group, with
buttons to allow or refuse) and who brought a new WB key. Names are as Telegram showed them,
escaped."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.events import KeyConnected, Notice, RouteChanged, RouteRequest
from bot.notify.buttons import RowId
from bot.notify.texts import RenderContext, Rendered, cut_lines, renderer
from bot.store.outbox import EventRow


class RouteChoice(CallbackData, prefix="nh"):
    """/notify_here in a group, by someone with several shops: which shop."""

    shop_id: RowId


class RouteAnswer(CallbackData, prefix="nha"):
    """An owner allows (or refuses) a member's request to send a shop's alerts to a group."""

    shop_id: RowId
    chat_id: RowId
    member: RowId
    allow: bool


def _id(value: int) -> int | None:
    return value if -(2**63) <= value < 2**63 else None


@renderer(RouteRequest)
def render_route_request(events: Sequence[EventRow[RouteRequest]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    row = events[-1]
    request = row.event
    text = _(
        "🔔 {name} asks to send the alerts of «{shop}» to the group «{group}». Where a shop's "
        "alerts go is the owner's decision: allow it only if everyone in that group may see "
        "the shop's orders."
    ).format(
        name=html.escape(request.by_name),
        shop=ctx.shop(row.shop_id),
        group=html.escape(request.chat_title),
    )
    member, chat = _id(request.actor), _id(request.chat_id)
    if member is None or chat is None:
        return Rendered(cut_lines(text, ctx.limit))

    def answer(allow: bool) -> str:
        return RouteAnswer(shop_id=row.shop_id, chat_id=chat, member=member, allow=allow).pack()

    buttons = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("Allow"), callback_data=answer(True)),
                InlineKeyboardButton(text=_("Refuse"), callback_data=answer(False)),
            ]
        ]
    )
    return Rendered(cut_lines(text, ctx.limit), reply_markup=buttons)


N = TypeVar("N", bound=Notice)


def _notices(
    events: Sequence[EventRow[N]],
    ctx: RenderContext,
    line: Callable[[EventRow[N]], str],
    footer: str,
) -> Rendered:
    """One line per event, then what the owner can do about it."""
    return Rendered(cut_lines("\n".join([*map(line, events), footer]), ctx.limit))


@renderer(RouteChanged)
def render_route_changed(events: Sequence[EventRow[RouteChanged]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext

    def line(row: EventRow[RouteChanged]) -> str:
        p = row.event
        values = {
            "shop": ctx.shop(row.shop_id),
            "group": html.escape(p.chat_title),
            "name": html.escape(p.by_name),
            "member": html.escape(p.for_name),
            "removed": html.escape(p.removed_name),
        }
        if p.copy == "on":
            text = _(
                "🔀 {name}, a member of «{shop}», now also gets its alerts in a private chat "
                "with me (/notify_private)."
            )
        elif p.copy == "off":
            text = _(
                "🔀 {name}, a member of «{shop}», no longer gets a private copy of its alerts."
            )
        elif p.legacy:
            text = _(
                "🔀 Alerts of «{shop}» go to a group that was chosen before only owners could "
                "decide it. If you did not choose it, everyone in that group sees the shop's "
                "orders."
            )
        elif p.gone:
            text = _(
                "🔀 I was removed from the group «{group}», so the alerts of «{shop}» come to "
                "private chats again. Add me back and send /notify_here there to return them."
            )
        elif values["removed"]:
            text = _(
                "🔀 {removed} is no longer a member of «{shop}», so its alerts no longer go to "
                "the group they brought: they come to private chats again."
            )
        elif p.to == "group" and values["member"]:
            text = _(
                "🔀 Alerts of «{shop}» now go to the group «{group}»: {name} allowed the request "
                "of {member}."
            )
        elif p.to == "group":
            text = _("🔀 Alerts of «{shop}» now go to the group «{group}» (set by {name}).")
        else:
            text = _("🔀 Alerts of «{shop}» come to private chats again (set by {name}).")
        return text.format(**values)

    footer = _("/notify_private from an owner brings a shop's alerts back to private chats.")
    return _notices(events, ctx, line, footer)


@renderer(KeyConnected)
def render_key_connected(events: Sequence[EventRow[KeyConnected]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext

    def line(row: EventRow[KeyConnected]) -> str:
        p = row.event
        if p.role == "owner":
            text = _("🔑 {name}, an owner, connected a new WB key for «{shop}».")
        elif p.joined:
            text = _(
                "🔑 {name} connected a new WB key for «{shop}» and joined it as a member. If you "
                "do not know them, remove them in /members and delete that key in the WB "
                "cabinet (Settings → Access to API)."
            )
        else:
            text = _("🔑 {name}, a member, connected a new WB key for «{shop}».")
        return text.format(name=html.escape(p.by_name), shop=ctx.shop(row.shop_id))

    return _notices(events, ctx, line, _("The new key is in use now; you stay the owner."))
