"""Typed rows parsed leniently from WB JSON: a bad row is skipped and counted, never fatal.

WB's statistics and analytics times are Moscow time (UTC+3, no DST) written without an offset
(bot.timeutil reads them); every datetime leaving this module is UTC-aware. Strings are
stripped, cleaned of control characters and truncated; numbers accept ints, floats and numeric
strings but never booleans, NaN or infinities.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from bot.formats import kopecks
from bot.rows import NewCard, NewFbsOrder, NewFeedOrder, NewOrder, NewSale, NewStock
from bot.timeutil import msk_to_utc, parse_utc

T = TypeVar("T")

#: WB writes "not cancelled" as this date; any date before 2000 is treated as "no date".
_NO_DATE_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)

MAX_TEXT = 200
MAX_KEY = 200  # an identifier longer than this is refused, not truncated: it is a key
_MAX_NUMBER_TEXT = 40
_MAX_MONEY = 1e15
_INT_RANGE = range(-(2**63), 2**63)  # what SQLite's INTEGER holds
_MAX_SIZES = 500
_MAX_SKUS = 100
_MAX_URL = 1000

_INT_TEXT = re.compile(r"[+-]?\d{1,19}")

#: Rows of the warehouse_remains report that are sums or goods in transit, not a warehouse.
_PSEUDO_WAREHOUSE_PREFIXES = ("в пути", "всего", "in transit", "total")


class _Row(Protocol):
    """A row as WB sent it: a dict from ``json``, or one of the Structs below."""

    def get(self, key: str, /) -> Any: ...


class BadPayload(ValueError):
    """The response as a whole does not have the expected shape (not a single bad row)."""


class _Skip(Exception):
    """This row is unusable; the reason is counted."""


@dataclass
class Parsed(Generic[T]):
    """Rows that parsed, and how many (and why) did not."""

    rows: list[T] = field(default_factory=list)
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] += 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Order(NewOrder):
    """A row of statistics-api /api/v1/supplier/orders: one unit of one order."""

    income_id: int | None
    sticker: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Sale(NewSale):
    """A row of statistics-api /api/v1/supplier/sales: one sale (saleID S…) or return (R…)."""

    payment_sale_amount: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FbsOrder(NewFbsOrder):
    """A new FBS assembly task (marketplace-api /api/v3/orders/new); ``rid`` equals ``srid``;
    ``price`` in rubles (WB sends kopecks)."""

    order_id: int | None
    chrt_id: int | None
    warehouse_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedOrder(NewFeedOrder):
    """An order of the real-time order feed (seller-analytics-api /api/analytics/v1/order-feed):
    every placed order, those with unconfirmed payment too, which supplier/orders may omit."""

    chrt_id: int | None
    is_b2b: bool


@dataclass(frozen=True, slots=True)
class CardSize:
    chrt_id: int | None
    tech_size: str
    skus: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Card(NewCard):
    """A product card (content-api /content/v2/get/cards/list)."""

    sizes: tuple[CardSize, ...]


@dataclass(frozen=True, slots=True)
class Commission:
    """WB's commission for one subject (tariffs/commission `report` row), in basis points of
    the sale price: `fbw` from WB's warehouse (`paidStorageKgvp`), `fbs` from the seller's
    (`kgvpMarketplace`)."""

    subject: str
    subject_id: int
    fbw_bp: int
    fbs_bp: int


#: A page repeats its times (WB stamps rows in batches; "0001-01-01" for every order not
#: cancelled): each distinct text is parsed once, and the rows share the datetime.
_msk_time = lru_cache(maxsize=4096)(msk_to_utc)


# --- field readers ---------------------------------------------------------------------------


def _clean(text: str, limit: int) -> str:
    text = text.strip()[:limit]
    if not text.isprintable():
        # Control characters, lone surrogates and the like break Telegram and UTF-8 encoding.
        text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text


def _text(row: _Row, key: str, limit: int = MAX_TEXT) -> str:
    value = row.get(key)
    if isinstance(value, str):
        return _clean(value, limit)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _number(value)
        if number is not None:
            return str(value)[:limit]
    return ""


def _label(row: _Row, key: str) -> str:
    """A text that repeats from row to row (article, size, warehouse, region...): one string
    object per distinct value, so 80,000 rows of a page hold a few hundred of them, not
    80,000 copies (sys.intern: mortal, freed with the last row that holds it)."""
    return sys.intern(_text(row, key))


def _required_key(row: _Row, key: str) -> str:
    value = row.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value in _INT_RANGE:
        return str(value)
    if not isinstance(value, str):
        raise _Skip(f"{key} missing")
    text = _clean(value, MAX_KEY + 1)
    if not text:
        raise _Skip(f"{key} missing")
    if len(text) > MAX_KEY:
        raise _Skip(f"{key} too long")
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not -_MAX_MONEY <= value <= _MAX_MONEY:
            return None
        number = float(value)
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text or len(text) > _MAX_NUMBER_TEXT:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number) or abs(number) > _MAX_MONEY:
        return None
    return number


def _money(row: _Row, key: str) -> float:
    """An amount rounded to whole kopecks here, once: every sum the bot shows is then a sum of
    the amounts as shown (WB's 1234.555 or 4419.059999999999 would make a total differ from
    the sum of its lines by a kopeck)."""
    number = _number(row.get(key))
    return 0.0 if number is None else _rounded(number)


@lru_cache(maxsize=4096)  # a page repeats its prices: one float object per distinct amount
def _rounded(number: float) -> float:
    return kopecks(number) / 100


def _integer(value: Any) -> int | None:
    number: int
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _INT_TEXT.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if number in _INT_RANGE else None


def _nm_id(row: _Row, key: str) -> int:
    number = _integer(row.get(key))
    if number is None or number <= 0:
        raise _Skip(f"{key} not a positive integer")
    return number


def _optional_id(row: _Row, key: str) -> int | None:
    return _integer(row.get(key))


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return False


def _time(row: _Row, key: str, parse: Callable[[str], datetime]) -> datetime:
    value = row.get(key)
    if not isinstance(value, str):
        raise _Skip(f"{key} missing")
    try:
        return parse(value)
    except ValueError:
        raise _Skip(f"{key} unparseable") from None


def _cursor(row: _Row) -> tuple[str, datetime]:
    """lastChangeDate verbatim (the next dateFrom, fractional seconds and all) and as UTC."""
    raw = row.get("lastChangeDate")
    if not isinstance(raw, str):
        raise _Skip("lastChangeDate missing")
    try:
        return raw.strip(), _msk_time(raw)
    except ValueError:
        raise _Skip("lastChangeDate unparseable") from None


def _optional_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = _msk_time(value)
    except ValueError:
        return None
    return None if moment < _NO_DATE_BEFORE else moment


# --- rows ------------------------------------------------------------------------------------


#: What orders and sales rows share: texts that repeat (attribute, WB's key), and amounts.
_LABELS = (
    ("supplier_article", "supplierArticle"),
    ("barcode", "barcode"),
    ("tech_size", "techSize"),
    ("subject", "subject"),
    ("brand", "brand"),
    ("category", "category"),
    ("warehouse_name", "warehouseName"),
    ("warehouse_type", "warehouseType"),
    ("region_name", "regionName"),
    ("oblast_name", "oblastOkrugName"),
    ("country_name", "countryName"),
)
_AMOUNTS = (
    ("total_price", "totalPrice"),
    ("discount_percent", "discountPercent"),
    ("spp", "spp"),
    ("finished_price", "finishedPrice"),
    ("price_with_disc", "priceWithDisc"),
)


def _shared(row: _Row) -> dict[str, Any]:
    """The fields of `bot.rows.Statistics` but ``srid`` (an order needs one, a sale may
    lack it)."""
    date = _time(row, "date", _msk_time)
    last_change_raw, last_change = _cursor(row)
    fields: dict[str, Any] = {
        "date": date,
        "last_change_raw": last_change_raw,
        "last_change": last_change,
        "nm_id": _nm_id(row, "nmId"),
    }
    fields.update((name, _label(row, key)) for name, key in _LABELS)
    fields.update((name, _money(row, key)) for name, key in _AMOUNTS)
    fields["g_number"] = _text(row, "gNumber")
    return fields


def _order(row: _Row) -> Order:
    return Order(
        srid=_required_key(row, "srid"),
        **_shared(row),
        is_cancel=_flag(row.get("isCancel")),
        cancel_date=_optional_time(row.get("cancelDate")),
        income_id=_optional_id(row, "incomeID"),
        sticker=_text(row, "sticker"),
    )


def _sale(row: _Row) -> Sale:
    sale_id = _required_key(row, "saleID")
    return Sale(
        sale_id=sale_id,
        srid=_text(row, "srid", MAX_KEY),
        **_shared(row),
        for_pay=_money(row, "forPay"),
        payment_sale_amount=_money(row, "paymentSaleAmount"),
        is_return=sale_id[:1].upper() == "R",
    )


def is_pseudo_warehouse(name: str) -> bool:
    """True for the report's "in transit" and "total" rows, which are not a warehouse."""
    return name.casefold().startswith(_PSEUDO_WAREHOUSE_PREFIXES)


