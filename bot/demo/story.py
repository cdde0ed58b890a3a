"""`python -m bot demo`: a seller's first hour with the bot, played in well under a minute
without a bot token or internet.

Why this shape: the point is proof that the real bot works, so nothing here stands in for it.
The bot runs as `python -m bot` in a child process, exactly as in production, pointed at the
project's own test doubles on 127.0.0.1: a WB seller API simulator (tests/fakes/wb.py, which
enforces WB's rate limits) and a local Telegram Bot API (tests/fakes/telegram.py, which enforces
Telegram's flood limits and records every call). WB's rate limits are scaled down (WB_RATE_SCALE)
so an hour of polling plays in seconds. The chat is printed from the fake Telegram's record of
what the bot really sent; the chart and the Excel file it sent are saved to a folder.

The fakes live in the checkout's tests/ (not in the installed package), so the demo runs from
the project root of a checkout.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_TIMEZONE, Settings
from bot.crypto import new_key
from bot.i18n import LANGUAGES, RUSSIAN_READERS, make_i18n
from bot.timeutil import MSK

#: WB's limits scaled by this: the 1-per-minute orders poll runs every 0.12 s, the 30-minute
#: stock snapshot every 3.6 s, so an hour of the bot's life takes about 7 s.
RATE_SCALE = 0.002
TICK_SECONDS = 0.05
HISTORY_DAYS = 30  # the simulated shop's sales history; the bot's first sync reads 90 days
USER_ID = 42
STEP_TIMEOUT = 30.0
DEFAULT_OUT = Path("demo-output")
#: The product whose stock is cut to a few pieces to show the low-stock alert.
LOW_STOCK_PIECES = 3
ROOT = Path(__file__).resolve().parents[1]
QUIET_METHODS = frozenset({"getUpdates", "getMe", "setMyCommands", "deleteWebhook", "close"})


class DemoError(Exception):
    """A step did not happen in time: the demo stops and says which."""


#: What the story waits for in the bot's messages, in the seller's language.
EXPECTED = {
    "en": {
        "connected": "is connected",
        "new_order": "new order",
        "cancelled": "cancelled",
        "running_low": "running low",
    },
    "ru": {
        "connected": "подключён",
        "new_order": "нов",  # "Новый заказ", "новые заказы"
        "cancelled": "отмен",  # "Заказ отменён", "отменено заказов"
        "running_low": "заканчива",  # "Заканчивается товар", "заканчиваются товары"
    },
}


def translator(lang: str) -> Callable[[str], str]:
    """The demo's own words in the seller's language, from the bot's catalogues."""
    i18n = make_i18n()
    return lambda text: i18n.gettext(text, locale=lang)


def default_language(environ: dict[str, str] | None = None) -> str:
    """Russian when the system's locale is Russian (LC_ALL, LC_MESSAGES or LANG, as gettext
    reads them), else English."""
    environ = dict(os.environ) if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "ru" if value.split("_")[0].split(".")[0].lower() in RUSSIAN_READERS else "en"
    return "en"


@dataclass
class Fakes:
    """The test doubles, imported from the checkout (typed loosely: they are test code)."""

    telegram: Any
    wb: Any
    tokens: Any


def import_fakes() -> Fakes | None:
    """From the current folder (`python -m` puts it on sys.path), else from the checkout this
    package lives in; None when neither has them (an installed wheel ships no tests)."""
    for attempt in range(2):
        try:
            return Fakes(
                importlib.import_module("tests.fakes.telegram"),
                importlib.import_module("tests.fakes.wb"),
                importlib.import_module("tests.fakes.tokens"),
            )
        except ImportError:
            if attempt or not (ROOT / "tests" / "fakes" / "wb.py").is_file():
                return None
            sys.path.insert(0, str(ROOT))
    return None


