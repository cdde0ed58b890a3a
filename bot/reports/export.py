"""Every order of a report's period as an Excel file of its own (the "All orders (XLSX)" button
under /report). xlsxwriter in constant-memory mode writes row by row from a stream of orders
(about twice openpyxl's speed, and a flat few MB however many orders), in a thread: a big
shop's month never holds up the report itself. Styled as the report's sheets: a bold frozen
filterable header, fitted widths, numbers as numbers and times as Excel times."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, tzinfo
from itertools import chain, islice

import xlsxwriter

from bot.reports.profit import OrderEstimates
from bot.reports.xlsx import (
    DATE_FORMATS,
    PRODUCT_ID_COLUMNS,
    WIDTH_SAMPLE,
    Cell,
    Column,
    Kind,
    column_widths,
    file_name,
    of_kind,
    size_of,
    stored,
)
from bot.store.orders import OrderRow
from bot.timeutil import MSK

#: An Excel sheet holds 1,048,576 rows: the header and this many orders.
EXPORT_LIMIT = 1_048_575
#: How often the writer reports its progress, in orders.
PROGRESS_EVERY = 10_000

ORDER_COLUMNS = (
    Column("time", Kind.TIME),
    *PRODUCT_ID_COLUMNS,
    *of_kind(Kind.TEXT, "subject", "size", "warehouse", "region"),
    Column("price", Kind.MONEY),
    *of_kind(Kind.TEXT, "cancelled", "srid"),
    # What one unit of the order leaves (bot.reports.profit.OrderEstimates): empty without a
    # cost price or for a cancelled order, never a made-up 0.
    Column("profit_estimate", Kind.MONEY),
)


def export_file_name(shop: str, first: date, last: date) -> str:
    """wbpulse_orders_<shop>_<from>_<to>.xlsx, beside the report's wbpulse_<shop>_<from>_<to>."""
    return "wbpulse_orders_" + file_name(shop, first, last).removeprefix("wbpulse_")


def _profit(o: OrderRow, estimates: OrderEstimates | None) -> float | None:
    """The order's estimated profit per unit in roubles, None when there is none to show."""
    if estimates is None or o.is_cancel:
        return None
    # Costs and WB's fees go by WB days (Moscow), whatever the reader's own zone.
    day = o.ts.astimezone(MSK).date()
    kopecks = estimates.profit(
        o.shop_id, o.nm_id, o.tech_size, day, round(o.price_with_disc * 100)
    )
    return None if kopecks is None else kopecks / 100


def _order_rows(
    orders: Iterable[OrderRow],
    zone: tzinfo,
    headers: dict[str, str],
    estimates: OrderEstimates | None,
) -> Iterator[list[Cell]]:
    # "yes"/"no" in the reader's language: a word to read and filter by, not 1/0.
    cancelled = {True: headers.get("yes", "yes"), False: headers.get("no", "no")}
    for o in islice(orders, EXPORT_LIMIT):
        yield stored(
            (
                # Excel has no time zones: local wall time, naive.
                o.ts.astimezone(zone).replace(tzinfo=None),
                o.nm_id, o.supplier_article, o.subject, size_of(o.tech_size), o.warehouse,
                o.region, o.price_with_disc, cancelled[o.is_cancel], o.srid,
                _profit(o, estimates),
            ),
            ORDER_COLUMNS,
        )  # fmt: skip


def render_orders_xlsx(
    orders: Iterable[OrderRow],
    zone: tzinfo,
    headers: dict[str, str],
    lang: str = "en",
    progress: Callable[[int], None] | None = None,
    estimates: OrderEstimates | None = None,
) -> tuple[bytes, int]:
    """The file and how many orders it holds (at most EXPORT_LIMIT). ``progress`` is called
    with the count so far every PROGRESS_EVERY orders (from the writing thread); with
    ``estimates`` (read beforehand) each order carries its estimated profit per unit."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,  # rows go to a temporary file as they are written
            # A seller's article or a warehouse is text, whatever it starts with: never a
            # formula (=HYPERLINK(...) in a product name) nor a link.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = book.add_worksheet(headers.get("sheet_orders", "orders")[:31])
    titles = [headers.get(c.key, c.key) for c in ORDER_COLUMNS]
    rows = _order_rows(orders, zone, headers, estimates)
    sample = list(islice(rows, WIDTH_SAMPLE))
    day_format, time_format = DATE_FORMATS.get(lang, DATE_FORMATS["en"])
    formats = {Kind.DATE: day_format, Kind.TIME: time_format}
    for i, (column, width) in enumerate(
        zip(ORDER_COLUMNS, column_widths(ORDER_COLUMNS, titles, sample), strict=True)
    ):
        # A cell written without a format takes its column's: one format per column.
        number_format = formats.get(column.kind, column.kind.value)
        style = book.add_format({"num_format": number_format}) if number_format else None
        sheet.set_column(i, i, width, style)
    sheet.write_row(0, 0, titles, book.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    count = 0
    # Each column's own writer: no guessing of the type per cell (and a text stays text).
    kinds = {Kind.TIME: sheet.write_datetime, Kind.TEXT: sheet.write_string}
    writers = [kinds.get(c.kind, sheet.write_number) for c in ORDER_COLUMNS]
    for count, row in enumerate(chain(sample, rows), 1):
        for col, value in enumerate(row):
            if value is not None and value != "":
                writers[col](count, col, value)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    sheet.autofilter(0, 0, count, len(ORDER_COLUMNS) - 1)
    book.close()
    return out.getvalue(), count