def _fbs_order(row: _Row) -> FbsOrder:
    rid = _required_key(row, "rid")
    created_at = _time(row, "createdAt", parse_utc)
    price = _number(row.get("convertedPrice"))
    if price is None:
        price = _money(row, "price")
    return FbsOrder(
        rid=rid,
        order_id=_optional_id(row, "id"),
        created_at=created_at,
        nm_id=_nm_id(row, "nmId"),
        chrt_id=_optional_id(row, "chrtId"),
        article=_text(row, "article"),
        price=price / 100,
        warehouse_id=_optional_id(row, "warehouseId"),
    )


def _feed_order(row: _Row) -> FeedOrder:
    created = _time(row, "createdAt", parse_utc)
    updated = _time(row, "updatedAt", parse_utc) if row.get("updatedAt") else created
    return FeedOrder(
        srid=_required_key(row, "srid"),
        nm_id=_nm_id(row, "nmId"),
        chrt_id=_optional_id(row, "chrtId"),
        created_at=created,
        updated_at=updated,
        status=_text(row, "status", 32) or "created",
        warehouse_name=_label(row, "warehouseName"),
        is_mp=row.get("isMp") is True,
        city=_text(row, "destinationCity"),
        district=_text(row, "destinationDistrict"),
        seller_price=max(0.0, _money(row, "sellerPrice")),
        is_b2b=row.get("isB2b") is True,
    )


