"""/costs and /cost as a seller sees them: the template's cells, a filled template saved (or
rejected row by row with nothing stored), one product's cost with its history, and files that
are not the template."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.formats import MINUS, NBSP
from bot.store.costs import NewCost, cost_on, save_costs
from bot.store.shops import create_invite
from tests.money.conftest import (
    HEADER,
    alert_text,
    last_document,
    press,
    say,
    send_file,
    sheet_rows,
    shop_with_products,
    workbook,
)

OWNER, MEMBER = 701, 702
NOV1 = date(2026, 11, 1)


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow")).date()


def filled(template: bytes, costs: dict[int, object]) -> bytes:
    """The template with the cost column of the rows of those nmIds filled in."""
    wb = load_workbook(io.BytesIO(template))
    sheet = wb.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in costs:
            row[4].value = costs[row[0].value]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def costs_in_db(app) -> list[tuple]:
    rows = await app.db.fetchall("SELECT nm_id, size, effective, kopecks FROM costs ORDER BY 1")
    return [tuple(r) for r in rows]


async def test_costs_sends_every_known_product_with_its_current_cost(app, tg):
    shop = await shop_with_products(app, OWNER)
    await save_costs(app.db, shop.id, [NewCost(11, 45_050, NOV1)], by=OWNER)
    await save_costs(app.db, shop.id, [NewCost(11, 52_000, NOV1, size="XL")], by=OWNER)

    await say(app, tg, OWNER, "/costs")

    assert sheet_rows(last_document(tg, OWNER)) == [
        HEADER,
        [33, "ART-33", None, "Платья", None, None],  # known from stock only: subject as title
        [11, "DR-1", None, "Платье синее", 450.5, None],
        [11, "DR-1", "XL", "Платье синее", 520, None],
        [22, "TS-2", None, "Футболка", None, None],
    ]
    caption = tg.texts(OWNER)[-1]
    assert caption.startswith("Cost prices of «Лавка»: write the cost of one unit in the «Cost")


async def test_the_template_speaks_russian_to_a_russian_seller(app, tg):
    await shop_with_products(app, OWNER)
    await say(app, tg, OWNER, "/costs", language="ru")
    header = sheet_rows(last_document(tg, OWNER))[0]
    assert header == [
        "Артикул WB (nmId)",
        "Артикул продавца",
        "Размер",
        "Название",
        "Себестоимость, ₽",
        "Действует с (необязательно)",
    ]


async def test_a_filled_template_is_saved_and_the_next_template_shows_the_costs(app, tg):
    shop = await shop_with_products(app, OWNER)
    await save_costs(app.db, shop.id, [NewCost(11, 45_050, NOV1)], by=OWNER)
    await say(app, tg, OWNER, "/costs")
    template = last_document(tg, OWNER)

    # No caption, right after /costs; a decimal comma and spaces between thousands.
    upload = filled(template, {22: "1 250,50", 33: 300, 11: 450.5})
    await send_file(app, tg, OWNER, "costs.xlsx", upload)

    assert tg.texts(OWNER)[-1] == (
        f"✅ «Лавка»: 2 cost prices saved.\n1 row had the cost already.\n"
        f"New costs count from today, {today().isoformat()}; earlier days keep their old costs."
    )
    assert await cost_on(app.db, shop.id, 22, today()) == 125_050
    assert await cost_on(app.db, shop.id, 33, today()) == 30_000
    assert await cost_on(app.db, shop.id, 11, NOV1) == 45_050

    await say(app, tg, OWNER, "/costs")
    assert [row[4] for row in sheet_rows(last_document(tg, OWNER))[1:]] == [300, 450.5, 1250.5]


async def test_a_template_with_bad_rows_is_rejected_row_by_row_and_nothing_is_stored(app, tg):
    shop = await shop_with_products(app, OWNER)
    await save_costs(app.db, shop.id, [NewCost(11, 45_050, NOV1)], by=OWNER)
    before = await costs_in_db(app)
    upload = workbook(
        [
            [11, "DR-1", None, "", -5, None],  # row 2
            [22, "TS-2", None, "", "abc", None],  # row 3
            [999, "", None, "", 100, None],  # row 4
            [None, "", None, "", 100, None],  # row 5
            [22, "TS-2", None, "", 100, None],  # row 6: good
            [22, "TS-2", None, "", 200, None],  # row 7: row 6 again
            [33, "ART-33", "M", "", None, None],  # row 8: a size and no cost
            [33, "ART-33", None, "", 50, "31.02.2026"],  # row 9
            [11, "DR-1", None, "", None, None],  # row 10: left as it is, fine
        ]
    )
    await send_file(app, tg, OWNER, "мои цены.XLSX", upload)

    assert tg.texts(OWNER)[-1] == "\n".join(
        [
            "❌ Nothing saved: 7 rows have problems. Fix them and send the file again.",
            "",
            f"Row 2: the cost {MINUS}5{NBSP}₽ is below zero",
            "Row 3: the cost «abc» is not a number",
            "Row 4: nmId 999 is not a product of this shop",
            "Row 5: no nmId",
            "Row 7: repeats row 6 (the same nmId, size and date)",
            "Row 8: a size or a date without a cost",
            "Row 9: «31.02.2026» is not a date (write it as 01.12.2026)",
        ]
    )
    assert await costs_in_db(app) == before


async def test_a_cost_with_its_own_date_counts_from_that_day(app, tg):
    shop = await shop_with_products(app, OWNER)
    await save_costs(app.db, shop.id, [NewCost(22, 10_000, NOV1)], by=OWNER)
    upload = workbook(
        [
            [22, "TS-2", None, "", 150, "15.11.2026"],
            [11, "DR-1", "XL", "", 99.99, datetime(2026, 11, 20)],
        ]
    )
    await send_file(app, tg, OWNER, "costs.xlsx", upload)

    assert tg.texts(OWNER)[-1] == "✅ «Лавка»: 2 cost prices saved."
    assert await cost_on(app.db, shop.id, 22, date(2026, 11, 14)) == 10_000
    assert await cost_on(app.db, shop.id, 22, date(2026, 11, 15)) == 15_000
    assert await cost_on(app.db, shop.id, 11, date(2026, 11, 20), "XL") == 9_999
    assert await cost_on(app.db, shop.id, 11, date(2026, 11, 20), "M") is None


async def test_cost_sets_one_product_and_old_days_keep_the_old_cost(app, tg):
    shop = await shop_with_products(app, OWNER)
    await save_costs(app.db, shop.id, [NewCost(11, 40_000, NOV1)], by=OWNER)

    await say(app, tg, OWNER, "/cost dr-1 450,50")

    assert tg.texts(OWNER)[-1] == (
        f"✅ Cost price of DR-1 (nmId 11) in «Лавка»: 450.50{NBSP}₽ from {today().isoformat()}. "
        f"Earlier days keep the cost of 400{NBSP}₽."
    )
    await say(app, tg, OWNER, "/cost DR-1 460")  # the same day again: today's cost replaced
    assert tg.texts(OWNER)[-1].endswith(
        f"460{NBSP}₽ from {today().isoformat()}. Earlier days keep the cost of 400{NBSP}₽."
    )
    assert await cost_on(app.db, shop.id, 11, today()) == 46_000
    assert await cost_on(app.db, shop.id, 11, today() - timedelta(days=1)) == 40_000

    await say(app, tg, OWNER, "/cost 33 120")
    assert tg.texts(OWNER)[-1].startswith(
        f"✅ Cost price of ART-33 (nmId 33) in «Лавка»: 120{NBSP}₽"
    )
    await say(app, tg, OWNER, "/cost NOPE-1 100")
    assert "I do not know «NOPE-1» among the products of your shops" in tg.texts(OWNER)[-1]
    await say(app, tg, OWNER, "/cost DR-1 -3")
    assert tg.texts(OWNER)[-1].startswith("«-3» is not a price")
    await say(app, tg, OWNER, "/cost")
    assert tg.texts(OWNER)[-1].startswith("Send /cost <article or nmId> <price>")
    assert await cost_on(app.db, shop.id, 11, today()) == 46_000


async def test_a_member_cannot_change_costs(app, tg):
    shop = await shop_with_products(app, OWNER)
    await say(app, tg, OWNER, "/start")
    code = await create_invite(app.db, shop.id, OWNER, 3600)
    await say(app, tg, MEMBER, f"/start {code}")
    refusal = "Only a shop's owner can change its cost prices: ask the owner of «Лавка»."

    await say(app, tg, MEMBER, "/cost DR-1 100")
    assert tg.texts(MEMBER)[-1] == refusal
    await say(app, tg, MEMBER, "/costs")
    assert tg.texts(MEMBER)[-1] == refusal
    await send_file(app, tg, MEMBER, "costs.xlsx", workbook([[11, "", None, "", 1, None]]))
    assert tg.texts(MEMBER)[-1] == refusal
    # Forged buttons: the owner's shop, from the member.
    await press(app, tg, MEMBER, 1, f"cpk:{shop.id}:11:100")
    assert alert_text(tg) == "Only a shop's owner can change its cost prices."
    await press(app, tg, MEMBER, 1, f"cst:{shop.id}")
    assert alert_text(tg) == "Only a shop's owner can change its cost prices."
    assert await costs_in_db(app) == []


async def test_with_two_shops_costs_asks_which_and_a_file_goes_to_the_shop_it_lists(app, tg):
    first = await shop_with_products(app, OWNER, "Лавка")
    second = await shop_with_products(app, OWNER, "Вторая", first_nm=100)
    await say(app, tg, OWNER, "/costs")
    assert tg.texts(OWNER)[-1] == "Which shop?"
    menu = tg.sent(OWNER)[-1].result["message_id"]
    await press(app, tg, OWNER, menu, f"cst:{second.id}")
    assert [row[0] for row in sheet_rows(last_document(tg, OWNER))[1:]] == [122, 100, 111]

    await send_file(app, tg, OWNER, "costs.xlsx", workbook([[111, "", None, "", 77, None]]))
    assert tg.texts(OWNER)[-1].startswith("✅ «Вторая»: 1 cost price saved.")
    assert await cost_on(app.db, second.id, 111, today()) == 7_700

    # Later, out of the conversation: the file goes to the shop whose products it lists.
    await say(app, tg, OWNER, "/cancel")
    await send_file(app, tg, OWNER, "costs.xlsx", workbook([[22, "", None, "", 55, None]]))
    assert tg.texts(OWNER)[-1].startswith("✅ «Лавка»: 1 cost price saved.")
    assert await cost_on(app.db, first.id, 22, today()) == 5_500
    # One that lists nobody's products cannot be placed.
    await send_file(app, tg, OWNER, "costs.xlsx", workbook([[5, "", None, "", 1, None]]))
    assert tg.texts(OWNER)[-1].startswith("I cannot tell which of your shops this file is for.")

    await say(app, tg, OWNER, "/cost DR-1 10")  # DR-1 is in both shops
    assert tg.texts(OWNER)[-1] == "Which product?"
    pick = tg.sent(OWNER)[-1]
    labels = [b["text"] for row in pick.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Лавка · DR-1 · nmId 11", "Вторая · DR-1 · nmId 100"]
    await press(app, tg, OWNER, pick.result["message_id"], f"cpk:{first.id}:11:1000")
    assert await cost_on(app.db, first.id, 11, today()) == 1_000
    assert await cost_on(app.db, second.id, 100, today()) is None


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 1024 * 1024))
    return out.getvalue()


async def test_files_that_are_not_the_template_get_a_clear_answer(app, tg):
    shop = await shop_with_products(app, OWNER)
    await say(app, tg, OWNER, "/costs")

    await send_file(app, tg, OWNER, "costs.csv", b"nmId;cost\n11;100\n")
    assert tg.texts(OWNER)[-1].startswith("This is not an .xlsx file.")
    await send_file(app, tg, OWNER, "costs.xlsx", b"PK\x03\x04 not really a zip")
    assert tg.texts(OWNER)[-1].startswith("I cannot read this file as an Excel workbook (.xlsx)")
    await send_file(app, tg, OWNER, "costs.xlsx", zip_bomb())
    assert tg.texts(OWNER)[-1].startswith("This file is too big for a cost template")
    downloads = len(tg.calls_of("getFile"))
    await send_file(app, tg, OWNER, "big.xlsx", b"x", file_size=30 * 1024 * 1024)
    assert tg.texts(OWNER)[-1].startswith("This file is too big for a cost template")
    assert len(tg.calls_of("getFile")) == downloads  # refused before downloading
    await send_file(app, tg, OWNER, "other.xlsx", workbook([[1, 2]], header=["Дата", "Сумма"]))
    assert tg.texts(OWNER)[-1] == (
        "This file is not the cost template: its first row has no «WB article (nmId)» and "
        "«Cost price, ₽» columns. Send /costs for the template."
    )
    await send_file(app, tg, OWNER, "empty.xlsx", workbook([[11, "DR-1", None, "", None, None]]))
    assert tg.texts(OWNER)[-1] == (
        "The file has no cost filled in: write them in the «Cost price, ₽» column."
    )
    assert await costs_in_db(app) == []
    assert await app.db.counter("handler_errors") == 0
    assert shop.id


async def test_a_russian_seller_reads_the_rejection_in_russian(app, tg):
    await shop_with_products(app, OWNER)
    await say(app, tg, OWNER, "/start", language="ru")
    upload = workbook([[11, "DR-1", None, "", "-5,5", None]])
    await send_file(app, tg, OWNER, "себестоимость.xlsx", upload, language_code="ru")
    assert tg.texts(OWNER)[-1] == (
        "❌ Ничего не сохранено: ошибка в 1 строке. Исправьте и пришлите файл снова.\n\n"
        f"Строка 2: себестоимость {MINUS}5,50{NBSP}₽ меньше нуля"
    )
    await say(app, tg, OWNER, "/cost DR-1 450", language="ru")
    assert tg.texts(OWNER)[-1] == (
        f"✅ Себестоимость DR-1 (nmId 11) в «Лавка»: 450{NBSP}₽ с {today():%d.%m.%Y}."
    )
