"""/report under load: one report per user at a time (another request hears it is being
prepared), few heavy renders at once for everyone, and the orders sheet streamed from the
store (issue 12: one user's 20 parallel reports took 162 s and 873 MB)."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime, timedelta

import openpyxl
from aiogram.types import Update

from bot.handlers import export as export_handler
from bot.handlers import report as report_handler
from bot.handlers import stock as stock_handler
from bot.handlers.report_data import load_report
from bot.reports import export
from bot.reports.gate import ReportGate
from bot.reports.periods import parse_period
from bot.store import orders
from bot.sync.rows import replace_stock
from tests.dispatch import _ids
from tests.reports.seed import make_shop, order, store_rows
from tests.reports.test_stock_view import stock_row

USER = 8100
PREPARING = "Your report is being prepared"


async def shop_with_orders(app, user_id: int, count: int = 300):
    """`count` orders in the last 4 days."""
    shop = await make_shop(app.db, app.keyring, user_id, name=f"Shop {user_id}")
    now = datetime.now(UTC)
    step = timedelta(days=4) / count
    rows = [order(f"{user_id}-{i}", now - step * i, 700, nm_id=i % 9) for i in range(count)]
    await store_rows(app.db, shop.id, rows)
    return shop


async def feed(app, tg, user_id: int, text: str) -> None:
    message = tg.user_message(user_id, text)
    await app.dp.feed_update(app.bot, Update(update_id=next(_ids), message=message))


async def test_second_report_while_one_is_prepared_is_told_to_wait_once(app, tg):
    await shop_with_orders(app, USER)
    await asyncio.gather(*(feed(app, tg, USER, "/report week") for _ in range(5)))
    texts = tg.texts(USER)
    assert sum(t.startswith("Orders:") or "\nOrders:" in t for t in texts) == 1
    assert sum(t.startswith(PREPARING) for t in texts) == 1  # not four times
    assert len(tg.calls_of("sendDocument", USER)) == 1
    await feed(app, tg, USER, "/report week")  # the first is done: a new one is made
    assert len(tg.calls_of("sendDocument", USER)) == 2


async def test_a_report_button_while_a_report_is_prepared_answers_with_a_notice(app, tg):
    shop = await shop_with_orders(app, USER)
    menu = tg.user_message(USER, "menu")["message_id"]

    async def press() -> None:
        query = tg.callback(USER, menu, f"rep:{shop.id}:week")
        await app.dp.feed_update(app.bot, Update(update_id=next(_ids), callback_query=query))

    await asyncio.gather(feed(app, tg, USER, "/report week"), press())
    answers = [c.params.get("text") for c in tg.calls_of("answerCallbackQuery")]
    assert answers == [f"{PREPARING}: it comes here as soon as it is ready."]
    assert len(tg.calls_of("sendDocument", USER)) == 1


async def test_a_flood_of_stock_requests_makes_one_file_and_is_told_to_wait_once(app, tg):
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    async with app.db.transaction() as conn:
        await replace_stock(conn, shop.id, [stock_row(n, "Коледино", 5) for n in range(1, 200)])
    await asyncio.gather(*(feed(app, tg, USER, "/stock") for _ in range(5)))
    preparing = "Your stock report is being prepared: it comes here as soon as it is ready."
    assert tg.texts(USER).count(preparing) == 1  # one answer, not four
    assert len(tg.calls_of("sendDocument", USER)) == 1
    await feed(app, tg, USER, "/stock")  # the first is done: a new one is made
    assert len(tg.calls_of("sendDocument", USER)) == 2


class Overlap:
    """Wraps render functions and notes how many ran at once at most (they run in threads)."""

    def __init__(self) -> None:
        self.inside = self.most = 0
        self.lock = threading.Lock()

    def wrap(self, render):
        def counted(*args, **kwargs):
            with self.lock:
                self.inside += 1
                self.most = max(self.most, self.inside)
            try:
                return render(*args, **kwargs)
            finally:
                with self.lock:
                    self.inside -= 1

        return counted


async def test_reports_and_stock_files_of_many_users_render_a_few_at_a_time(app, tg, monkeypatch):
    users = range(8200, 8206)
    for user in users:
        shop = await shop_with_orders(app, user, count=50)
        async with app.db.transaction() as conn:
            await replace_stock(
                conn, shop.id, [stock_row(n, "Коледино", 5) for n in range(1, 200)]
            )
    overlap = Overlap()
    for module, name in (
        (report_handler, "render_chart"),
        (report_handler, "render_report_xlsx"),
        (stock_handler, "render_stock_xlsx"),
    ):
        monkeypatch.setattr(module, name, overlap.wrap(getattr(module, name)))
    app.dp.workflow_data["report_gate"] = ReportGate(renders=2)
    asks = [feed(app, tg, user, text) for user in users for text in ("/report week", "/stock")]
    await asyncio.gather(*asks)
    assert all(len(tg.calls_of("sendDocument", user)) == 2 for user in users)
    assert overlap.most == 2


async def test_a_long_orders_file_never_holds_up_another_users_report(app, tg, monkeypatch):
    """One render slot (the 2-core box): a user's every-order file is being written (held
    here until the end) while another user's /report gets its chart and Excel file."""
    writer, other = 8300, 8301
    shop = await shop_with_orders(app, writer, count=50)
    await shop_with_orders(app, other, count=50)
    app.dp.workflow_data["report_gate"] = ReportGate(renders=1)
    writing, finish = threading.Event(), threading.Event()
    real = export_handler.render_orders_xlsx

    def slow(*args, **kwargs):
        writing.set()
        finish.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(export_handler, "render_orders_xlsx", slow)
    day = f"{datetime.now(UTC).date():%Y%m%d}"
    note = tg.user_message(writer, "menu")["message_id"]
    query = tg.callback(writer, note, f"xo:{shop.id}:{day}:{day}")
    pressed = asyncio.create_task(
        app.dp.feed_update(app.bot, Update(update_id=next(_ids), callback_query=query))
    )
    assert await asyncio.to_thread(writing.wait, 20)  # the file is being written
    await asyncio.wait_for(feed(app, tg, other, "/report week"), 20)
    assert len(tg.calls_of("sendPhoto", other)) == 1
    assert len(tg.calls_of("sendDocument", other)) == 1
    finish.set()
    await pressed
    assert len(tg.calls_of("sendDocument", writer)) == 1


async def test_the_orders_file_is_streamed_from_the_store_up_to_its_cap(app, monkeypatch):
    shop = await shop_with_orders(app, USER, count=3000)
    monkeypatch.setattr(export, "EXPORT_LIMIT", 2500)
    now = datetime.now(UTC)
    data = await load_report(app.db, [shop.id], parse_period("week", now.date()), UTC, now)
    ids = [shop.id]
    stream = orders.stream_raw_orders(app.db, ids, data.start, data.end, 2501)
    body, count = await asyncio.to_thread(export.render_orders_xlsx, stream, UTC, {}, "en")
    sheet = openpyxl.load_workbook(io.BytesIO(body))["orders"]
    srids = [row[9] for row in sheet.iter_rows(min_row=2, values_only=True)]
    listed = await orders.raw_orders(app.db, ids, data.start, data.end, 2500)
    assert srids == [o.srid for o in listed] and len(srids) == count == 2500
    assert sheet.auto_filter.ref == "A1:K2501"
