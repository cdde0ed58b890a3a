"""How alerts read: one renderer per event kind, kept in a registry other modules add to.

A renderer gets the events one message covers (one or many of the same kind and shop) and a
`RenderContext` (the reader's settings, language, zone, shop names, product cards) and returns a
`Rendered` (HTML text, maybe a photo). Renderers are pure: everything they need is in the context,
so they are tested without a database or Telegram. `compose` builds one message out of several
kinds (a poll's burst, a "while I was away" digest) within Telegram's 4096 characters.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from aiogram.types import InlineKeyboardMarkup

from bot import formats
from bot.clock import hhmm, zone_of
from bot.events import (
    Buyout,
    Event,
    KeyBack,
    KeyDead,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    ProductLine,
    Return,
)
from bot.i18n import N_
from bot.store.outbox import EventRow
from bot.store.stock import ProductInfo
from bot.store.users import User

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MIN_LISTED = 10  # a grouped message names at least this many events (DESIGN.md)
TITLE_CHARS = 60
SECTION_FLOOR = 200  # the least a section of a mixed message gets: its heading and a line
ARTICLE_CHARS = 75  # WB allows 75: shown whole, it is what the seller searches by


def english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may know about the reader and the shop; `limit` is its character budget."""

    user: User | None
    language: str
    gettext: Callable[[str], str]
    #: ngettext(singular, plural, n) in the reader's language ("1 день", "3 дня", "5 дней").
    ngettext: Callable[[str, str, int], str] = english_plural
    tz: tzinfo = field(default_factory=lambda: zone_of(None))
    shop_names: Mapping[int, str] = field(default_factory=dict)
    products: Mapping[tuple[int, int], ProductInfo] = field(default_factory=dict)
    today: Mapping[int, tuple[int, float]] = field(default_factory=dict)  # shop: (orders, sum)
    #: srid → estimated profit per unit in kopecks, for a single order of a product with a cost
    order_profit: Mapping[str, int] = field(default_factory=dict)
    limit: int = MAX_TEXT
    photos: bool = True

    def shop(self, shop_id: int) -> str:
        return html.escape(self.shop_names.get(shop_id, f"#{shop_id}"))


@dataclass(frozen=True)
class Rendered:
    """An HTML text (a caption when there is a photo) and, for a message of one kind, maybe
    a photo and buttons (e.g. "mute" under a stock alert)."""

    text: str
    photo_url: str | None = None
    reply_markup: InlineKeyboardMarkup | None = None


E = TypeVar("E", bound=Event)
#: A renderer of one kind: the events one message covers, all of that kind's class.
Renderer = Callable[[Sequence[EventRow[E]], RenderContext], Rendered]
RENDERERS: dict[str, Renderer[Any]] = {}
# How a kind is counted in digest headings ("orders — 30"); renderers may add theirs.
LABELS: dict[str, str] = {
    OrderPlaced.kind: N_("orders"),
    OrderCancelled.kind: N_("cancellations"),
    Buyout.kind: N_("buyouts"),
    Return.kind: N_("returns"),
    KeyDead.kind: N_("key problems"),
    KeyBack.kind: N_("keys working again"),
}


def renderer(cls: type[E]) -> Callable[[Renderer[E]], Renderer[E]]:
    """Registers the function as the renderer of one event class (its kind): the outbox loads
    every event of that kind as that class, so the renderer gets exactly what sync made."""

    def register(func: Renderer[E]) -> Renderer[E]:
        RENDERERS[cls.kind] = func
        return func

    return register


def render_section(events: Sequence[EventRow[Event]], ctx: RenderContext) -> Rendered:
    """The events (one kind) through their kind's renderer."""
    found = RENDERERS.get(events[0].kind)
    return render_unknown(events, ctx) if found is None else found(events, ctx)


# ------------------------------------------------------------------ formatting


