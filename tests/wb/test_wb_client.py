"""The WB client against the fake WB, and a tiny server of its own for what the fake can't show."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.wb.client import (
    WBBadRequest,
    WBBadResponse,
    WBClient,
    WBError,
    WBForbidden,
    WBRateLimited,
    WBServerError,
    WBTimeout,
    WBUnauthorized,
    unauthorized_reason,
)
from bot.wb.limiter import MAX_RETRY_SECONDS, Limiter
from bot.wb.methods import METHODS, TokenType, limit_for
from bot.wb.models import parse_cards, parse_fbs_orders, parse_stock
from bot.wb.token import inspect_token
from tests.fakes.tokens import ACC_BASE, ACC_PERSONAL, OLD_STYLE_KEY, make_token
from tests.fakes.wb import FakeWB

SCALE = 0.001
ALL_CATEGORIES = ("statistics", "analytics", "marketplace", "content")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def wb() -> AsyncIterator[FakeWB]:
    async with FakeWB(rate_scale=SCALE, stock_task_delay=0.0) as fake:
        yield fake


@pytest.fixture
def client(session: aiohttp.ClientSession, wb: FakeWB) -> WBClient:
    return WBClient(session, wb.url_template, timeout=5.0)


def personal_token(**kwargs: Any) -> str:
    kwargs.setdefault("categories", ALL_CATEGORIES)
    return make_token(acc=ACC_PERSONAL, **kwargs)


# --- data ----------------------------------------------------------------------------------------


async def test_ping_checks_the_token(client: WBClient) -> None:
    data = await client.ping(personal_token())
    assert data["Status"] == "OK"


async def test_orders_page_parses_into_orders(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    sid = wb.add_seller(token)
    row = wb.add_order(sid)
    parsed = await client.orders(token, "2019-06-20")
    assert parsed.skipped == 0
    assert [o.srid for o in parsed.rows] == [row["srid"]]
    assert parsed.rows[0].last_change_raw == row["lastChangeDate"]


async def test_orders_paging_repeats_the_boundary_row(session: aiohttp.ClientSession) -> None:
    async with FakeWB(rate_scale=SCALE, page_cap=2) as wb:
        client = WBClient(session, wb.url_template)
        limiter = Limiter()
        token = personal_token()
        sid = wb.add_seller(token)
        srids = wb.bulk_add_orders(sid, 5, start=datetime(2026, 8, 1, 10, 0, 0))
        limit = limit_for(METHODS["orders"], TokenType.PERSONAL, SCALE)
        assert limit is not None
        key = (1, METHODS["orders"].group)
        seen: list[str] = []
        cursor = "2026-07-01"
        for _ in range(10):
            await limiter.acquire(key, limit)
            page = (
                await client.orders(token, cursor, on_headers=lambda h: limiter.observe(key, h))
            ).rows
            new = [o for o in page if o.srid not in seen]
            if not new:
                break
            seen.extend(o.srid for o in new)
            cursor = page[-1].last_change_raw
        assert seen == srids
        assert wb.total_violations() == 0


async def test_sales_and_returns(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    sid = wb.add_seller(token)
    order = wb.add_order(sid)
    wb.add_sale(sid, order["srid"])
    (sale,) = (await client.sales(token, "2019-06-20")).rows
    assert sale.srid == order["srid"] and not sale.is_return


async def test_stock_report_create_status_download(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    sid = wb.add_seller(token)
    product = wb.catalogue(sid)[0]
    size = product.sizes[0]
    wb.set_stock(
        sid, product.nm_id, size.barcode, size.tech_size, {"Коледино": 5}, in_way_to_client=2
    )
    task_id = await client.stock_create(token)
    for _ in range(50):
        status = await client.stock_status(token, task_id)
        if status == "done":
            break
        await asyncio.sleep(0.01)
    assert status == "done"
    await asyncio.sleep(0.1)  # the download shares the create budget (1/min scaled)
    parsed = parse_stock(await client.stock_download(token, task_id))
    assert [(r.nm_id, r.warehouse, r.quantity) for r in parsed.rows] == [
        (product.nm_id, "Коледино", 5)
    ]
    create = wb.requests_for(sid, "remains_create")[0]
    assert create.query["groupByNm"] == "true" and create.query["groupBySize"] == "true"


async def test_fbs_new_orders(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    sid = wb.add_seller(token)
    row = wb.add_order(sid, fbs=True)
    parsed = parse_fbs_orders({"orders": await client.fbs_new(token)})
    (order,) = parsed.rows
    assert order.rid == row["srid"]
    assert order.price == pytest.approx(row["priceWithDisc"])


async def test_cards_paging_until_a_short_page(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    sid = wb.add_seller(token)
    base = datetime(2026, 8, 1, tzinfo=UTC)
    for i in range(5):
        wb.add_card(sid, 1000 + i, f"Товар {i}", updated_at=base + timedelta(minutes=i))
    seen: list[int] = []
    cursor: dict[str, Any] | None = None
    for _ in range(10):
        cards, cursor = await client.cards_page(token, cursor, limit=2)
        seen.extend(c.nm_id for c in parse_cards(cards).rows)
        await asyncio.sleep(0.001)
        if cursor["total"] < 2:
            break
    assert seen == [1000, 1001, 1002, 1003, 1004]


async def test_seller_info(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    wb.add_seller(token, name="ИП Петров", trade_mark="Петров")
    info = await client.seller_info(token)
    assert info["name"] == "ИП Петров"
    assert info["sid"] == inspect_token(token).seller_id


async def test_response_remaining_and_headers_reach_the_callback(
    client: WBClient, wb: FakeWB
) -> None:
    token = personal_token()
    seen: list[str | None] = []
    resp = await client.call(
        METHODS["orders"],
        token,
        params={"dateFrom": "2026-01-01"},
        on_headers=lambda h: seen.append(h.get("X-Ratelimit-Remaining")),
    )
    assert resp.status == 200 and resp.data == []
    assert resp.remaining == 9
    assert seen == ["9"]


async def test_limiter_keeps_the_client_within_wb_limits(session: aiohttp.ClientSession) -> None:
    """Polls as fast as the limiter allows: the fake WB counts no violation."""
    scale = 0.0001
    async with FakeWB(rate_scale=scale) as wb:
        client = WBClient(session, wb.url_template)
        for acc, token_type, calls in (
            (ACC_PERSONAL, TokenType.PERSONAL, 30),
            (ACC_BASE, TokenType.BASE, 3),
        ):
            token = make_token(acc=acc, categories=ALL_CATEGORIES)
            limiter = Limiter()
            limit = limit_for(METHODS["sales"], token_type, scale)
            assert limit is not None
            key = (acc, METHODS["sales"].group)
            for _ in range(calls):
                await limiter.acquire(key, limit)
                await client.sales(token, "2026-01-01", on_headers=partial(limiter.observe, key))
        assert len(wb.requests) == 33
        assert wb.total_violations() == 0


# --- errors --------------------------------------------------------------------------------------


async def test_expired_token_is_unauthorized_expired(client: WBClient) -> None:
    token = personal_token(exp=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(WBUnauthorized) as caught:
        await client.ping(token)
    assert caught.value.reason == "expired"
    assert caught.value.detail == "token expired"


async def test_withdrawn_token_is_unauthorized_revoked(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    wb.revoke(token)
    with pytest.raises(WBUnauthorized) as caught:
        await client.orders(token, "2026-01-01")
    assert caught.value.reason == "revoked"


async def test_token_without_the_category_is_unauthorized_scope(client: WBClient) -> None:
    token = personal_token(categories=("content",))
    with pytest.raises(WBUnauthorized) as caught:
        await client.orders(token, "2026-01-01")
    assert caught.value.reason == "scope"


async def test_old_style_key_is_unauthorized_malformed(client: WBClient) -> None:
    with pytest.raises(WBUnauthorized) as caught:
        await client.ping(OLD_STYLE_KEY)
    assert caught.value.reason == "malformed"


async def test_token_with_control_characters_never_leaves_the_process(client: WBClient) -> None:
    with pytest.raises(WBUnauthorized) as caught:
        await client.ping("abc\x00def")
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ("token expired", "expired"),
        ("token scope not allowed", "scope"),
        ("token problem; token is malformed: could not base64 decode signature", "malformed"),
        ("token withdrawn", "revoked"),
        ("something else", "unknown"),
        ("", "unknown"),
    ],
)
def test_unauthorized_reasons(detail: str, reason: str) -> None:
    assert unauthorized_reason(detail) == reason


async def test_rate_limited_carries_wbs_retry_limit_and_reset(
    client: WBClient, wb: FakeWB
) -> None:
    token = make_token(acc=ACC_BASE, categories=ALL_CATEGORIES)
    await client.orders(token, "2026-01-01")
    with pytest.raises(WBRateLimited) as caught:
        await client.orders(token, "2026-01-01")
    exc = caught.value
    assert exc.retry_after > 0
    assert exc.limit == 1
    assert exc.reset is not None and exc.reset >= exc.retry_after
    assert exc.headers.get("X-Ratelimit-Retry") is not None


async def test_injected_429_retry_reaches_the_limiter(client: WBClient, wb: FakeWB) -> None:
    token = personal_token()
    limiter = Limiter()
    limit = limit_for(METHODS["orders"], TokenType.PERSONAL)
    assert limit is not None
    key = (1, METHODS["orders"].group)
    limiter.reserve(key, limit)
    wb.fail_next("orders", 429, retry=120.0)
    with pytest.raises(WBRateLimited) as caught:
        await client.orders(token, "2026-01-01", on_headers=lambda h: limiter.observe(key, h))
    assert caught.value.retry_after == pytest.approx(120.0)
    assert limiter.wait_time(key, limit) == pytest.approx(120.0, abs=1.0)


async def test_an_absurd_429_retry_is_capped_at_a_day(client: WBClient, wb: FakeWB) -> None:
    wb.fail_next("orders", 429, headers={"X-Ratelimit-Retry": "1e308"})
    with pytest.raises(WBRateLimited) as caught:
        await client.orders(personal_token(), "2026-01-01")
    assert caught.value.retry_after == MAX_RETRY_SECONDS


async def test_forbidden(client: WBClient, wb: FakeWB) -> None:
    wb.fail_next("orders", 403)
    with pytest.raises(WBForbidden) as caught:
        await client.orders(personal_token(), "2026-01-01")
    assert "access denied" in caught.value.detail


async def test_statistics_400_detail_comes_from_errors(client: WBClient) -> None:
    with pytest.raises(WBBadRequest) as caught:
        await client.call(METHODS["orders"], personal_token())
    assert caught.value.status == 400
    assert caught.value.detail == "dateFrom: field required"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors(client: WBClient, wb: FakeWB, status: int) -> None:
    wb.fail_next("orders", status)
    with pytest.raises(WBServerError) as caught:
        await client.orders(personal_token(), "2026-01-01")
    assert caught.value.status == status
    assert len(str(caught.value)) < 400


async def test_hung_wb_is_a_timeout(session: aiohttp.ClientSession, wb: FakeWB) -> None:
    client = WBClient(session, wb.url_template, timeout=0.2)
    wb.hang_next("orders", 2.0)
    with pytest.raises(WBTimeout):
        await client.orders(personal_token(), "2026-01-01")


async def test_unreachable_wb_is_a_server_error_without_status(
    session: aiohttp.ClientSession,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = WBClient(session, f"http://127.0.0.1:{port}/{{host}}", timeout=2.0)
    with pytest.raises(WBServerError) as caught:
        await client.ping(personal_token())
    assert caught.value.status is None


@pytest.mark.parametrize("payload", [b"<html>oops</html>", b"[{", b"\xff\xfe"])
async def test_body_that_is_not_json_is_a_bad_response(
    client: WBClient, wb: FakeWB, payload: bytes
) -> None:
    wb.malformed_next("orders", payload)
    with pytest.raises(WBBadResponse):
        await client.orders(personal_token(), "2026-01-01")


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("orders", {"data": []}),
        ("fbs_new", []),
        ("fbs_new", {"orders": "none"}),
        ("remains_create", {"data": {}}),
        ("seller_info", []),
        ("cards", {"cards": []}),
    ],
)
async def test_json_of_the_wrong_shape_is_a_bad_response(
    client: WBClient, wb: FakeWB, method: str, payload: Any
) -> None:
    token = personal_token()
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "orders": lambda: client.orders(token, "2026-01-01"),
        "fbs_new": lambda: client.fbs_new(token),
        "remains_create": lambda: client.stock_create(token),
        "seller_info": lambda: client.seller_info(token),
        "cards": lambda: client.cards_page(token, None),
    }
    wb.malformed_next(method, payload)
    with pytest.raises(WBBadResponse):
        await calls[method]()


async def test_oversized_body_is_refused(session: aiohttp.ClientSession, wb: FakeWB) -> None:
    token = personal_token()
    sid = wb.add_seller(token)
    wb.bulk_add_orders(sid, 50)
    client = WBClient(session, wb.url_template, max_body_bytes=1000)
    with pytest.raises(WBBadResponse):
        await client.orders(token, "2019-06-20")


async def test_error_texts_and_logs_never_contain_the_token(
    session: aiohttp.ClientSession,
    client: WBClient,
    wb: FakeWB,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = personal_token()
    errors: list[WBError] = []
    for status in (401, 403, 429, 400, 500, 502):
        wb.fail_next("orders", status, body={"detail": f"echo {token}", "errors": [token]})
        try:
            await client.orders(token, "2026-01-01")
        except WBError as exc:
            errors.append(exc)
    wb.hang_next("orders", 1.0)
    try:
        await WBClient(session, wb.url_template, timeout=0.1).orders(token, "2026-01-01")
    except WBError as exc:
        errors.append(exc)
    assert len(errors) == 7
    for error in errors:
        text = f"{error} {error!r} {getattr(error, 'detail', '')}"
        for part in token.split("."):
            assert part not in text
        assert error.__cause__ is None
    for record in caplog.records:
        assert token.split(".")[1] not in record.getMessage()


# --- what goes over the wire ---------------------------------------------------------------------


async def _echo_server() -> tuple[web.AppRunner, str, list[web.Request], list[Any]]:
    requests: list[web.Request] = []
    bodies: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        requests.append(request)
        bodies.append(await request.json() if request.can_read_body else None)
        if request.path.endswith("/empty"):
            return web.Response(status=204)
        if request.path.endswith("/limited"):
            return web.json_response({"title": "too many requests"}, status=429)
        return web.json_response({"cards": [], "cursor": {"total": 0}, "data": {"status": "Done"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/{{host}}", requests, bodies


async def test_request_sends_the_bare_token_and_the_cards_body(
    session: aiohttp.ClientSession,
) -> None:
    runner, template, requests, bodies = await _echo_server()
    try:
        client = WBClient(session, template)
        token = personal_token()
        await client.cards_page(f"Bearer {token}\n", {"updatedAt": "x", "nmID": 5, "total": 2})
        request = requests[0]
        assert request.headers["Authorization"] == token
        assert request.path == "/content-api/content/v2/get/cards/list"
        assert request.method == "POST"
        assert bodies[0] == {
            "settings": {
                "sort": {"ascending": True},
                "cursor": {"limit": 100, "updatedAt": "x", "nmID": 5},
                "filter": {"withPhoto": -1},
            }
        }
        status = await client.stock_status(token, "a/b c")
        assert status == "done"
        assert requests[1].raw_path == (
            "/seller-analytics-api/api/v1/warehouse_remains/tasks/a%2Fb%20c/status"
        )
    finally:
        await runner.cleanup()


async def test_429_without_retry_header_defaults_to_sixty_seconds(
    session: aiohttp.ClientSession,
) -> None:
    runner, template, _, _ = await _echo_server()
    try:
        client = WBClient(session, template.replace("{host}", "limited/{host}"))
        method = METHODS["ping"]
        limited = dataclasses.replace(method, path="/limited")
        with pytest.raises(WBRateLimited) as caught:
            await client.call(limited, personal_token())
        assert caught.value.retry_after == 60.0
        assert caught.value.limit is None and caught.value.reset is None
    finally:
        await runner.cleanup()


async def test_204_gives_no_data(session: aiohttp.ClientSession) -> None:
    runner, template, _, _ = await _echo_server()
    try:
        client = WBClient(session, template)
        method = METHODS["orders"]
        empty = dataclasses.replace(method, path="/empty")
        resp = await client.call(empty, personal_token())
        assert resp.status == 204 and resp.data is None
    finally:
        await runner.cleanup()


def test_url_needs_every_path_parameter(session: aiohttp.ClientSession) -> None:
    client = WBClient(session)
    assert client.url(METHODS["orders"]) == (
        "https://statistics-api.wildberries.ru/api/v1/supplier/orders"
    )
    with pytest.raises(ValueError):
        client.url(METHODS["stock_status"])


def test_url_template_must_name_the_host(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError):
        WBClient(session, "https://example.com")
