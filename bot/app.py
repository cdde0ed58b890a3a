"""Wiring and lifecycle: store, WB client, scheduler, sender, dispatcher; a graceful stop.

Roles: `python -m bot` (role "all") runs everything, as one process always did; `python -m bot
worker` runs the polling of WB, the sending and the periodic checks, and never asks Telegram for
updates. Any number of processes share one database: polls and deliveries are leased, the
sender is one process at a time (the 'sender' role), periodic checks run once per period
(bot/scheduler.py `once_per_period`), and exactly one process takes Telegram's updates by long
polling (the 'updates' role: a second `python -m bot` waits as a stand-by and takes over when the
first stops or dies).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, User
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.crypto import Keyring
from bot.handlers import get_routers
from bot.handlers.fallback import on_error
from bot.handlers.middleware import UserMiddleware
from bot.i18n import N_, UserLocale, make_i18n
from bot.logs import SecretMask
from bot.masterkey import check_existing_database, keyring_at_start
from bot.money.alerts import check_losses
from bot.notify import start_sender
from bot.notify.checks import check_token_expiry
from bot.notify.pacing import ChatPacer
from bot.notify.summary import queue_summaries
from bot.reports.gate import ReportGate
from bot.scheduler import Scheduler, once_per_period
from bot.shops.connector import ShopConnector
from bot.store import Database
from bot.store.fsm import DatabaseStorage
from bot.store.leases import hold_role, new_worker_id, reap_dead, release_role
from bot.sync.engine import SyncEngine, start_sync
from bot.sync.plan import plan_new_jobs
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.token import looks_like_token

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
#: The role row of the one process that takes Telegram's updates (long polling).
UPDATES_ROLE = "updates"
ROLES = ("all", "worker")


@dataclass
class App:
    settings: Settings
    db: Database
    keyring: Keyring
    i18n: I18n
    bot: Bot
    dp: Dispatcher
    http: aiohttp.ClientSession
    scheduler: Scheduler
    wb: WBClient
    limiter: Limiter
    sync: SyncEngine
    mask: SecretMask | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    role: str = "all"

    @property
    def worker(self) -> str:
        """This process's id in every lease it holds (the sync engine made it)."""
        return self.sync.worker


def make_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(ChatPacer())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def command_list(i18n: I18n, locale: str) -> list[BotCommand]:
    names = {
        "start": N_("Start and help"),
        "connect": N_("Connect a WB shop"),
        "shops": N_("Your shops"),
        "status": N_("Data freshness and token state"),
        "report": N_("Report for a period"),
        "profit": N_("Profit for a period"),
        "stock": N_("Stock and days of cover"),
        "reviews": N_("Unanswered negative reviews"),
        "costs": N_("Cost prices: a table to fill in"),
        "cost": N_("Set one product's cost price"),
        "summary": N_("Today's summary so far"),
        "settings": N_("Settings"),
        "language": N_("Language"),
        "disconnect": N_("Disconnect a shop"),
        "invite": N_("Invite a teammate"),
        "members": N_("Shop members"),
        "help": N_("Help"),
    }
    return [
        BotCommand(command=cmd, description=i18n.gettext(text, locale=locale))
        for cmd, text in names.items()
    ]


async def register_commands(app: App) -> None:
    for locale in ("en", "ru"):
        await app.bot.set_my_commands(
            command_list(app.i18n, locale), language_code=locale if locale != "en" else None
        )


