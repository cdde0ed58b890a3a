"""Owner notices: where a shop's alerts go (a change, or a member asking for a group, with
buttons to allow or refuse) and who brought a new WB key. Names are as Telegram showed them,
escaped."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from bot.notify.texts import RenderContext, Rendered, cut_lines, renderer
from bot.store.outbox import KEY_CONNECTED, ROUTE_CHANGED, ROUTE_REQUEST, EventRow

#: An id SQLite can hold: forged button data beyond it is refused by the filter, not by SQLite.
RowId = Annotated[int, Field(ge=-(2**63), lt=2**63)]


class RouteChoice(CallbackData, prefix="nh"):
    """/notify_here in a group, by someone with several shops: which shop."""

    shop_id: RowId


class RouteAnswer(CallbackData, prefix="nha"):
    """An owner allows (or refuses) a member's request to send a shop's alerts to a group."""

    shop_id: RowId
    chat_id: RowId
    member: RowId
    allow: bool


def _text(payload: dict[str, object], key: str) -> str:
    return html.escape(str(payload.get(key) or ""))


def _id(payload: dict[str, object], key: str) -> int | None:
    value = payload.get(key)
    return value if isinstance(value, int) and -(2**63) <= value < 2**63 else None


@renderer(ROUTE_REQUEST)
def render_route_request(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    event = events[-1]
    p = event.payload
    text = _(
        "🔔 {name} asks to send the alerts of «{shop}» to the group «{group}». Where a shop's "
        "alerts go is the owner's decision: allow it only if everyone in that group may see "
        "the shop's orders."
    ).format(name=_text(p, "by_name"), shop=ctx.shop(event.shop_id), group=_text(p, "chat_title"))
    member, chat = _id(p, "actor"), _id(p, "chat_id")
    if member is None or chat is None:
        return Rendered(cut_lines(text, ctx.limit))

    def answer(allow: bool) -> str:
        return RouteAnswer(shop_id=event.shop_id, chat_id=chat, member=member, allow=allow).pack()

    buttons = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("Allow"), callback_data=answer(True)),
                InlineKeyboardButton(text=_("Refuse"), callback_data=answer(False)),
            ]
        ]
    )
    return Rendered(cut_lines(text, ctx.limit), reply_markup=buttons)


def _notices(
    events: Sequence[EventRow], ctx: RenderContext, line: Callable[[EventRow], str], footer: str
) -> Rendered:
    """One line per event, then what the owner can do about it."""
    return Rendered(cut_lines("\n".join([*map(line, events), footer]), ctx.limit))


@renderer(ROUTE_CHANGED)
def render_route_changed(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext

    def line(event: EventRow) -> str:
        p = event.payload
        values = {
            "shop": ctx.shop(event.shop_id),
            "group": _text(p, "chat_title"),
            "name": _text(p, "by_name"),
            "member": _text(p, "for_name"),
            "removed": _text(p, "removed_name"),
        }
        if p.get("copy") == "on":
            text = _(
                "🔀 {name}, a member of «{shop}», now also gets its alerts in a private chat "
                "with me (/notify_private)."
            )
        elif p.get("copy") == "off":
            text = _(
                "🔀 {name}, a member of «{shop}», no longer gets a private copy of its alerts."
            )
        elif p.get("legacy"):
            text = _(
                "🔀 Alerts of «{shop}» go to a group that was chosen before only owners could "
                "decide it. If you did not choose it, everyone in that group sees the shop's "
                "orders."
            )
        elif p.get("gone"):
            text = _(
                "🔀 I was removed from the group «{group}», so the alerts of «{shop}» come to "
                "private chats again. Add me back and send /notify_here there to return them."
            )
        elif values["removed"]:
            text = _(
                "🔀 {removed} is no longer a member of «{shop}», so its alerts no longer go to "
                "the group they brought: they come to private chats again."
            )
        elif p.get("to") == "group" and values["member"]:
            text = _(
                "🔀 Alerts of «{shop}» now go to the group «{group}»: {name} allowed the request "
                "of {member}."
            )
        elif p.get("to") == "group":
            text = _("🔀 Alerts of «{shop}» now go to the group «{group}» (set by {name}).")
        else:
            text = _("🔀 Alerts of «{shop}» come to private chats again (set by {name}).")
        return text.format(**values)

    footer = _("/notify_private from an owner brings a shop's alerts back to private chats.")
    return _notices(events, ctx, line, footer)


@renderer(KEY_CONNECTED)
def render_key_connected(events: Sequence[EventRow], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext

    def line(event: EventRow) -> str:
        p = event.payload
        if p.get("role") == "owner":
            text = _("🔑 {name}, an owner, connected a new WB key for «{shop}».")
        elif p.get("joined"):
            text = _(
                "🔑 {name} connected a new WB key for «{shop}» and joined it as a member. If you "
                "do not know them, remove them in /members and delete that key in the WB "
                "cabinet (Settings → Access to API)."
            )
        else:
            text = _("🔑 {name}, a member, connected a new WB key for «{shop}».")
        return text.format(name=_text(p, "by_name"), shop=ctx.shop(event.shop_id))

    return _notices(events, ctx, line, _("The new key is in use now; you stay the owner."))
