"""A product that sells out vanishes from WB's stock report ("Будут в ответе только при
ненулевом quantity", 12-reports.yaml): the seller must still hear "out of stock".

The whole path runs for real: the sync engine polls the fake WB for orders and stock reports,
the low-stock check runs after each snapshot as in the bot, the sender delivers to the fake Bot
API, and /stock and /summary answer through the real dispatcher."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bot.app import build, shutdown
from bot.config import Settings
from bot.notify.sender import Sender
from bot.store.users import update_user
from bot.sync.stock import NO_DATA_SPAN
from bot.sync.stock_alerts import check_stock
from tests.alerts.conftest import at, put_orders, put_stock
from tests.dispatch import _detach_routers, say
from tests.fakes.wb import MSK, FakeWB
from tests.reports.seed import make_shop, order, store_rows
from tests.sync.conftest import SCALE, Rig

USER = 950


@pytest.fixture
async def live(request, tmp_path, tg):
    """The bot (its engine, dispatcher and sender) against a fake WB and the fake Bot API."""
    async with FakeWB(rate_scale=SCALE, stock_task_delay=1.0, **request.param) as wb:
        settings = Settings(
            bot_token=tg.token,
            telegram_api_url=tg.base_url,
            data_dir=tmp_path / "data",
            master_keys=base64.b64encode(os.urandom(32)).decode(),
            wb_api_url_template=wb.url_template,
            wb_rate_scale=SCALE,
        )
        _detach_routers()
        app = await build(settings)  # the stock poll queues its own alerts: no hook to wire
        yield app, Rig(wb, app.sync, app.db, app.keyring)
        await app.sync.stop()
        await shutdown(app)
        _detach_routers()


async def deliver(app) -> None:
    sender = Sender(app.db, app.bot, app.i18n, idle_seconds=0.05, send_timeout=2.0)
    for _ in range(3):
        await sender.drain_once(max_seconds=2.0)


async def stock_reports(rig: Rig, sid: str) -> int:
    done = await rig.scalar("SELECT task IS NULL FROM polls WHERE method = 'stock'")
    return len(rig.wb.requests_for(sid, "remains_download")) if done else 0


async def sell_out(live, other_product: bool) -> tuple:
    """A shop whose product A (100 pcs, 14 orders in 14 days) sells out after the first stock
    report; with `other_product`, product B stays at 50 pcs so the report is not empty."""
    app, rig = live
    shop, sid, _ = await rig.connect(categories=("statistics", "analytics"), user_id=USER)
    a, b = rig.wb.catalogue(sid)[:2]
    size = a.sizes[0]
    rig.wb.set_stock(sid, a.nm_id, size.barcode, size.tech_size, {"Склад WB РФ": 100})
    if other_product:
        rig.wb.set_stock(sid, b.nm_id, b.sizes[0].barcode, b.sizes[0].tech_size, {"Минск": 50})
    now = datetime.now(MSK).replace(tzinfo=None)
    for i in range(14):  # one a day, from a WB warehouse (FBW)
        rig.wb.add_order(
            sid, nmId=a.nm_id, barcode=size.barcode, techSize=size.tech_size,
            date=now - timedelta(days=i, hours=1),
        )  # fmt: skip
    await rig.run_until(lambda: stock_reports(rig, sid), within=10)
    await rig.run_until(
        lambda: rig.scalar("SELECT MIN(baseline_done) FROM polls WHERE shop_id = ?", (shop.id,))
    )
    first = await rig.scalar("SELECT MAX(updated_at) FROM stock")
    rig.wb.set_stock(sid, a.nm_id, size.barcode, size.tech_size, {"Склад WB РФ": 0})
    await app.db.write("UPDATE polls SET next_due_at = 0 WHERE method = 'stock'")
    await rig.run_until(lambda: _more_reports(rig, sid, 2), within=10)
    await deliver(app)
    return app, a, first


async def _more_reports(rig: Rig, sid: str, wanted: int) -> bool:
    return await stock_reports(rig, sid) >= wanted


@pytest.mark.parametrize(
    "live",
    [{}, {"empty_report_status": 200}],
    ids=["absent-row", "empty-array"],
    indirect=True,
)
async def test_a_product_gone_from_the_report_is_out_of_stock_everywhere(live, tg):
    """Gone from a report that lists another product (WB omits sold-out rows), or the report
    an empty 200 array for a finished task: either way WB says 0 of it is left."""
    app, a, _ = await sell_out(live, other_product=live[1].wb.empty_report_status == 204)
    alerts = [t for t in tg.texts(USER) if "Running low" in t]
    assert len(alerts) == 1
    assert a.article in alerts[0]
    assert "Out of stock at WB warehouses; it sold 1.0 a day over the last 14 days." in alerts[0]
    await say(app, tg, USER, "/stock")
    stock = next(t for t in reversed(tg.texts(USER)) if "stock and days of cover" in t)
    assert f"{a.article} ({a.subject}): 0 · orders in 14 days: 14 · out of stock" in stock
    await say(app, tg, USER, "/summary")
    summary = tg.texts(USER)[-1]
    assert (
        "May run out soon" in summary
        and f"{a.article}</code> — out of stock" in (tg.texts(USER, raw=True)[-1])
    ), summary


@pytest.mark.parametrize("live", [{}], indirect=True)
async def test_no_data_keeps_the_last_stock_and_says_how_old_it_is(live, tg):
    """The only product sold out, so WB's report has no rows: the fake answers 204 "Нет данных"
    as the spec allows. One such answer keeps the last snapshot and alerts nothing; /stock
    says since when WB is silent, and /status notes it plainly in the reader's language."""
    app, a, first = await sell_out(live, other_product=False)
    assert not [t for t in tg.texts(USER) if "Running low" in t]
    await say(app, tg, USER, "/stock")
    stock = next(t for t in reversed(tg.texts(USER)) if "stock and days of cover" in t)
    assert f"{a.article} ({a.subject}) · Склад WB РФ: 100 · orders in 14 days: 14" in stock
    as_of = datetime.fromtimestamp(first, MSK).strftime("%H:%M")  # the user is in Moscow
    assert stock.splitlines()[-2].endswith(as_of)
    ok = await live[1].scalar("SELECT last_ok_at FROM polls WHERE method = 'stock'")
    since = datetime.fromtimestamp(ok, MSK)
    assert stock.splitlines()[-1] == (
        f"WB has sent no stock data since {since:%Y-%m-%d %H:%M}; the numbers are as of then."
    )
    assert await live[1].scalar("SELECT MAX(updated_at) FROM stock") == first
    await update_user(app.db, USER, language="ru")
    await say(app, tg, USER, "/status", language="ru")
    status = tg.texts(USER)[-1]
    assert (
        f"Остатки: WB не присылает данных об остатках с {since:%d.%m.%Y %H:%M}; "
        "цифры — на то время."
    ) in status
    assert "ошибка" not in status and "204" not in status


