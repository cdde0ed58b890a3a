"""/report and /stock as a user sees them, through the real Dispatcher and the fake Bot API."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from bot.store.users import ensure_user, update_user
from bot.wb.methods import Category
from tests.lang import nb
from tests.reports.conftest import press, say
from tests.reports.seed import make_shop, mark_polled, order, sale, store_rows

NY = ZoneInfo("America/New_York")
USER = 700


async def seed_yesterday_in_new_york(app):
    """Two orders and a buyout yesterday (New York time), one order the day before."""
    await ensure_user(app.db, USER, "en", "Europe/Moscow")
    await update_user(app.db, USER, timezone="America/New_York")
    shop = await make_shop(app.db, app.keyring, USER, name="Shop <A>")
    yesterday = datetime.now(NY).date() - timedelta(days=1)
    noon = datetime.combine(yesterday, time(12), tzinfo=NY).astimezone(UTC)
    await store_rows(
        app.db,
        shop.id,
        [
            order("y1", noon, 1500, nm_id=11),
            order("y2", noon + timedelta(hours=11, minutes=50), 10000, nm_id=12),  # 23:50
            order("d1", noon - timedelta(days=1), 2000, nm_id=11),
        ],
        [sale("S1", noon, 1500, 1275, nm_id=11)],
    )
    await mark_polled(app.db, shop.id, noon + timedelta(hours=12), noon.timestamp())
    return shop


async def test_report_yesterday_sends_text_chart_and_excel_in_the_users_zone(app, tg):
    await seed_yesterday_in_new_york(app)
    await say(app, tg, USER, "/report yesterday")
    texts = tg.texts(USER)
    report = next(t for t in texts if "Orders:" in t)
    assert nb("Orders: 2 · 11 500 ₽ (+1, +100.0%; +9 500 ₽, +475.0%)") in report
    assert nb("Buyouts: 1 · 1 500 ₽") in report
    assert nb("To be paid: 1 275 ₽") in report
    assert "Shop <A>" in report  # escaped for HTML, shown as typed
    assert "Data as of 00:00" in report  # midnight in New York
    photo = tg.calls_of("sendPhoto", USER)[0].files["photo"][1]
    assert photo.startswith(b"\x89PNG\r\n\x1a\n")
    name, body = tg.calls_of("sendDocument", USER)[0].files["document"]
    yesterday = datetime.now(NY).date() - timedelta(days=1)
    assert name == f"wbpulse_Shop-A_{yesterday}_{yesterday}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Days", "Products", "Profit"]  # every order is a press away
    assert [r[:3] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        (datetime.combine(yesterday, time(0)), 2, 11500)
    ]


def export_buttons(call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def test_every_order_of_the_report_comes_as_its_own_file_at_a_press(app, tg):
    shop = await seed_yesterday_in_new_york(app)
    yesterday = datetime.now(NY).date() - timedelta(days=1)
    await say(app, tg, USER, "/report yesterday")
    document = tg.calls_of("sendDocument", USER)[0]
    assert document.params["caption"] == "Excel: per day, per product and the profit per product."
    day = f"{yesterday:%Y%m%d}"
    assert export_buttons(document) == [("All orders (XLSX)", f"xo:{shop.id}:{day}:{day}")]
    await press(app, tg, USER, document.result["message_id"], f"xo:{shop.id}:{day}:{day}")
    export = tg.calls_of("sendDocument", USER)[1]
    name, body = export.files["document"]
    assert name == f"wbpulse_orders_Shop-A_{yesterday}_{yesterday}.xlsx"
    assert export.params["caption"] == f"Every order of {yesterday} – {yesterday}: 2."
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Orders"]
    assert [c.value for c in sheet[1]] == [
        "Time", "WB article (nmId)", "Seller's article", "Subject", "Size", "Warehouse",
        "Region", "Price, ₽", "Cancelled", "srid", "Profit, estimate",
    ]  # fmt: skip
    assert [r for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        (datetime.combine(yesterday, time(12)), 11, "ART-11", "Платья", None, "Коледино",
         "Москва", 1500, "no", "y1", None),  # no cost prices: no estimate
        (datetime.combine(yesterday, time(23, 50)), 12, "ART-12", "Платья", None, "Коледино",
         "Москва", 10000, "no", "y2", None),
    ]  # fmt: skip
    note = next(c for c in tg.sent(USER) if "Writing every order of" in str(c.params.get("text")))
    assert (USER, note.result["message_id"]) in tg.deleted  # the note goes once the file is here


async def test_an_export_of_days_without_orders_says_so(app, tg):
    shop = await seed_yesterday_in_new_york(app)
    await say(app, tg, USER, "/report help")
    week_ago = datetime.now(NY).date() - timedelta(days=7)
    day = f"{week_ago:%Y%m%d}"
    await press(app, tg, USER, tg.sent(USER)[-1].result["message_id"], f"xo:{shop.id}:{day}:{day}")
    assert len(tg.calls_of("sendDocument", USER)) == 0
    note = tg.sent(USER)[-1]  # the "writing" note, edited
    assert tg.message(USER, note.result["message_id"])["text"] == (
        f"No orders on {week_ago} – {week_ago}."
    )


async def test_someone_elses_shop_in_an_export_button_is_refused(app, tg):
    await seed_yesterday_in_new_york(app)
    other = await make_shop(app.db, app.keyring, 999, name="Not yours")
    await store_rows(app.db, other.id, [order("x1", datetime.now(UTC) - timedelta(hours=1), 1)])
    await say(app, tg, USER, "/report help")
    today = f"{datetime.now(NY).date():%Y%m%d}"
    await press(
        app, tg, USER, tg.sent(USER)[-1].result["message_id"], f"xo:{other.id}:{today}:{today}"
    )
    assert not tg.calls_of("sendDocument", USER)
    assert any("no longer yours" in str(a.get("text")) for a in tg.answered.values())


async def test_a_russian_seller_asks_in_russian_words_and_dates(app, tg):
    await seed_yesterday_in_new_york(app)
    await update_user(app.db, USER, language="ru")
    yesterday = datetime.now(NY).date() - timedelta(days=1)
    await say(app, tg, USER, "/report вчера")
    report = next(t for t in tg.texts(USER) if "Заказы:" in t)
    assert f": {yesterday:%d.%m.%Y} – {yesterday:%d.%m.%Y}" in report
    assert nb("Заказы: 2 · 11 500 ₽") in report
    document = tg.calls_of("sendDocument", USER)[0]
    assert export_buttons(document)[0][0] == "Все заказы (XLSX)"
    await press(app, tg, USER, document.result["message_id"], export_buttons(document)[0][1])
    _name, body = tg.calls_of("sendDocument", USER)[1].files["document"]
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert [r[8] for r in book["Заказы"].iter_rows(values_only=True)] == ["Отменён", "нет", "нет"]
    await say(app, tg, USER, f"/report {yesterday:%d.%m.%Y} {yesterday:%d.%m.%Y}")
    again = [t for t in tg.texts(USER) if "Заказы:" in t]
    assert len(again) == 2 and again[1] == report
    # A hyphen without spaces and "с … по …" are the same range.
    await say(app, tg, USER, f"/report {yesterday:%d.%m.%Y}-{yesterday:%d.%m.%Y}")
    await say(app, tg, USER, f"/report с {yesterday:%d.%m.%Y} по {yesterday:%d.%m.%Y}")
    again = [t for t in tg.texts(USER) if "Заказы:" in t]
    assert again[2:] == [report, report]
    await say(app, tg, USER, "/report помощь")
    usage = tg.texts(USER)[-1]
    assert "/report сегодня" in usage and "/report 01.11.2026 15.11.2026" in usage
    assert "/report неделя" in usage and "/report месяц" in usage


async def test_report_with_nonsense_answers_usage_with_examples(app, tg):
    await say(app, tg, USER, "/report foo")
    text = tg.texts(USER)[-1]
    assert "I did not understand the period." in text
    assert "/report 2026-11-01 2026-11-15" in text and "Buyout rate" in text


async def test_reversed_future_and_too_old_dates_are_explained(app, tg):
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    await say(app, tg, USER, "/report 2026-11-15 2026-11-01")
    assert "The end date is before the start date" in tg.texts(USER)[-1]
    await say(app, tg, USER, f"/report {today + timedelta(days=2)} {today + timedelta(days=3)}")
    assert "That period has not started yet." in tg.texts(USER)[-1]
    await say(app, tg, USER, f"/report {today - timedelta(days=120)} {today}")
    assert "WB keeps statistics for the last 90 days only" in tg.texts(USER)[-1]


async def test_report_before_the_shops_data_starts_says_so(app, tg):
    await seed_yesterday_in_new_york(app)
    first = datetime.now(NY).date() - timedelta(days=10)
    await say(app, tg, USER, f"/report {first} {first + timedelta(days=1)}")
    assert "the stored data starts on" in tg.texts(USER)[-1]
    assert not tg.calls_of("sendPhoto", USER)


async def test_report_without_a_shop_says_how_to_connect(app, tg):
    await say(app, tg, USER, "/report week")
    assert "/connect <token>" in tg.texts(USER)[-1]


async def test_several_shops_offer_a_choice_and_all_together_sums_them(app, tg):
    first = await seed_yesterday_in_new_york(app)
    second = await make_shop(app.db, app.keyring, USER, name="B")
    noon = datetime.combine(datetime.now(NY).date() - timedelta(days=1), time(12), tzinfo=NY)
    await store_rows(app.db, second.id, [order("b1", noon.astimezone(UTC), 500)])
    await say(app, tg, USER, "/report yesterday")
    ask = tg.sent(USER)[-1]
    buttons = [
        b["callback_data"] for row in ask.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == [
        f"rep:{first.id}:yesterday",
        f"rep:{second.id}:yesterday",
        "rep:all:yesterday",
    ]
    message_id = ask.result["message_id"]
    await press(app, tg, USER, message_id, "rep:all:yesterday")
    assert nb("Orders: 3 · 12 000 ₽") in next(t for t in tg.texts(USER) if "All shops" in t)
    await press(app, tg, USER, message_id, f"rep:{second.id}:yesterday")
    assert nb("Orders: 1 · 500 ₽") in tg.texts(USER)[-3]


async def test_someone_elses_shop_in_a_button_is_refused(app, tg):
    await seed_yesterday_in_new_york(app)
    other = await make_shop(app.db, app.keyring, 999, name="Not yours")
    await say(app, tg, USER, "/report help")
    await press(app, tg, USER, tg.sent(USER)[-1].result["message_id"], f"rep:{other.id}:week")
    assert not tg.calls_of("sendPhoto", USER)
    assert any("no longer yours" in str(a.get("text")) for a in tg.answered.values())


async def test_stock_riskiest_first_with_excel(app, tg):
    shop = await seed_yesterday_in_new_york(app)
    now = datetime.now(UTC)
    # 14 orders of nm 11 from Коледино in 14 days: one a day.
    await store_rows(
        app.db,
        shop.id,
        [order(f"s{i}", now - timedelta(days=i, hours=1), 100, nm_id=11) for i in range(1, 15)],
    )
    await app.db.write_many(
        "INSERT INTO stock(shop_id, nm_id, barcode, warehouse, quantity, vendor_code, subject, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?)",
        [
            (shop.id, 11, "b1", "Коледино", 3, "ART-11", "Платья", now.timestamp()),
            (shop.id, 11, "b2", "Коледино", 2, "ART-11", "Платья", now.timestamp()),
            (shop.id, 12, "b3", "Коледино", 40, "ART-12", "Платья", now.timestamp()),
        ],
    )
    await say(app, tg, USER, "/stock")
    text = tg.texts(USER)[-2]
    lines = text.splitlines()
    assert "ART-11 (Платья) · Коледино: 5" in lines[1]
    assert "ART-12" in lines[2]
    book = openpyxl.load_workbook(
        io.BytesIO(tg.calls_of("sendDocument", USER)[0].files["document"][1])
    )
    row = next(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    # 13 of the 14 daily orders fall in the window, with the seed's two: 15 → 5 ÷ (15 / 14).
    assert row[0] == 11 and row[4] == 5 and row[5] == 15 and row[6] == 4.7


async def test_stock_without_analytics_says_why(app, tg):
    await ensure_user(app.db, USER, "en", "Europe/Moscow")
    await make_shop(app.db, app.keyring, USER, categories=1 << Category.STATISTICS)
    await say(app, tg, USER, "/stock")
    assert "Analytics" in tg.texts(USER)[-1]
