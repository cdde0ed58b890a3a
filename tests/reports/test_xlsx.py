"""The Excel files as a seller opens them (the report, its every-order file, stock): read back
with openpyxl, cell by cell."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports.export import render_orders_xlsx
from bot.reports.metrics import ReportData
from bot.reports.periods import Period
from bot.reports.stock import StockLine
from bot.reports.xlsx import render_report_xlsx, render_stock_xlsx
from bot.store.orders import OrderRow
from bot.store.rollups import ProductTotals, Totals

MSK = ZoneInfo("Europe/Moscow")
LONG_TITLE = "Платье летнее женское из хлопка с длинным рукавом"


def report_data() -> ReportData:
    period = Period("custom", date(2026, 12, 5), date(2026, 12, 6))
    start, end = period.bounds(MSK, datetime(2026, 12, 7, tzinfo=UTC))
    day = Totals(
        orders=3, orders_sum=4419.059999999999, cancels=1, cancels_sum=1234.555,
        buyouts=2, buyouts_sum=2000.1, returns=1, returns_sum=999.99, for_pay=1700.3000000000002,
    )  # fmt: skip
    return ReportData(
        period=period,
        zone=MSK,
        start=start,
        end=end,
        previous_start=start,
        previous_end=start,
        current=day,
        previous=Totals(),
        days=[(date(2026, 12, 5), day), (date(2026, 12, 6), Totals())],
        previous_days=[],
        products=[ProductTotals(1234567, "ART-1", "Платья", LONG_TITLE, 3, 4419.059999999999)],
        falls=[],
        warehouses=[],
        regions=[],
        as_of=None,
        data_starts=None,
    )


def orders() -> list[OrderRow]:
    at = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    return [
        OrderRow(1, "srid-1", at, 1234567, "ART-1", "Платья", "0", "Коледино", "Москва", 1234.555,
                 False),
        OrderRow(1, "srid-2", at, 1234567, "ART-1", "Платья", "M", "Коледино", "Москва",
                 3184.504999999999, True),
    ]  # fmt: skip


def book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def export(rows: list[OrderRow], lang: str) -> Worksheet:
    """The "All orders" file's only sheet."""
    data, _count = render_orders_xlsx(rows, MSK, {}, lang)
    return book(data).worksheets[0]


def assert_header_is_bold_frozen_and_filtered(sheet: Worksheet, columns: int, rows: int) -> None:
    assert sheet.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(columns)
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}"
    assert all(cell.font.bold for cell in sheet[1])
    assert not any(cell.font.bold for cell in sheet[2])
    for i, cell in enumerate(sheet[1], 1):
        width = sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width
        assert width >= len(str(cell.value)) + 2, (cell.value, width)


def test_report_sheets_have_a_bold_frozen_filtered_header_and_fitted_columns():
    wb = book(render_report_xlsx(report_data(), {}, "en"))
    assert wb.sheetnames == ["days", "products"]  # every order is a file of its own
    assert_header_is_bold_frozen_and_filtered(wb["days"], 10, 2)
    assert_header_is_bold_frozen_and_filtered(wb["products"], 6, 1)
    title_width = wb["products"].column_dimensions["D"].width
    assert title_width >= len(LONG_TITLE)  # the long title is readable without widening
    assert wb["days"].column_dimensions["B"].width < 15  # a count column stays narrow


def test_report_money_has_two_decimals_and_no_float_noise():
    wb = book(render_report_xlsx(report_data(), {}, "en"))
    days = wb["days"]
    assert [c.value for c in days[2]] == [
        datetime(2026, 12, 5), 3, 4419.06, 1, 1234.56, 2, 2000.1, 1, 999.99, 1700.3,
    ]  # fmt: skip
    for column in "CEGIJ":
        assert days[f"{column}2"].number_format == "#,##0.00"
    for column in "BDFH":
        assert days[f"{column}2"].number_format == "#,##0"
        assert isinstance(days[f"{column}2"].value, int)
    products = wb["products"]
    assert products["F2"].value == 4419.06 and products["F2"].number_format == "#,##0.00"
    assert products["A2"].value == 1234567 and products["A2"].number_format == "0"
    raw = export(orders(), "en")
    assert [raw["H2"].value, raw["H3"].value] == [1234.56, 3184.5]
    assert raw["H2"].number_format == "#,##0.00" and raw["B2"].number_format == "0"