@pytest.mark.parametrize("live", [{}], indirect=True)
async def test_hours_of_no_data_are_read_as_sold_out(live, tg):
    """WB's report lists only what is in stock, so a shop whose last product sold out may get
    nothing but 204 from then on. Three in a row over 6 hours (scaled here) mean empty
    shelves: the out-of-stock alert goes out and /stock shows 0 and says why."""
    app, a, _ = await sell_out(live, other_product=False)
    rig = live[1]
    ok = await rig.scalar("SELECT last_ok_at FROM polls WHERE method = 'stock'")
    long_ago = time.time() - NO_DATA_SPAN * SCALE - 1
    await app.db.write(
        "UPDATE polls SET next_due_at = 0, cursor = ? WHERE method = 'stock'",
        (json.dumps({"no_data_since": long_ago, "no_data_count": 1}),),
    )
    await rig.run_until(
        lambda: rig.scalar("SELECT cursor LIKE '%\"emptied\": true%' FROM polls "
                           "WHERE method = 'stock'"),
        within=10,
    )  # fmt: skip
    await deliver(app)
    alerts = [t for t in tg.texts(USER) if "Running low" in t]
    assert len(alerts) == 1 and a.article in alerts[0]
    assert "Out of stock at WB warehouses; it sold 1.0 a day over the last 14 days." in alerts[0]
    await say(app, tg, USER, "/stock")
    stock = next(t for t in reversed(tg.texts(USER)) if "stock and days of cover" in t)
    assert f"{a.article} ({a.subject}): 0 · orders in 14 days: 14 · out of stock" in stock
    since = datetime.fromtimestamp(ok, MSK)
    assert stock.splitlines()[-1] == (
        f"WB has sent no stock data since {since:%Y-%m-%d %H:%M}. Its report lists only goods "
        "in stock, so after hours of that the bot counts them all as sold out."
    )


