"""Specification tests for the fake WB server: it must fail the bot the way WB would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from tests.fakes.tokens import (
    ACC_BASE,
    ACC_PERSONAL,
    ACC_SERVICE,
    ACC_TEST,
    CATEGORY_BITS,
    OLD_STYLE_KEY,
    READ_ONLY_BIT,
    categories_of,
    decode_claims,
    make_token,
)
from tests.fakes.wb import (
    IN_WAY_TO_CLIENT,
    MSK,
    NOT_CANCELLED,
    SPEC_REMAINS_ROW,
    TOTAL_ON_WAREHOUSES,
    FakeWB,
)

ALL = ("statistics", "analytics", "marketplace", "content")
ORDER_FIELDS = [
    "date", "lastChangeDate", "warehouseName", "warehouseType", "countryName", "oblastOkrugName",
    "regionName", "supplierArticle", "nmId", "barcode", "category", "subject", "brand", "techSize",
    "incomeID", "isSupply", "isRealization", "totalPrice", "discountPercent", "spp",
    "finishedPrice", "priceWithDisc", "isCancel", "cancelDate", "sticker", "gNumber", "srid",
]  # fmt: skip


@pytest.fixture
async def wb() -> AsyncIterator[FakeWB]:
    async with FakeWB(rate_scale=0.001, stock_task_delay=100) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    """Tiny client used only to keep the tests short."""

    def __init__(self, wb: FakeWB, http: aiohttp.ClientSession, token: str) -> None:
        self.wb, self.http, self.token = wb, http, token

    async def call(
        self, method: str, host: str, path: str, **kw: Any
    ) -> tuple[int, Any, CIMultiDict[str]]:
        headers = {"Authorization": self.token} if self.token is not None else {}
        url = self.wb.base_url(host) + path
        async with self.http.request(method, url, headers=headers, **kw) as resp:
            raw = await resp.read()
            try:
                body: Any = await resp.json(content_type=None)
            except ValueError:
                body = raw
            return resp.status, body, CIMultiDict(resp.headers)

    async def orders(self, date_from: str, flag: int = 0) -> tuple[int, Any, CIMultiDict[str]]:
        params = {"dateFrom": date_from, "flag": str(flag)}
        return await self.call("GET", "statistics-api", "/api/v1/supplier/orders", params=params)


@asynccontextmanager
async def seller_of(
    http: aiohttp.ClientSession, **options: Any
) -> AsyncIterator[tuple[FakeWB, Api, str]]:
    """A fake WB with `options`, a client with a Personal token, and the seller's sid."""
    async with FakeWB(rate_scale=0.0001, **options) as wb:
        client = api(wb, http)
        yield wb, client, decode_claims(client.token)["sid"]


def api(wb: FakeWB, http: aiohttp.ClientSession, **token_kw: Any) -> Api:
    token_kw.setdefault("acc", ACC_PERSONAL)
    token_kw.setdefault("categories", ALL)
    return Api(wb, http, make_token(**token_kw))


# -- tokens -------------------------------------------------------------------------------------


def test_minted_token_carries_wb_claims_and_scope_bits() -> None:
    token = make_token(acc=ACC_SERVICE, categories=("statistics", "content"), sid="s-1")
    assert token.startswith("eyJ") and token.count(".") == 2
    claims = decode_claims(token)
    assert claims["acc"] == 4 and claims["for"].startswith("asid:") and claims["t"] is False
    assert claims["sid"] == "s-1" and claims["ent"] == 1
    assert claims["s"] == (1 << 5) | (1 << 1) | (1 << READ_ONLY_BIT)
    assert categories_of(claims["s"]) == {"statistics", "content"}
    assert claims["exp"] - time.time() == pytest.approx(180 * 86400, abs=5)
    assert "for" not in decode_claims(make_token(acc=ACC_BASE))
    assert decode_claims(make_token(acc=ACC_PERSONAL))["for"] == "self"
    assert decode_claims(make_token(acc=ACC_TEST))["t"] is True
    rw = decode_claims(make_token(read_only=False, categories=("finance",)))["s"]
    assert rw == 1 << CATEGORY_BITS["finance"]


def test_old_style_key_is_not_a_jwt() -> None:
    assert "." not in OLD_STYLE_KEY
    with pytest.raises(ValueError):
        decode_claims(OLD_STYLE_KEY)


# -- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        ("garbage", "token problem; token is malformed: token contains an invalid number"),
        (OLD_STYLE_KEY, "token problem; token is malformed"),
        ("eyJhbGci.eyJz!.sig", "token problem; token is malformed: could not base64 decode"),
    ],
)
async def test_malformed_tokens_get_wb_401(
    wb: FakeWB, http: aiohttp.ClientSession, token: str, detail: str
) -> None:
    status, body, headers = await Api(wb, http, token).orders("2026-01-01")
    assert status == 401
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["title"] == "unauthorized" and body["detail"].startswith(detail)
    assert body["origin"] == "s2s-api-auth-catalog" and body["statusText"] == "Unauthorized"
    assert wb.requests[-1].sid is None and wb.requests[-1].status == 401


