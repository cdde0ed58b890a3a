"""The Excel files of /report and /stock (openpyxl, write-only mode: fast and small in memory;
the caller runs them in a thread); every order of a period is bot.reports.export's file.
Numbers are stored as numbers and days as dates, so the seller can sum and filter them; every
sheet opens with a bold, frozen, filterable header and columns wide enough to read."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from fractions import Fraction
from itertools import chain, islice

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.reports.metrics import ReportData
from bot.reports.money import MoneyView
from bot.reports.profit import MONEY_LINES, round_kopecks
from bot.reports.stock import StockLine
from bot.store.profit import Figures

#: Column widths are measured on this many rows: enough to see the long names, cheap on 50,000.
WIDTH_SAMPLE = 2_000
MIN_WIDTH, MAX_WIDTH = 6, 60


class Kind(Enum):
    """How a column's values are stored and shown (Excel number format codes are the same in
    every locale; Excel shows "," and "." as the reader's own separators)."""

    TEXT = None
    ID = "0"  # nmId: a number to filter by, never "1 234 567"
    COUNT = "#,##0"
    MONEY = "#,##0.00"
    DAYS = "0.0"
    PERCENT = "0.0"  # a percentage as a number: 10.5 is 10.5 %
    DATE = "date"
    TIME = "time"


DATE_FORMATS = {"ru": ("DD.MM.YYYY", "DD.MM.YYYY HH:MM"), "en": ("YYYY-MM-DD", "YYYY-MM-DD HH:MM")}


@dataclass(frozen=True)
class Column:
    key: str
    kind: Kind


Cell = str | int | float | date | datetime | None


def file_name(shop: str, first: date, last: date) -> str:
    """wbpulse_<shop>_<from>_<to>.xlsx, the shop name reduced to safe characters."""
    slug = re.sub(r"[^\w-]+", "-", shop, flags=re.UNICODE).strip("-")[:40] or "shop"
    return f"wbpulse_{slug}_{first.isoformat()}_{last.isoformat()}.xlsx"


def money(value: float) -> float:
    """Kopecks, without binary noise: 4419.059999999999 is stored as 4419.06."""
    return round(value + 0.0, 2)


def size_of(tech_size: str) -> str:
    """WB's techSize "0" means the product has no sizes: an empty cell, not a size "0"."""
    return "" if tech_size.strip() in ("", "0") else tech_size


def _value(value: Cell, kind: Kind) -> Cell:
    if value is None or value == "":
        return value
    if kind is Kind.MONEY and isinstance(value, int | float):
        return money(value)
    if kind in (Kind.COUNT, Kind.ID) and isinstance(value, float):
        return round(value)
    if kind is Kind.DAYS and isinstance(value, int | float):
        return round(value, 1)
    return value


def _shown_width(value: Cell, kind: Kind) -> int:
    """About how many characters Excel shows for the value in its format."""
    if value is None:
        return 0
    if kind is Kind.DATE:
        return 10
    if kind is Kind.TIME:
        return 16
    if kind is Kind.MONEY and isinstance(value, int | float):
        return len(f"{value:,.2f}")
    if kind is Kind.COUNT and isinstance(value, int | float):
        return len(f"{round(value):,}")
    return len(str(value))


def _write_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    headers: dict[str, str],
    rows: Iterable[Sequence[Cell]],
    lang: str,
) -> None:
    """One sheet: a bold header row that stays in view, a filter on every column, numbers and
    dates in their formats, widths fitted to the header and the first WIDTH_SAMPLE rows."""
    sheet: WriteOnlyWorksheet = wb.create_sheet(title[:31])
    titles = [headers.get(c.key, c.key) for c in columns]
    # Rows may be a stream (the raw orders): only the sample is held, to fit the widths.
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))
    for i, width in enumerate(column_widths(columns, titles, first), 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for head in titles:
        cell = WriteOnlyCell(sheet, value=head)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    day_format, time_format = DATE_FORMATS.get(lang, DATE_FORMATS["en"])
    formats = {Kind.DATE: day_format, Kind.TIME: time_format}
    count = 0
    for row in chain(first, rows):
        count += 1
        cells: list[WriteOnlyCell | Cell] = []
        for value, column in zip(stored(row, columns), columns, strict=True):
            number_format = formats.get(column.kind, column.kind.value)
            if number_format is None or value is None or value == "":
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    # A write-only sheet writes its filter when it closes, after the rows: set once counted.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"


def stored(row: Sequence[Cell], columns: Sequence[Column]) -> list[Cell]:
    """A row's values as stored: money to kopecks, counts whole."""
    return [_value(v, c.kind) for v, c in zip(row, columns, strict=True)]


def column_widths(
    columns: Sequence[Column], titles: Sequence[str], sample: Sequence[Sequence[Cell]]
) -> list[int]:
    """Widths that fit each header (and its filter button) and the sample's values as shown."""
    shown = [stored(row, columns) for row in sample]
    widths = []
    for i, (column, head) in enumerate(zip(columns, titles, strict=True)):
        widest = max([len(head) + 3] + [_shown_width(row[i], column.kind) for row in shown])
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, widest + 1)))
    return widths


def _counted(*names: str) -> Iterator[Column]:
    """A count and its sum in roubles (``orders``, ``orders_sum``), per name."""
    for name in names:
        yield Column(name, Kind.COUNT)
        yield Column(f"{name}_sum", Kind.MONEY)


def of_kind(kind: Kind, *keys: str) -> tuple[Column, ...]:
    """Columns side by side that all hold one kind of value."""
    return tuple(Column(key, kind) for key in keys)


