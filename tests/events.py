"""Stored events for tests that render or route them without a database: an event of a kind
built from the fields a test cares about (through the same loader the outbox uses, so a field
the class does not know is ignored and one of the wrong type fails the test)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.events import KINDS, Event, from_dict
from bot.store.outbox import EventRow


def event_row(
    kind: str,
    fields: Mapping[str, Any],
    *,
    id: int = 0,
    shop_id: int = 1,
    ref: str = "",
    batch: str | None = None,
    catch_up: bool = False,
    user_id: int | None = None,
    created_at: float = 0.0,
) -> EventRow[Event]:
    event = from_dict(KINDS[kind], fields)
    return EventRow(id, shop_id, ref, batch, catch_up, user_id, event, created_at)
