"""What a job's flow is and what it may use of the engine.

A flow is one poll of one (shop, job): it fetches through the engine (`call`, which keeps WB's
budget), stores what it got with the poll's new state in the engine's transactions (`tx`,
which carries the spent budgets along) and sets when the job is due next. It knows nothing of
the tick, of claiming, or of what happens on a WB error: the engine turns a refusal, a 429, a
5xx or a budget still empty (`NotYet`) into the poll's back-off.

Each job is one registration in `bot.sync.plan.JOBS`: its pacing method, its token category and
its flow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.store import Database
from bot.store.db import Conn
from bot.store.polls import PollState, update_poll
from bot.store.shops import Shop
from bot.wb.client import WBClient

T = TypeVar("T")

#: A stamp further in the future than this is a WB glitch: stored, never a cursor.
FUTURE_SLACK = timedelta(hours=1)


class NotYet(Exception):
    """The limiter says this call must wait; the poll is rescheduled, nothing is sent."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"wait {wait:.3f}s")
        self.wait = wait


class FlowEngine(Protocol):
    """The engine as a flow sees it."""

    @property
    def db(self) -> Database: ...

    @property
    def wb(self) -> WBClient: ...

    @property
    def scale(self) -> float: ...

    async def call(
        self, shop: Shop, name: str, fn: Callable[..., Awaitable[T]], *args: Any
    ) -> T: ...

    def tx(self) -> AbstractAsyncContextManager[Conn]: ...

    async def budget_wait(self, shop: Shop, name: str) -> None: ...

    def catching_up(self, poll: PollState, period: float, now: float) -> bool: ...


#: One poll of a job: (engine, shop, WB key, the poll's state, the job's period in seconds).
Flow = Callable[[FlowEngine, Shop, str, PollState, float], Awaitable[None]]


def since_connect(shop: Shop, when: datetime) -> bool:
    """Whether something happened after the shop's /connect (before it is history)."""
    return when.timestamp() > shop.connected_at


async def set_poll(engine: FlowEngine, poll: PollState, **values: Any) -> None:
    """The poll's new ``values`` in a transaction of their own (`bot.store.polls.update_poll`)."""
    async with engine.tx() as conn:
        await update_poll(conn, poll.shop_id, poll.job, **values)


async def poll_ok(conn: Conn, poll: PollState, at: float, **values: Any) -> None:
    """A poll that went through: its failures cleared and ``at`` stamped as its last success,
    with the job's own ``values`` (`bot.store.polls.update_poll`)."""
    await update_poll(conn, poll.shop_id, poll.job, last_ok_at=at, failures=0, **values)
