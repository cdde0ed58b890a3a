"""The outbox sender: routes events to chats and drains deliveries into Telegram within limits.

The one place that sends unprompted messages. Each pass: route new events (fan-out, switches,
quiet hours), load what is due, group it into messages (a poll's burst is one message, a catch-up
one digest per shop, quiet hours one digest per chat), then send each message when the global and
per-chat buckets allow. State lives in the database, so a crash loses nothing: a message claimed
('sending') but not confirmed is sent again on start.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.clock import parse_hhmm, zone_of
from bot.events import Event, OrderPlaced, ReviewPosted
from bot.i18n import language_for
from bot.money.view import order_estimates
from bot.notify.reviews import is_negative
from bot.notify.texts import (
    RenderContext,
    Rendered,
    catch_up_heading,
    compose,
    quiet_heading,
)
from bot.notify.throttle import Throttle
from bot.reports.profit import OrderEstimates
from bot.store import Database, orders, outbox, stock, users
from bot.store import shops as store_shops
from bot.store.costs import cost_on
from bot.store.leases import hold_role, release_role
from bot.store.outbox import Due, EventRow, Placement
from bot.store.users import User
from bot.timeutil import MSK

log = logging.getLogger(__name__)

ROWS_PER_PASS = 2000
PASS_SECONDS = 10.0  # a pass stops dispatching after this, so new events are routed soon
MAX_IN_FLIGHT = 64
#: A shop's inputs of a new order's profit estimate (its learned fees change with a weekly
#: report) are kept this long, for at most this many (shop, day) pairs.
ESTIMATES_SECONDS = 600.0
ESTIMATES_KEPT = 256
BACKOFF_CAP = 300.0
# aiogram reports a refused connection this way: nothing reached Telegram, so a retry is safe.
NOT_DELIVERED_MARKERS = ("ClientConnectorError", "Cannot connect")
#: The role row (bot/store/leases.py) of the one process that sends, when several run.
SENDER_ROLE = "sender"


# ------------------------------------------------------------------ pure decisions


def quiet_until(now: float, tz: ZoneInfo, start: str | None, end: str | None) -> float | None:
    """The end of the quiet window `now` falls in (UTC seconds), or None outside quiet hours.

    The window is local time and may wrap midnight (23:00–08:00).
    """
    begin, finish = parse_hhmm(start or ""), parse_hhmm(end or "")
    if begin is None or finish is None or begin == finish:
        return None
    local = datetime.fromtimestamp(now, tz)
    clock = local.time().replace(second=0, microsecond=0, tzinfo=None)
    day = local.date()
    if begin < finish:
        inside = begin <= clock < finish
    else:
        inside = clock >= begin or clock < finish
        if clock >= begin:
            day += timedelta(days=1)
    if not inside:
        return None
    return datetime.combine(day, finish, tzinfo=tz).timestamp()


def place(row: EventRow[Event], user: User, now: float) -> Placement:
    """Whether a recipient gets the event, and when: None when their switch is off, held until
    the end of their quiet hours, else pending at once."""
    event = row.event
    if event.switch is not None and not getattr(user, event.switch):
        return None
    if isinstance(event, ReviewPosted) and not is_negative(event, user.review_threshold):
        return None  # above the reader's threshold: stored, counted, not pushed
    if event.to_owners:
        return ("pending", 0.0)  # a key problem does not wait for the morning
    until = quiet_until(now, zone_of(user.timezone), user.quiet_start, user.quiet_end)
    return ("held", until) if until is not None else ("pending", 0.0)


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send and the deliveries it settles."""

    chat_id: int
    user_id: int | None
    mode: str  # 'batch', 'catch_up' (while I was away) or 'quiet' (after quiet hours)
    deliveries: tuple[Due, ...]

    @property
    def ids(self) -> list[int]:
        return [d.id for d in self.deliveries]

    @property
    def events(self) -> list[EventRow[Event]]:
        return [d.event for d in self.deliveries]


