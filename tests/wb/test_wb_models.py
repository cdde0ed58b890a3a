"""Parsing WB JSON into typed rows: lenient per row, strict about the page's shape."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.timeutil import msk_to_utc, utc_to_msk_str
from bot.wb.models import (
    BadPayload,
    is_pseudo_warehouse,
    parse_cards,
    parse_fbs_orders,
    parse_orders,
    parse_sales,
    parse_stock,
)

# wb-api.md §1.2: a real 2024 row (still with orderType, without warehouseType).
ORDER_ROW: dict[str, Any] = {
    "date": "2024-02-13T19:57:47",
    "lastChangeDate": "2024-02-13T23:40:11",
    "warehouseName": "Коледино",
    "countryName": "россия",
    "oblastOkrugName": "южный федеральный округ",
    "regionName": "Республика Адыгея",
    "supplierArticle": "G06293236533866",
    "nmId": 198628845,
    "barcode": "G06293236533866",
    "category": "Дом",
    "subject": "Светильники",
    "brand": "SLD-LIGHT",
    "techSize": "0",
    "incomeID": 16681062,
    "isSupply": False,
    "isRealization": True,
    "totalPrice": 3449,
    "discountPercent": 0,
    "spp": 19,
    "finishedPrice": 2793,
    "priceWithDisc": 3449,
    "isCancel": False,
    "cancelDate": "0001-01-01T00:00:00",
    "orderType": "Клиентский",
    "sticker": "16642624176",
    "gNumber": "91206723447706489510",
    "srid": "5872081921843387608.0.0",
}

# wb-api.md §1.3: the official example row.
SALE_ROW: dict[str, Any] = {
    "date": "2022-03-04T18:08:31",
    "lastChangeDate": "2022-03-06T10:11:07",
    "warehouseName": "Подольск",
    "warehouseType": "Склад продавца",
    "countryName": "Россия",
    "oblastOkrugName": "Центральный федеральный округ",
    "regionName": "Московская",
    "supplierArticle": "12345",
    "nmId": 1234567,
    "barcode": "123453559000",
    "category": "Бытовая техника",
    "subject": "Мультистайлеры",
    "brand": "Тест",
    "techSize": "0",
    "incomeID": 56735459,
    "isSupply": False,
    "isRealization": True,
    "totalPrice": 1887,
    "discountPercent": 18,
    "spp": 20,
    "paymentSaleAmount": 93,
    "forPay": 1284.01,
    "finishedPrice": 1145,
    "priceWithDisc": 1547,
    "saleID": "S9993700024",
    "sticker": "926912515",
    "gNumber": "34343462218572569531",
    "srid": "11.rf9ef11fce1684117b0nhj96222982382.3.0",
}

STOCK_ROW: dict[str, Any] = {
    "brand": "Brand",
    "subjectName": "Формы для запекания",
    "vendorCode": "ABC",
    "nmId": 183804172,
    "barcode": "2037401340280",
    "techSize": "0",
    "volume": 1.33,
    "warehouses": [
        {"warehouseName": "В пути до получателей", "quantity": 3},
        {"warehouseName": "В пути возвраты на склад WB", "quantity": 1},
        {"warehouseName": "Всего находится на складах", "quantity": 150},
        {"warehouseName": "Коледино", "quantity": 134},
        {"warehouseName": "Казань", "quantity": 16},
    ],
}

FBS_ORDER: dict[str, Any] = {
    "id": 4000000123,
    "rid": "5872081921843387608.0.0",
    "orderUid": "123_abc",
    "createdAt": "2026-08-20T09:15:03Z",
    "nmId": 198628845,
    "chrtId": 321,
    "article": "G06293236533866",
    "skus": ["2037401340280"],
    "warehouseId": 777,
    "price": 344900,
    "finalPrice": 279300,
    "convertedPrice": 344900,
    "currencyCode": 643,
}

CARD: dict[str, Any] = {
    "nmID": 159206280,
    "vendorCode": "ART-1",
    "brand": "X",
    "title": "Лампа настольная",
    "subjectName": "Светильники",
    "photos": [
        {
            "big": "https://basket-10.wbbasket.ru/vol1592/part159206/159206280/images/big/1.webp",
            "c246x328": "https://basket-10.wbbasket.ru/vol1592/part159206/159206280/images/c246x328/1.webp",
        }
    ],
    "sizes": [{"chrtID": 555, "techSize": "0", "skus": ["2037401340280"]}],
}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-13T19:57:47", utc(2024, 2, 13, 16, 57, 47)),
        ("2024-02-13", utc(2024, 2, 12, 21, 0, 0)),
        ("2024-02-13 19:57", utc(2024, 2, 13, 16, 57, 0)),
        ("2019-06-20T00:00:00.12345", utc(2019, 6, 19, 21, 0, 0, 123450)),
        ("2019-06-20T00:00:00.123456789", utc(2019, 6, 19, 21, 0, 0, 123456)),
        ("2024-08-16T11:19:05+03:00", utc(2024, 8, 16, 8, 19, 5)),
        ("2024-08-16T11:19:05Z", utc(2024, 8, 16, 11, 19, 5)),
        ("2024-08-16T11:19:05.5-0100", utc(2024, 8, 16, 12, 19, 5, 500000)),
        ("  2024-02-13T19:57:47  ", utc(2024, 2, 13, 16, 57, 47)),
    ],
)
def test_msk_to_utc(text: str, expected: datetime) -> None:
    result = msk_to_utc(text)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "2024-13-01", "2024-02-30T00:00:00", "2024-02-13T25:00:00", "0001-01-01"],
)
def test_msk_to_utc_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        msk_to_utc(text)


def test_utc_to_msk_str_writes_moscow_time_without_offset() -> None:
    assert utc_to_msk_str(utc(2024, 2, 13, 16, 57, 47)) == "2024-02-13T19:57:47"
    assert utc_to_msk_str(utc(2024, 2, 13, 16, 57, 47, 120000)) == "2024-02-13T19:57:47.120000"
    other = datetime(2024, 2, 13, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_to_msk_str(other) == "2024-02-13T20:00:00"


def test_utc_to_msk_str_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        utc_to_msk_str(datetime(2024, 1, 1))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_msk_round_trip(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    assert msk_to_utc(utc_to_msk_str(aware)) == aware


# --- orders --------------------------------------------------------------------------------------


def test_real_order_row_parses() -> None:
    parsed = parse_orders([ORDER_ROW])
    assert parsed.skipped == 0
    (order,) = parsed.rows
    assert order.srid == "5872081921843387608.0.0"
    assert order.nm_id == 198628845
    assert order.date == utc(2024, 2, 13, 16, 57, 47)
    assert order.last_change == utc(2024, 2, 13, 20, 40, 11)
    assert order.last_change_raw == "2024-02-13T23:40:11"
    assert order.supplier_article == "G06293236533866"
    assert order.total_price == 3449.0
    assert order.spp == 19.0
    assert order.finished_price == 2793.0
    assert not order.is_cancel
    assert order.cancel_date is None
    assert order.income_id == 16681062
    assert order.warehouse_type == ""
    assert order.oblast_name == "южный федеральный округ"


def test_boundary_row_keeps_fractional_cursor() -> None:
    row = dict(ORDER_ROW, lastChangeDate="2024-02-13T23:40:11.123456789")
    (order,) = parse_orders([row]).rows
    assert order.last_change_raw == "2024-02-13T23:40:11.123456789"
    assert order.last_change == utc(2024, 2, 13, 20, 40, 11, 123456)


def test_cancelled_order_has_a_cancel_date() -> None:
    row = dict(ORDER_ROW, isCancel=True, cancelDate="2024-02-14T10:00:00")
    (order,) = parse_orders([row]).rows
    assert order.is_cancel
    assert order.cancel_date == utc(2024, 2, 14, 7, 0, 0)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"srid": None}, "srid missing"),
        ({"srid": "   "}, "srid missing"),
        ({"srid": "x" * 500}, "srid too long"),
        ({"nmId": "abc"}, "nmId not a positive integer"),
        ({"nmId": True}, "nmId not a positive integer"),
        ({"nmId": 0}, "nmId not a positive integer"),
        ({"nmId": 2**70}, "nmId not a positive integer"),
        ({"date": "вчера"}, "date unparseable"),
        ({"date": None}, "date missing"),
        ({"lastChangeDate": 1700000000}, "lastChangeDate missing"),
        ({"lastChangeDate": "2024-99-99"}, "lastChangeDate unparseable"),
    ],
)
def test_bad_order_row_is_skipped_and_counted(change: dict[str, Any], reason: str) -> None:
    parsed = parse_orders([ORDER_ROW, dict(ORDER_ROW, **change), "junk", None])
    assert [o.srid for o in parsed.rows] == [ORDER_ROW["srid"]]
    assert parsed.skipped == 3
    assert parsed.reasons[reason] == 1
    assert parsed.reasons["row not an object"] == 2


def test_numbers_accept_numeric_strings_and_reject_bool_nan_inf() -> None:
    row = dict(
        ORDER_ROW,
        nmId="198628845",
        totalPrice="3449.50",
        spp=True,
        finishedPrice=math.nan,
        priceWithDisc=math.inf,
        discountPercent="12,5",
        incomeID="abc",
    )
    (order,) = parse_orders([row]).rows
    assert order.nm_id == 198628845
    assert order.total_price == 3449.5
    assert order.spp == 0.0
    assert order.finished_price == 0.0
    assert order.price_with_disc == 0.0
    assert order.discount_percent == 12.5
    assert order.income_id is None


def test_amounts_are_rounded_to_kopecks_once_where_they_enter() -> None:
    # Binary noise and a third decimal would make a burst's total differ from its lines.
    row = dict(ORDER_ROW, priceWithDisc=4419.059999999999, finishedPrice=1234.555)
    (order,) = parse_orders([row]).rows
    assert (order.price_with_disc, order.finished_price) == (4419.06, 1234.56)
    (sale,) = parse_sales([dict(SALE_ROW, forPay=1284.0149999, priceWithDisc="99.995")]).rows
    assert (sale.for_pay, sale.price_with_disc) == (1284.01, 100.0)


def test_strings_are_stripped_cleaned_and_truncated() -> None:
    row = dict(
        ORDER_ROW,
        brand="  Бренд\x00\n ",
        subject="х" * 10_000,
        supplierArticle=12345,
        regionName={"nested": True},
        category="bad\ud800surrogate",
    )
    (order,) = parse_orders([row]).rows
    assert order.brand == "Бренд"
    assert len(order.subject) == 200
    assert order.supplier_article == "12345"
    assert order.region_name == ""
    assert order.category.encode("utf-8")


@pytest.mark.parametrize("data", [None, {}, {"orders": []}, "[]", 42])
def test_non_list_orders_page_is_a_bad_payload(data: Any) -> None:
    with pytest.raises(BadPayload):
        parse_orders(data)


def test_empty_page_parses_to_nothing() -> None:
    parsed = parse_orders([])
    assert parsed.rows == [] and parsed.skipped == 0


# --- sales ---------------------------------------------------------------------------------------


def test_official_sale_row_parses() -> None:
    (sale,) = parse_sales([SALE_ROW]).rows
    assert sale.sale_id == "S9993700024"
    assert not sale.is_return
    assert sale.for_pay == 1284.01
    assert sale.payment_sale_amount == 93.0
    assert sale.srid == "11.rf9ef11fce1684117b0nhj96222982382.3.0"
    assert sale.warehouse_type == "Склад продавца"
    assert sale.last_change_raw == "2022-03-06T10:11:07"


def test_sale_id_starting_with_r_is_a_return() -> None:
    (sale,) = parse_sales([dict(SALE_ROW, saleID="R123", forPay=-1284.01)]).rows
    assert sale.is_return
    assert sale.for_pay == -1284.01


def test_sale_without_sale_id_is_skipped() -> None:
    parsed = parse_sales([dict(SALE_ROW, saleID="")])
    assert parsed.rows == [] and parsed.reasons["saleID missing"] == 1


def test_non_list_sales_page_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload):
        parse_sales({"errors": ["dateFrom: field required"]})


# --- stock ---------------------------------------------------------------------------------------


def test_stock_row_per_real_warehouse_without_pseudo_warehouses() -> None:
    parsed = parse_stock([STOCK_ROW])
    assert parsed.skipped == 0
    assert [(r.warehouse, r.quantity) for r in parsed.rows] == [("Коледино", 134), ("Казань", 16)]
    row = parsed.rows[0]
    assert (row.nm_id, row.barcode, row.tech_size, row.vendor_code) == (
        183804172,
        "2037401340280",
        "0",
        "ABC",
    )
    assert (row.brand, row.subject) == ("Brand", "Формы для запекания")


@pytest.mark.parametrize(
    "name",
    [
        "В пути до получателей",
        "В пути возвраты на склад WB",
        "Всего находится на складах",
        "в пути куда-то ещё",
    ],
)
def test_pseudo_warehouses_are_recognised(name: str) -> None:
    assert is_pseudo_warehouse(name)


def test_real_warehouses_are_not_pseudo() -> None:
    assert not is_pseudo_warehouse("Коледино")
    assert not is_pseudo_warehouse("Склад WB")


def test_bad_warehouse_entries_are_skipped_and_counted() -> None:
    row = dict(
        STOCK_ROW,
        warehouses=[
            {"warehouseName": "Коледино", "quantity": "7"},
            {"warehouseName": "", "quantity": 1},
            {"warehouseName": "Казань", "quantity": 1.5},
            "junk",
        ],
    )
    parsed = parse_stock([row, {"nmId": 1}])
    assert [(r.warehouse, r.quantity) for r in parsed.rows] == [("Коледино", 7)]
    assert parsed.skipped == 4
    assert parsed.reasons["warehouses missing"] == 1


def test_stock_accepts_a_data_wrapper_but_not_other_shapes() -> None:
    assert len(parse_stock({"data": [STOCK_ROW]}).rows) == 2
    with pytest.raises(BadPayload):
        parse_stock({"items": []})


# --- fbs orders ----------------------------------------------------------------------------------


def test_fbs_order_price_is_in_rubles_and_time_in_utc() -> None:
    (order,) = parse_fbs_orders({"orders": [FBS_ORDER]}).rows
    assert order.rid == "5872081921843387608.0.0"
    assert order.order_id == 4000000123
    assert order.created_at == utc(2026, 8, 20, 9, 15, 3)
    assert order.price == 3449.0
    assert order.nm_id == 198628845
    assert order.chrt_id == 321
    assert order.warehouse_id == 777
    assert order.article == "G06293236533866"


def test_fbs_time_without_offset_is_utc() -> None:
    (order,) = parse_fbs_orders(
        {"orders": [dict(FBS_ORDER, createdAt="2026-08-20T09:15:03")]}
    ).rows
    assert order.created_at == utc(2026, 8, 20, 9, 15, 3)


def test_fbs_price_falls_back_to_price() -> None:
    row = dict(FBS_ORDER)
    del row["convertedPrice"]
    row["price"] = 150
    (order,) = parse_fbs_orders({"orders": [row]}).rows
    assert order.price == 1.5


@pytest.mark.parametrize("data", [[FBS_ORDER], {"orders": None}, {}, None])
def test_fbs_page_without_an_orders_array_is_a_bad_payload(data: Any) -> None:
    with pytest.raises(BadPayload):
        parse_fbs_orders(data)


# --- cards ---------------------------------------------------------------------------------------


def test_card_with_photo_and_sizes() -> None:
    (card,) = parse_cards({"cards": [CARD], "cursor": {}}).rows
    assert card.nm_id == 159206280
    assert card.title == "Лампа настольная"
    assert card.photo_url is not None and "/c246x328/" in card.photo_url
    assert card.sizes[0].chrt_id == 555
    assert card.sizes[0].skus == ("2037401340280",)


def test_card_photo_falls_back_to_big_and_rejects_non_urls() -> None:
    big = CARD["photos"][0]["big"]
    (card,) = parse_cards([dict(CARD, photos=[{"big": big}])]).rows
    assert card.photo_url == big
    (card,) = parse_cards([dict(CARD, photos=[{"big": "javascript:alert(1)"}])]).rows
    assert card.photo_url is None
    (card,) = parse_cards([dict(CARD, photos=None, sizes="none")]).rows
    assert card.photo_url is None and card.sizes == ()


def test_non_list_cards_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload):
        parse_cards({"cursor": {}})


# --- hostile input -------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.builds(lambda ch, n: ch * n, st.characters(), st.integers(1000, 100_000))
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def hostile(row: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The row with any of its fields removed, nulled or replaced by anything."""
    keys = sorted(row)
    return st.fixed_dictionaries(
        {},
        optional={k: st.one_of(st.just(row[k]), JSON) for k in keys} | {"extra": JSON},
    )