#: How every sheet that lists products names one.
PRODUCT_ID_COLUMNS = (Column("nm_id", Kind.ID), Column("article", Kind.TEXT))

DAY_COLUMNS = (
    Column("day", Kind.DATE),
    *_counted("orders", "cancels", "buyouts", "returns"),
    Column("for_pay", Kind.MONEY),
)
PRODUCT_COLUMNS = (
    *PRODUCT_ID_COLUMNS,
    *of_kind(Kind.TEXT, "subject", "title"),
    *_counted("orders"),
)
STOCK_COLUMNS = (
    *PRODUCT_ID_COLUMNS,
    *of_kind(Kind.TEXT, "subject", "warehouses"),
    *of_kind(Kind.COUNT, "quantity", "orders_14d"),
    Column("cover_days", Kind.DAYS),
)
PROFIT_COLUMNS = (
    *PRODUCT_ID_COLUMNS,
    *of_kind(Kind.TEXT, "title", "basis"),
    *of_kind(Kind.COUNT, "sold", "returned"),
    *of_kind(Kind.MONEY, *MONEY_LINES, "to_be_paid", "cost", "tax", "profit", "unit_profit"),
    *of_kind(Kind.PERCENT, "margin", "roi"),
)


def _rub(kopecks: int | None) -> float | None:
    """Kopecks as roubles for a cell (Excel keeps numbers as doubles; 2 decimals are exact
    enough to show and sum)."""
    return None if kopecks is None else kopecks / 100


def _pct(value: Fraction | None) -> float | None:
    """A ratio as a percentage to one decimal, rounded as the text rounds it."""
    return None if value is None else round_kopecks(value * 1000) / 10


def profit_rows(view: MoneyView, headers: dict[str, str]) -> list[list[Cell]]:
    """The Profit sheet: a row per product (the shop's own rows as "not tied to a product"),
    fixed expenses, and the total; cost, tax and profit empty where the cost is unknown."""
    money = view.money
    found: list[dict[str, Cell]] = []

    def figures(f: Figures) -> dict[str, Cell]:
        cells: dict[str, Cell] = {"sold": f.sold, "returned": f.returned}
        cells |= {name: _rub(getattr(f, name)) for name in MONEY_LINES}
        return cells | {"to_be_paid": _rub(f.to_be_paid)}

    for p in money.products:
        name = view.name(p)
        if p.cost is None:
            basis = headers.get("cost_unknown", "cost unknown")
        else:
            basis = headers.get("estimate" if p.estimated else "by_report", "")
        unit = p.unit_profit
        found.append(
            {
                "nm_id": p.nm_id or None,
                "article": name.article,
                "title": name.title if p.nm_id else headers.get("not_a_product", ""),
                "basis": basis,
                **figures(p.figures),
                "cost": _rub(p.cost),
                "tax": _rub(p.tax),
                "profit": _rub(p.profit),
                "unit_profit": None if unit is None else _rub(round_kopecks(unit)),
                "margin": _pct(p.margin),
                "roi": _pct(p.roi),
            }
        )
    if money.fixed:
        found.append(
            {"title": headers.get("fixed", "fixed expenses"), "profit": _rub(-money.fixed)}
        )
    found.append(
        {
            "title": headers.get("total", "total"),
            "basis": headers.get("basis_total", ""),
            **figures(money.figures),
            "cost": _rub(money.cost),
            "tax": _rub(money.tax),
            "profit": _rub(money.profit),
            "margin": _pct(money.margin),
            "roi": _pct(money.roi),
        }
    )
    return [[cells.get(c.key) for c in PROFIT_COLUMNS] for cells in found]


#: A sheet to write: its title, its columns and its rows.
Sheet = tuple[str, Sequence[Column], Iterable[Sequence[Cell]]]


def write_book(sheets: Iterable[Sheet], headers: dict[str, str], lang: str) -> bytes:
    """An XLSX file of the sheets, each as `_write_sheet` writes it."""
    wb = Workbook(write_only=True)
    for title, columns, rows in sheets:
        _write_sheet(wb, title, columns, headers, rows, lang)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_report_xlsx(
    data: ReportData,
    headers: dict[str, str],
    lang: str = "en",
    money: MoneyView | None = None,
) -> bytes:
    """Sheets: per day, per product and, with `money`, the profit per product. `headers` maps
    column keys to translated titles (the keys themselves are used when missing). Every order
    of the period is a file of its own (bot.reports.export): written here, 50,000 of them made
    the report wait seconds."""
    day_rows = [
        (
            day, t.orders, t.orders_sum, t.cancels, t.cancels_sum, t.buyouts, t.buyouts_sum,
            t.returns, t.returns_sum, t.for_pay,
        )
        for day, t in data.days
    ]  # fmt: skip
    product_rows = [
        (p.nm_id, p.supplier_article, p.subject, p.title, p.orders, p.orders_sum)
        for p in data.products
    ]
    sheets: list[Sheet] = [
        (headers.get("sheet_days", "days"), DAY_COLUMNS, day_rows),
        (headers.get("sheet_products", "products"), PRODUCT_COLUMNS, product_rows),
    ]
    if money is not None:
        sheets.append(
            (headers.get("sheet_profit", "profit"), PROFIT_COLUMNS, profit_rows(money, headers))
        )
    return write_book(sheets, headers, lang)


def render_stock_xlsx(
    lines: Sequence[StockLine], headers: dict[str, str], lang: str = "en"
) -> bytes:
    rows = [
        (s.nm_id, s.vendor_code, s.subject, s.warehouse, s.quantity, s.orders_14d, s.cover)
        for s in lines
    ]
    return write_book([(headers.get("sheet_stock", "stock"), STOCK_COLUMNS, rows)], headers, lang)