def group_messages(due: Sequence[Due]) -> list[Outgoing]:
    """Deliveries → messages: what is due for a chat now is one message (a poll's burst; or the
    bursts of several polls and shops that waited together behind Telegram's 1 message/s per chat
    or an outage, so a backlog never becomes a stream of messages); one per chat and shop for a
    catch-up; one per chat for what quiet hours held. Only the stream of orders, cancellations,
    buyouts and returns is merged: anything else is a message of its own. Order of first
    appearance is kept."""
    groups: dict[tuple[object, ...], list[Due]] = {}
    for d in due:
        key: tuple[object, ...]
        if not d.event.event.stream:
            # A summary, a stock alert (its buttons), a key warning: each its own message.
            key = (d.chat_id, "batch", "single", d.event.id)
        elif d.held:
            key = (d.chat_id, "quiet")
        elif d.event.catch_up:
            key = (d.chat_id, "catch_up", d.event.shop_id)
        else:
            key = (d.chat_id, "batch")
        groups.setdefault(key, []).append(d)
    return [
        Outgoing(key[0], items[0].user_id, str(key[1]), tuple(items))  # type: ignore[arg-type]
        for key, items in groups.items()
    ]


def whole_groups(due: list[Due], limit: int) -> list[Due]:
    """When a load hit its row limit the last chat's group may be cut: leave it for next pass."""
    if len(due) < limit or not due:
        return due
    last = due[-1].chat_id
    trimmed = [d for d in due if d.chat_id != last]
    return trimmed or due


def not_delivered(exc: TelegramNetworkError) -> bool:
    return any(marker in exc.message for marker in NOT_DELIVERED_MARKERS)


# ------------------------------------------------------------------ the sender


