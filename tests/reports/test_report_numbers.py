"""Report numbers against seeded ground truth, in zones other than Moscow: the store's totals,
the text, the chart and the Excel file all say the same thing."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.handlers.report_data import load_report
from bot.reports.chart import render_chart
from bot.reports.export import render_orders_xlsx
from bot.reports.periods import Period
from bot.reports.text import render_report
from bot.reports.xlsx import render_report_xlsx
from bot.store import orders as store_orders
from bot.store import polls, rollups
from tests.lang import RU, nb
from tests.reports.seed import make_shop, mark_polled, order, sale, store_rows, utc

NSK = ZoneInfo("Asia/Novosibirsk")  # UTC+7
NY = ZoneInfo("America/New_York")
PNG = b"\x89PNG\r\n\x1a\n"


def en(text: str) -> str:
    return text


async def seed_novosibirsk(db, keyring):
    """Local days 2026-11-10..12 in Novosibirsk are [11-09 17:00, 11-12 17:00) UTC."""
    shop = await make_shop(db, keyring, 501)
    orders = [
        order("o0", utc(2026, 11, 8, 5), 5000, nm_id=2),  # previous period
        order("o1", utc(2026, 11, 9, 16, 30), 700, nm_id=2),  # 23:30 local 11-09: previous
        order("o2", utc(2026, 11, 9, 17, 10), 1000, nm_id=1, region="Новосибирская"),
        order(
            "o3",
            utc(2026, 11, 11, 10),
            2500.5,
            nm_id=2,
            warehouse="Тула",
            cancelled_at=utc(2026, 11, 11, 12),
        ),
        order("o4", utc(2026, 11, 12, 16, 59), 12000, nm_id=1),  # 23:59 local 11-12
        order("o5", utc(2026, 11, 12, 17, 0), 99999, nm_id=3),  # 00:00 local 11-13: after
    ]
    sales = [
        sale("S1", utc(2026, 11, 10, 3), 1000, 850),
        sale("S2", utc(2026, 11, 11, 3), 2000, 1700, nm_id=2),
        sale("R1", utc(2026, 11, 12, 3), 1000, 850),
    ]
    await store_rows(db, shop.id, orders, sales)
    return shop


async def test_totals_count_local_days_in_novosibirsk(db, keyring):
    shop = await seed_novosibirsk(db, keyring)
    period = Period("custom", date(2026, 11, 10), date(2026, 11, 12))
    start, end = period.bounds(NSK, utc(2026, 11, 20))
    t = await rollups.totals(db, [shop.id], start, end)
    assert (t.orders, t.orders_sum) == (3, 15500.5)
    assert (t.cancels, t.cancels_sum) == (1, 2500.5)
    assert (t.buyouts, t.buyouts_sum, t.returns, t.returns_sum) == (2, 3000, 1, 1000)
    assert t.for_pay == 1700  # 850 + 1700 - 850
    assert t.buyout_rate == pytest.approx(2 / 4)  # 2 buyouts, 1 return, 1 cancellation
    assert t.average_order == pytest.approx(15500.5 / 3)
    top = await rollups.top_products(db, [shop.id], start, end)
    assert [(p.nm_id, p.orders, p.orders_sum) for p in top] == [(1, 2, 13000), (2, 1, 2500.5)]


async def test_text_chart_and_excel_agree_with_the_seeded_rows(db, keyring):
    shop = await seed_novosibirsk(db, keyring)
    await mark_polled(db, shop.id, utc(2026, 11, 20, 4, 5), utc(2026, 11, 20, 4, 7).timestamp())
    period = Period("custom", date(2026, 11, 10), date(2026, 11, 12))
    data = await load_report(db, [shop.id], period, NSK, utc(2026, 11, 20, 5))

    assert data.previous.orders == 2 and data.previous.orders_sum == 5700
    assert [(d, t.orders, t.orders_sum) for d, t in data.days] == [
        (date(2026, 11, 10), 1, 1000),
        (date(2026, 11, 11), 1, 2500.5),
        (date(2026, 11, 12), 1, 12000),
    ]

    text = render_report(data, shop.name, "en", date(2026, 11, 20), en)
    assert nb("Orders: <b>3</b> · <b>15 500.50 ₽</b> (+1, +50.0%; +9 800.50 ₽, +171.9%)") in text
    assert nb("Cancellations: <b>1</b> · <b>2 500.50 ₽</b>") in text
    assert nb("Buyouts: <b>2</b> · <b>3 000.00 ₽</b>") in text
    assert nb("Returns: <b>1</b> · <b>1 000.00 ₽</b>") in text
    assert nb("To be paid: <b>1 700.00 ₽</b>") in text
    assert "Buyout rate: <b>50.0%</b>" in text
    assert nb("Average order: <b>5 166.83 ₽</b>") in text
    assert nb("1. ART-1 (Платья) — 2 · 13 000.00 ₽") in text
    assert "Fell most" in text and nb("ART-2 (Платья) — 5 700.00 ₽ → 2 500.50 ₽") in text
    assert nb("Коледино — 2 · 13 000.00 ₽") in text and nb("Тула — 1 · 2 500.50 ₽") in text
    assert nb("Новосибирская — 1 · 1 000.00 ₽") in text
    assert "Data as of 11:05" in text  # 04:05 UTC in Novosibirsk

    png = render_chart(data.days, data.previous_days, ("o", "s", "now", "before"))
    assert png.startswith(PNG)
    assert 10_000 < len(png) < 2_000_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 800)

    book = openpyxl.load_workbook(io.BytesIO(render_report_xlsx(data, {})))
    days = list(book["days"].iter_rows(values_only=True))
    assert days[0][:3] == ("day", "orders", "orders_sum")
    assert [r[:3] for r in days[1:]] == [
        (datetime(2026, 11, 10), 1, 1000),
        (datetime(2026, 11, 11), 1, 2500.5),
        (datetime(2026, 11, 12), 1, 12000),
    ]
    assert sum(r[9] for r in days[1:]) == 1700  # to be paid, a number
    products = list(book["products"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[4], r[5]) for r in products] == [(1, 2, 13000), (2, 1, 2500.5)]
    rows = await store_orders.raw_orders(db, [shop.id], data.start, data.end, 1000)
    every, _count = render_orders_xlsx(rows, NSK, {})
    raw = list(openpyxl.load_workbook(io.BytesIO(every))["orders"].iter_rows(values_only=True))[1:]
    assert [r[-2] for r in raw] == ["o2", "o3", "o4"]  # the last column: profit, estimate
    assert raw[0][0] == datetime(2026, 11, 10, 0, 10)  # local wall time
    assert isinstance(raw[1][7], float)
    assert [r[8] for r in raw] == ["no", "yes", "no"]  # o3 was cancelled: a word, not 1/0


async def test_the_russian_report_writes_russian_dates_and_numbers_that_never_wrap(db, keyring):
    shop = await seed_novosibirsk(db, keyring)
    await mark_polled(db, shop.id, utc(2026, 11, 19, 4, 5), utc(2026, 11, 19, 4, 7).timestamp())
    period = Period("custom", date(2026, 11, 10), date(2026, 11, 12))
    data = await load_report(db, [shop.id], period, NSK, utc(2026, 11, 20, 5))
    text = render_report(data, shop.name, "ru", date(2026, 11, 20), RU)
    assert ": 10.11.2026 – 12.11.2026" in text
    assert "в сравнении с 07.11.2026 – 09.11.2026" in text
    assert "Заказы: <b>3</b> · <b>15\u00a0500,50\u00a0₽</b>" in text
    assert "(+1, +50,0%; +9\u00a0800,50\u00a0₽, +171,9%)" in text
    assert "Данные на 19.11.2026 11:05" in text  # another day: with its date
    assert not re.search(r"\d \d{3}(?!\d)|\d ₽", text)  # no plain space inside a number
    assert "2026-11" not in text


async def test_new_york_day_of_the_clock_change_has_25_hours(db, keyring):
    shop = await make_shop(db, keyring, 502)
    await store_rows(
        db,
        shop.id,
        [
            order("before", utc(2026, 11, 1, 3, 30), 100),  # 23:30 EDT on Oct 31
            order("first", utc(2026, 11, 1, 4, 0), 200),  # 00:00 EDT on Nov 1
            order("last", utc(2026, 11, 2, 4, 30), 300),  # 23:30 EST on Nov 1
            order("after", utc(2026, 11, 2, 5, 0), 400),  # 00:00 EST on Nov 2
        ],
    )
    period = Period("custom", date(2026, 11, 1), date(2026, 11, 2))
    data = await load_report(db, [shop.id], period, NY, utc(2026, 11, 20))
    assert [(d.day, t.orders, t.orders_sum) for d, t in data.days] == [(1, 2, 500), (2, 1, 400)]
    assert data.previous.orders == 1 and data.previous.orders_sum == 100
    assert data.as_of is None
    text = render_report(data, "NY", "en", date(2026, 11, 20), en)
    assert nb("Orders: <b>3</b> · <b>900 ₽</b>") in text
    assert "No data from WB yet" in text


async def test_all_shops_together_sum_and_freshness_is_the_stalest(db, keyring):
    a = await seed_novosibirsk(db, keyring)
    b = await make_shop(db, keyring, 501, name="Вторая")
    await store_rows(db, b.id, [order("b1", utc(2026, 11, 11, 1), 50)])
    await mark_polled(db, a.id, utc(2026, 11, 20, 4), 0)
    await mark_polled(db, b.id, utc(2026, 11, 20, 2), 0)
    period = Period("custom", date(2026, 11, 10), date(2026, 11, 12))
    start, end = period.bounds(NSK, utc(2026, 11, 20))
    both = await rollups.totals(db, [a.id, b.id], start, end)
    assert (both.orders, both.orders_sum) == (4, 15550.5)
    assert await polls.data_as_of(db, [a.id, b.id]) == utc(2026, 11, 20, 2)


async def test_today_is_compared_with_yesterday_until_the_same_time(db, keyring):
    shop = await make_shop(db, keyring, 503)
    now = utc(2026, 11, 20, 7)  # 14:00 in Novosibirsk
    await store_rows(
        db,
        shop.id,
        [
            order("t1", utc(2026, 11, 20, 1), 300, nm_id=1),  # today 08:00
            order("y1", utc(2026, 11, 19, 1), 1000, nm_id=1),  # yesterday 08:00: counted
            order("y2", utc(2026, 11, 19, 9), 5000, nm_id=2),  # yesterday 16:00: not yet
        ],
    )
    data = await load_report(
        db, [shop.id], Period("today", date(2026, 11, 20), date(2026, 11, 20)), NSK, now
    )
    assert (data.current.orders, data.previous.orders, data.previous.orders_sum) == (1, 1, 1000)
    assert [(f.nm_id, f.previous_sum, f.orders_sum) for f in data.falls] == [(1, 1000, 300)]
