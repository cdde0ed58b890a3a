"""The aiohttp client for WB: one call per method; HTTP failures become typed exceptions.

It does no rate limiting (the sync layer asks the Limiter first) but hands every response's
headers to an optional ``on_headers`` callback so the Limiter can follow WB's X-Ratelimit-*.
The token travels only in the Authorization header: it is never logged, and no exception text
or repr made here contains it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import aiohttp

from bot.wb.limiter import MAX_RETRY_SECONDS, header_value, parse_seconds
from bot.wb.methods import METHODS, Method
from bot.wb.models import BadPayload, Order, Parsed, Sale, decode_orders, decode_sales
from bot.wb.token import JWT_PATTERN, normalize_token

DEFAULT_URL_TEMPLATE = "https://{host}.wildberries.ru"
#: When a 429 carries no X-Ratelimit-Retry.
DEFAULT_RETRY_AFTER = 60.0
#: Largest body read; an 80,000-row orders page is about 63 MB.
MAX_BODY_BYTES = 256 * 1024 * 1024
_MAX_DETAIL = 300
#: A body announced at most this long is read at once.
_SMALL_BODY = 1 << 16

log = logging.getLogger(__name__)
T = TypeVar("T")

UnauthorizedReason = Literal["expired", "revoked", "scope", "malformed", "unknown"]
HeadersCallback = Callable[[Mapping[str, str]], None]
#: Turns a 2xx body into the answer's ``data``; raises ValueError when it is not JSON.
Decode = Callable[[bytes | bytearray], Any]

_PATH_PARAM = re.compile(r"{(\w+)}")
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: a valid header value


class WBError(Exception):
    """Base of every WB failure. ``headers`` are the response's (empty without a response)."""

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers: Mapping[str, str] = headers if headers is not None else {}


class WBUnauthorized(WBError):
    """401: the key is dead for WB (expired, revoked, lacks the category, or malformed)."""

    def __init__(
        self,
        detail: str,
        reason: UnauthorizedReason,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"WB 401 ({reason}): {detail}", headers=headers)
        self.detail = detail
        self.reason: UnauthorizedReason = reason


class WBForbidden(WBError):
    """403: the method is closed to this seller or token (deleted user, blocked method...)."""

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"WB 403: {detail}", headers=headers)
        self.detail = detail


class WBRateLimited(WBError):
    """429. ``retry_after`` seconds before WB accepts the next call; ``limit`` is the burst and
    ``reset`` the seconds until it is full again, when WB said."""

    def __init__(
        self,
        retry_after: float,
        limit: int | None = None,
        reset: float | None = None,
        *,
        detail: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"WB 429: retry after {retry_after:g} s", headers=headers)
        self.retry_after = retry_after
        self.limit = limit
        self.reset = reset
        self.detail = detail