def number(value: float) -> str:
    """Whole numbers in full with a no-break space between thousands: 12 345."""
    return formats.number(value)


def money(value: float) -> str:
    return formats.money(value)


def exact_money(value: float, language: str) -> str:
    """An amount on its own: with its kopecks when it has them (1 459,27 ₽)."""
    return formats.money(value, language, formats.kopecks(value) % 100 != 0)


def percent(value: float) -> str:
    return f"{value:g}%"


def _short(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def known_name(row: EventRow[ProductLine], ctx: RenderContext) -> str:
    """The card title when known, else WB's subject and brand from the row itself; "" when
    neither is known (an order of a new product the order feed tells before statistics and
    the cards do: the feed names it by nmId only)."""
    line = row.event
    product = ctx.products.get((row.shop_id, line.nm_id))
    if product and product.title:
        return product.title
    return " ".join(p for p in (line.subject, line.brand) if p)


def title_of(row: EventRow[ProductLine], ctx: RenderContext) -> str:
    """A name to head an alert with: the known one, else "Product nmId N"."""
    return known_name(row, ctx) or ctx.gettext("Product nmId {nm_id}").format(
        nm_id=row.event.nm_id
    )


def _size(line: ProductLine) -> str:
    return "" if line.tech_size in ("", "0") else line.tech_size


def _local_time(row: EventRow[ProductLine], ctx: RenderContext) -> str:
    ts = row.event.ts or row.created_at
    return hhmm(datetime.fromtimestamp(ts, ctx.tz))


def amount_text(value: float, ctx: RenderContext, with_kopecks: bool = False) -> str:
    """An amount on its own (kopecks when it has them, or when another amount in the same
    message has), or words for one WB has not filled in yet: WB sends 0 for up to 24 hours
    (finishedPrice, priceWithDisc, forPay), and an alert never says "0 ₽"."""
    if not value:
        return ctx.gettext("amount pending")
    if with_kopecks:
        return formats.money(value, ctx.language, True)
    return exact_money(value, ctx.language)


def item_line(row: EventRow[ProductLine], ctx: RenderContext, amount: str) -> str:
    """One event in a list: title, seller article, nmId, size, amount (as shown)."""
    # What is not known yet is left out rather than shown empty ("<code></code>"), and the
    # nmId is said once.
    line = row.event
    name = known_name(row, ctx)
    parts = [html.escape(_short(name, TITLE_CHARS))] if name else []
    if line.supplier_article:
        parts.append(f"<code>{html.escape(_short(line.supplier_article, ARTICLE_CHARS))}</code>")
    parts.append(f"nmId {line.nm_id}")
    if _size(line):
        parts.append(html.escape(_short(_size(line), 20)))
    parts.append(amount)
    return "• " + " · ".join(parts)


def product_lines(name: str, article: str, nm_id: int, gettext: Callable[[str], str]) -> list[str]:
    """A one-product alert's product: the name in bold, then the article and nmId (``name``
    and ``article`` as HTML, escaped and shortened as the alert wants)."""
    article_line = gettext("Article <code>{article}</code> · nmId {nm_id}")
    return [f"<b>{name}</b>", article_line.format(article=article, nm_id=nm_id)]


def cut_lines(text: str, limit: int) -> str:
    """Drops whole lines from the end until the text fits: each line is balanced HTML, so a
    cut never leaves an open tag (Telegram would refuse the message)."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    while lines and len("\n".join(lines)) > limit:
        lines.pop()
    return "\n".join(lines)


def fit_list(head: str, lines: Sequence[str], tail: str, limit: int, more: str) -> str:
    """Head, as many lines as fit in `limit`, "+N more", tail: never longer than the limit."""
    kept: list[str] = []
    size = len(head) + len(tail) + 2
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        reserve = len(more.format(count=len(lines))) + 1 if rest else 0
        if size + len(line) + 1 + reserve > limit:
            break
        kept.append(line)
        size += len(line) + 1
    parts = [head, *kept]
    if len(kept) < len(lines):
        parts.append(more.format(count=len(lines) - len(kept)))
    if tail and size <= limit:
        parts.append(tail)
    return cut_lines("\n".join(parts), limit)


def _today_total(shop_id: int, ctx: RenderContext) -> list[float]:
    """The shop's orders sum today, as a list of the one amount the today line shows (or none)."""
    return [ctx.today[shop_id][1]] if shop_id in ctx.today else []


def _today_line(shop_id: int, ctx: RenderContext, with_kopecks: bool) -> str:
    if shop_id not in ctx.today:
        return ""
    count, total = ctx.today[shop_id]
    _ = ctx.gettext
    return _("📈 Today so far: orders — {count}, {total}").format(
        count=number(count), total=formats.money(total, ctx.language, with_kopecks)
    )


# ------------------------------------------------------------------ renderers


L = TypeVar("L", bound=ProductLine)


def _listed(
    events: Sequence[EventRow[L]],
    ctx: RenderContext,
    head: str,
    amount: Callable[[L], float],
    today: bool,
) -> Rendered:
    _ = ctx.gettext
    # The header's sum is the sum of the lines as shown: kopecks are added up, and shown on
    # every line when any amount has them (whole roubles rounded per line would not add up).
    # An amount WB has not filled in yet (0) is said in words and left out of the sum.
    # The today line is in the same message, so its sum follows the same rule.
    cents = [formats.kopecks(amount(e.event)) for e in events]
    today_total = _today_total(events[0].shop_id, ctx) if today else []
    with_kopecks = any(c % 100 for c in cents) or formats.has_kopecks(today_total)
    pending = _("amount pending")

    def shown(kopecks: int) -> str:
        return formats.money(kopecks / 100, ctx.language, with_kopecks)

    known = [c for c in cents if c]
    if not known:
        total = pending
    elif len(known) < len(cents):
        total = _("{total}, some amounts pending").format(total=shown(sum(known)))
    else:
        total = shown(sum(known))
    head = head.format(shop=ctx.shop(events[0].shop_id), count=number(len(events)), total=total)
    lines = [
        item_line(e, ctx, shown(c) if c else pending) for e, c in zip(events, cents, strict=True)
    ]
    tail = _today_line(events[0].shop_id, ctx, with_kopecks) if today else ""
    return Rendered(fit_list(head, lines, tail, ctx.limit, _("+{count} more")))


def _price(line: ProductLine) -> float:
    return line.price_with_disc


@renderer(OrderPlaced)
def render_orders(events: Sequence[EventRow[OrderPlaced]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    if len(events) > 1:
        head = _("🛒 <b>{shop}</b>: new orders — {count}, {total}")
        return _listed(events, ctx, head, _price, today=True)
    row = events[0]
    order = row.event
    # Kopecks on both amounts (price, today's sum) when either has them.
    with_kopecks = formats.has_kopecks([order.price_with_disc, *_today_total(row.shop_id, ctx)])
    lines = [
        _("🛒 <b>New order</b> · {shop} · {time}").format(
            shop=ctx.shop(row.shop_id), time=_local_time(row, ctx)
        ),
        f"<b>{html.escape(_short(title_of(row, ctx), 200))}</b>",
        _article_line(row, ctx),
        _price_line(order, ctx, with_kopecks),
        _profit_line(order, ctx),
        _("🏬 {warehouse} → {region}").format(
            warehouse=html.escape(_short(order.warehouse or "—", 80)),
            region=html.escape(_short(order.region or "—", 80)),
        ),
    ]
    today = _today_line(row.shop_id, ctx, with_kopecks)
    if today:
        lines.append(today)
    text = cut_lines("\n".join(line for line in lines if line), ctx.limit)
    product = ctx.products.get((row.shop_id, order.nm_id))
    photo = product.photo_url if product and ctx.photos and len(text) <= MAX_CAPTION else None
    return Rendered(text, photo)


def _profit_line(order: OrderLine, ctx: RenderContext) -> str:
    """The estimated profit of one unit, only for a product with a cost price."""
    kopecks = ctx.order_profit.get(order.srid)
    if kopecks is None:
        return ""
    amount = formats.money(kopecks / 100, ctx.language, bool(kopecks % 100))
    return ctx.gettext("≈ profit {amount} per unit (estimate)").format(amount=amount)


def _article_line(row: EventRow[ProductLine], ctx: RenderContext) -> str:
    """ "Article `X` · nmId N · size S" with what is known: an order the feed tells before
    statistics has no article yet, and its nmId is then already in the title."""
    _ = ctx.gettext
    line = row.event
    parts = []
    if line.supplier_article:
        parts.append(
            _("Article <code>{article}</code>").format(
                article=html.escape(_short(line.supplier_article, 100))
            )
        )
    if known_name(row, ctx):
        parts.append(f"nmId {line.nm_id}")
    if _size(line):
        parts.append(_("size {size}").format(size=html.escape(_short(_size(line), 20))))
    return " · ".join(parts)


def _price_line(order: OrderLine, ctx: RenderContext, with_kopecks: bool) -> str:
    _ = ctx.gettext
    price = amount_text(order.price_with_disc, ctx, with_kopecks)
    if order.discounts is None:
        return _("💰 {price}").format(price=price)  # the order feed and FBS give no discounts
    discount, spp = order.discounts
    return _("💰 {price} (seller discount {discount}, WB discount {spp})").format(
        price=price, discount=percent(discount), spp=percent(spp)
    )


def _listing(cls: type[L], many: str, one: str, amount: Callable[[L], float]) -> None:
    """Registers the renderer of a kind shown as a list under a head: ``many`` for several
    events, ``one`` for one (both N_-marked, translated as they are shown)."""

    def render(events: Sequence[EventRow[L]], ctx: RenderContext) -> Rendered:
        head = ctx.gettext(many if len(events) > 1 else one)
        return _listed(events, ctx, head, amount, today=False)

    renderer(cls)(render)


_listing(
    OrderCancelled,
    N_("❌ <b>{shop}</b>: orders cancelled — {count}, {total}"),
    N_("❌ <b>Order cancelled</b> · {shop}"),
    _price,
)
_listing(
    Buyout,
    N_("✅ <b>{shop}</b>: bought out — {count}, to you {total}"),
    N_("✅ <b>Bought out</b> · {shop} · to you {total}"),
    lambda buyout: buyout.for_pay,
)
_listing(
    Return,
    N_("↩️ <b>{shop}</b>: returns — {count}, {total}"),
    N_("↩️ <b>Return</b> · {shop}"),
    _price,
)


def _dead_reason(reason: str, ctx: RenderContext) -> str:
    _ = ctx.gettext
    reasons = {
        "expired": _("it has expired"),
        "revoked": _("it was revoked or deleted in the seller cabinet"),
        "scope": _("it lacks a category the bot needs"),
        "malformed": _("WB does not recognise it"),
    }
    return reasons.get(reason, _("WB refuses it"))


@renderer(KeyDead)
def render_token_dead(events: Sequence[EventRow[KeyDead]], ctx: RenderContext) -> Rendered:
    _ = ctx.gettext
    parts = []
    for row in events:
        name = row.event.shop_name or ctx.shop_names.get(row.shop_id, "")
        parts.append(
            _("⚠️ <b>The WB key of «{shop}» stopped working</b>: {reason}.").format(
                shop=html.escape(name), reason=_dead_reason(row.event.reason, ctx)
            )
        )
    parts.append(
        _(
            "I have paused this shop: no new data and no alerts until it has a working key. "
            "Create a new read-only token in the WB seller cabinet (Settings → Access to API) "
            "and send it to me as <code>/connect &lt;token&gt;</code>."
        )
    )
    return Rendered(cut_lines("\n".join(parts), ctx.limit))


@renderer(KeyBack)
def render_token_back(events: Sequence[EventRow[KeyBack]], ctx: RenderContext) -> Rendered:
    """After "the key stopped working" sent in error: the bot could not read its stored copy."""
    _ = ctx.gettext
    parts = [
        _(
            "✅ <b>The WB key of «{shop}» works again.</b> It was not revoked: for a while the "
            "bot could not read its stored copy (a fault on the bot's side, now fixed), and "
            "told you the key had stopped working by mistake. No new key is needed; new orders "
            "and sales are being fetched again."
        ).format(shop=html.escape(row.event.shop_name or ctx.shop_names.get(row.shop_id, "")))
        for row in events
    ]
    return Rendered(cut_lines("\n".join(parts), ctx.limit))


def render_unknown(events: Sequence[EventRow[Event]], ctx: RenderContext) -> Rendered:
    """A kind nobody registered: say something rather than lose it, and log it."""
    log.warning("no renderer for event kind %r", events[0].kind)
    _ = ctx.gettext
    return Rendered(
        _("🔔 {shop}: {count} new events").format(
            shop=ctx.shop(events[0].shop_id), count=number(len(events))
        )
    )


# ------------------------------------------------------------------ composing messages


def _sections(events: Sequence[EventRow[Event]]) -> list[list[EventRow[Event]]]:
    """Events split by (shop, kind), in the order they first appear."""
    groups: dict[tuple[int, str], list[EventRow[Event]]] = {}
    for event in events:
        groups.setdefault((event.shop_id, event.kind), []).append(event)
    return list(groups.values())


def counts_line(events: Sequence[EventRow[Event]], ctx: RenderContext) -> str:
    """'orders — 30, cancellations — 2' for digest headings."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    return ", ".join(
        f"{ctx.gettext(LABELS.get(kind, kind))} — {number(n)}" for kind, n in counts.items()
    )


def catch_up_heading(events: Sequence[EventRow[Event]], ctx: RenderContext) -> str:
    _ = ctx.gettext
    return _("⏳ <b>While I was away</b>: {counts}").format(counts=counts_line(events, ctx))


def quiet_heading(events: Sequence[EventRow[Event]], ctx: RenderContext) -> str:
    _ = ctx.gettext
    return _("🌙 <b>During your quiet hours</b>: {counts}").format(counts=counts_line(events, ctx))


def compose(events: Sequence[EventRow[Event]], ctx: RenderContext, heading: str = "") -> Rendered:
    """One message for all the events: a single section keeps its photo; several share the
    character budget in proportion to their size, so the message never passes the limit."""
    sections = _sections(events)
    if len(sections) == 1 and not heading:
        rendered = render_section(sections[0], ctx)
        return replace(rendered, text=cut_lines(rendered.text, ctx.limit))
    room = ctx.limit - len(heading) - 2 * len(sections) - 2
    # Each section gets the floor, and what is left in proportion to its size (floors added to
    # proportional shares could pass the limit and lose every list to the counts fallback).
    spare = max(0, room - SECTION_FLOOR * len(sections))
    parts = [heading] if heading else []
    for section in sections:
        budget = SECTION_FLOOR + spare * len(section) // len(events)
        sub = replace(ctx, limit=budget, photos=False)
        text = render_section(section, sub).text
        parts.append(cut_lines(text, budget))
    text = "\n\n".join(p for p in parts if p)
    if len(text) > ctx.limit:
        # Too many sections for a list each: one line per shop and kind instead.
        lines = [heading] if heading else []
        lines += [f"{ctx.shop(s[0].shop_id)}: {counts_line(s, ctx)}" for s in sections]
        text = cut_lines("\n".join(lines), ctx.limit)
    return Rendered(text)