def good_orders() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda n, srid, price, article: dict(
            ORDER_ROW, nmId=n, srid=srid, totalPrice=price, supplierArticle=article
        ),
        st.integers(min_value=1, max_value=2**53),
        st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and s.isprintable()),
        st.floats(min_value=0, max_value=1e9),
        st.text(max_size=300),
    )


@settings(max_examples=100)
@given(
    good=st.lists(good_orders(), max_size=5), bad=st.lists(hostile(ORDER_ROW) | JSON, max_size=8)
)
def test_hostile_order_rows_never_break_the_page(
    good: list[dict[str, Any]], bad: list[Any]
) -> None:
    parsed = parse_orders(good + bad)
    assert len(parsed.rows) + parsed.skipped == len(good) + len(bad)
    assert sum(parsed.reasons.values()) == parsed.skipped
    kept = {o.srid for o in parsed.rows}
    assert {r["srid"].strip() for r in good} <= kept
    for order in parsed.rows:
        assert order.date.tzinfo is UTC and order.last_change.tzinfo is UTC
        assert all(len(s) <= 200 for s in (order.brand, order.subject, order.supplier_article))
        assert math.isfinite(order.total_price)


@settings(max_examples=100)
@given(rows=st.lists(hostile(SALE_ROW) | JSON, max_size=8))
def test_hostile_sale_rows_never_break_the_page(rows: list[Any]) -> None:
    parsed = parse_sales([SALE_ROW, *rows])
    assert parsed.rows[0].sale_id == SALE_ROW["saleID"]
    assert len(parsed.rows) + parsed.skipped == len(rows) + 1


