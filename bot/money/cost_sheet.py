"""The cost price template: the XLSX /costs sends, and reading it back when the seller returns
it filled in. Pure: bytes in, rows and problems out (the caller runs it in a thread).

Reading is strict and all or nothing: every row is checked, and one bad row rejects the file
with the list of what is wrong where, so nothing is half applied. A file is untrusted input:
its size, its unpacked size and its rows are bounded before anything is read in full.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from openpyxl import load_workbook

from bot.reports.xlsx import PRODUCT_ID_COLUMNS, Column, Kind, write_book
from bot.store.costs import KnownProduct, NewCost, size_key

log = logging.getLogger(__name__)

#: A filled template of ten thousand products is about 400 KB.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024  # a zip bomb unpacks to far more
MAX_ROWS = 20_000
MAX_COLUMNS = 30
#: Above this a cost is surely a barcode or an nmId in the wrong column.
MAX_KOPECKS = 10_000_000 * 100

COLUMNS = (
    *PRODUCT_ID_COLUMNS,
    Column("size", Kind.TEXT),
    Column("title", Kind.TEXT),
    Column("cost", Kind.MONEY),
    Column("effective", Kind.DATE),
)
#: Columns a returned file must have; the others may be missing.
REQUIRED = ("nm_id", "cost")

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"(₽|руб\.?|р\.|rub)$", re.IGNORECASE)
_DAY_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")


@dataclass(frozen=True)
class TemplateRow:
    nm_id: int
    article: str
    size: str
    title: str
    kopecks: int | None


def template_rows(
    products: Sequence[KnownProduct], current: Mapping[tuple[int, str], int]
) -> list[TemplateRow]:
    """A row per product for every size, then one per size that has a cost of its own;
    ``current`` maps (nm_id, size) to the cost in effect today."""
    rows = []
    for p in products:
        rows.append(TemplateRow(p.nm_id, p.article, "", p.title, current.get((p.nm_id, ""))))
        sized = sorted(size for nm_id, size in current if nm_id == p.nm_id and size)
        rows += [TemplateRow(p.nm_id, p.article, s, p.title, current[(p.nm_id, s)]) for s in sized]
    return rows


def render_template(
    rows: Sequence[TemplateRow], headers: Mapping[str, str], sheet: str, lang: str
) -> bytes:
    cells = [
        (r.nm_id, r.article, r.size, r.title, None if r.kopecks is None else r.kopecks / 100, None)
        for r in rows
    ]
    return write_book([(sheet, COLUMNS, cells)], dict(headers), lang)


# ------------------------------------------------------------------ reading it back


class SheetError(Exception):
    """The file cannot be read as the template: ``reason`` says why (a key the handler words).

    "size": too big; "unpacked": unpacks too big; "corrupt": not an XLSX; "header": no
    template header in the first row; "rows": more rows than MAX_ROWS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SheetRow:
    number: int  # as Excel numbers it: the header is row 1
    values: dict[str, object]


def _header_key(value: object, names: Mapping[str, Iterable[str]]) -> str | None:
    text = " ".join(str(value or "").split()).casefold()
    for key, accepted in names.items():
        if text in {" ".join(n.split()).casefold() for n in accepted}:
            return key
    return None


def read_sheet(data: bytes, names: Mapping[str, Iterable[str]]) -> list[SheetRow]:
    """The rows of the first sheet under its header. ``names`` maps each column key to the
    headers that mean it (the template's in every language). Raises SheetError."""
    if len(data) > MAX_FILE_BYTES:
        raise SheetError("size")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise SheetError("corrupt") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError("unpacked")
    try:
        return _rows(data, names)
    except SheetError:
        raise
    except Exception as exc:  # openpyxl meets a broken or foreign file in many ways
        log.info("cost sheet not readable: %s", type(exc).__name__)
        raise SheetError("corrupt") from None


