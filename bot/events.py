"""The events that travel from the producers (sync, the scheduled checks, the team changes)
through the outbox to the renderers: one frozen dataclass per kind, a registry by kind, and the
JSON the outbox stores.

The classes are the contract between the two halves of the bot: sync builds them from WB's
models, `bot.store.outbox` stores them as JSON under their kind and loads them back, and each
renderer in `bot.notify` takes its own class. A field renamed on one side fails type checking on
the other. Field names are the JSON keys, and they are the keys the untyped payloads of earlier
versions used, so events queued before an upgrade load as the same classes; keys the class does
not know are ignored.

This module imports nothing of the bot: the store, sync and notify may all depend on it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import TypeAdapter, ValidationError

E = TypeVar("E", bound="Event")


class EventError(ValueError):
    """A stored event that cannot be loaded: an unknown kind, or JSON that does not fit its
    class (a damaged row, or one written by another version)."""


#: Every kind and its class, filled as the classes below are defined.
KINDS: dict[str, type[Event]] = {}
_ADAPTERS: dict[type[Event], TypeAdapter[Any]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """The base of every event. A subclass that names its kind (`class X(Event, kind="x")`) is
    registered under it; the other class keywords set the ClassVars below."""

    kind: ClassVar[str]
    #: The user setting that switches this kind off (None: it always goes).
    switch: ClassVar[str | None] = None
    #: The owner must act, or decides: it goes to the owners' private chats even when the shop's
    #: alerts go to a group.
    to_owners: ClassVar[bool] = False
    #: One of the stream of orders, cancellations, buyouts and returns: several waiting for a
    #: chat merge into one message; any other kind is a message of its own.
    stream: ClassVar[bool] = False

    def __init_subclass__(
        cls,
        *,
        kind: str | None = None,
        switch: str | None = None,
        to_owners: bool | None = None,
        stream: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if switch is not None:
            cls.switch = switch
        if to_owners is not None:
            cls.to_owners = to_owners
        if stream is not None:
            cls.stream = stream
        if kind is not None:
            if kind in KINDS:
                raise TypeError(f"event kind {kind!r} is registered twice")
            cls.kind = kind
            KINDS[kind] = cls

    @property
    def product(self) -> int | None:
        """The WB nmId the event is about, when it is about one product."""
        return None

    @property
    def actor(self) -> int | None:
        """The user whose own action caused the event: they are not told of it."""
        return None


# ------------------------------------------------------------------ orders and sales


@dataclass(frozen=True, kw_only=True)
class ProductLine(Event, stream=True):
    """What every order, cancellation, buyout and return says of its product."""

    srid: str
    nm_id: int
    supplier_article: str = ""
    tech_size: str = ""
    subject: str = ""
    brand: str = ""
    price_with_disc: float = 0.0
    warehouse: str = ""
    region: str = ""
    ts: int = 0  # when it happened, UTC seconds

    @property
    def product(self) -> int | None:
        return self.nm_id


@dataclass(frozen=True, kw_only=True)
class OrderLine(ProductLine):
    """An order as statistics, the order feed or the FBS list tell it. The feed and FBS give
    no discounts (None): the alert then shows the price alone."""

    finished_price: float | None = None
    total_price: float | None = None
    discount_percent: float | None = None
    spp: float | None = None
    source: str = "statistics"  # statistics | feed | fbs

    @property
    def discounts(self) -> tuple[float, float] | None:
        """(seller discount, WB discount) in percent, when the source gives both."""
        if self.discount_percent is None or self.spp is None:
            return None
        return (self.discount_percent, self.spp)


class OrderPlaced(OrderLine, kind="order", switch="alert_orders"):
    """A new order (also one the order feed tells before its payment is confirmed)."""


class OrderCancelled(OrderLine, kind="cancel", switch="alert_cancels"):
    """An order cancelled (by the buyer, or WB) before it reached the buyer."""


@dataclass(frozen=True, kw_only=True)
class SaleLine(ProductLine):
    """A buyout or a return from supplier/sales."""

    sale_id: str
    for_pay: float = 0.0


class Buyout(SaleLine, kind="buyout", switch="alert_buyouts"):
    """The buyer took the goods: `for_pay` is what the seller gets."""


class Return(SaleLine, kind="return", switch="alert_returns"):
    """The buyer brought the goods back."""


# ------------------------------------------------------------------ stock


@dataclass(frozen=True, kw_only=True)
class ShortSize:
    """A size that runs out first, as a stock alert lists it."""

    size: str
    quantity: int
    days_of_cover: float


@dataclass(frozen=True, kw_only=True)
class StockLow(Event, kind="stock_low", switch="alert_stock"):
    """A product running out within one member's horizon, or sold out (`sold_out`): both are
    the one kind `stock_low` (one switch, one digest label); the ref tells them apart, so each
    state goes out once a day."""

    nm_id: int
    supplier_article: str = ""
    title: str = ""
    subject: str = ""
    brand: str = ""
    quantity: int = 0
    days_of_cover: float | None = None
    avg_daily: float = 0.0
    horizon: int = 0
    sizes: tuple[ShortSize, ...] = ()

    @property
    def product(self) -> int | None:
        return self.nm_id

    @property
    def sold_out(self) -> bool:
        return self.quantity <= 0


# ------------------------------------------------------------------ the WB key


@dataclass(frozen=True, kw_only=True)
class KeyEvent(Event, to_owners=True):
    """News of a shop's WB key: its owners must act (or hear it is over)."""

    shop_name: str = ""  # as it was when told (the shop may be renamed or gone since)