async def test_expired_token_gets_token_expired(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http, exp=datetime.now() - timedelta(seconds=1))
    status, body, _ = await client.orders("2026-01-01")
    assert (status, body["detail"]) == (401, "token expired")


async def test_missing_category_gets_scope_not_allowed(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http, categories=("content",))
    status, body, _ = await client.orders("2026-01-01")
    assert (status, body["detail"]) == (401, "token scope not allowed")
    status, _, _ = await client.call("GET", "content-api", "/ping")
    assert status == 200


async def test_revoked_and_test_tokens_are_rejected(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http)
    assert (await client.orders("2026-01-01"))[0] == 200
    wb.revoke(client.token)
    status, body, _ = await client.orders("2026-01-01")
    assert (status, body["detail"]) == (401, "token withdrawn")
    status, _, _ = await api(wb, http, acc=ACC_TEST).orders("2026-01-01")
    assert status == 401
    status, _, _ = await Api(wb, http, "Bearer " + make_token(acc=ACC_PERSONAL)).orders(
        "2026-01-01"
    )
    assert status == 200


async def test_ping_and_seller_info(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http, acc=ACC_BASE)
    sid = wb.add_seller(client.token, name="ИП Петров", trade_mark="Petrov")
    status, body, _ = await client.call("GET", "statistics-api", "/ping")
    assert status == 200 and body["Status"] == "OK" and body["TS"].endswith("+03:00")
    status, body, _ = await client.call("GET", "common-api", "/api/v1/seller-info")
    assert body == {"name": "ИП Петров", "sid": sid, "tradeMark": "Petrov"}
    status, _, headers = await client.call("GET", "common-api", "/api/v1/seller-info")
    assert status == 429 and headers["X-Ratelimit-Limit"] == "1"  # Base: 1 per 24 h