@dataclass
class Chat:
    """Prints the conversation in order: the seller's messages as they are sent, the bot's from
    the fake Telegram's record of calls, and saves the files the bot sent."""

    tg: Any
    out: Path
    lang: str = "en"
    write: Callable[[str], None] = print
    seen: int = 0
    files: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.say = translator(self.lang)

    def you(self, text: str, shown: str | None = None) -> None:
        self.flush()
        self.write(f"you> {shown if shown is not None else text}")
        self.tg.user_message(USER_ID, text, first_name="Anna", language_code=self.lang)

    def note(self, text: str) -> None:
        self.flush()
        self.write(f"\n  ·· {text}")

    def flush(self) -> None:
        calls = self.tg.calls
        while self.seen < len(calls):
            call = calls[self.seen]
            self.seen += 1
            if call.ok and call.method not in QUIET_METHODS:
                self.show(call)

    def show(self, call: Any) -> None:
        method = call.method
        if method == "deleteMessage":
            _ = self.say
            self.write(_("bot: (your message with the key was deleted)"))
            return
        head = {"sendMessage": "bot: ", "editMessageText": "bot (edited): "}.get(method)
        if method in ("sendPhoto", "sendDocument"):
            part = "photo" if method == "sendPhoto" else "document"
            head = f"bot: [{part} {self.save(call, part)}] "
        if head is None:
            return
        lines = (call.text or "").splitlines() or [""]  # as the user sees it: HTML parsed away
        self.write(head + lines[0])
        for line in lines[1:]:
            self.write("     " + line)
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard") or []:
            self.write("     " + " ".join(f"[{b.get('text', '')}]" for b in row))

    def save(self, call: Any, part: str) -> str:
        """Saves an uploaded file under the name the bot gave it; a photo sent by URL (a
        product picture from WB's CDN) is only named."""
        if part not in call.files:
            return "by URL"
        name, data = call.files[part]
        path = self.out / Path(str(name or part)).name
        path.write_bytes(data)
        self.files.append(path)
        return path.name

    async def expect(self, predicate: Callable[[Any], bool], what: str, after: int) -> Any:
        """Waits for the bot's next call that matches (from call index `after`), then prints
        everything up to now."""
        try:
            call = await self.tg.wait_for(predicate, timeout=STEP_TIMEOUT, after=after)
        except TimeoutError:
            self.flush()
            raise DemoError(f"the bot did not send {what} within {STEP_TIMEOUT:.0f} s") from None
        self.flush()
        return call

    async def expect_text(self, substring: str, what: str, after: int) -> Any:
        """Waits for a message holding the substring (case aside)."""
        wanted = substring.lower()
        return await self.expect(
            lambda c: c.ok and c.chat_id == USER_ID and wanted in (c.text or "").lower(),
            what,
            after,
        )

    def expect_word(self, key: str, what: str, after: int) -> Any:
        return self.expect_text(EXPECTED[self.lang][key], what, after)

    async def settle(self, seconds: float = 1.2) -> None:
        """Lets the bot finish a reply of several messages (paced at 1/s per chat) before the
        next step, so the printed order stays the order the seller sees."""
        await asyncio.sleep(seconds)
        self.flush()


# --- the shop on the WB side ------------------------------------------------------------------


@dataclass
class Shop:
    sid: str
    token: str
    products: list[Any]
    low: Any  # the product that will run low


def make_shop(wb: Any, tokens: Any) -> Shop:
    """A Personal read-only token with five categories; a five-product catalogue with cards,
    30 days of orders (one product selling faster), buyouts and a few cancellations, plenty of
    stock, and WB's finance report: the last four weeks, and this week's days so far."""
    token = tokens.make_token(
        acc=tokens.ACC_PERSONAL,
        categories=("statistics", "analytics", "marketplace", "content", "finance"),
    )
    sid = wb.add_seller(token, name="ИП Смирнова А. В.")
    products = list(wb.catalogue(sid))
    for product in products:
        wb.add_card(sid, product.nm_id, f"{product.subject} {product.brand}")
    low = products[0]
    rng = random.Random(7)
    # Moscow wall clock without an offset, as WB writes statistics rows.
    now = datetime.now(MSK).replace(tzinfo=None)
    weights = [4] + [1] * (len(products) - 1)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(HISTORY_DAYS, -1, -1):
        for _ in range(rng.randint(9, 15)):
            when = midnight - timedelta(days=day, seconds=-rng.randint(0, 86_399))
            if when > now - timedelta(minutes=30):
                continue  # today's orders so far, none in the last half hour
            product = rng.choices(products, weights)[0]
            size = rng.choice(product.sizes)
            row = wb.add_order(
                sid, nmId=product.nm_id, techSize=size.tech_size, date=when, lastChangeDate=when
            )
            bought = when + timedelta(days=rng.randint(2, 5))
            if bought < now and rng.random() < 0.7:
                wb.add_sale(sid, row["srid"], date=bought, lastChangeDate=bought)
            elif rng.random() < 0.15:
                wb.cancel_order(sid, row["srid"], when=when + timedelta(hours=2))
    for product in products:
        for size in product.sizes:
            wb.set_stock(
                sid, product.nm_id, size.barcode, size.tech_size, {"Коледино": 120, "Казань": 80}
            )
    monday = midnight.date() - timedelta(days=midnight.weekday())
    for weeks_back in range(1, 5):
        wb.add_finance_week(sid, monday - timedelta(weeks=weeks_back))
    # WB reports a day the day after: this week's daily reports up to yesterday.
    wb.add_finance_week(sid, monday, period="daily", until=midnight.date() - timedelta(days=1))
    return Shop(sid, token, products, low)