@dataclass(frozen=True, kw_only=True)
class KeyExpiring(KeyEvent, kind="token_expiring"):
    days_left: int = 0
    expires_at: float = 0.0


@dataclass(frozen=True, kw_only=True)
class KeyDead(KeyEvent, kind="token_dead"):
    """WB refused the key (401): the shop is paused until a new key comes."""

    reason: str = ""  # expired | revoked | scope | malformed | anything else WB said


class KeyBack(KeyEvent, kind="token_back"):
    """A key reported dead because the bot could not open its stored copy works again."""


# ------------------------------------------------------------------ reviews and questions


@dataclass(frozen=True, kw_only=True)
class BuyerPost(Event):
    """What a review and a question say of themselves and their product."""

    id: str = ""
    nm_id: int = 0
    text: str = ""
    title: str = ""
    supplier_article: str = ""
    brand: str = ""
    ts: int = 0

    @property
    def product(self) -> int | None:
        return self.nm_id


@dataclass(frozen=True, kw_only=True)
class ReviewPosted(BuyerPost, kind="review", switch="alert_reviews"):
    """A new unanswered review (also the row /reviews lists)."""

    rating: int = 0  # 1..5
    pros: str = ""
    cons: str = ""
    photos: int = 0


class QuestionAsked(BuyerPost, kind="question", switch="alert_questions"):
    """A new unanswered question."""


# ------------------------------------------------------------------ the daily summary


@dataclass(frozen=True, kw_only=True)
class DayTotals:
    """The counts and sums of a day, as `bot.reports.metrics.Totals` holds them."""

    orders: int = 0
    orders_sum: float = 0.0
    cancels: int = 0
    cancels_sum: float = 0.0
    buyouts: int = 0
    buyouts_sum: float = 0.0
    returns: int = 0
    returns_sum: float = 0.0
    for_pay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class _SummaryProduct:
    """How the summary names a product."""

    nm_id: int = 0
    supplier_article: str = ""
    title: str = ""


@dataclass(frozen=True, kw_only=True)
class TopProduct(_SummaryProduct):
    orders: int = 0
    orders_sum: float = 0.0


@dataclass(frozen=True, kw_only=True)
class AtRisk(_SummaryProduct):
    """A product that may run out soon, as the summary lists it."""

    quantity: int = 0
    days_of_cover: float | None = 0.0


@dataclass(frozen=True, kw_only=True)
class UnansweredCounts:
    """One shop's unanswered reviews and questions, as the summary says them."""

    shop: str = ""
    reviews: int = 0
    negative: int = 0
    questions: int = 0
    threshold: int = 0


@dataclass(frozen=True, kw_only=True)
class FigureGap:
    """How much one figure moved a week's profit from the estimate to WB's report, kopecks."""

    name: str  # a bot.reports.profit.Figures money field, "cost" or "tax"
    effect: int