@settings(max_examples=100)
@given(
    rows=st.lists(hostile(STOCK_ROW) | JSON, max_size=6),
    warehouses=st.lists(
        st.fixed_dictionaries({}, optional={"warehouseName": JSON, "quantity": JSON}) | JSON,
        max_size=5,
    ),
)
def test_hostile_stock_rows_never_break_the_report(rows: list[Any], warehouses: list[Any]) -> None:
    parsed = parse_stock([STOCK_ROW, dict(STOCK_ROW, warehouses=warehouses), *rows])
    assert [(r.warehouse, r.quantity) for r in parsed.rows[:2]] == [
        ("Коледино", 134),
        ("Казань", 16),
    ]
    assert sum(parsed.reasons.values()) == parsed.skipped


@settings(max_examples=100)
@given(rows=st.lists(hostile(FBS_ORDER) | JSON, max_size=8))
def test_hostile_fbs_rows_never_break_the_page(rows: list[Any]) -> None:
    parsed = parse_fbs_orders({"orders": [FBS_ORDER, *rows]})
    assert parsed.rows[0].rid == FBS_ORDER["rid"]
    assert len(parsed.rows) + parsed.skipped == len(rows) + 1


@settings(max_examples=100)
@given(rows=st.lists(hostile(CARD) | JSON, max_size=8))
def test_hostile_cards_never_break_the_page(rows: list[Any]) -> None:
    parsed = parse_cards([CARD, *rows])
    assert parsed.rows[0].nm_id == CARD["nmID"]
    assert len(parsed.rows) + parsed.skipped == len(rows) + 1


@given(JSON)
def test_any_top_level_gives_rows_or_bad_payload(data: Any) -> None:
    for parse in (parse_orders, parse_sales, parse_stock, parse_fbs_orders, parse_cards):
        try:
            parse(data)
        except BadPayload:
            pass