class WBServerError(WBError):
    """5xx, or (``status`` None) no HTTP answer at all: retry later with back-off."""

    def __init__(
        self,
        status: int | None,
        message: str = "",
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        text = f"WB {status}" if status is not None else "WB unreachable"
        super().__init__(f"{text}: {message}" if message else text, headers=headers)
        self.status = status


class WBTimeout(WBError):
    """No complete answer within the timeout."""


class WBBadRequest(WBError):
    """Another 4xx: our request is wrong (or WB changed). WB may charge it as 10 requests."""

    def __init__(
        self, status: int, detail: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"WB {status}: {detail}", headers=headers)
        self.status = status
        self.detail = detail


class WBBadResponse(WBError):
    """A 2xx whose body is not JSON, or not the shape the method promises."""

    def __init__(self, reason: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"WB bad response: {reason}", headers=headers)
        self.reason = reason


@dataclass(frozen=True)
class WBResponse:
    status: int
    data: Any  # parsed JSON; None for 204 or an empty body
    remaining: int | None  # X-Ratelimit-Remaining
    headers: Mapping[str, str] = field(repr=False)


def unauthorized_reason(detail: str) -> UnauthorizedReason:
    """Classify a 401 ``detail`` (wb-api.md §3.4)."""
    text = detail.lower()
    if "expired" in text:
        return "expired"
    if "scope" in text:
        return "scope"
    if "malformed" in text or "decode" in text:
        return "malformed"
    if any(
        w in text for w in ("revoked", "withdrawn", "deleted", "disabled", "blocked", "invalid")
    ):
        return "revoked"
    return "unknown"


class WBClient:
    """Calls WB methods. ``url_template`` takes ``{host}`` (e.g. ``statistics-api``)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url_template: str = DEFAULT_URL_TEMPLATE,
        timeout: float = 30.0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if "{host}" not in url_template:
            raise ValueError("url_template must contain {host}")
        self._session = session
        self._url_template = url_template.rstrip("/")
        self._timeout = timeout
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)  # one object for every call
        self._max_body = max_body_bytes

    def url(self, method: Method, path_params: Mapping[str, str] | None = None) -> str:
        params = path_params or {}
        missing = set(_PATH_PARAM.findall(method.path)) - set(params)
        if missing:
            raise ValueError(f"{method.name}: missing path parameters {sorted(missing)}")
        path = _PATH_PARAM.sub(lambda m: quote(str(params[m.group(1)]), safe=""), method.path)
        return self._url_template.format(host=method.host) + path

    async def call(
        self,
        method: Method,
        token: str,
        *,
        params: Mapping[str, str | int | float | bool] | None = None,
        json_body: Any = None,
        path_params: Mapping[str, str] | None = None,
        on_headers: HeadersCallback | None = None,
        decode: Decode = json.loads,
    ) -> WBResponse:
        """One request. Raises a :class:`WBError` subclass for anything but a 2xx. ``decode``
        turns the body into ``data`` (not called for a 204 or an empty body); the body itself
        is dropped before this returns."""
        url = self.url(method, path_params)
        token = normalize_token(token)
        if not _TOKEN_CHARS.fullmatch(token):
            raise WBUnauthorized("the token has characters WB cannot accept", "malformed")
        headers = {"Authorization": token, "Accept": "application/json"}
        query = {k: _query_value(v) for k, v in (params or {}).items()}
        try:
            async with self._session.request(
                method.http_method,
                url,
                params=query,
                json=json_body,
                headers=headers,
                timeout=self._client_timeout,
                allow_redirects=False,
            ) as resp:
                status = resp.status
                resp_headers: Mapping[str, str] = resp.headers
                if on_headers is not None:
                    on_headers(resp_headers)
                body = await self._read(resp, resp_headers)
        except TimeoutError:
            raise WBTimeout(f"{method.name}: no answer within {self._timeout:g} s") from None
        except aiohttp.ClientError as exc:
            # aiohttp's exceptions may carry the request (and its headers): never chain them.
            raise WBServerError(None, f"{method.name}: {type(exc).__name__}") from None
        # Method name and status only: URLs carry nothing secret, but headers do.
        log.debug("WB %s: %s, %d bytes", method.name, status, len(body))
        return _response(method, status, resp_headers, body, token, decode)

    async def _read(
        self, resp: aiohttp.ClientResponse, headers: Mapping[str, str]
    ) -> bytes | bytearray:
        length = resp.content_length
        if length is not None and length <= min(_SMALL_BODY, self._max_body):
            return await resp.read()  # most answers (an empty page): one read, no buffer
        # One growing buffer, not chunks joined at the end: joining held a 60 MB page twice.
        body = bytearray()
        async for chunk in resp.content.iter_chunked(1 << 16):
            if len(body) + len(chunk) > self._max_body:
                raise WBBadResponse("response too large", headers=headers)
            body += chunk
        return body

    # --- one coroutine per method --------------------------------------------------------------

    async def ping(self, token: str, *, on_headers: HeadersCallback | None = None) -> Any:
        """statistics-api /ping: checks the token and its Statistics category. 3 per 30 s."""
        return await self._body("ping", token, on_headers)

    async def orders(
        self, token: str, date_from: str, *, on_headers: HeadersCallback | None = None
    ) -> Parsed[Order]:
        """One page of orders with lastChangeDate >= ``date_from`` (MSK; flag=0, the
        incremental mode), parsed as the body is decoded (models.decode_orders: a bad row is a
        counted skip)."""
        return await self._statistics_page("orders", token, date_from, on_headers, decode_orders)

    async def sales(
        self, token: str, date_from: str, *, on_headers: HeadersCallback | None = None
    ) -> Parsed[Sale]:
        """One page of sales and returns, as :meth:`orders`."""
        return await self._statistics_page("sales", token, date_from, on_headers, decode_sales)

    async def _statistics_page(
        self,
        name: str,
        token: str,
        date_from: str,
        on_headers: HeadersCallback | None,
        decode: Callable[[bytes | bytearray], Parsed[T]],
    ) -> Parsed[T]:
        resp = await self.call(
            METHODS[name],
            token,
            params={"dateFrom": date_from, "flag": 0},
            on_headers=on_headers,
            decode=decode,
        )
        if resp.data is None:  # 204 or an empty body: nothing new
            return Parsed()
        page: Parsed[T] = resp.data
        return page

    async def stock_create(self, token: str, *, on_headers: HeadersCallback | None = None) -> str:
        """Order a warehouse_remains report, one row per product size; returns the task id."""
        resp = await self.call(
            METHODS["stock_create"],
            token,
            params={
                "locale": "ru",  # the pseudo-warehouse names models.py drops are Russian
                "groupByBrand": True,
                "groupBySubject": True,
                "groupBySa": True,
                "groupByNm": True,
                "groupByBarcode": True,
                "groupBySize": True,
            },
            on_headers=on_headers,
        )
        task_id = _data_field(resp, "taskId")
        if isinstance(task_id, int) and not isinstance(task_id, bool):
            task_id = str(task_id)
        if not isinstance(task_id, str) or not task_id.strip() or len(task_id) > 200:
            raise WBBadResponse("stock_create: no taskId", headers=resp.headers)
        return task_id.strip()

    async def stock_status(
        self, token: str, task_id: str, *, on_headers: HeadersCallback | None = None
    ) -> str:
        """The report's status: new, processing, done, purged or canceled."""
        resp = await self.call(
            METHODS["stock_status"],
            token,
            path_params={"task_id": task_id},
            on_headers=on_headers,
        )
        status = _data_field(resp, "status")
        if not isinstance(status, str):
            raise WBBadResponse("stock_status: no status", headers=resp.headers)
        return status.strip().lower()[:50]

    async def stock_download(
        self, token: str, task_id: str, *, on_headers: HeadersCallback | None = None
    ) -> list[Any] | None:
        """The report's rows (see models.parse_stock); None when WB answers 204 "Нет данных"
        (12-reports.yaml), which says nothing about the stock, unlike an empty array."""
        resp = await self.call(
            METHODS["stock_download"],
            token,
            path_params={"task_id": task_id},
            on_headers=on_headers,
        )
        data = resp.data
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        if data is None:  # 204, or a 200 without a body: neither is an (empty) array
            return None
        if not isinstance(data, list):
            raise WBBadResponse("stock_download: expected an array", headers=resp.headers)
        return data

    async def fbs_new(self, token: str, *, on_headers: HeadersCallback | None = None) -> list[Any]:
        """Every new FBS assembly task right now."""
        resp = await self.call(METHODS["fbs_new"], token, on_headers=on_headers)
        data = resp.data
        if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
            raise WBBadResponse("fbs_new: expected an object with orders", headers=resp.headers)
        orders: list[Any] = data["orders"]
        return orders

    async def order_feed(
        self,
        token: str,
        start: str,
        offset: int = 0,
        limit: int = 1000,
        snapshot: str | None = None,
        *,
        on_headers: HeadersCallback | None = None,
    ) -> dict[str, Any]:
        """One page of the order feed: orders whose current status is at ``start`` (RFC 3339)
        or later, newest status first; the answer's ``data`` (``snapshotTime``, ``orders``).
        Pages after the first pass the first answer's ``snapshotTime`` (WB: so that no order
        is skipped or repeated while the feed updates)."""
        pagination: dict[str, Any] = {"offset": offset, "limit": limit}
        if snapshot is not None:
            pagination["snapshotTime"] = snapshot
        body = {"selectedPeriod": {"start": start}, "pagination": pagination}
        resp = await self.call(METHODS["order_feed"], token, json_body=body, on_headers=on_headers)
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
            raise WBBadResponse("order_feed: expected data with orders", headers=resp.headers)
        return data

    async def cards_page(
        self,
        token: str,
        cursor: Mapping[str, Any] | None,
        limit: int = 100,
        *,
        on_headers: HeadersCallback | None = None,
    ) -> tuple[list[Any], dict[str, Any]]:
        """One page of product cards, oldest change first. ``cursor`` is None for the first page,
        then the cursor this returned (``updatedAt``, ``nmID``, ``total``); the last page is the
        one whose ``total`` is below ``limit``."""
        request_cursor: dict[str, Any] = {"limit": limit}
        if cursor:
            for key in ("updatedAt", "nmID"):
                if key in cursor:
                    request_cursor[key] = cursor[key]
        body = {
            "settings": {
                "sort": {"ascending": True},
                "cursor": request_cursor,
                "filter": {"withPhoto": -1},
            }
        }
        resp = await self.call(METHODS["cards"], token, json_body=body, on_headers=on_headers)
        data = resp.data
        if not isinstance(data, dict) or not isinstance(data.get("cards"), list):
            raise WBBadResponse("cards: expected an object with cards", headers=resp.headers)
        next_cursor = data.get("cursor")
        if not isinstance(next_cursor, dict):
            raise WBBadResponse("cards: no cursor", headers=resp.headers)
        cards: list[Any] = data["cards"]
        return cards, next_cursor

    async def feedbacks_new(self, token: str, *, on_headers: HeadersCallback | None = None) -> Any:
        """Whether any review or question is still unseen (the body as WB sent it)."""
        return await self._body("feedbacks_new", token, on_headers)

    async def unanswered(
        self,
        token: str,
        what: Literal["feedbacks", "questions"],
        take: int,
        *,
        on_headers: HeadersCallback | None = None,
    ) -> Any:
        """The newest ``take`` unanswered reviews or questions, newest first (the body as WB sent
        it; ``data.countUnanswered`` counts them all)."""
        return await self._body(
            what, token, on_headers, isAnswered=False, take=take, skip=0, order="dateDesc"
        )

    async def _body(
        self,
        name: str,
        token: str,
        on_headers: HeadersCallback | None,
        **params: str | int | float | bool,
    ) -> Any:
        """The answer's body as WB sent it, for methods whose callers read it themselves."""
        resp = await self.call(METHODS[name], token, params=params, on_headers=on_headers)
        return resp.data

    async def finance_detailed(
        self,
        token: str,
        body: Mapping[str, Any],
        *,
        on_headers: HeadersCallback | None = None,
    ) -> list[Any] | None:
        """One page of the finance report (bot.wb.finance.request_body makes ``body``); None
        when WB answers 204, the end of the report (13-finances.yaml postV1SalesReportsDetailed:
        "Повторяйте запрос, пока не получите ответ 204")."""
        resp = await self.call(
            METHODS["finance_detailed"], token, json_body=dict(body), on_headers=on_headers
        )
        if resp.data is None:
            return None
        if not isinstance(resp.data, list):
            raise WBBadResponse("finance_detailed: expected an array", headers=resp.headers)
        rows: list[Any] = resp.data
        return rows

    async def seller_info(
        self, token: str, *, on_headers: HeadersCallback | None = None
    ) -> dict[str, Any]:
        """The seller's name, sid and trade mark. Base tokens: once a day."""
        resp = await self.call(METHODS["seller_info"], token, on_headers=on_headers)
        if not isinstance(resp.data, dict):
            raise WBBadResponse("seller_info: expected an object", headers=resp.headers)
        info: dict[str, Any] = resp.data
        return info

    async def tariffs_commission(
        self, token: str, *, on_headers: HeadersCallback | None = None
    ) -> list[Any]:
        """WB's commission by subject (`report`, 10-tariffs.yaml); subject names in Russian, as
        the cards name them."""
        resp = await self.call(
            METHODS["tariffs_commission"], token, params={"locale": "ru"}, on_headers=on_headers
        )
        data = resp.data
        if not isinstance(data, dict) or not isinstance(data.get("report"), list):
            raise WBBadResponse(
                "tariffs_commission: expected a report array", headers=resp.headers
            )
        rows: list[Any] = data["report"]
        return rows


def _query_value(value: str | int | float | bool) -> str | int | float:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _data_field(resp: WBResponse, key: str) -> Any:
    data = resp.data
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        return data["data"].get(key)
    return None


def _response(
    method: Method,
    status: int,
    headers: Mapping[str, str],
    body: bytes | bytearray,
    token: str,
    decode: Decode,
) -> WBResponse:
    if 200 <= status < 300:
        data = None
        if status != 204 and body and not body.isspace():  # strip() would copy the body
            try:
                data = decode(body)
            except BadPayload:
                raise WBBadResponse(f"{method.name}: expected an array", headers=headers) from None
            except (ValueError, RecursionError):
                raise WBBadResponse(f"{method.name}: body is not JSON", headers=headers) from None
        remaining = parse_seconds(header_value(headers, "X-Ratelimit-Remaining"))
        return WBResponse(
            status=status,
            data=data,
            remaining=None if remaining is None else int(remaining),
            headers=headers,
        )
    detail = _detail(body, token)
    if status == 401:
        raise WBUnauthorized(detail, unauthorized_reason(detail), headers=headers)
    if status == 403:
        raise WBForbidden(detail, headers=headers)
    if status == 429:
        retry = parse_seconds(header_value(headers, "X-Ratelimit-Retry"))
        limit = parse_seconds(header_value(headers, "X-Ratelimit-Limit"))
        raise WBRateLimited(
            DEFAULT_RETRY_AFTER if retry is None else min(retry, MAX_RETRY_SECONDS),
            None if limit is None else int(limit),
            parse_seconds(header_value(headers, "X-Ratelimit-Reset")),
            detail=detail,
            headers=headers,
        )
    if 400 <= status < 500:
        raise WBBadRequest(status, detail, headers=headers)
    if status >= 500:
        raise WBServerError(status, detail, headers=headers)
    raise WBBadResponse(f"{method.name}: unexpected status {status}", headers=headers)


def _detail(body: bytes | bytearray, token: str) -> str:
    """WB's explanation from an error body (problem+json, the statistics ``errors`` shape, or
    text), short, single-line, and with anything token-like masked."""
    text = body[:65536].decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):
        for key in ("detail", "errors", "errorText", "message", "title", "error"):
            value = parsed.get(key)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value[:5])
            if isinstance(value, str) and value.strip():
                text = value
                break
    text = " ".join(text.split())
    if token:
        text = text.replace(token, "***")
    text = JWT_PATTERN.sub("***", text)
    return text[:_MAX_DETAIL]