@dataclass(frozen=True, kw_only=True)
class WeekReconciled:
    """A week WB's report has come for whose profit differs from what the bot estimated by
    more than 10%, and the figures that made the difference (biggest first)."""

    shop: str = ""
    first: str  # ISO dates of the report's week
    last: str
    report_profit: int = 0  # kopecks
    estimate_profit: int = 0
    gaps: tuple[FigureGap, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Summary(Event, kind="summary", switch="alert_summary"):
    """A day's numbers, computed when queued: the message says what the store said then,
    however late it is sent. /summary shows today so far with the same class."""

    period: str = "yesterday"  # yesterday | today
    day: str  # ISO date
    until: float = 0.0
    shops: tuple[str, ...] = ()
    current: DayTotals = dataclasses.field(default_factory=DayTotals)
    previous: DayTotals = dataclasses.field(default_factory=DayTotals)
    top: tuple[TopProduct, ...] = ()
    at_risk: tuple[AtRisk, ...] = ()
    as_of: float | None = None
    reviews: tuple[UnansweredCounts, ...] = ()
    reconciled: tuple[WeekReconciled, ...] = ()


# ------------------------------------------------------------------ money


@dataclass(frozen=True, kw_only=True)
class SoldAtLoss(Event, kind="loss", switch="alert_loss"):
    """A product whose profit per unit sold was below zero over a week of WB days, with at
    least the operator's minimum of sales (bot.money.alerts): once a week per product. Money
    in kopecks; `estimated` when some of the days were not yet in WB's report."""

    nm_id: int
    supplier_article: str = ""
    title: str = ""
    first: str  # ISO dates, WB (Moscow) days
    last: str
    sold: int = 0
    returned: int = 0
    revenue: int = 0
    fees: int = 0  # everything WB kept: commission, logistics, storage, penalties…
    cost: int = 0
    tax: int = 0
    profit: int = 0
    estimated: bool = True

    @property
    def product(self) -> int | None:
        return self.nm_id


# ------------------------------------------------------------------ owner notices


@dataclass(frozen=True, kw_only=True)
class Notice(Event, to_owners=True):
    """Something a user did that the shop's owners hear of (the user themself does not)."""

    actor: int = 0  # 0: nobody (a notice the bot itself gives)
    by_name: str = ""


@dataclass(frozen=True, kw_only=True)
class RouteChanged(Notice, kind="route_changed"):
    """Where a shop's alerts go changed (a group, private chats, a member's private copy)."""

    to: str = "private"  # group | private
    chat_title: str = ""
    for_name: str = ""  # the member whose request an owner allowed
    removed_name: str = ""  # the member whose removal took the alerts back from their group
    copy: str = ""  # "on" / "off": a member's private copy
    legacy: bool = False  # a group chosen before only owners could
    gone: bool = False  # the bot was removed from the group


@dataclass(frozen=True, kw_only=True)
class RouteRequest(Notice, kind="route_request"):
    """A member asks the owners to send the shop's alerts to a group."""

    chat_id: int
    chat_title: str = ""


@dataclass(frozen=True, kw_only=True)
class KeyConnected(Notice, kind="key_connected"):
    """Someone brought a new WB key for the shop."""

    role: str = "member"
    shop_name: str = ""
    joined: bool = False


# ------------------------------------------------------------------ JSON


def _adapter(cls: type[Event]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def to_dict(event: Event) -> dict[str, Any]:
    return dataclasses.asdict(event)


def to_json(event: Event) -> str:
    """The event as the outbox stores it (its kind is stored beside it)."""
    return json.dumps(to_dict(event), ensure_ascii=False)


def from_dict(cls: type[E], data: Mapping[str, Any]) -> E:
    """`data` as an event of class `cls`; unknown keys are ignored. Raises EventError."""
    try:
        event = _adapter(cls).validate_python(dict(data))
    except ValidationError as exc:
        raise EventError(f"{cls.__name__}: {_first_error(exc)}") from None
    if not isinstance(event, cls):
        raise EventError(f"{cls.__name__}: not loaded as its class")
    return event


def from_json(kind: str, text: str | bytes | None) -> Event:
    """The event stored under `kind`. Raises EventError for an unknown kind or bad JSON."""
    cls = KINDS.get(kind)
    if cls is None:
        raise EventError(f"unknown event kind {kind!r}")
    try:
        data = json.loads(text or "{}")
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise EventError(f"{kind}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise EventError(f"{kind}: not a JSON object")
    return from_dict(cls, data)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "invalid"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')} ({len(errors)} error(s))"