class Sender:
    """Drains the outbox; owned by the app (`start_sender`), cancelled at shutdown.

    With a `worker` id several processes may run a sender: the one holding the 'sender' role
    (a lease renewed every pass) sends, the others stand by and take over when it lapses. One
    sender keeps Telegram's limits (≈30 msg/s for the bot, 1 msg/s per chat) in one process's
    buckets, exact and free of database round trips; a message it claimed is leased to it, and
    goes out again only once that lease lapsed. Without a worker id the sender is the only one
    (tests, the demo): no role, and what a crash left in 'sending' goes out again at start."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        i18n: I18n,
        *,
        rate: float = 25.0,
        idle_seconds: float = 0.5,
        send_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        worker: str | None = None,
        lease_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.bot = bot
        self.i18n = i18n
        self.throttle = Throttle(global_rate=rate)
        self.idle_seconds = idle_seconds
        self.send_timeout = send_timeout
        self.clock = clock  # for the buckets
        self.wall = wall  # for the database: due times, quiet hours, "today"
        self._estimates: dict[tuple[int, date], tuple[float, OrderEstimates]] = {}
        self._recovered = False
        self._wake = asyncio.Event()
        self._seq = itertools.count()
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.role_until = 0.0  # wall time the role is ours until (0: not held)

    @property
    def pass_seconds(self) -> float:
        """A pass is short enough for the role to be renewed well before it lapses."""
        return min(PASS_SECONDS, self.lease_seconds / 3) if self.worker else PASS_SECONDS

    async def hold_role(self) -> bool:
        """Takes or renews the sender role; True while this process holds it."""
        if self.worker is None:
            return True
        now = self.wall()
        held = await hold_role(self.db, SENDER_ROLE, self.worker, now, self.lease_seconds)
        if held and not self.role_until:
            log.info("this process sends the alerts (worker %s)", self.worker)
        elif not held and self.role_until:
            log.warning("the sender role went to another process")
        self.role_until = now + self.lease_seconds if held else 0.0
        return held

    def wake(self) -> None:
        """New events are in: the sync engine may call this to skip the idle wait."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    if not await self.hold_role():
                        await asyncio.sleep(min(self.lease_seconds / 4, 5.0))
                        continue
                    sent = await self.drain_once(self.pass_seconds)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("sender pass failed")
                    sent = 0
                    await asyncio.sleep(1.0)
                if sent == 0:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                    except TimeoutError:
                        pass
        finally:
            if self.worker is not None and self.role_until:
                # A clean stop hands the role over now rather than after the lease.
                with suppress(Exception):
                    await asyncio.wait_for(
                        release_role(self.db, SENDER_ROLE, self.worker), timeout=2
                    )

    async def recover(self) -> int:
        """Messages claimed before a crash may or may not have gone out: send them again (with
        a worker id, those whose lease lapsed: their sender died or stalled)."""
        self._recovered = True
        if self.worker is None:
            count = await outbox.recover_sending(self.db)
        else:
            count = await outbox.recover_sending(self.db, self.wall())
        if count:
            log.warning("re-sending %d deliveries left in 'sending' by a crash", count)
            await self.db.bump("tg_resent_after_crash", count)
        return count

    async def drain_once(self, max_seconds: float = PASS_SECONDS) -> int:
        """One pass: route, load what is due, send it within the limits; returns messages sent."""
        if not self._recovered or self.worker is not None:
            await self.recover()
        if self.worker is not None:
            # Stop dispatching well before the role could lapse (another sender may start).
            left = self.role_until - self.wall() - self.lease_seconds / 4
            max_seconds = min(max_seconds, max(left, 0.0))
        self.throttle.forget(self.clock())
        while await outbox.route_events(self.db, partial(place, now=self.wall())):
            pass
        due = await outbox.due_deliveries(self.db, self.wall(), ROWS_PER_PASS)
        messages = group_messages(whole_groups(due, ROWS_PER_PASS))
        if not messages:
            return 0
        return await self._dispatch(messages, max_seconds)

    async def _dispatch(self, messages: list[Outgoing], max_seconds: float) -> int:
        """Sends each message as soon as its chat and the global bucket allow, several chats at
        once, one message at a time per chat (so a chat's messages keep their order)."""
        queues: dict[int, deque[Outgoing]] = {}
        for message in messages:
            queues.setdefault(message.chat_id, deque()).append(message)
        ready: list[tuple[float, int, int]] = [(0.0, next(self._seq), c) for c in queues]
        heapq.heapify(ready)
        tasks: set[asyncio.Task[bool]] = set()
        changed = asyncio.Event()
        sent = 0
        deadline = self.clock() + max_seconds

        async def deliver(message: Outgoing) -> bool:
            try:
                return await self._deliver(message, queues)
            finally:
                rest = queues.get(message.chat_id)
                if rest:
                    wait = self.throttle.chat_wait(message.chat_id, self.clock())
                    heapq.heappush(ready, (self.clock() + wait, next(self._seq), message.chat_id))
                changed.set()

        try:
            while ready or tasks:
                sent += self._reap(tasks)
                now = self.clock()
                if not ready or len(tasks) >= MAX_IN_FLIGHT or ready[0][0] > now:
                    if not tasks and (not ready or now >= deadline):
                        break
                    timeout = max(ready[0][0] - now, 0.001) if ready else None
                    changed.clear()
                    try:
                        await asyncio.wait_for(changed.wait(), timeout)
                    except TimeoutError:
                        pass
                    continue
                if now >= deadline:
                    ready.clear()  # the rest stays pending for the next pass
                    continue
                _, _, chat_id = heapq.heappop(ready)
                queue = queues.get(chat_id)
                if not queue:
                    continue
                wait = self.throttle.chat_wait(chat_id, now)
                if wait > 0:
                    heapq.heappush(ready, (now + wait, next(self._seq), chat_id))
                    continue
                global_wait = self.throttle.global_wait(now)
                if global_wait > 0:
                    heapq.heappush(ready, (now, next(self._seq), chat_id))
                    await asyncio.sleep(global_wait)
                    continue
                self.throttle.take(chat_id, now)
                tasks.add(asyncio.create_task(deliver(queue.popleft())))
        except asyncio.CancelledError:
            # A stop while messages are in flight: let them finish and be marked sent, or the
            # next start would send them again.
            if tasks:
                await asyncio.wait(tasks, timeout=10)
            raise
        sent += self._reap(tasks)
        return sent

    @staticmethod
    def _reap(tasks: set[asyncio.Task[bool]]) -> int:
        done = {t for t in tasks if t.done()}
        tasks.difference_update(done)
        sent = 0
        for task in done:
            if task.cancelled():
                continue
            exc = task.exception()
            if exc is not None:
                log.error("delivery failed unexpectedly", exc_info=exc)
            elif task.result():
                sent += 1
        return sent

    async def _deliver(self, message: Outgoing, queues: dict[int, deque[Outgoing]]) -> bool:
        """Claim, send, settle. Returns True when Telegram has (or may have) the message."""
        ids = message.ids
        try:
            rendered = await self._render(message)
        except Exception:
            # A broken renderer must not jam the queue by failing on every pass.
            log.exception("could not render kinds %s", sorted({e.kind for e in message.events}))
            await outbox.drop(self.db, ids, "render failed")
            await self.db.bump("alert_render_failed")
            return False
        now = self.wall()
        lease = now + self.lease_seconds if self.worker is not None else None
        await outbox.claim(self.db, ids, now, self.worker, lease)
        chat_id = message.chat_id
        try:
            try:
                message_id = await self._send(chat_id, rendered)
            except TelegramMigrateToChat as exc:
                new_id = exc.migrate_to_chat_id
                log.info("chat %s became supergroup %s", chat_id, new_id)
                await outbox.migrate_chat(self.db, chat_id, new_id)
                queues.pop(chat_id, None)  # the rest is re-read next pass under the new id
                chat_id = new_id
                self.throttle.take(chat_id, self.clock())
                message_id = await self._send(chat_id, rendered)
        except TelegramRetryAfter as exc:
            await outbox.release(self.db, ids, self.wall() + exc.retry_after, "retry_after")
            await self.db.bump("tg_retry_after")
            if self.throttle.retry_after(chat_id, exc.retry_after, self.clock()):
                log.warning("429s keep coming: all sending paused %ss", exc.retry_after)
            return False
        except TelegramForbiddenError:
            dropped = await outbox.block_chat(self.db, chat_id)
            queues.pop(chat_id, None)
            await self.db.bump("tg_blocked")
            log.info("chat %s blocked the bot; %d deliveries dropped", chat_id, dropped)
            return False
        except (TelegramNetworkError, TimeoutError) as exc:
            if isinstance(exc, TelegramNetworkError) and not_delivered(exc):
                await self._retry_later(message, "network: not delivered")
                return False
            # Telegram may well have the message: sending it again could double the alert.
            await outbox.mark_sent(self.db, ids, None, self.wall())
            await self.db.bump("tg_maybe_delivered")
            return True
        except TelegramBadRequest as exc:
            await outbox.drop(self.db, ids, exc.message)
            await self.db.bump("tg_bad_request")
            log.error("Telegram refused a message for chat %s: %s", chat_id, exc.message)
            return False
        except TelegramAPIError as exc:  # 5xx and the like: nothing was delivered
            await self._retry_later(message, exc.message)
            return False
        except Exception as exc:
            log.exception("unexpected error sending to chat %s", chat_id)
            await self._retry_later(message, type(exc).__name__)
            return False
        await outbox.mark_sent(self.db, ids, message_id, self.wall())
        return True

    async def _retry_later(self, message: Outgoing, error: str) -> None:
        attempts = max(d.attempts for d in message.deliveries) + 1
        delay = min(2.0**attempts, BACKOFF_CAP)
        await outbox.release(self.db, message.ids, self.wall() + delay, error)

    async def _call(self, request: Awaitable[Message]) -> int:
        sent = await asyncio.wait_for(request, self.send_timeout)
        return sent.message_id

    async def _send(self, chat_id: int, rendered: Rendered) -> int:
        # A picture's caption carries the same HTML and buttons as a text would.
        mode, markup = ParseMode.HTML, rendered.reply_markup
        if rendered.photo_url:
            try:
                return await self._call(
                    self.bot.send_photo(
                        chat_id,
                        rendered.photo_url,
                        caption=rendered.text,
                        parse_mode=mode,
                        reply_markup=markup,
                    )
                )
            except TelegramBadRequest as exc:
                # A dead picture link must not cost the alert: the text goes alone.
                log.info("photo refused for chat %s (%s); sending text", chat_id, exc.message)
                await self.db.bump("tg_photo_fallback")
        return await self._call(
            self.bot.send_message(chat_id, rendered.text, parse_mode=mode, reply_markup=markup)
        )

    async def _render(self, message: Outgoing) -> Rendered:
        user = await users.get_user(self.db, message.user_id) if message.user_id else None
        lang = language_for(user.language, user.tg_language) if user else "en"
        tz = zone_of(user.timezone if user else None)
        events = message.events
        shops = {e.shop_id for e in events if e.shop_id}
        today: dict[int, tuple[int, float]] = {}
        if message.mode == "batch":
            midnight = datetime.fromtimestamp(self.wall(), tz).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            for shop_id in {e.shop_id for e in events if isinstance(e.event, OrderPlaced)}:
                today[shop_id] = await orders.today_totals(self.db, shop_id, midnight.timestamp())
        placed = [e for e in events if isinstance(e.event, OrderPlaced)]
        order_profit = await self._order_profit(placed[0]) if len(placed) == 1 else {}
        nm_keys = [
            (e.shop_id, e.event.product)
            for e in events
            if e.shop_id and e.event.product is not None
        ]
        ctx = RenderContext(
            user=user,
            language=lang,
            gettext=partial(_gettext, self.i18n, lang),
            ngettext=partial(_ngettext, self.i18n, lang),
            tz=tz,
            shop_names=await store_shops.shop_names(self.db, shops),
            products=await stock.products(self.db, nm_keys) if nm_keys else {},
            today=today,
            order_profit=order_profit,
            photos=bool(user.photos) if user else True,
        )
        heading = ""
        if message.mode == "catch_up":
            heading = catch_up_heading(events, ctx)
        elif message.mode == "quiet":
            heading = quiet_heading(events, ctx)
        return compose(events, ctx, heading)

    async def _order_profit(self, row: EventRow[Event]) -> dict[str, int]:
        """srid → the estimated profit of one unit of a single new order, when its product has
        a cost price. Light per message: one indexed read of the product's costs; the shop's
        learned fees (a read over weeks of WB's report) only then, kept ESTIMATES_SECONDS."""
        order = row.event
        if not isinstance(order, OrderPlaced) or not order.price_with_disc or not row.shop_id:
            return {}
        day = datetime.fromtimestamp(order.ts or self.wall(), MSK).date()
        if await cost_on(self.db, row.shop_id, order.nm_id, day, order.tech_size) is None:
            return {}
        key = (row.shop_id, day)
        kept = self._estimates.get(key)
        if kept is None or kept[0] < self.wall():
            estimates = await order_estimates(self.db, [row.shop_id], day)
            kept = self._estimates[key] = (self.wall() + ESTIMATES_SECONDS, estimates)
            if len(self._estimates) > ESTIMATES_KEPT:
                self._estimates.pop(next(iter(self._estimates)))
        price = round(order.price_with_disc * 100)
        kopecks = kept[1].profit(row.shop_id, order.nm_id, order.tech_size, day, price)
        return {} if kopecks is None else {order.srid: kopecks}


def _gettext(i18n: I18n, lang: str, text: str) -> str:
    return i18n.gettext(text, locale=lang)


def _ngettext(i18n: I18n, lang: str, singular: str, plural: str, n: int) -> str:
    return i18n.gettext(singular, plural, n, locale=lang)
