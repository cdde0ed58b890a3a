"""The story the demo plays: Anna connects her shop, orders come and one is cancelled, stock runs
low, and she asks for a report, sends her cost prices and sees her profit, then today's summary
and the status."""

from __future__ import annotations

import asyncio
import importlib
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from bot.demo.chat import (
    STEP_TIMEOUT,
    Chat,
    DemoError,
    default_language,
    translator,
)
from bot.demo.process import RATE_SCALE, ROOT, baseline_done, bot_env, start_bot, stop_bot
from bot.demo.seller import HISTORY_DAYS, LOW_STOCK_PIECES, Shop, make_shop
from bot.i18n import LANGUAGES

DEFAULT_OUT = Path("demo-output")


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


# --- the story --------------------------------------------------------------------------------


async def story(chat: Chat, wb: Any, shop: Shop, db_path: Path) -> None:
    tg = chat.tg
    _ = chat.say
    chat.note(_("Anna, a WB seller, opens the bot for the first time."))
    await chat.command("/start", "sendMessage", "a reply to /start")
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
    await chat.command(_("/report week"), "sendDocument", "the report's Excel file")
    await chat.settle(0.3)

    chat.note(_("To see what she earns, Anna asks for the cost price template."))
    template = await chat.command("/costs", "sendDocument", "the cost price template")
    name, data = template.files["document"]
    chat.note(_("She writes what each product costs her and sends the file back."))
    mark = len(tg.calls)
    chat.send_file(str(name), fill_costs(data, shop, _("Cost price, ₽")))
    await chat.expect_text("✅", "the saved cost prices", mark)
    await chat.settle(0.3)

    chat.note(_("Now the week's money: what WB keeps and what is left for her."))
    await chat.command(_("/profit week"), "sendMessage", "the profit")
    await chat.settle(0.5)

    chat.note(_("And how today is going so far."))
    await chat.command("/summary", "sendMessage", "the summary")
    await chat.settle(1.1)

    chat.note(_("Is the data fresh?"))
    await chat.command("/status", "sendMessage", "the status")
    await chat.settle(0.5)


def fill_costs(workbook: bytes, shop: Shop, cost_header: str) -> bytes:
    """The template /costs sent, with a cost price of 35% of each product's WB price."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    cost_column = header.index(cost_header) + 1
    prices = {product.nm_id: product.price for product in shop.products}
    for row in sheet.iter_rows(min_row=2):
        price = prices.get(row[0].value)
        if price is not None:
            sheet.cell(row=row[0].row, column=cost_column, value=round(price * 0.35))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