async def test_orders_from_the_sellers_own_warehouse_do_not_make_a_wb_stock_line(app, tg):
    """FBS orders ship from the seller's warehouse: a product sold only that way was never at
    WB's, so it is neither "out of stock" there nor alerted."""
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    now = time.time()
    fbs = [
        replace(order(f"f{i}", at(now - 3600 * (i + 1)), 100, 5), warehouse_type="Склад продавца")
        for i in range(14)
    ]
    await store_rows(app.db, shop.id, fbs)
    await put_orders(app.db, shop.id, 6, 14, now)  # FBW: known at WB
    await put_stock(app.db, shop.id, [(8, "0", "Минск", 40)])
    assert await check_stock(app.db, shop.id) == 1
    await say(app, tg, USER, "/stock")
    stock = tg.texts(USER)[-2]
    assert "ART-6 (Платья): 0 · orders in 14 days: 14 · out of stock" in stock
    assert "ART-5" not in stock


async def test_a_sold_out_product_nobody_orders_is_shown_once_then_forgotten(app, tg):
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    await put_stock(app.db, shop.id, [(7, "0", "Коледино", 5), (8, "0", "Минск", 40)])
    await put_stock(app.db, shop.id, [(8, "0", "Минск", 40)])  # 7 sold out (or written off)
    await say(app, tg, USER, "/stock")
    assert "ART-7 (Платья): 0 · no orders in 14 days" in tg.texts(USER)[-2]
    await put_stock(app.db, shop.id, [(8, "0", "Минск", 39)])
    await say(app, tg, USER, "/stock")
    assert "ART-7" not in tg.texts(USER)[-2] and "ART-8" in tg.texts(USER)[-2]


@pytest.mark.parametrize("live", [{}], indirect=True)
async def test_a_shop_with_nothing_at_wb_hears_so_not_that_the_report_is_late(live, tg):
    app, rig = live
    _, sid, _ = await rig.connect(categories=("statistics", "analytics"), user_id=USER)
    await say(app, tg, USER, "/stock")
    assert "WB has not sent a stock report yet" in tg.texts(USER)[-1]
    await rig.run_until(lambda: stock_reports(rig, sid), within=10)  # 204: no data
    await say(app, tg, USER, "/stock")
    assert "WB lists none of your goods at its warehouses." in tg.texts(USER)[-1]
    assert "not sent" not in tg.texts(USER)[-1]


async def test_running_low_then_sold_out_the_same_day_sends_both_alerts_once(app, tg):
    """'Running low: 3 pcs' in the morning must not swallow the sell-out that afternoon (one
    alert per product and day was the rule); each state still goes out only once that day."""
    shop = await make_shop(app.db, app.keyring, USER, name="Лавка")
    now = datetime.now(MSK).replace(hour=12, minute=0, second=0, microsecond=0).timestamp()
    await put_orders(app.db, shop.id, 6, 14, now)
    await put_stock(app.db, shop.id, [(6, "0", "Коледино", 3), (8, "0", "Минск", 40)])
    assert await check_stock(app.db, shop.id, now) == 1
    await deliver(app)
    await put_stock(app.db, shop.id, [(8, "0", "Минск", 40)])  # 6 sold out
    await check_stock(app.db, shop.id, now + 3600)
    await deliver(app)
    await check_stock(app.db, shop.id, now + 7200)  # still sold out: nothing new
    await deliver(app)
    alerts = [t for t in tg.texts(USER) if "Running low" in t]
    assert len(alerts) == 2, alerts
    assert "ART-6" in alerts[0] and "Left: 3 pcs" in alerts[0]
    assert "ART-6" in alerts[1]
    assert "Out of stock at WB warehouses; it sold 1.0 a day over the last 14 days." in alerts[1]