def _card(row: _Row) -> Card:
    return Card(
        nm_id=_nm_id(row, "nmID"),
        title=_text(row, "title"),
        vendor_code=_text(row, "vendorCode"),
        brand=_label(row, "brand"),
        subject=_text(row, "subjectName"),
        photo_url=_photo_url(row.get("photos")),
        sizes=_card_sizes(row.get("sizes")),
    )


def _percent_bp(row: _Row, key: str) -> int:
    """A percent (15.5, "15,5") as basis points (1550); 0..100 or the row is skipped."""
    number = _number(row.get(key))
    if number is None or not 0 <= number <= 100:
        raise _Skip(f"{key} not a percent")
    return round(number * 100)


def _commission(row: _Row) -> Commission:
    subject = _text(row, "subjectName")
    if not subject:
        raise _Skip("subjectName missing")
    return Commission(
        subject=subject,
        subject_id=_nm_id(row, "subjectID"),
        fbw_bp=_percent_bp(row, "paidStorageKgvp"),
        fbs_bp=_percent_bp(row, "kgvpMarketplace"),
    )


def parse_commission(data: Any) -> Parsed[Commission]:
    """tariffs/commission rows: the `report` array (or the body holding it)."""
    if isinstance(data, dict) and isinstance(data.get("report"), list):
        data = data["report"]
    return _parse_rows(_expect_list(data, "commission"), _commission)