def test_report_dates_are_real_dates_in_the_readers_format():
    ru = book(render_report_xlsx(report_data(), {}, "ru"))
    assert isinstance(ru["days"]["A2"].value, datetime)
    assert ru["days"]["A2"].number_format == "DD.MM.YYYY"
    raw = export(orders(), "ru")
    assert raw["A2"].value == datetime(2026, 12, 5, 12, 30)  # Moscow wall time
    assert raw["A2"].number_format == "DD.MM.YYYY HH:MM"
    en = book(render_report_xlsx(report_data(), {}, "en"))
    assert en["days"]["A2"].number_format == "YYYY-MM-DD"


def test_a_product_without_sizes_has_an_empty_size_cell_not_zero():
    raw = export(orders(), "en")
    assert raw["E1"].value == "size"
    assert raw["E2"].value is None  # WB's techSize "0": no sizes
    assert raw["E3"].value == "M"


def test_the_orders_file_is_styled_like_the_report_and_says_yes_or_no():
    headers = {"sheet_orders": "Заказы", "cancelled": "Отменён", "yes": "да", "no": "нет"}
    data, count = render_orders_xlsx(orders(), MSK, headers, "ru")
    assert count == 2
    wb = book(data)
    assert wb.sheetnames == ["Заказы"]
    sheet = wb["Заказы"]
    assert_header_is_bold_frozen_and_filtered(sheet, 11, 2)
    assert [c.value for c in sheet[2]] == [
        datetime(2026, 12, 5, 12, 30), 1234567, "ART-1", "Платья", None, "Коледино", "Москва",
        1234.56, "нет", "srid-1", None,  # no profit estimate without the shop's costs
    ]  # fmt: skip
    assert [c.value for c in sheet["I"]] == ["Отменён", "нет", "да"]


def test_text_that_looks_like_a_formula_or_a_link_stays_text():
    at = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    risky = [
        OrderRow(1, "s", at, 1, "=HYPERLINK(\"http://x\")", "https://wb.ru", "M", "+7", "-1", 1.0,
                 False),
    ]  # fmt: skip
    sheet = export(risky, "en")
    assert [sheet["C2"].value, sheet["D2"].value, sheet["F2"].value, sheet["G2"].value] == [
        '=HYPERLINK("http://x")', "https://wb.ru", "+7", "-1",
    ]  # fmt: skip
    assert sheet["C2"].data_type == "s" and not sheet["D2"].hyperlink


def test_the_orders_file_holds_many_orders_in_order():
    at = datetime(2026, 12, 5, tzinfo=UTC)
    many = [
        OrderRow(1, f"srid-{i}", at, i, "A", "S", "M", "W", "R", float(i), False)
        for i in range(1, 20_001)
    ]
    seen: list[int] = []
    data, count = render_orders_xlsx(iter(many), MSK, {}, "en", seen.append)
    assert count == 20_000 and seen == [10_000, 20_000]
    sheet = book(data)["orders"]
    assert sheet.max_row == 20_001 and sheet.auto_filter.ref == "A1:K20001"
    assert [c.value for c in sheet[20_001]][1:] == [20_000, "A", "S", "M", "W", "R", 20_000, "no",
                                                    "srid-20000", None]  # fmt: skip


def test_stock_file_is_styled_like_the_report():
    lines = [
        StockLine(11, "ART-11", "Платья", "Склад WB РФ", 5, 14, 5.000000000001),
        StockLine(12, "ART-12", "Платья", "Коледино", 40, 0, None),
    ]
    sheet = book(render_stock_xlsx(lines, {}, "ru")).worksheets[0]
    assert_header_is_bold_frozen_and_filtered(sheet, 7, 2)
    assert [c.value for c in sheet[2]] == [11, "ART-11", "Платья", "Склад WB РФ", 5, 14, 5.0]
    assert sheet["E2"].number_format == "#,##0" and sheet["F2"].number_format == "#,##0"
    assert sheet["G2"].number_format == "0.0"
    assert sheet["G3"].value is None  # no orders: no days of cover, not 0
