"""Fuzz rigs: the real dispatcher (as bot.app.build makes it) against the fake Bot API and fake
WB, and the real sync engine against the fake WB, each on an event loop of its own.

Why an own loop and sync tests: hypothesis runs each example as a plain call, and the bot, its
HTTP sessions and the fakes must live across examples on one loop (rebuilding them per example
would cost more than the example). The rigs keep that loop and run each example on it.

Scale by hand with FUZZ_EXAMPLES=10000; the default keeps the whole suite well under a minute.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, settings
from pydantic import SecretStr

from bot.app import App, build, shutdown
from bot.config import Settings
from bot.crypto import Keyring
from bot.handlers import get_routers
from bot.logs import SecretMask
from bot.notify.pacing import ChatPacer
from bot.store import Database
from bot.sync.engine import SyncEngine
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.token import visible_text
from tests.conftest import CANARY_SID
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.tokens import make_token
from tests.fakes.wb import FakeWB
from tests.sync.conftest import Rig

T = TypeVar("T")

SCALE = 0.001
#: Telegram methods that count as "the bot answered the user".
REPLY_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
    }
)
GROUP_CHAT = -1001234567890
#: A basic group and a channel the bot administers, beside the supergroup above.
BASIC_GROUP = -4321
CHANNEL = -1009876543210
#: The apology on_error sends (bot/handlers/fallback.py), in both languages.
APOLOGIES = ("Something went wrong on my side", "что-то пошло не так")
#: The shop owner whose canary key is connected; other fuzzed users are strangers to it.
OWNER = 1


def examples(default: int) -> int:
    """FUZZ_EXAMPLES overrides every test's default number of examples."""
    return int(os.environ.get("FUZZ_EXAMPLES") or default)