def _photo_url(photos: Any) -> str | None:
    if not isinstance(photos, list):
        return None
    for photo in photos[:50]:
        if not isinstance(photo, dict):
            continue
        for key in ("c246x328", "big"):
            url = photo.get(key)
            if isinstance(url, str):
                url = url.strip()
                if url.startswith(("https://", "http://")) and len(url) <= _MAX_URL:
                    if url.isprintable() and " " not in url:
                        return url
    return None


def _card_sizes(sizes: Any) -> tuple[CardSize, ...]:
    if not isinstance(sizes, list):
        return ()
    result: list[CardSize] = []
    for size in sizes[:_MAX_SIZES]:
        if not isinstance(size, dict):
            continue
        skus = size.get("skus")
        sku_list = skus[:_MAX_SKUS] if isinstance(skus, list) else []
        result.append(
            CardSize(
                chrt_id=_optional_id(size, "chrtID"),
                tech_size=_text(size, "techSize"),
                skus=tuple(
                    text
                    for text in (_clean(s, MAX_TEXT) for s in sku_list if isinstance(s, str))
                    if text
                ),
            )
        )
    return tuple(result)


# --- parsers ---------------------------------------------------------------------------------


class _StatisticsRow(msgspec.Struct, gc=False):
    """A supplier/orders or supplier/sales row as WB sent it, decoded by msgspec: the fields the
    bot reads under WB's own names (12-reports.yaml), each as sent (``Any``: the lenient readers
    above judge it, so an odd value costs that row, never the page); other fields are skipped
    unread. Far smaller than a dict (no keys, no hash table) and never tracked by the GC."""

    srid: Any = None
    date: Any = None
    lastChangeDate: Any = None  # WB's names, as in the JSON
    nmId: Any = None
    supplierArticle: Any = None
    barcode: Any = None
    techSize: Any = None
    subject: Any = None
    brand: Any = None
    category: Any = None
    warehouseName: Any = None
    warehouseType: Any = None
    regionName: Any = None
    oblastOkrugName: Any = None
    countryName: Any = None
    totalPrice: Any = None
    discountPercent: Any = None
    spp: Any = None
    finishedPrice: Any = None
    priceWithDisc: Any = None
    gNumber: Any = None

    def get(self, key: str, /) -> Any:
        return getattr(self, key, None)


class _OrderRow(_StatisticsRow, gc=False):
    isCancel: Any = None
    cancelDate: Any = None
    incomeID: Any = None
    sticker: Any = None


class _SaleRow(_StatisticsRow, gc=False):
    saleID: Any = None
    forPay: Any = None
    paymentSaleAmount: Any = None


#: A page as one small Raw per row (each a view into the body): rows are then decoded one at a
#: time, so the whole page never exists as Python objects beside its body.
_PAGE = msgspec.json.Decoder(list[msgspec.Raw])
#: A row: the Struct, or whatever else a row may be (a string, a number...: counted, skipped).
_ROW = str | int | float | bool | None | list[Any]
_ORDER_ROW = msgspec.json.Decoder(_OrderRow | _ROW)
_SALE_ROW = msgspec.json.Decoder(_SaleRow | _ROW)


def _decode_page(
    body: bytes | bytearray,
    row_decoder: msgspec.json.Decoder[Any],
    parse_row: Callable[[_Row], T],
    what: str,
) -> Parsed[T]:
    """A supplier/orders or supplier/sales page from its JSON body. ``json`` takes what msgspec
    refuses (NaN, a number beyond a double): the rows it gives are judged the same way.
    Raises ``ValueError`` (or ``RecursionError``) when the body is not JSON at all, and
    :class:`BadPayload` when it is not an array."""
    try:
        items = _PAGE.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return _parse_rows(_expect_list(json.loads(body), what), parse_row)
    parsed: Parsed[T] = Parsed()
    for raw in items:
        try:
            row = row_decoder.decode(raw)
        except (msgspec.MsgspecError, RecursionError):
            row = json.loads(bytes(raw))
        _parse_row(parsed, row, parse_row)
    return parsed