# --- the bot process --------------------------------------------------------------------------


def bot_env(tg: Any, wb: Any, data_dir: Path) -> dict[str, str]:
    """Only the demo's settings: none of the operator's (a real token, a real Telegram URL)
    leaks in from the environment."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        WB_API_URL_TEMPLATE=wb.url_template,
        DATA_DIR=str(data_dir),
        MASTER_KEYS=new_key(),
        WB_RATE_SCALE=str(RATE_SCALE),
        TICK_SECONDS=str(TICK_SECONDS),
        DEFAULT_TIMEZONE=DEFAULT_TIMEZONE,
        LOG_LEVEL="INFO",
    )
    return env


def start_bot(env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    # cwd is a scratch folder so a developer's .env is not read; the bot comes from PYTHONPATH.
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )


async def stop_bot(proc: subprocess.Popen[bytes], grace: float = 20.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(proc.wait, grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return await asyncio.to_thread(proc.wait)


def baseline_done(db_path: Path) -> bool:
    """Every job of the shop has finished its first, silent load (read from the bot's store
    through a read-only connection)."""
    if not db_path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as conn:
            total, done = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(baseline_done), 0) FROM polls"
            ).fetchone()
    except sqlite3.Error:
        return False
    return bool(total) and total == done


# --- the story --------------------------------------------------------------------------------


def sent_kind(method: str) -> Callable[[Any], bool]:
    return lambda c: c.ok and c.method == method and c.chat_id == USER_ID


async def story(chat: Chat, wb: Any, shop: Shop, db_path: Path) -> None:
    tg = chat.tg
    _ = chat.say
    chat.note(_("Anna, a WB seller, opens the bot for the first time."))
    mark = len(tg.calls)
    chat.you("/start")
    await chat.expect(sent_kind("sendMessage"), "a reply to /start", mark)
    await chat.settle(0.5)

    chat.note(
        _("She creates a Personal read-only token (Statistics, Analytics, Marketplace, Content).")
    )
    mark = len(tg.calls)
    chat.you(f"/connect {shop.token}", shown=f"/connect {shop.token[:6]}…" + _("(hidden)"))
    await chat.expect_word("connected", "the connect confirmation", mark)

    chat.note(
        _(
            "The first sync quietly loads WB's last 90 days (this simulated shop has "
            "{days} days of sales), with no alerts for them…"
        ).format(days=HISTORY_DAYS)
    )
    mark = len(tg.calls)
    deadline = time.monotonic() + STEP_TIMEOUT * 2
    while not baseline_done(db_path):
        if time.monotonic() > deadline:
            raise DemoError("the first sync did not finish in time")
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    sent = [c for c in tg.calls[mark:] if c.ok and c.method.startswith("send")]
    chat.flush()
    chat.write(
        "  ·· " + _("…done: history loaded, alerts sent for it: {count}.").format(count=len(sent))
    )

    chat.note(_("Four buyers order within a minute."))
    mark = len(tg.calls)
    for product in shop.products[1:5]:
        wb.add_order(shop.sid, nmId=product.nm_id)
    await chat.expect_word("new_order", "the new-order alert", mark)
    await chat.settle()

    chat.note(_("A little later, one more order."))
    mark = len(tg.calls)
    single = wb.add_order(shop.sid, nmId=shop.products[2].nm_id)
    await chat.expect_text(single["supplierArticle"], "the alert of a single order", mark)
    await chat.settle()

    chat.note(_("The buyer changes her mind and cancels that order."))
    mark = len(tg.calls)
    wb.cancel_order(shop.sid, single["srid"])
    await chat.expect_word("cancelled", "the cancellation alert", mark)
    await chat.settle()

    chat.note(
        _(
            "Stock runs down: {pieces} pieces of {article} are left at WB's warehouses; the "
            "next stock snapshot (every 30 min on WB's clock) sees it."
        ).format(pieces=LOW_STOCK_PIECES, article=shop.low.article)
    )
    mark = len(tg.calls)
    for i, size in enumerate(shop.low.sizes):
        pieces = LOW_STOCK_PIECES if i == 0 else 0
        wb.set_stock(shop.sid, shop.low.nm_id, size.barcode, size.tech_size, {"Коледино": pieces})
    await chat.expect_word("running_low", "the low-stock alert", mark)
    await chat.settle()

    chat.note(_("Anna asks for the week's report."))
    mark = len(tg.calls)
    chat.you(_("/report week"))
    await chat.expect(sent_kind("sendDocument"), "the report's Excel file", mark)
    await chat.settle(0.3)

    chat.note(_("And how today is going so far."))
    mark = len(tg.calls)
    chat.you("/summary")
    await chat.expect(sent_kind("sendMessage"), "the summary", mark)
    await chat.settle(1.1)

    chat.note(_("Is the data fresh?"))
    mark = len(tg.calls)
    chat.you("/status")
    await chat.expect(sent_kind("sendMessage"), "the status", mark)
    await chat.settle(0.5)


async def play(fakes: Fakes, out: Path, started: float, lang: str) -> int:
    """`out` exists and is absolute; the bot's log goes there too."""
    log_path = out / "bot.log"
    _ = translator(lang)
    print(
        _(
            "WB Pulse demo: the real bot (`python -m bot`) against a WB simulator and a local "
            "Telegram Bot API on 127.0.0.1. WB's limits are scaled by {scale}, so an hour of "
            "polling takes seconds."
        ).format(scale=RATE_SCALE)
    )
    with tempfile.TemporaryDirectory(prefix="wbpulse-demo-") as scratch:
        data_dir = Path(scratch) / "data"
        async with (
            fakes.telegram.FakeTelegram() as tg,
            fakes.wb.FakeWB(rate_scale=RATE_SCALE) as wb,
        ):
            shop = make_shop(wb, fakes.tokens)
            chat = Chat(tg, out, lang)
            proc = start_bot(bot_env(tg, wb, data_dir), Path(scratch), log_path)
            failure: str | None = None
            try:
                try:
                    await tg.wait_polling(timeout=STEP_TIMEOUT)
                except TimeoutError:
                    raise DemoError("the bot did not start") from None
                await story(chat, wb, shop, data_dir / "wbpulse.sqlite3")
            except DemoError as exc:
                failure = str(exc)
            finally:
                code = await stop_bot(proc)
                chat.flush()
            if failure is None and code != 0:
                failure = f"the bot exited with code {code}"
            if failure is None and (tg.total_violations() or wb.total_violations()):
                failure = "the bot broke a rate limit"
    print()
    if failure is not None:
        print(f"demo failed: {failure}; the bot's log is {log_path}", file=sys.stderr)
        return 1
    saved = ", ".join(p.name for p in chat.files)
    print(
        _(
            "Done in {seconds} s; Telegram and WB limits kept. Files the bot sent ({files}) and "
            "its log are in {folder}"
        ).format(seconds=f"{time.monotonic() - started:.0f}", files=saved, folder=out)
    )
    return 0


def run_demo(out: Path = DEFAULT_OUT, lang: str | None = None) -> int:
    """Plays the demo in `lang` (ru or en; by default the system locale's)."""
    lang = lang if lang in LANGUAGES else default_language()
    fakes = import_fakes()
    if fakes is None:
        print(
            "demo: cannot import the test fakes (tests/fakes); run `python -m bot demo` from the "
            "project root of a source checkout",
            file=sys.stderr,
        )
        return 1
    started = time.monotonic()
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "bot.log").write_bytes(b"")
    return asyncio.run(play(fakes, out, started, lang))