async def build(settings: Settings, mask: SecretMask | None = None, bot: Bot | None = None) -> App:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = settings.database()
    await db.open()
    try:
        keyring = await keyring_at_start(settings, db)
    except BaseException:
        await db.close()
        raise
    i18n = make_i18n()
    bot = bot or make_bot(settings)
    dp = Dispatcher(storage=DatabaseStorage(db, looks_like_token))
    http = aiohttp.ClientSession()
    scheduler = Scheduler(timezone="UTC")
    wb = WBClient(http, settings.wb_api_url_template)
    limiter = Limiter()
    sync = SyncEngine(db, keyring, wb, limiter, settings, worker=new_worker_id())
    app = App(settings, db, keyring, i18n, bot, dp, http, scheduler, wb, limiter, sync, mask)
    # The services handlers may ask for by name in their signatures; nothing else is handed in.
    dp.workflow_data.update(
        db=db,
        settings=settings,
        keyring=keyring,
        i18n=i18n,
        report_gate=ReportGate(),
        connector=ShopConnector(db, keyring, wb, limiter, sync, settings),
    )
    user_mw = UserMiddleware(db, settings)
    dp.message.outer_middleware(user_mw)
    dp.edited_message.outer_middleware(user_mw)  # an edit may add a key (bot/handlers/keys.py)
    dp.callback_query.outer_middleware(user_mw)
    dp.my_chat_member.outer_middleware(user_mw)
    UserLocale(i18n).setup(dp)
    dp.include_routers(*get_routers())
    dp.errors.register(on_error)
    return app


async def heartbeat(app: App) -> None:
    """Proof of life for the Docker HEALTHCHECK: the database answers and the loop turns."""
    await app.db.heartbeat()
    path: Path = app.settings.heartbeat_path
    await asyncio.to_thread(path.write_text, f"{time.time():.0f}\n")


def schedule_checks(app: App) -> None:
    """Daily summaries are looked at every 20 s so one due at T is queued within 20 s of T;
    key expiry hourly (and once at start); products sold at a loss every 6 hours (each is told
    once a week, bot.money.alerts). Low stock is queued by the stock poll itself, right
    after each snapshot (bot.sync.stock_alerts). Each runs once per period however many
    processes run (`once_per_period`)."""
    now = datetime.now(UTC)
    db, worker, lease = app.db, app.worker, app.settings.lease_seconds

    def every(
        period: int,
        job: str,
        grace: int,
        first: datetime,
        func: Callable[..., Coroutine[Any, Any, Any]],
        *args: Any,
    ) -> None:
        app.scheduler.add_job(
            once_per_period(db, worker, job, period, lease, func, *args),
            "interval",
            seconds=period,
            id=job,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
            next_run_time=first,
        )

    every(20, "summaries", 60, now, queue_summaries, db)
    losses_from = now + timedelta(minutes=5)
    every(6 * 3600, "losses", 3600, losses_from, check_losses, db, app.settings.loss_min_sales)
    every(3600, "token-expiry", 600, now, check_token_expiry, db)


class TelegramRejected(Exception):
    """Telegram refuses the bot token: retrying cannot help. One line for the operator."""