async def test_unknown_and_removed_routes_are_404(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    for path in ("/api/v1/supplier/incomes", "/api/v1/supplier/stocks"):
        status, _, _ = await client.call("GET", "statistics-api", path, params={"dateFrom": "x"})
        assert status == 404


# -- statistics ---------------------------------------------------------------------------------


async def sync_orders(client: Api, cursor: str, page_cap: int) -> tuple[list[int], list[str]]:
    """An incremental loop stopping on ``[]`` or on a short page (only right with a fixed cap)."""
    pages: list[int] = []
    seen: list[str] = []
    while True:
        await asyncio.sleep(0.01)  # Personal orders: 1 per 6 ms at rate_scale 0.0001
        status, rows, headers = await client.orders(cursor)
        assert status == 200 and "X-Ratelimit-Remaining" in headers
        pages.append(len(rows))
        seen += [r["srid"] for r in rows]
        if len(rows) < page_cap:
            return pages, seen
        cursor = rows[-1]["lastChangeDate"]


@pytest.mark.parametrize("repeat_last_row", [True, False])
async def test_orders_paging_repeats_boundary_row(
    http: aiohttp.ClientSession, repeat_last_row: bool
) -> None:
    async with FakeWB(rate_scale=0.0001, page_cap=3, repeat_last_row=repeat_last_row) as wb:
        client = api(wb, http)
        sid = decode_claims(client.token)["sid"]
        start = datetime(2026, 11, 1, 10, 0)
        srids = wb.bulk_add_orders(sid, 7, start=start, step=timedelta(hours=1))
        pages, seen = await sync_orders(client, "2026-10-01", page_cap=3)
        # rows 0-2, 2-4, 4-6, then the newest row again, or [] (the docs' "stop when []")
        tail = (6,) if repeat_last_row else ()
        assert pages == [3, 3, 3, len(tail)]
        assert seen == [srids[i] for i in (0, 1, 2, 2, 3, 4, 4, 5, 6, *tail)]
        _, rows, _ = await client.orders("2026-11-01T16:00:00")  # the newest row's own time
        assert [r["srid"] for r in rows] == ([srids[6]] if repeat_last_row else [])
        _, rows, _ = await client.orders("2026-11-01T16:00:00.001")
        assert rows == []
        assert wb.total_violations() == 0


async def test_date_from_with_milliseconds_is_compared_to_the_millisecond(
    http: aiohttp.ClientSession,
) -> None:
    # 12-reports.yaml, getV1SupplierOrders, dateFrom: "Время можно указывать с точностью до
    # секунд или миллисекунд", e.g. `2019-06-20T00:00:00.12345`; rows with lastChangeDate >= it.
    async with FakeWB(rate_scale=0.0001) as wb:
        client = api(wb, http)
        sid = decode_claims(client.token)["sid"]
        second = datetime(2026, 11, 1, 10, 0, 0)
        at, within, next_second = (
            wb.add_order(sid, lastChangeDate=second + timedelta(milliseconds=ms))["srid"]
            for ms in (0, 250, 1000)
        )
        answers = {}
        for date_from in ("2026-11-01T10:00:00", "2026-11-01T10:00:00.001",
                          "2026-11-01T10:00:00.250", "2026-11-01T10:00:00.251"):  # fmt: skip
            await asyncio.sleep(0.01)
            status, rows, _ = await client.orders(date_from)
            assert status == 200
            answers[date_from] = [r["srid"] for r in rows]
        assert answers == {
            "2026-11-01T10:00:00": [at, within, next_second],
            "2026-11-01T10:00:00.001": [within, next_second],
            "2026-11-01T10:00:00.250": [within, next_second],
            "2026-11-01T10:00:00.251": [next_second],
        }
        assert wb.total_violations() == 0


async def test_the_page_cap_is_approximate_and_only_an_empty_page_ends_the_load(
    http: aiohttp.ClientSession,
) -> None:
    # 12-reports.yaml, flag: "условное ограничение 80000 строк"; "...пустой массив [], все
    # заказы уже выгружены". Pages are cut short at random, so a short page is not the last.
    async with FakeWB(
        rate_scale=0.0001, page_cap=10, page_cap_spread=6, repeat_last_row=False
    ) as wb:
        client = api(wb, http)
        sid = decode_claims(client.token)["sid"]
        start = datetime(2026, 11, 1)
        srids = wb.bulk_add_orders(sid, 100, start=start, step=timedelta(minutes=1))
        cursor, seen, sizes = "2026-10-01", set(), []
        while True:
            await asyncio.sleep(0.01)
            status, rows, _ = await client.orders(cursor)
            assert status == 200
            if not rows:
                break
            sizes.append(len(rows))
            seen |= {r["srid"] for r in rows}
            cursor = rows[-1]["lastChangeDate"]
        assert seen == set(srids)
        assert all(4 <= n <= 10 for n in sizes[:-1]) and sizes[-1] <= 10
        assert len(set(sizes[:-1])) > 1, "every page was cut at the same row count"
    with pytest.raises(ValueError):
        FakeWB(page_cap=10, page_cap_spread=10)
    assert FakeWB().page_cap_spread == 8_000  # about 80,000: 72,000 to 80,000 rows


async def test_order_row_shape_and_msk_times(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    row = wb.add_order(sid)
    _, rows, _ = await client.orders("2026-01-01T00:00:00.12345")
    assert rows == [row] and list(row) == ORDER_FIELDS
    assert row["cancelDate"] == NOT_CANCELLED and not row["isCancel"]
    assert len(row["lastChangeDate"]) == 19 and "+" not in row["date"]
    msk_now = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=3)
    assert abs(datetime.fromisoformat(row["date"]) - msk_now) < timedelta(seconds=5)
    status, body, _ = await client.call("GET", "statistics-api", "/api/v1/supplier/orders")
    assert (status, body) == (400, {"errors": ["dateFrom: field required"]})


async def test_flag_1_returns_the_whole_calendar_day(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    day = datetime(2026, 11, 20)
    inside = [wb.add_order(sid, date=day + timedelta(hours=h))["srid"] for h in (0, 12, 23)]
    wb.add_order(sid, date=day - timedelta(seconds=1))
    wb.add_order(sid, date=day + timedelta(days=1))
    _, rows, _ = await client.orders("2026-11-20T17:45:00", flag=1)
    assert sorted(r["srid"] for r in rows) == sorted(inside)


async def test_cancellation_moves_row_past_cursor(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    row = wb.add_order(sid, lastChangeDate=datetime(2026, 11, 1, 9, 0))
    later = wb.add_order(sid, lastChangeDate=datetime(2026, 11, 1, 10, 0))
    wb.cancel_order(sid, row["srid"])
    await asyncio.sleep(0.07)
    _, rows, _ = await client.orders(later["lastChangeDate"])
    assert [r["srid"] for r in rows] == [later["srid"], row["srid"]]
    assert rows[1]["isCancel"] is True and rows[1]["cancelDate"] != NOT_CANCELLED


async def test_sales_and_returns(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    order = wb.add_order(sid)
    sale = wb.add_sale(sid, order["srid"])
    ret = wb.add_sale(sid, order["srid"], is_return=True)
    status, rows, _ = await client.call(
        "GET", "statistics-api", "/api/v1/supplier/sales", params={"dateFrom": "2026-01-01"}
    )
    assert status == 200 and [r["saleID"] for r in rows] == [sale["saleID"], ret["saleID"]]
    assert sale["saleID"].startswith("S") and ret["saleID"].startswith("R")
    assert sale["srid"] == ret["srid"] == order["srid"] and "isCancel" not in sale
    assert sale["forPay"] > 0 > ret["forPay"]


# -- rate limits --------------------------------------------------------------------------------


class ManualClock:
    """A clock that moves only when a test says so: limit tests that do not hang on how fast
    the machine answers."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_base_token_gets_429_on_second_orders_call_personal_gets_burst_10(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeWB(rate_scale=0.001, clock=ManualClock()) as wb:
        await _base_and_personal_limits(wb, http)


async def _base_and_personal_limits(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    base = api(wb, http, acc=ACC_BASE)
    assert (await base.orders("2026-01-01"))[0] == 200
    status, body, headers = await base.orders("2026-01-01")
    assert status == 429 and body["title"] == "too many requests"
    assert body["detail"].startswith("limited by ")
    assert float(headers["X-Ratelimit-Retry"]) == pytest.approx(3 * 3600 * 0.001, rel=0.01)
    assert headers["X-Ratelimit-Limit"] == "1" and "X-Ratelimit-Remaining" not in headers

    personal = api(wb, http, acc=ACC_PERSONAL)
    results = [await personal.orders("2026-01-01") for _ in range(11)]
    assert [r[0] for r in results] == [200] * 10 + [429]
    assert results[0][2]["X-Ratelimit-Remaining"] == "9"
    assert results[10][2]["X-Ratelimit-Limit"] == "10"
    base_sid = decode_claims(base.token)["sid"]
    assert wb.violations[(base_sid, "orders")] == 1 and wb.total_violations() == 2


async def test_retry_header_is_exact(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with FakeWB(rate_scale=1e-5, clock=clock) as wb:
        client = api(wb, http, acc=ACC_BASE)  # 1 per 3 h -> 1 per 108 ms
        assert (await client.orders("2026-01-01"))[0] == 200
        status, _, headers = await client.orders("2026-01-01")
        assert status == 429
        retry = float(headers["X-Ratelimit-Retry"])
        clock.now += retry / 2
        assert (await client.orders("2026-01-01"))[0] == 429  # too early: 429 again
        status, _, headers = await client.orders("2026-01-01")
        clock.now += float(headers["X-Ratelimit-Retry"]) - 1e-9
        assert (await client.orders("2026-01-01"))[0] == 429  # a hair early: still refused
        clock.now += 2e-9
        assert (await client.orders("2026-01-01"))[0] == 200
        assert wb.total_violations() == 4  # every refused call above


async def test_integer_retry_is_rounded_up() -> None:
    async with FakeWB(rate_scale=1.0) as wb, aiohttp.ClientSession() as http:
        client = api(wb, http, acc=ACC_PERSONAL)
        await client.call("GET", "statistics-api", "/api/v1/supplier/sales?dateFrom=2026-01-01")
        status, _, headers = await client.call(
            "GET", "statistics-api", "/api/v1/supplier/sales?dateFrom=2026-01-01"
        )
        assert status == 429 and headers["X-Ratelimit-Retry"] == "60"


async def test_marketplace_4xx_costs_ten(http: aiohttp.ClientSession) -> None:
    async with FakeWB() as wb:
        client = api(wb, http, acc=ACC_BASE)  # 150/min, burst 10
        wb.fail_next("fbs_new", 400)
        status, _, headers = await client.call("GET", "marketplace-api", "/api/v3/orders/new")
        assert status == 400 and headers["X-Ratelimit-Remaining"] == "0"
        status, _, headers = await client.call("GET", "marketplace-api", "/api/v3/orders/new")
        assert status == 429 and headers["X-Ratelimit-Retry"] == "1"  # 0.4 s rounded up


# -- other methods ------------------------------------------------------------------------------


async def test_stock_task_flow_with_pseudo_rows(http: aiohttp.ClientSession) -> None:
    async with FakeWB(rate_scale=0.001, stock_task_delay=100) as wb:  # done after 100 ms
        client = api(wb, http)
        sid = decode_claims(client.token)["sid"]
        product = wb.catalogue(sid)[0]
        size = product.sizes[0]
        wb.set_stock(
            sid, product.nm_id, size.barcode, size.tech_size, {"Коледино": 5, "Казань": 2},
            in_way_to_client=1,
        )  # fmt: skip
        host, base = "seller-analytics-api", "/api/v1/warehouse_remains"
        _, body, _ = await client.call(
            "GET", host, base, params={"groupByNm": "true", "groupBySize": "true"}
        )
        task = body["data"]["taskId"]
        _, body, _ = await client.call("GET", host, f"{base}/tasks/{task}/status")
        assert body["data"] == {"id": task, "status": "new"}
        status, body, _ = await client.call("GET", host, f"{base}/tasks/{task}/download")
        assert status == 400 and "not ready" in body["detail"]
        await asyncio.sleep(0.11)
        _, body, _ = await client.call("GET", host, f"{base}/tasks/{task}/status")
        assert body["data"]["status"] == "done"
        await asyncio.sleep(0.06)
        status, rows, _ = await client.call("GET", host, f"{base}/tasks/{task}/download")
        assert status == 200 and len(rows) == 1
        row = rows[0]
        assert (row["nmId"], row["barcode"], row["vendorCode"]) == (
            product.nm_id, size.barcode, product.article,
        )  # fmt: skip
        quantities = {w["warehouseName"]: w["quantity"] for w in row["warehouses"]}
        assert quantities == {  # no "in transit back" entry: its quantity is 0
            IN_WAY_TO_CLIENT: 1,
            TOTAL_ON_WAREHOUSES: 7,
            "Коледино": 5,
            "Казань": 2,
        }
        other = api(wb, http)
        status, _, _ = await other.call("GET", host, f"{base}/tasks/{task}/status")
        assert status == 404


async def test_fbs_rid_equals_statistics_srid(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    row = wb.add_order(sid, fbs=True)
    wb.add_order(sid)  # FBW: not in the FBS feed
    status, body, _ = await client.call("GET", "marketplace-api", "/api/v3/orders/new")
    assert status == 200 and len(body["orders"]) == 1
    fbs = body["orders"][0]
    assert fbs["rid"] == row["srid"] and fbs["nmId"] == row["nmId"]
    assert fbs["deliveryType"] == "fbs" and fbs["currencyCode"] == 643
    assert fbs["convertedPrice"] == round(row["priceWithDisc"] * 100)
    assert fbs["createdAt"].endswith("Z") and row["warehouseType"] == "Склад продавца"
    wb.process_fbs(sid, row["srid"])
    _, body, _ = await client.call("GET", "marketplace-api", "/api/v3/orders/new")
    assert body == {"orders": []}


async def test_cards_paging(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    start = datetime(2026, 11, 1, 12, 0)
    for i in range(5):
        wb.add_card(sid, 100 + i, f"Товар {i}", updated_at=start + timedelta(minutes=i))
    cursor: dict[str, Any] = {"limit": 2}
    seen: list[int] = []
    while True:
        settings = {"sort": {"ascending": True}, "cursor": cursor, "filter": {"withPhoto": -1}}
        await asyncio.sleep(0.02)
        status, body, _ = await client.call(
            "POST", "content-api", "/content/v2/get/cards/list", json={"settings": settings}
        )
        assert status == 200
        seen += [c["nmID"] for c in body["cards"]]
        if body["cursor"]["total"] < cursor["limit"]:
            break
        cursor = {"limit": 2, **{k: body["cursor"][k] for k in ("updatedAt", "nmID")}}
    assert seen == [100, 101, 102, 103, 104]
    card = body["cards"][-1]
    assert card["photos"][0]["big"].startswith("https://basket-") and card["sizes"][0]["skus"]


# -- injections ---------------------------------------------------------------------------------


async def test_injected_errors_are_not_violations(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    wb.fail_next("orders", 429, retry=0.05)
    status, _, headers = await client.orders("2026-01-01")
    assert status == 429 and headers["X-Ratelimit-Retry"] == "0.05"
    assert wb.total_violations() == 0
    assert (await client.orders("2026-01-01"))[0] == 429  # ignored the retry: a real one
    assert wb.violations[(sid, "orders")] == 1
    await asyncio.sleep(0.06)

    wb.fail_next("/supplier/orders", 403)
    status, body, _ = await client.orders("2026-01-01")
    assert (status, body["title"], body["detail"]) == (403, "access denied", "abac: access denied")
    wb.fail_next("orders", 503)
    status, body, headers = await client.orders("2026-01-01")
    assert status == 503 and headers["Content-Type"].startswith("text/html")
    wb.malformed_next("orders", b"[{not json")
    status, body, _ = await client.orders("2026-01-01")
    assert status == 200 and body == b"[{not json"
    wb.hang_next("orders", 0.2)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.orders("2026-01-01"), 0.05)
    assert wb.violations[(sid, "orders")] == 1


async def test_bulk_orders_are_fast_and_sorted(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    t0 = time.perf_counter()
    wb.bulk_add_orders(sid, 100_000, start=datetime(2026, 9, 1), step=timedelta(seconds=30))
    assert time.perf_counter() - t0 < 4.0  # O(n): about 0.6 s on an idle 2-vCPU box
    _, rows, _ = await client.orders("2026-10-01T12:00:00")
    assert rows[0]["lastChangeDate"] == "2026-10-01T12:00:00" and len(rows) == 12_160
    keys = [r["lastChangeDate"] for r in rows[:1000]]
    assert keys == sorted(keys)


async def test_visibility_delay_serves_old_version_until_refresh(
    http: aiohttp.ClientSession,
) -> None:
    async with seller_of(http, visibility_delay=0.15) as (wb, client, sid):
        row = wb.add_order(sid)
        assert (await client.orders("2026-01-01"))[1] == []
        await asyncio.sleep(0.16)
        assert [r["srid"] for r in (await client.orders("2026-01-01"))[1]] == [row["srid"]]
        wb.cancel_order(sid, row["srid"])
        await asyncio.sleep(0.01)
        _, rows, _ = await client.orders("2026-01-01")
        assert [r["isCancel"] for r in rows] == [False]
        await asyncio.sleep(0.16)
        _, rows, _ = await client.orders("2026-01-01")
        assert [r["isCancel"] for r in rows] == [True]


async def test_sandbox_accepts_only_test_tokens(http: aiohttp.ClientSession) -> None:
    async with FakeWB(sandbox=True, rate_scale=0.001) as wb:
        assert (await api(wb, http, acc=ACC_TEST).orders("2026-01-01"))[0] == 200
        assert (await api(wb, http, acc=ACC_PERSONAL).orders("2026-01-01"))[0] == 401


async def test_ended_task_reports_its_status(wb: FakeWB, http: aiohttp.ClientSession) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    base = "/api/v1/warehouse_remains"
    _, body, _ = await client.call("GET", "seller-analytics-api", base)
    task = body["data"]["taskId"]
    wb.end_tasks(sid, "canceled")
    _, body, _ = await client.call("GET", "seller-analytics-api", f"{base}/tasks/{task}/status")
    assert body["data"]["status"] == "canceled"


async def test_requests_are_recorded_per_seller_and_group(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    await client.call("GET", "statistics-api", "/ping")
    await client.call("GET", "content-api", "/ping")
    await client.orders("2026-11-01")
    pings = wb.requests_for(sid, "ping")
    assert [r.group for r in pings] == ["ping:statistics-api", "ping:content-api"]
    (orders,) = wb.requests_for(sid, "orders")
    assert orders.query == {"dateFrom": "2026-11-01", "flag": "0"} and orders.status == 200


# -- warehouse_remains as ZloyDeDD/wb-api-skill swagger/12-reports.yaml describes it -----------

REMAINS = "/api/v1/warehouse_remains"
ANALYTICS = "seller-analytics-api"


async def _report(client: Api) -> tuple[int, Any]:
    """Create a report, wait until it is done, download it: (status, rows)."""
    _, body, _ = await client.call("GET", ANALYTICS, REMAINS)
    task = body["data"]["taskId"]
    for _ in range(100):
        _, body, _ = await client.call("GET", ANALYTICS, f"{REMAINS}/tasks/{task}/status")
        if body["data"]["status"] == "done":
            break
        await asyncio.sleep(0.01)
    status, rows, _ = await client.call("GET", ANALYTICS, f"{REMAINS}/tasks/{task}/download")
    return status, rows


async def test_remains_lists_only_non_zero_entries_like_the_spec_example(
    http: aiohttp.ClientSession,
) -> None:
    """The spec's own example row: aggregated warehouses, "Минск" apart, the three pseudo-rows,
    and "Всего находится на складах" = 134 + 10 + 123. A warehouse at 0 is not listed, and a
    size at 0 everywhere has no row ("Будут в ответе только при ненулевом quantity")."""
    async with FakeWB(rate_scale=0.001, stock_task_delay=10) as wb:
        client = api(wb, http)
        sid = decode_claims(client.token)["sid"]
        product = wb.catalogue(sid)[0]
        kept = product.sizes[0]
        wb.set_stock(
            sid, product.nm_id, kept.barcode, kept.tech_size,
            {"Склад WB РФ": 134, "Склад WB СГТ РФ": 10, "Минск": 123, "Коледино": 0},
            in_way_to_client=14, in_way_from_client=4,
        )  # fmt: skip
        wb.set_stock(sid, product.nm_id, "2037031652999", "XXL", {"Казань": 0})  # another size
        status, rows = await _report(client)
        assert status == 200 and [r["barcode"] for r in rows] == [kept.barcode]
        assert rows[0]["warehouses"] == SPEC_REMAINS_ROW["warehouses"]
        names = [w["warehouseName"] for w in SPEC_REMAINS_ROW["warehouses"]]
        assert names[:3] == ["В пути до получателей", "В пути возвраты на склад WB",
                             "Всего находится на складах"]  # fmt: skip


async def _sold_out_report(http: aiohttp.ClientSession, **fake: Any) -> tuple[int, Any]:
    """The report of a seller whose one size is at 0 everywhere."""
    async with FakeWB(rate_scale=0.001, stock_task_delay=10, **fake) as wb:
        client = api(wb, http)
        sid = decode_claims(client.token)["sid"]
        product = wb.catalogue(sid)[0]
        size = product.sizes[0]
        wb.set_stock(sid, product.nm_id, size.barcode, size.tech_size, {"Казань": 0})
        return await _report(client)


async def test_a_sold_out_size_may_also_come_with_no_entries(http: aiohttp.ClientSession) -> None:
    status, rows = await _sold_out_report(http, sold_out_rows="empty")
    assert status == 200 and [r["warehouses"] for r in rows] == [[]]


async def test_a_report_without_rows_downloads_as_204_no_data(http: aiohttp.ClientSession) -> None:
    status, body = await _sold_out_report(http)
    assert status == 204 and body is None  # no body at all
    status, body = await _sold_out_report(http, empty_report_status=200)
    assert status == 200 and body == []


async def test_remains_status_has_a_base_limit_and_a_personal_burst_of_5(
    http: aiohttp.ClientSession,
) -> None:
    """12-reports.yaml, tasks/{task_id}/status: Personal 5 s, 1 request, burst 5; Base 1 h,
    4 requests, interval 15 min, burst 1. Create: Personal burst 5."""
    async with FakeWB(stock_task_delay=100) as wb:  # real periods: nothing refills meanwhile
        for acc, burst, retry in ((ACC_PERSONAL, 5, "5"), (ACC_BASE, 1, "900")):
            client = api(wb, http, acc=acc)
            creates = [(await client.call("GET", ANALYTICS, REMAINS))[0] for _ in range(burst)]
            assert creates == [200] * burst
            assert (await client.call("GET", ANALYTICS, REMAINS))[0] == 429
            task = next(iter(wb.sellers[decode_claims(client.token)["sid"]].tasks))
            path = f"{REMAINS}/tasks/{task}/status"
            answers = [await client.call("GET", ANALYTICS, path) for _ in range(burst + 1)]
            assert [a[0] for a in answers] == [200] * burst + [429]
            assert answers[-1][2]["X-Ratelimit-Retry"] == retry


# -- order feed (11-analytics.yaml postV1OrderFeed) ---------------------------------------------

FEED_FIELDS = [
    "nmId", "chrtId", "srid", "createdAt", "updatedAt", "status", "warehouseName",
    "warehouseRegion", "isMp", "destinationCity", "destinationDistrict", "sellerPrice", "isB2b",
]  # fmt: skip
FEED = "/api/analytics/v1/order-feed"


async def feed(client: Api, body: dict[str, Any]) -> tuple[int, Any, CIMultiDict[str]]:
    await asyncio.sleep(0.07)  # 1 per minute at rate_scale 0.001
    return await client.call("POST", "seller-analytics-api", FEED, json=body)


def since(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def test_order_feed_holds_unpaid_orders_that_supplier_orders_lacks(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    paid = wb.add_order(sid, date=datetime.now(UTC) - timedelta(minutes=5))
    unpaid = wb.add_order(sid, paid=False)  # deferred payment / instalments
    status, body, _ = await feed(client, {"selectedPeriod": {"start": since(60)}})
    assert status == 200 and set(body["data"]) == {"snapshotTime", "currency", "orders"}
    assert body["data"]["currency"] == "RUB" and body["data"]["snapshotTime"].endswith("Z")
    orders = body["data"]["orders"]
    assert [o["srid"] for o in orders] == [unpaid["srid"], paid["srid"]]  # newest status first
    first = orders[0]
    assert list(first) == FEED_FIELDS and first["status"] == "created"
    assert first["updatedAt"] == first["createdAt"] and first["createdAt"].endswith("+03:00")
    assert first["sellerPrice"] == unpaid["priceWithDisc"] and first["nmId"] == unpaid["nmId"]
    assert first["warehouseName"] == "Склад WB" and first["warehouseRegion"] == ""  # RN570
    _, rows, _ = await client.orders("2026-01-01")
    assert [r["srid"] for r in rows] == [paid["srid"]]

    wb.cancel_order(sid, unpaid["srid"])
    status, body, _ = await feed(client, {"selectedPeriod": {"start": since(60)}})
    cancelled = next(o for o in body["data"]["orders"] if o["srid"] == unpaid["srid"])
    assert cancelled["status"] == "cancel" and cancelled["cancelType"] == "app"
    assert cancelled["updatedAt"] >= cancelled["createdAt"]
    confirmed = wb.confirm_payment(sid, unpaid["srid"])
    _, rows, _ = await client.orders("2026-01-01")
    assert [r["srid"] for r in rows] == [paid["srid"], unpaid["srid"]]
    assert confirmed["date"] == unpaid["date"] and confirmed["isCancel"]


async def test_order_feed_pages_within_one_snapshot_and_checks_the_request(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    start = datetime.now(UTC) - timedelta(hours=2)
    srids = [wb.add_order(sid, date=start + timedelta(minutes=i))["srid"] for i in range(5)]
    period = {"start": since(180)}
    status, body, _ = await feed(client, {"selectedPeriod": period, "pagination": {"limit": 2}})
    first = body["data"]
    assert status == 200 and [o["srid"] for o in first["orders"]] == srids[:2:-1][:2]
    await asyncio.sleep(1.1)  # a new order after the snapshot must not shift the pages
    wb.add_order(sid)
    got = [o["srid"] for o in first["orders"]]
    for offset in (2, 4):
        paging = {"limit": 2, "offset": offset, "snapshotTime": first["snapshotTime"]}
        status, body, _ = await feed(client, {"selectedPeriod": period, "pagination": paging})
        assert status == 200 and body["data"]["snapshotTime"] == first["snapshotTime"]
        got += [o["srid"] for o in body["data"]["orders"]]
    assert got == srids[::-1]

    for bad in (
        {},
        {"selectedPeriod": {"start": since(32 * 24 * 60)}},  # "не ранее 31 суток"
        {"selectedPeriod": period, "pagination": {"limit": 10_001}},  # maximum: 10000
        {"selectedPeriod": {"start": since(1), "end": since(10)}},  # start after end
    ):
        status, body, _ = await feed(client, bad)
        assert status == 400 and body["origin"] == "analytics-open-api", bad


async def test_order_feed_limits_per_token_type(http: aiohttp.ClientSession) -> None:
    async with FakeWB(rate_scale=0.001) as wb:
        body = {"selectedPeriod": {"start": since(10)}}
        personal = api(wb, http)
        status, _, headers = await personal.call("POST", "seller-analytics-api", FEED, json=body)
        assert status == 200 and headers["X-Ratelimit-Remaining"] == "0"  # burst 1
        status, _, headers = await personal.call("POST", "seller-analytics-api", FEED, json=body)
        assert status == 429 and headers["X-Ratelimit-Limit"] == "1"
        assert wb.limit_for("order_feed", ACC_PERSONAL).period == pytest.approx(0.06)
        assert wb.limit_for("order_feed", ACC_BASE).period == pytest.approx(3 * 3600 * 0.001)
        no_scope = api(wb, http, categories=("statistics",))
        status, body_, _ = await no_scope.call("POST", "seller-analytics-api", FEED, json=body)
        assert status == 401 and body_["detail"] == "token scope not allowed"


async def test_sandbox_has_no_analytics_or_common_api_and_test_tokens_get_150_a_minute(
    http: aiohttp.ClientSession,
) -> None:
    # orders-fbs: "Test | 1 minute | 150 requests | ... | 10 requests"; wb-api.md Corrections 6:
    # the sandbox has no Analytics or common-api hosts.
    async with FakeWB(rate_scale=1.0, sandbox=True) as wb:
        client = api(wb, http, acc=ACC_TEST, categories=("statistics", "analytics", "marketplace"))
        statuses = [
            (await client.call("GET", "marketplace-api", "/api/v3/orders/new"))[0]
            for _ in range(11)
        ]
        assert statuses == [200] * 10 + [429]
        assert wb.limit_for("fbs_new", ACC_TEST).burst == 10
        assert wb.limit_for("fbs_new", ACC_TEST).interval == pytest.approx(0.4)
        assert wb.limit_for("orders", ACC_TEST) == wb.limit_for("orders", ACC_PERSONAL)
        for host, path, method in (
            ("seller-analytics-api", "/api/analytics/v1/order-feed", "POST"),
            ("seller-analytics-api", "/api/v1/warehouse_remains", "GET"),
            ("common-api", "/api/v1/seller-info", "GET"),
        ):
            status, _, _ = await client.call(method, host, path, json={})
            assert status == 404, host
        status, _, _ = await client.orders("2026-11-01")
        assert status == 200


async def test_fresh_rows_may_carry_amounts_of_0_that_wb_fills_in_later(
    http: aiohttp.ClientSession,
) -> None:
    # 12-reports.yaml: "Поля finishedPrice, priceWithDisc, forPay могут временно иметь значение
    # 0: данные заполняются асинхронно, актуализируются в течение 24 часов".
    async with seller_of(http, amounts_later=0.3) as (wb, client, sid):
        order = wb.add_order(sid)
        sale = wb.add_sale(sid, order["srid"])
        _, rows, _ = await client.orders("2026-01-01")
        [fresh] = rows
        assert (fresh["finishedPrice"], fresh["priceWithDisc"]) == (0, 0)
        assert fresh["totalPrice"] == order["totalPrice"] > 0  # only the three fields wait
        params = {"dateFrom": "2026-01-01"}
        _, sales, _ = await client.call(
            "GET", "statistics-api", "/api/v1/supplier/sales", params=params
        )
        amounts = [(s["forPay"], s["priceWithDisc"], s["finishedPrice"]) for s in sales]
        assert amounts == [(0, 0, 0)]

        await asyncio.sleep(0.35)
        _, rows, _ = await client.orders(fresh["lastChangeDate"])
        [filled] = rows
        assert filled["srid"] == order["srid"]
        assert filled["priceWithDisc"] == order["priceWithDisc"]
        assert filled["finishedPrice"] == order["finishedPrice"] > 0
        assert filled["lastChangeDate"] > fresh["lastChangeDate"]  # a flag=0 cursor sees it
        _, sales, _ = await client.call(
            "GET", "statistics-api", "/api/v1/supplier/sales", params=params
        )
        assert [s["forPay"] for s in sales] == [sale["forPay"]] and sale["forPay"] > 0


async def test_aggregated_warehouse_names_as_in_the_spec_examples(
    http: aiohttp.ClientSession,
) -> None:
    # 12-reports.yaml, the examples of supplier/orders and supplier/sales: "Склад WB РФ".
    async with seller_of(http, aggregated_warehouses=True) as (wb, client, sid):
        order = wb.add_order(sid)
        fbs = wb.add_order(sid, fbs=True)
        wb.add_sale(sid, order["srid"])
        _, rows, _ = await client.orders("2026-01-01")
        assert {r["srid"]: r["warehouseName"] for r in rows} == {
            order["srid"]: "Склад WB РФ",
            fbs["srid"]: wb.sellers[sid].fbs_warehouse,  # the seller's own keeps its name
        }
        _, sales, _ = await client.call(
            "GET", "statistics-api", "/api/v1/supplier/sales", params={"dateFrom": "2026-01-01"}
        )
        assert [s["warehouseName"] for s in sales] == ["Склад WB РФ"]


async def test_order_feed_shows_buyouts_and_returns_with_the_spec_statuses(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    # 11-analytics.yaml postV1OrderFeed, status enum: created, buyout, cancel, return,
    # returnDefective.
    client = api(wb, http)
    sid = decode_claims(client.token)["sid"]
    start = datetime.now(MSK).replace(tzinfo=None) - timedelta(minutes=30)
    bought, returned, defective, placed = (
        wb.add_order(sid, date=start + timedelta(minutes=i)) for i in range(4)
    )
    wb.add_sale(sid, bought["srid"])
    wb.add_sale(sid, returned["srid"], is_return=True)
    wb.add_sale(sid, defective["srid"], is_return=True, defective=True)
    status, body, _ = await feed(client, {"selectedPeriod": {"start": since(60)}})
    assert status == 200
    got = {o["srid"]: o for o in body["data"]["orders"]}
    assert {srid: got[srid]["status"] for srid in got} == {
        bought["srid"]: "buyout",
        returned["srid"]: "return",
        defective["srid"]: "returnDefective",
        placed["srid"]: "created",
    }
    assert got[bought["srid"]]["updatedAt"] > got[bought["srid"]]["createdAt"]
    assert got[placed["srid"]]["updatedAt"] == got[placed["srid"]]["createdAt"]