def fuzz(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        deadline=None,
        database=None,  # no .hypothesis files from a CI run
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # the rig is shared across examples on purpose
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


@dataclass
class Tally:
    """What a test prints: the figures a reader of `pytest -s` wants."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def report(self) -> None:
        figures = ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
        print(f"\n[fuzz] {self.name}: {figures}")


class LogCapture(logging.Handler):
    """Formatted log lines exactly as the bot's stderr handler would write them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Looped:
    """An event loop owned by a rig; examples run on it one at a time."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


class BotRig(Looped):
    """The real App against FakeTelegram and FakeWB; a canary key is connected for OWNER."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__()
        self.tmp_path = tmp_path
        self.stack = AsyncExitStack()
        self.canary = make_token(
            acc=3, categories=("statistics", "analytics", "marketplace"), sid=CANARY_SID
        )
        self.crashes = 0
        self.update_ids = itertools.count(1)
        self.capture = LogCapture()
        self.tg: FakeTelegram
        self.wb: FakeWB
        self.app: App

    async def start(self) -> None:
        self.tg = await self.stack.enter_async_context(FakeTelegram(enforce_limits=False))
        self.wb = await self.stack.enter_async_context(FakeWB(rate_scale=SCALE))
        self.wb.add_seller(self.canary, name="Canary <b>&amp;</b> shop")
        settings = Settings(
            bot_token=self.tg.token,
            telegram_api_url=self.tg.base_url,
            wb_api_url_template=self.wb.url_template,
            wb_rate_scale=SCALE,
            data_dir=self.tmp_path / "data",
            master_keys=base64.b64encode(os.urandom(32)).decode(),
        )
        # As bot.logs.setup_logging does, minus replacing pytest's own handlers.
        mask = SecretMask([self.tg.token])
        self.capture.addFilter(mask)
        root = logging.getLogger()
        self._old_level = root.level
        root.addHandler(self.capture)
        root.setLevel(logging.INFO)
        _detach_routers()
        self.app = await build(settings, mask)
        _unpace(self.app)
        await self.message(OWNER, "/start")
        await self.message(OWNER, f"/connect {self.canary}")
        if not await self.app.db.fetchone("SELECT id FROM shops"):
            raise AssertionError(f"the canary key did not connect: {self.tg.texts(OWNER)[-1:]}")

    async def stop(self) -> None:
        await shutdown(self.app)
        _detach_routers()
        await self.stack.aclose()
        root = logging.getLogger()
        root.removeHandler(self.capture)
        root.setLevel(self._old_level)

    async def feed(self, **update: Any) -> None:
        """One update through the real dispatcher; anything raised out of it is a crash."""
        try:
            await self.app.dp.feed_raw_update(
                self.app.bot, {"update_id": next(self.update_ids), **update}
            )
        except Exception:
            logging.getLogger(__name__).exception("update escaped the dispatcher")
            self.crashes += 1

    async def message(
        self, user_id: int, text: str, *, language: str = "en", group: bool = False
    ) -> list[Call]:
        before = len(self.tg.calls)
        if group:
            msg = self.tg.group_message(user_id, GROUP_CHAT, text, language_code=language)
        else:
            msg = self.tg.user_message(user_id, text, language_code=language)
        await self.feed(message=msg)
        return self.tg.calls[before:]

    async def post(
        self,
        user_id: int,
        text: str,
        *,
        where: str = "private",
        photo: bool = False,
        edited_from: str | None = None,
        language: str = "en",
    ) -> tuple[dict[str, Any], list[Call]]:
        """A message (or a photo's caption) in a private chat, a group, a supergroup or a
        channel (text only); with ``edited_from`` it first says that and is then edited to
        ``text``. Returns the message as it is last and the bot's calls after it."""
        first = text if edited_from is None else edited_from
        kind = "message"
        if where == "channel":
            msg = self.tg.channel_post(CHANNEL, first)
            kind = "channel_post"
        else:
            chat = {"private": None, "group": BASIC_GROUP, "supergroup": GROUP_CHAT}[where]
            msg = self.tg.user_message(
                user_id, first, chat_id=chat, photo=photo, language_code=language
            )
        before = len(self.tg.calls)
        await self.feed(**{kind: msg})
        if edited_from is not None:
            before = len(self.tg.calls)
            msg = self.tg.edit_user_message(msg["chat"]["id"], msg["message_id"], text)
            await self.feed(**{f"edited_{kind}": msg})
        return msg, self.tg.calls[before:]

    def apologies(self) -> int:
        return sum(
            1
            for call in self.tg.calls
            if call.method == "sendMessage" and any(a in (call.text or "") for a in APOLOGIES)
        )

    async def press(self, user_id: int, data: str) -> tuple[list[Call], bool]:
        """A button press on the newest bot message in the user's chat; whether it was
        answered (the spinner stops)."""
        message_id = self.last_message_id(user_id)
        if message_id is None:
            await self.message(user_id, "/settings")
            message_id = self.last_message_id(user_id)
        assert message_id is not None
        before = len(self.tg.calls)
        query = self.tg.callback(user_id, message_id, data)
        await self.feed(callback_query=query)
        return self.tg.calls[before:], query["id"] in self.tg.answered

    def last_message_id(self, chat_id: int) -> int | None:
        for call in reversed(self.tg.sent(chat_id)):
            for message in call.messages:
                return int(message["message_id"])
        return None

    async def counter(self, name: str) -> int:
        row = await self.app.db.fetchone("SELECT value FROM counters WHERE name = ?", (name,))
        return int(row[0]) if row else 0

    def leaks(self) -> list[str]:
        """Where the canary key (or its signature, the secret part) shows in clear, also
        disguised (invisible characters, split over lines: what a reader still copies)."""
        needles = [self.canary, self.canary.rsplit(".", 1)[1]]

        def shows(text: str) -> bool:
            seen = "".join(visible_text(text).split())
            return any(n in text or n in seen for n in needles)

        found = []
        for call in self.tg.calls:
            if any(shows(text) for text in _strings(call.params)):
                found.append(f"telegram {call.method}")
        for line in self.capture.lines:
            if shows(line):
                found.append(f"log: {line[:120]}")
        data = self.app.settings.data_dir
        for path in sorted(data.glob("*")):
            if path.is_file():
                blob = path.read_bytes()
                if any(n.encode() in blob for n in needles):
                    found.append(f"file {path.name}")
        return found


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [repr(value)]


def _unpace(app: App) -> None:
    """Per-chat pacing would hold every second reply to a fuzzed chat for a second; its own
    tests cover it. A clock that leaps ten seconds a reading keeps every bucket full."""
    leaps = itertools.count()
    for middleware in app.bot.session.middleware:
        if isinstance(middleware, ChatPacer):
            middleware._clock = lambda: time.monotonic() + 10.0 * next(leaps)


def _detach_routers() -> None:
    # Routers are module-level singletons and may join one dispatcher only.
    for router in get_routers():
        router._parent_router = None


@pytest.fixture
def botrig(tmp_path):
    rig = BotRig(tmp_path)
    try:
        rig.run(rig.start())
        yield rig
        rig.run(rig.stop())
    finally:
        rig.close()


class SyncRig(Looped):
    """The real SyncEngine (client, limiter, store) against FakeWB; a short client timeout so
    a hung socket costs a fraction of a second."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__()
        self.tmp_path = tmp_path
        self.stack = AsyncExitStack()
        self.rig: Rig

    async def start(self) -> None:
        db = Database(self.tmp_path / "sync.sqlite3")
        await db.open()
        self.stack.push_async_callback(db.close)
        wb = await self.stack.enter_async_context(
            FakeWB(rate_scale=SCALE, stock_task_delay=0.05, page_cap=80_000)
        )
        http = await self.stack.enter_async_context(aiohttp.ClientSession())
        settings = Settings(
            bot_token=SecretStr("123456:" + "A" * 35), data_dir=self.tmp_path, wb_rate_scale=SCALE
        )
        engine = SyncEngine(
            db,
            Keyring([os.urandom(32)]),
            WBClient(http, wb.url_template, timeout=1.0),
            Limiter(),
            settings,
        )
        self.stack.push_async_callback(engine.stop)
        self.rig = Rig(wb, engine, db, engine.keyring)

    async def stop(self) -> None:
        await self.stack.aclose()

    async def counter(self, name: str) -> int:
        value = await self.rig.scalar("SELECT value FROM counters WHERE name = ?", (name,))
        return int(value or 0)

    async def poll_once(
        self, sid: str, group: str, make_due: Callable[[], Awaitable[None]], within: float = 5
    ) -> None:
        """Makes the job due and ticks until WB has answered one more request of the group
        and the poll is finished."""
        before = len(self.rig.wb.requests_for(sid, group))
        await make_due()
        deadline = time.monotonic() + within
        while len(self.rig.wb.requests_for(sid, group)) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {group} request within {within} s")
            await self.rig.engine.tick()
            await asyncio.sleep(0.002)
        await self.rig.engine.idle()


@pytest.fixture
def syncrig(tmp_path):
    rig = SyncRig(tmp_path)
    try:
        rig.run(rig.start())
        yield rig
        rig.run(rig.stop())
    finally:
        rig.close()