async def wait_for_telegram(bot: Bot, first_retry: float, max_retry: float = 60.0) -> User:
    """getMe until Telegram answers: a wrong token stops the bot, an outage is waited out with
    a back-off and one log line per attempt (a container that exits would stay down)."""
    delay = first_retry
    attempt = 0
    while True:
        try:
            return await bot.me()
        except TelegramUnauthorizedError:
            raise TelegramRejected(
                "Telegram rejected BOT_TOKEN (401 Unauthorized): copy the token again from "
                "@BotFather"
            ) from None
        except TelegramNotFound:
            raise TelegramRejected(
                "Telegram rejected BOT_TOKEN (404 Not Found): check BOT_TOKEN and TELEGRAM_API_URL"
            ) from None
        except TelegramRetryAfter as exc:
            wait = max(delay, float(exc.retry_after))
            reason = f"429, retry after {exc.retry_after} s"
        except (TelegramAPIError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            wait = delay
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        attempt += 1
        log.warning(
            "Telegram unreachable at start (%s); attempt %d, next in %.1f s", reason, attempt, wait
        )
        await asyncio.sleep(wait)
        delay = min(max_retry, delay * 2)


async def run(settings: Settings, mask: SecretMask | None = None, role: str = "all") -> None:
    # A database that exists is checked first: a lost master key stops the bot in one line even
    # while Telegram is down. Then the token: a wrong one ends in one line before a fresh
    # database (which has nothing sealed) is created and migrated.
    await check_existing_database(settings)
    bot = make_bot(settings)
    try:
        await wait_for_telegram(bot, settings.telegram_retry_seconds)
        app = await build(settings, mask, bot)
    except BaseException:
        await bot.session.close()
        raise
    app.role = role
    try:
        freed = await reap_dead(app.db, app.worker, time.time())
        if freed:
            log.info("took over %d leases of this host's processes that are gone", freed)
        await heartbeat(app)
        app.scheduler.add_job(
            heartbeat,
            "interval",
            seconds=HEARTBEAT_SECONDS,
            args=[app],
            id="heartbeat",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30,
        )
        added = await plan_new_jobs(app.db, settings.wb_rate_scale)
        if added:
            log.info("started %d new sync jobs for shops connected before they existed", added)
        start_sync(app.sync, app.scheduler, settings.tick_seconds)
        schedule_checks(app)
        app.tasks.append(start_sender(app.db, app.bot, app.i18n, settings, app.worker))
        app.scheduler.start()
        if role == "worker":
            log.info("worker %s: polling WB and sending, not taking Telegram updates", app.worker)
            await until_signal()
            return
        if not await take_updates(app):
            return  # stopped while standing by
        try:
            await register_commands(app)
        except Exception as exc:  # the menu is a nicety; the bot works without it
            log.warning("could not register the command menu: %s", exc)
        log.info("polling Telegram")
        await app.dp.start_polling(
            app.bot,
            handle_signals=True,
            close_bot_session=False,
            allowed_updates=app.dp.resolve_used_update_types(),
        )
    finally:
        await shutdown(app)


async def until_signal(also: asyncio.Future[Any] | None = None) -> bool:
    """Waits for SIGTERM or SIGINT (True), or for `also` to finish first (False)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        waits: set[asyncio.Future[Any]] = {stopping} | ({also} if also is not None else set())
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        return stop.is_set()
    finally:
        stopping.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def take_updates(app: App) -> bool:
    """Holds the 'updates' role before asking Telegram for updates: two processes polling one
    bot token would take turns getting 409 Conflict. A second `python -m bot` stands by (still
    polling WB and sending as a worker) until the role is free. Renewed by the scheduler; a
    process that loses it stops taking updates and exits, so an operator sees it. False: a
    signal came while standing by."""
    lease = app.settings.lease_seconds

    async def wait_for_role() -> None:
        told = False
        while not await hold_role(app.db, UPDATES_ROLE, app.worker, time.time(), lease):
            if not told:
                log.info("another process takes Telegram updates: standing by as a worker")
                told = True
            await asyncio.sleep(min(lease / 4, 5.0))

    waiting = asyncio.ensure_future(wait_for_role())
    if await until_signal(waiting):
        waiting.cancel()
        return False
    await waiting

    async def renew() -> None:
        if not await hold_role(app.db, UPDATES_ROLE, app.worker, time.time(), lease):
            log.error("another process took Telegram updates over: this one stops")
            await app.dp.stop_polling()

    app.scheduler.add_job(
        renew,
        "interval",
        seconds=lease / 3,
        id="updates-role",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, int(lease / 3)),
    )
    return True


async def shutdown(app: App) -> None:
    log.info("stopping")
    # The poller first: a tick under way then ends on its own instead of being cancelled.
    await app.sync.stop()
    if app.role == "all":
        with suppress(Exception):
            await release_role(app.db, UPDATES_ROLE, app.worker)  # a stand-by takes over now
    # Then the scheduler, waiting for the job runs under way (a tick, a heartbeat, the
    # summaries): APScheduler's own shutdown would cancel them and log each as a crash.
    await app.scheduler.stop()
    for task in app.tasks:
        task.cancel()
    for task in app.tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task
    await close_connections(app)
    log.info("stopped")


async def close_connections(app: App) -> None:
    await app.http.close()
    await app.bot.session.close()
    await app.db.close()