def _rows(data: bytes, names: Mapping[str, Iterable[str]]) -> list[SheetRow]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not wb.worksheets:
            raise SheetError("header")
        lines = wb.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
        header = next(lines, None)
        columns = {
            i: key
            for i, value in enumerate(header or ())
            if (key := _header_key(value, names)) is not None
        }
        if not all(key in columns.values() for key in REQUIRED):
            raise SheetError("header")
        rows = []
        for number, values in enumerate(lines, start=2):
            if number - 1 > MAX_ROWS:
                raise SheetError("rows")
            cells = {key: values[i] for i, key in columns.items() if i < len(values)}
            if not all(_blank(v) for v in cells.values()):
                rows.append(SheetRow(number, cells))
        return rows
    finally:
        wb.close()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ------------------------------------------------------------------ checking the rows


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row: ``kind`` is a key the handler words, ``value`` what the cell
    held (a cost out of bounds: its kopecks; a repeat: the row it repeats)."""

    row: int
    kind: str  # no_nm_id | bad_nm_id | unknown_nm_id | bad_cost | negative_cost | huge_cost
    #            | no_cost | bad_date | duplicate
    value: str = ""


@dataclass
class Checked:
    costs: list[NewCost] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    empty: int = 0  # rows of products left without a cost: not changed


def parse_kopecks(value: object) -> int | None:
    """A price as the seller writes it: a number cell, or text with a decimal comma or point,
    spaces between thousands and maybe "₽"; rounded half up to the kopeck. None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = Decimal(repr(float(value)))
    else:
        text = _SPACES.sub("", str(value)).replace("\u2212", "-")
        text = _CURRENCY.sub("", text).replace(",", ".")
        if not _NUMBER.fullmatch(text):
            return None
        number = Decimal(text)
    try:
        return int((number * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError, OverflowError):  # inf, nan
        return None


def parse_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in _DAY_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _nm_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return value if value > 0 else None
    text = _SPACES.sub("", str(value))
    return int(text) if text.isdigit() and int(text) > 0 else None


def _text(value: object) -> str:
    """A cell as text; a whole number typed as a size (42) reads "42", not "42.0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def _shown(value: object) -> str:
    return " ".join(str(value).split())[:40]


def check_rows(rows: Sequence[SheetRow], known: set[int], today: date) -> Checked:
    """Every row checked: a cost (≥ 0) for a product of the shop, once per product, size and
    day. A row with nothing in the cost is a product left as it is, unless the row says more
    (a size or a day) and so meant a cost. Without a day a cost counts from ``today``."""
    out = Checked()
    seen: dict[tuple[int, str, date], int] = {}
    for row in rows:
        cells = row.values
        raw_nm, raw_cost = cells.get("nm_id"), cells.get("cost")
        raw_day = cells.get("effective")
        if _blank(raw_cost):
            if not _blank(cells.get("size")) or not _blank(raw_day):
                out.problems.append(Problem(row.number, "no_cost"))
            else:
                out.empty += 1
            continue
        found = len(out.problems)
        nm_id = None if _blank(raw_nm) else _nm_id(raw_nm)
        if _blank(raw_nm):
            out.problems.append(Problem(row.number, "no_nm_id"))
        elif nm_id is None:
            out.problems.append(Problem(row.number, "bad_nm_id", _shown(raw_nm)))
        elif nm_id not in known:
            out.problems.append(Problem(row.number, "unknown_nm_id", str(nm_id)))
        kopecks = parse_kopecks(raw_cost)
        if kopecks is None:
            out.problems.append(Problem(row.number, "bad_cost", _shown(raw_cost)))
        elif kopecks < 0:
            out.problems.append(Problem(row.number, "negative_cost", str(kopecks)))
        elif kopecks > MAX_KOPECKS:
            out.problems.append(Problem(row.number, "huge_cost", str(kopecks)))
        day = today if _blank(raw_day) else parse_day(raw_day)
        if day is None:
            out.problems.append(Problem(row.number, "bad_date", _shown(raw_day)))
        if len(out.problems) > found or nm_id is None or kopecks is None or day is None:
            continue
        size = size_key(_text(cells.get("size")))
        first = seen.setdefault((nm_id, size, day), row.number)
        if first != row.number:
            out.problems.append(Problem(row.number, "duplicate", str(first)))
            continue
        out.costs.append(NewCost(nm_id, kopecks, day, size or None))
    return out