def decode_orders(body: bytes | bytearray) -> Parsed[Order]:
    """An orders page straight from the response body (see :func:`_decode_page`)."""
    return _decode_page(body, _ORDER_ROW, _order, "orders")


def decode_sales(body: bytes | bytearray) -> Parsed[Sale]:
    return _decode_page(body, _SALE_ROW, _sale, "sales")


def _parse_rows(items: list[Any], parse_row: Callable[[Any], T]) -> Parsed[T]:
    parsed: Parsed[T] = Parsed()
    for item in items:
        _parse_row(parsed, item, parse_row)
    return parsed


def _parse_row(parsed: Parsed[T], item: Any, parse_row: Callable[[Any], T]) -> None:
    if not isinstance(item, dict | _StatisticsRow):
        parsed.skip("row not an object")
        return
    try:
        parsed.rows.append(parse_row(item))
    except _Skip as skip:
        parsed.skip(str(skip))
    except Exception as exc:  # a parser bug must cost one row, not the page; it is counted
        parsed.skip(f"unexpected {type(exc).__name__}")


def _expect_list(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise BadPayload(f"{what}: expected a JSON array, got {type(data).__name__}")
    return data


def parse_orders(data: Any) -> Parsed[Order]:
    return _parse_rows(_expect_list(data, "orders"), _order)


def parse_sales(data: Any) -> Parsed[Sale]:
    return _parse_rows(_expect_list(data, "sales"), _sale)


def parse_stock(data: Any) -> Parsed[NewStock]:
    """The warehouse_remains download: one product-size row with a list of warehouses becomes one
    NewStock per real warehouse; "in transit" and "total" entries are dropped (not skipped)."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    parsed: Parsed[NewStock] = Parsed()
    for item in _expect_list(data, "stock"):
        if not isinstance(item, dict):
            parsed.skip("row not an object")
            continue
        try:
            _stock_rows(item, parsed)
        except _Skip as skip:
            parsed.skip(str(skip))
        except Exception as exc:  # as in _parse_rows
            parsed.skip(f"unexpected {type(exc).__name__}")
    return parsed


def _stock_rows(row: _Row, parsed: Parsed[NewStock]) -> None:
    nm_id = _nm_id(row, "nmId")
    warehouses = row.get("warehouses")
    if not isinstance(warehouses, list):
        raise _Skip("warehouses missing")
    # The product's part of a stock row is the same at every warehouse.
    product = partial(
        NewStock,
        nm_id=nm_id,
        barcode=_text(row, "barcode"),
        tech_size=_text(row, "techSize"),
        vendor_code=_text(row, "vendorCode"),
        brand=_text(row, "brand"),
        subject=_text(row, "subjectName"),
    )
    for entry in warehouses:
        if not isinstance(entry, dict):
            parsed.skip("warehouse entry not an object")
            continue
        name = _text(entry, "warehouseName")
        if not name:
            parsed.skip("warehouseName missing")
            continue
        if is_pseudo_warehouse(name):
            continue
        quantity = _integer(entry.get("quantity"))
        if quantity is None:
            parsed.skip("quantity not an integer")
            continue
        parsed.rows.append(product(warehouse=name, quantity=quantity))


def parse_fbs_orders(data: Any) -> Parsed[FbsOrder]:
    """The /api/v3/orders/new body, ``{"orders": [...]}``."""
    if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
        raise BadPayload("fbs orders: expected an object with an orders array")
    return _parse_rows(data["orders"], _fbs_order)


def parse_feed_orders(data: Any) -> Parsed[FeedOrder]:
    """The ``orders`` of an order-feed answer (its ``data`` object)."""
    if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
        raise BadPayload("order feed: expected an object with an orders array")
    return _parse_rows(data["orders"], _feed_order)


def parse_cards(data: Any) -> Parsed[Card]:
    """Cards from a cards/list page: the body (``{"cards": [...]}``) or its card list."""
    if isinstance(data, dict) and isinstance(data.get("cards"), list):
        data = data["cards"]
    return _parse_rows(_expect_list(data, "cards"), _card)
