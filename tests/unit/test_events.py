"""The event registry: every kind round-trips through the JSON the outbox stores, payloads the
previous (untyped) version queued still load after an upgrade, and what does not load is an
EventError (the outbox logs, counts and skips it), never a crash."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import events
from bot.events import (
    KINDS,
    Buyout,
    EventError,
    KeyDead,
    OrderPlaced,
    RouteChanged,
    ShortSize,
    StockLow,
    Summary,
    from_json,
    to_json,
)
from bot.notify import load_renderers
from bot.notify.texts import RENDERERS

#: Numbers JSON carries exactly (no NaN, no infinity, ints a float holds).
_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    int: st.integers(-(2**53), 2**53),
    float: st.floats(allow_nan=False, allow_infinity=False, width=64),
    str: st.text(max_size=30),
    bool: st.booleans(),
    type(None): st.none(),
}


def _values(hint: Any) -> st.SearchStrategy[Any]:
    """Any value of the field's type, nested dataclasses and tuples included."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_values(arg) for arg in typing.get_args(hint)))
    if origin is tuple:
        item, _ellipsis = typing.get_args(hint)
        return st.lists(_values(item), max_size=3).map(tuple)
    if dataclasses.is_dataclass(hint):
        return _instances(hint)
    raise AssertionError(f"no strategy for {hint!r}: add one when an event gains such a field")


def _instances(cls: Any) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls, vars(events))
    fields = {f.name: _values(hints[f.name]) for f in dataclasses.fields(cls)}
    return st.fixed_dictionaries(fields).map(lambda values: cls(**values))


@pytest.mark.parametrize("kind", sorted(KINDS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_kind_round_trips_through_the_stored_json(kind, data):
    event = data.draw(_instances(KINDS[kind]))
    loaded = from_json(kind, to_json(event))
    assert type(loaded) is KINDS[kind]
    assert loaded == event


def test_every_kind_has_a_renderer_and_every_renderer_a_kind():
    load_renderers()
    assert set(RENDERERS) == set(KINDS)


def test_the_kinds_the_outbox_has_always_carried_are_registered():
    assert set(KINDS) >= {
        "order", "cancel", "buyout", "return", "stock_low", "token_expiring", "token_dead",
        "token_back", "summary", "review", "question", "route_changed", "route_request",
        "key_connected",
    }  # fmt: skip


# What the previous version stored (bot/sync/engine.py order_payload, feed_payload, sale_payload,
# bot/notify/checks.py stock_payload, the 0011 migration's legacy notice): queued before an
# upgrade, delivered after it.
OLD_ORDER = {
    "srid": "a1b2", "nm_id": 1001, "supplier_article": "ART-1", "tech_size": "M",
    "subject": "Футболки", "brand": "Acme", "price_with_disc": 1459.27,
    "finished_price": 1300.5, "total_price": 2900, "discount_percent": 50, "spp": 10,
    "warehouse": "Коледино", "region": "Московская", "ts": 1_764_000_000,
    "source": "statistics",
}  # fmt: skip
OLD_FEED_ORDER = {
    "srid": "f1", "nm_id": 7, "supplier_article": "", "tech_size": "", "subject": "",
    "brand": "", "price_with_disc": 990, "discount_percent": None, "spp": None,
    "warehouse": "Казань", "region": "Казань", "ts": 1_764_000_000, "source": "feed",
}  # fmt: skip
OLD_SALE = {
    "sale_id": "S123", "srid": "a1b2", "nm_id": 1001, "supplier_article": "ART-1",
    "tech_size": "0", "subject": "Футболки", "brand": "Acme", "price_with_disc": 1459.27,
    "for_pay": 1200.1, "warehouse": "Коледино", "region": "Московская", "ts": 1_764_000_000,
}  # fmt: skip
OLD_STOCK = {
    "nm_id": 5, "supplier_article": "ART-5", "vendor_code": "ART-5", "title": "Платье",
    "subject": "Платья", "brand": "Acme", "quantity": 3, "days_of_cover": 1.5,
    "avg_daily": 2.0, "horizon": 7, "sizes": [{"size": "M", "quantity": 1, "days_of_cover": 0.5}],
}  # fmt: skip


def test_payloads_queued_by_the_previous_version_load_as_their_classes():
    order = from_json("order", json.dumps(OLD_ORDER))
    assert isinstance(order, OrderPlaced)
    assert (order.price_with_disc, order.discounts, order.warehouse) == (
        1459.27,
        (50, 10),
        "Коледино",
    )
    feed = from_json("order", json.dumps(OLD_FEED_ORDER))
    assert isinstance(feed, OrderPlaced) and feed.discounts is None and feed.source == "feed"
    sale = from_json("buyout", json.dumps(OLD_SALE))
    assert isinstance(sale, Buyout) and sale.for_pay == 1200.1
    stock = from_json("stock_low", json.dumps(OLD_STOCK))
    assert isinstance(stock, StockLow)
    assert stock.sizes == (ShortSize(size="M", quantity=1, days_of_cover=0.5),)
    assert from_json("token_dead", '{"reason": "unknown"}') == KeyDead(reason="unknown")
    legacy = from_json("route_changed", '{"actor":0,"to":"group","legacy":1}')
    assert legacy == RouteChanged(actor=0, to="group", legacy=True)


@pytest.mark.parametrize(
    ("kind", "text", "why"),
    [
        ("no_such_kind", "{}", "unknown event kind"),
        ("order", '{"srid": "a", "nm_id": 1', "not JSON"),
        ("order", b"\xff\xfe", "not JSON"),
        ("order", "[1, 2]", "not a JSON object"),
        ("order", '{"nm_id": 1}', "srid"),  # a field every order has is missing
        ("order", '{"srid": "a", "nm_id": "many"}', "nm_id"),
        ("summary", '{"day": "2026-01-01", "top": [{"orders": "lots"}]}', "top.0.orders"),
    ],
)
def test_what_does_not_load_is_an_event_error(kind, text, why):
    with pytest.raises(EventError, match=why):
        from_json(kind, text)


def test_a_kind_cannot_be_registered_twice():
    with pytest.raises(TypeError, match="registered twice"):

        class Again(events.Event, kind="order"):
            pass

    assert KINDS["order"] is OrderPlaced


def test_the_summary_keeps_its_numbers_as_computed():
    summary = Summary(day="2026-12-05", shops=("Лавка",))
    assert json.loads(to_json(summary))["shops"] == ["Лавка"]
    assert from_json("summary", to_json(summary)) == summary
