"""Orders and sales pages decoded from the body (msgspec, one row at a time): the same rows and
skips as the lenient dict parser for any input, in a fraction of the memory."""

from __future__ import annotations

import json
import tracemalloc
from datetime import timedelta
from typing import Any

import aiohttp
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.wb.models import BadPayload, decode_orders, decode_sales, parse_orders, parse_sales
from tests.fakes.tokens import make_token
from tests.fakes.wb import FakeWB
from tests.wb.test_wb_models import JSON, ORDER_ROW, SALE_ROW, good_orders, hostile


def outcome(parse: Any, data: Any) -> Any:
    try:
        parsed = parse(data)
    except BadPayload:
        return "bad payload"
    return parsed.rows, parsed.skipped, dict(parsed.reasons)


def body_of(data: Any) -> bytes:
    # json writes NaN and Infinity as WB's own serializer might: msgspec refuses those pages
    # and json reads them, so that path is covered too.
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


@settings(max_examples=150)
@given(
    good=st.lists(good_orders(), max_size=4), bad=st.lists(hostile(ORDER_ROW) | JSON, max_size=6)
)
def test_an_orders_page_decodes_as_the_dict_parser_reads_it(
    good: list[dict[str, Any]], bad: list[Any]
) -> None:
    page = good + bad
    try:
        body = body_of(page)
    except UnicodeEncodeError:
        return
    assert outcome(decode_orders, body) == outcome(parse_orders, json.loads(body))


@settings(max_examples=100)
@given(rows=st.lists(hostile(SALE_ROW) | JSON, max_size=6))
def test_a_sales_page_decodes_as_the_dict_parser_reads_it(rows: list[Any]) -> None:
    body = json.dumps([SALE_ROW, *rows]).encode()
    assert outcome(decode_sales, body) == outcome(parse_sales, json.loads(body))


@given(JSON)
def test_any_top_level_decodes_to_rows_or_bad_payload(data: Any) -> None:
    body = json.dumps(data).encode()
    assert outcome(decode_orders, body) == outcome(parse_orders, json.loads(body))


def test_a_row_msgspec_refuses_costs_nothing_more_than_before() -> None:
    """A number beyond a double (msgspec refuses it; json reads it as infinity) in one row:
    that row still parses, its amount zero as before, and the other rows are untouched."""
    body = json.dumps([ORDER_ROW, dict(ORDER_ROW, srid="b")]).encode()
    body = body.replace(b'"totalPrice": 3449', b'"totalPrice": 1e400', 1)
    parsed = decode_orders(body)
    assert [(o.srid, o.total_price) for o in parsed.rows] == [
        (ORDER_ROW["srid"], 0.0),
        ("b", 3449.0),
    ]
    assert parsed.skipped == 0


async def test_a_full_page_parses_in_less_memory_than_its_body() -> None:
    """A 20,000-row page as WB sends it: decoding and parsing it allocates less than the body's
    own size at the peak (a dict per row, as json gave, took about three times the body)."""
    rows = 20_000
    async with (
        FakeWB(rate_scale=0.001, page_cap=rows, page_cap_spread=0) as wb,
        aiohttp.ClientSession() as http,
    ):
        token = make_token(acc=3, categories=("statistics",))
        sid = wb.add_seller(token)
        wb.bulk_add_orders(sid, rows, step=timedelta(seconds=1))
        url = wb.url_template.format(host="statistics-api") + "/api/v1/supplier/orders"
        headers = {"Authorization": token}
        async with http.get(url, params={"dateFrom": "2019-01-01"}, headers=headers) as resp:
            body = await resp.read()
    tracemalloc.start()
    try:
        parsed = decode_orders(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.rows) == rows and parsed.skipped == 0
    assert peak < len(body), f"peak {peak / 1e6:.0f} MB for a {len(body) / 1e6:.0f} MB page"
