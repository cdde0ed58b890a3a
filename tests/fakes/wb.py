"""A fake Wildberries seller API: an aiohttp server on 127.0.0.1 that behaves like WB (late 2026).

Unit tests, end-to-end tests (the bot as a subprocess with
``WB_API_URL_TEMPLATE=wb.url_template``), the crash-safety harness and the 10,000-seller
benchmarks all talk to this one server, so it enforces WB's rules instead of being lenient:
per-token-type rate limits with WB's headers and 429 bodies, JWT auth with WB's 401 bodies,
``>=`` cursor paging with a row cap, MSK times without offset. Facts come from wb-api.md;
nothing here reads that file at run time.

Usage::

    async with FakeWB(rate_scale=0.001, page_cap=80_000) as wb:  # pages of 72,000-80,000 rows
        token = make_token(acc=3, categories=("statistics",))     # tests.fakes.tokens
        sid = wb.add_seller(token, name="ИП Петров")
        row = wb.add_order(sid, fbs=True)                         # statistics row (a copy)
        # point the bot at wb.url_template == "http://127.0.0.1:PORT/{host}"

Hosts (the ``{host}`` part; a ``.wildberries.ru`` or ``-sandbox`` suffix is tolerated):
``statistics-api``, ``marketplace-api``, ``seller-analytics-api``, ``content-api``, ``common-api``,
``feedbacks-api``, ``finance-api``.

Routes, with method group (the rate-limit and injection key) and required token category:

=========================================================  ==================  ===========
route                                                      group               category
=========================================================  ==================  ===========
GET  /{host}/ping                                          ``ping:{host}``     host's own
GET  /statistics-api/api/v1/supplier/orders                ``orders``          statistics
GET  /statistics-api/api/v1/supplier/sales                 ``sales``           statistics
GET  /seller-analytics-api/api/v1/warehouse_remains        ``remains_create``  analytics
GET  /seller-analytics-api/.../tasks/{id}/status           ``remains_status``  analytics
GET  /seller-analytics-api/.../tasks/{id}/download         ``remains_download`` analytics
POST /seller-analytics-api/api/analytics/v1/order-feed     ``order_feed``      analytics
GET  /marketplace-api/api/v3/orders/new                    ``fbs_new``         marketplace
POST /content-api/content/v2/get/cards/list                ``cards``           content
GET  /common-api/api/v1/seller-info                        ``seller_info``     any
GET  /common-api/api/v1/tariffs/commission                 ``tariffs_commission`` any
GET  /feedbacks-api/api/v1/new-feedbacks-questions          ``feedbacks``       feedbacks
GET  /feedbacks-api/api/v1/feedbacks                       ``feedbacks``       feedbacks
GET  /feedbacks-api/api/v1/questions                       ``feedbacks``       feedbacks
GET  /feedbacks-api/api/v1/{feedbacks,questions}/count-unanswered  ``feedbacks``  feedbacks
POST /finance-api/api/finance/v1/sales-reports/detailed    ``finance_detailed`` finance
=========================================================  ==================  ===========

Anything else (including the removed ``supplier/incomes``, ``supplier/stocks`` and
``v5/reportDetailByPeriod``) answers 404 before auth.

Request pipeline (order matters for tests):

1. Auth: ``Authorization: <jwt>`` or ``Bearer <jwt>``; the payload is decoded, the signature is
   not checked. 401 ``application/problem+json`` with ``origin`` ``s2s-api-auth-catalog``:
   ``"token problem; token is malformed: ..."`` (garbage, old x64 keys), ``"token expired"``,
   ``"token withdrawn"`` (:meth:`FakeWB.revoke`), a Test token (``t``/``acc=2``) on a non-sandbox
   fake or a non-Test token on a sandbox fake, ``"token scope not allowed"`` (category bit
   missing from ``s``). Auth 401s do not use the rate budget, except that on ``fbs_new`` a 401
   for a known seller is charged 10 (WB's "4XX costs 10" rule for Marketplace).
2. An injected 429 (:meth:`FakeWB.fail_next` with status 429) answers now, without touching the
   budget and without counting as a violation, but it does block the bucket until its
   ``X-Ratelimit-Retry`` has passed: calling earlier gets a real, counted 429.
3. Rate limit: token bucket per (seller ``sid``, group, token class). Token class: ``acc=1`` is
   Base, ``acc=2`` Test (its own row in :data:`TEST_LIMITS`, else the Personal one), everything
   else (Personal, Service) uses the Personal row of :data:`LIMITS`. Every
   period is multiplied by ``rate_scale``. Empty bucket -> 429 ``{"title":"too many requests",
   "detail":"limited by <uuid>",...}`` with ``X-Ratelimit-Retry`` (seconds until one request fits;
   integer rounded up when ``rate_scale >= 1``, else milliseconds rounded up, e.g. ``"0.06"``),
   ``X-Ratelimit-Limit`` (burst), ``X-Ratelimit-Reset`` (seconds to a full bucket). Counted in
   ``wb.violations[(sid, group)]``. Every other answer from here on carries
   ``X-Ratelimit-Remaining``. A 4XX answer on ``fbs_new`` costs 10 tokens instead of 1.
4. Injected hang (sleep), then injected failure (non-429 status), then injected malformed body.
5. The handler.

Data rules: statistics rows are Moscow-time strings without offset; ``flag=0`` returns rows with
``lastChangeDate >= dateFrom`` ascending by ``lastChangeDate`` (ties in insertion order), at most
about ``page_cap`` rows: each page is cut at ``page_cap`` less a random 0..``page_cap_spread``
rows, because WB's cap is approximate, so a short page is not the last. A call with the last
row's ``lastChangeDate`` gets that row again (the boundary row of every page is repeated, and
the newest row is repeated for ever): a client pages until ``[]`` or a page holding only rows at
``dateFrom`` (nothing past the cursor), never stopping on a row count.
``repeat_last_row=False`` is the other reading of WB's docs ("stop when ``[]``"): a
``flag=0`` call whose rows all sit exactly at ``dateFrom`` on a short page answers ``[]``.
``flag=1`` returns every row whose ``date`` is on ``dateFrom``'s calendar day.
The order feed (11-analytics.yaml ``postV1OrderFeed``) is real time: every order, including
those whose payment WB has not confirmed (``add_order(paid=False)``), which supplier/orders omits
("В ответах могут отсутствовать заказы, по которым не подтверждена оплата", 12-reports.yaml)
until :meth:`FakeWB.confirm_payment`; it ignores ``visibility_delay``.
``dateFrom`` missing -> 400 ``{"errors":["dateFrom: field required"]}``; unparsable -> 400
``{"errors":"dateFrom: Value not validated"}`` (WB's docs show both shapes). Returns in
``sales`` have negative money fields by default (``returns_negative``). With
``visibility_delay`` > 0 a new or changed row is served only that many (unscaled) seconds after
the change; until then the previous version (if any) is served.

warehouse_remains (12-reports.yaml): a task is ``new``, then ``processing``, then ``done`` after
``stock_task_delay``; its download before that answers 400. A report row lists only warehouse
entries with a non-zero ``quantity`` (pseudo-rows "В пути до получателей", "В пути возвраты на
склад WB", "Всего находится на складах" included), so a sold-out size has no row (or an empty
list, ``sold_out_rows="empty"``); a report without rows downloads as 204 "Нет данных" (or ``[]``,
``empty_report_status=200``). Warehouse names are whatever ``set_stock`` gives: WB now reports
aggregated ones ("Склад WB РФ", "Склад WB СГТ РФ", "Минск" apart).

Helpers (synchronous; call them from the event loop the server runs in):

- ``add_seller(token_or_sid=None, *, name=None, trade_mark=None) -> sid`` (sellers are also
  created on their first request); ``catalogue(sid) -> list[Product]`` (5 products with
  ``nm_id``, ``article``, ``brand``, ``subject``, ``sizes[Size(tech_size, barcode, chrt_id)]``).
- ``add_order(sid, *, fbs=False, paid=True, **row_overrides) -> row``;
  ``confirm_payment(sid, srid, **overrides) -> row``; ``update_order(sid, srid, **overrides)``;
  ``bulk_add_orders(sid, n, *, start=None, step=1 s, fbs=False, **row_overrides) -> srids``;
  ``order(sid, srid) -> row``;
  ``cancel_order(sid, srid, *, when=None) -> row``; ``add_sale(sid, srid, is_return=False,
  **row_overrides) -> row``; ``process_fbs(sid, srid)`` (leaves ``orders/new``).
- ``set_stock(sid, nm_id, barcode, tech_size, {warehouse: qty}, *, in_way_to_client=0,
  in_way_from_client=0, volume=None)``; ``clear_stock(sid)``; ``end_tasks(sid, "purged")``.
- ``add_card(sid, nm_id, title, *, photo_url=None, vendor_code=None, with_photo=True, brand=None,
  subject_name=None, updated_at=None) -> card``; ``add_catalogue_cards(sid)``.
- ``add_feedback(sid, rating, text="", *, pros="", cons="", nm_id=None, photos=0, created=None)
  -> row``; ``answer_feedback(sid, id)``; ``add_question(sid, text, *, nm_id=None) -> row``;
  ``answer_question(sid, id)``; ``view_all(sid)`` (the seller saw everything in the cabinet).
- ``add_finance_rows(sid, rows, *, date_from, date_to, period="weekly", report_id=None)
  -> rows`` (a report of the finance report ``sales-reports/detailed``; each row gets every
  required field, string money, ``rrdId`` ascending); ``add_finance_week(sid, monday, *,
  period="weekly", until=None) -> rows`` (a realistic week for the catalogue: sales, a return,
  logistics both ways, storage, acceptance, a penalty, a deduction, an additional payment, a
  rebill; daily splits it into one report per day, up to ``until``); ``finance_rows(sid,
  period) -> rows``.
- ``revoke(token_or_sid)`` / ``restore(token_or_sid)``.
- ``fail_next(target, status, *, body=None, headers=None, times=1, sid=None, retry=None)``,
  ``hang_next(target, seconds, times=1, *, sid=None)``, ``malformed_next(target, payload, *,
  times=1, sid=None, status=200)``, ``clear_injections()``; ``target`` is a group (``"ping"``
  covers every host), a path suffix starting with ``/``, or ``"*"``.
- ``reset_limits(sid=None)``, ``limit_for(group, acc) -> RateLimit`` (scaled).
- Records: ``requests`` (list of :class:`RecordedRequest`: ``t`` monotonic, ``group``, ``sid``,
  ``method``, ``path``, ``query``, ``status``), ``requests_for(sid, group=None)``,
  ``violations`` (``Counter[(sid, group)]`` of limiter 429s), ``total_violations()``,
  ``sellers`` (sid -> :class:`SellerState`).

Not modelled: the 90-day retention, sandbox data generation, the service secret ("Base with
secret" limits), write methods, grouping flags of warehouse_remains (rows are always per
barcode), Content filters other than ``withPhoto`` and ``textSearch``.

Run standalone for manual checks: ``python -m tests.fakes.wb --port 8081``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import re
import secrets
import socket
import time
import uuid
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any, Self

from aiohttp import web

from tests.fakes import wb_finance
from tests.fakes.tokens import ACC_BASE, ACC_TEST, CATEGORY_BITS, b64url_decode

MSK = timezone(timedelta(hours=3), "MSK")
HOSTS = (
    "statistics-api",
    "marketplace-api",
    "seller-analytics-api",
    "content-api",
    "common-api",
    "feedbacks-api",
    "finance-api",
)

#: Category needed by each host's ``/ping`` (``None``: any token will do).
HOST_CATEGORY: dict[str, str | None] = {
    "statistics-api": "statistics",
    "marketplace-api": "marketplace",
    "seller-analytics-api": "analytics",
    "content-api": "content",
    "common-api": None,
    "feedbacks-api": "feedbacks",
    "finance-api": "finance",
}

NOT_CANCELLED = "0001-01-01T00:00:00"
FEED_DAYS = 31  # the order feed reaches 31 days back
FEED_DEFAULT_LIMIT = 50
FEED_MAX_LIMIT = 10_000
IN_WAY_TO_CLIENT = "В пути до получателей"
IN_WAY_FROM_CLIENT = "В пути возвраты на склад WB"
TOTAL_ON_WAREHOUSES = "Всего находится на складах"

#: The example row of the warehouse_remains download in WB's spec (ZloyDeDD/wb-api-skill
#: swagger/12-reports.yaml): aggregated warehouses, "Минск" apart, the pseudo-rows first.
SPEC_REMAINS_ROW: dict[str, Any] = {
    "brand": "Wonderful",
    "subjectName": "Фотоальбомы",
    "vendorCode": "41058/прозрачный",
    "nmId": 183804172,
    "barcode": "2037031652319",
    "techSize": "0",
    "volume": 1.33,
    "warehouses": [
        {"warehouseName": IN_WAY_TO_CLIENT, "quantity": 14},
        {"warehouseName": IN_WAY_FROM_CLIENT, "quantity": 4},
        {"warehouseName": TOTAL_ON_WAREHOUSES, "quantity": 267},
        {"warehouseName": "Склад WB РФ", "quantity": 134},
        {"warehouseName": "Склад WB СГТ РФ", "quantity": 10},
        {"warehouseName": "Минск", "quantity": 123},
    ],
}


@dataclass(frozen=True, slots=True)
class RateLimit:
    """WB's bucket: ``limit`` requests per ``period`` seconds, at most ``burst`` at once."""

    period: float
    limit: int
    burst: int

    @property
    def interval(self) -> float:
        """Seconds to regain one request."""
        return self.period / self.limit

    def scaled(self, factor: float) -> RateLimit:
        return RateLimit(self.period * factor, self.limit, self.burst)


#: group -> (Personal/Service/Test/Base-with-secret limit, Base limit); wb-api.md §3.2, Aug 2026.
#: Ping groups are ``ping:<host>`` and share the ``ping`` row, one bucket per host.
LIMITS: dict[str, tuple[RateLimit, RateLimit]] = {
    "orders": (RateLimit(60, 1, 10), RateLimit(3 * 3600, 1, 1)),
    "sales": (RateLimit(60, 1, 1), RateLimit(2 * 3600, 1, 1)),
    # warehouse_remains: each of the three methods has its own table in ZloyDeDD/wb-api-skill
    # swagger/12-reports.yaml (and x-wb-rate-limits in MissiaL/wildberries-api
    # assets/openapi/reports.json): create 1/min burst 5, status 1 per 5 s burst 5, download
    # 1/min burst 1; Base "1 ч | 4 запроса | 15 мин | 1 запрос" for every one, status included.
    "remains_create": (RateLimit(60, 1, 5), RateLimit(3600, 4, 1)),
    "remains_status": (RateLimit(5, 1, 5), RateLimit(3600, 4, 1)),
    "remains_download": (RateLimit(60, 1, 1), RateLimit(3600, 4, 1)),
    "fbs_new": (RateLimit(60, 300, 20), RateLimit(60, 150, 10)),
    "cards": (RateLimit(60, 100, 5), RateLimit(60, 100, 5)),
    "seller_info": (RateLimit(60, 1, 10), RateLimit(24 * 3600, 1, 1)),
    # eslazarev/wildberries-sdk specs/10-tariffs.yaml /api/v1/tariffs/commission: Personal,
    # Service, Base with secret "1 мин | 1 запрос | 1 мин | 2 запроса"; Base "1 ч | 5 запросов |
    # 12 мин | 1 запрос". common-api: any valid token (x-category commonapi).
    "tariffs_commission": (RateLimit(60, 1, 2), RateLimit(3600, 5, 1)),
    # 11-analytics.yaml postV1OrderFeed: Personal/Service/Base with secret 1 per min, burst 1;
    # Base 1 per 3 h (MissiaL analytics.json x-wb-rate-limits agrees).
    "order_feed": (RateLimit(60, 1, 1), RateLimit(3 * 3600, 1, 1)),
    "ping": (RateLimit(30, 3, 3), RateLimit(30, 3, 3)),
    # 09-communications.yaml, every method of the category: "Лимит запросов на один аккаунт
    # продавца для всех методов категории Вопросы и отзывы": Personal/Service/Base with secret
    # 1 s | 3 | 333 ms | burst 6; Base 1 h | 5 | 12 min | burst 1. One group, one bucket.
    "feedbacks": (RateLimit(1, 3, 6), RateLimit(3600, 5, 1)),
    # 13-finances.yaml postV1SalesReportsDetailed: Personal/Service/Base with secret
    # "1 мин | 1 запрос | 1 мин | 1 запрос"; Base "24 ч | 2 запроса | 12 ч | 1 запрос".
    "finance_detailed": (RateLimit(60, 1, 1), RateLimit(24 * 3600, 2, 1)),
}

#: Test (sandbox) rows where WB gives one (orders-fbs: "Test | 1 minute | 150 requests | ... |
#: 10 requests"); elsewhere a Test token has the Personal row.
TEST_LIMITS: dict[str, RateLimit] = {"fbs_new": RateLimit(60, 150, 10)}

#: Hosts WB's sandbox has none of (wb-api.md Corrections 6): 404 on a sandbox fake.
NOT_IN_SANDBOX = frozenset({"seller-analytics-api", "common-api"})
#: 09-communications.yaml getV1Feedbacks: ``take`` "max. 5 000", ``skip`` "max. 199990";
#: getV1Questions: ``take`` and ``take + skip`` at most 10 000.
FEEDBACKS_MAX_TAKE = 5000
FEEDBACKS_MAX_SKIP = 199_990
QUESTIONS_MAX_WINDOW = 10_000

#: Groups where WB charges a 4XX answer as 10 requests (Marketplace).
PENALISED_GROUPS = frozenset({"fbs_new"})
PENALTY_COST = 10

#: The ``detail`` of WB's 429 names the limiter rule; keep one stable UUID per group.
_LIMITER_IDS = {g: str(uuid.uuid5(uuid.NAMESPACE_URL, f"wb-limiter/{g}")) for g in LIMITS}

_EPS = 1e-9
_US = timedelta(microseconds=1)
_EPOCH_MSK = datetime(1970, 1, 1, 3, 0, 0)  # the Unix epoch on a Moscow wall clock
_JSON_CT = "application/json; charset=utf-8"
_PROBLEM_CT = "application/problem+json; charset=utf-8"
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)

# ----------------------------------------------------------------------------------------------
# time helpers


def parse_wb_datetime(text: str, default_tz: timezone = MSK) -> datetime | None:
    """Parse WB's date / date-time forms (fractions up to 9 digits, optional offset) to aware time.

    A value without offset is taken in ``default_tz`` (Moscow for the Statistics API).
    Returns ``None`` when WB would answer "Value not validated".
    """
    m = _DATE_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, hh, mm, ss, frac, off = m.groups()
    tz: timezone = default_tz
    if off == "Z":
        tz = UTC
    elif off:
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            int(y),
            int(mo),
            int(d),
            int(hh or 0),
            int(mm or 0),
            int(ss or 0),
            int((frac or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None


def msk_naive(value: datetime | str) -> datetime:
    """A Moscow wall-clock datetime (naive) from an aware/naive datetime or a WB string."""
    if isinstance(value, str):
        parsed = parse_wb_datetime(value)
        if parsed is None:
            raise ValueError(f"not a WB date-time: {value!r}")
        value = parsed
    if value.tzinfo is not None:
        value = value.astimezone(MSK).replace(tzinfo=None)
    return value


def msk_str(dt: datetime) -> str:
    """WB's Statistics format: Moscow time, no offset, fraction only when non-zero."""
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond:06d}".rstrip("0")
    return text


def utc_str(dt: datetime, *, fraction: bool = False) -> str:
    """RFC 3339 UTC with ``Z`` (Marketplace ``createdAt``, Content ``updatedAt``)."""
    dt = dt.astimezone(UTC)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction and dt.microsecond:
        text += f".{dt.microsecond:06d}".rstrip("0")
    return text + "Z"


def _key_of_msk(dt: datetime) -> int:
    """Sort key (microseconds since the Unix epoch) of a naive Moscow datetime."""
    return (dt - _EPOCH_MSK) // _US


def _key_of_str(text: str) -> int:
    return _key_of_msk(msk_naive(text))


def _day_of(text: str) -> int:
    """Ordinal of the calendar day of a WB ``date`` string (it starts with YYYY-MM-DD)."""
    return date(int(text[0:4]), int(text[5:7]), int(text[8:10])).toordinal()


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

#: Fields :meth:`FakeWB.bulk_add_orders` generates per row, in the placeholder order of
#: :func:`_bulk_format`.
_BULK_FIELDS = ("date", "lastChangeDate", "gNumber", "sticker", "srid")


def _dumps(data: Any) -> bytes:
    return _ENCODER.encode(data).encode()


def _bulk_parts(template: dict[str, Any]) -> tuple[list[bytes], list[int]]:
    """Split the JSON of ``template`` around the per-row fields of :data:`_BULK_FIELDS`.

    Returns the literal byte pieces and, for each gap between them, the index of the field that
    fills it. The per-row values are plain ASCII (digits, dashes, colons, dots), so they need no
    JSON escaping and a row is just ``b"".join`` of pieces and values.
    """
    marked = dict(template)
    for i, name in enumerate(_BULK_FIELDS):
        marked[name] = f"\x00{i}\x00"
    pieces = re.split(r"\\u0000(\d)\\u0000", _ENCODER.encode(marked))
    return [p.encode() for p in pieces[0::2]], [int(i) for i in pieces[1::2]]


# ----------------------------------------------------------------------------------------------
# state


@dataclass(slots=True)
class RecordedRequest:
    """One request as the fake saw it; ``status`` is 0 while the request is still in flight."""

    t: float  # clock() at arrival (time.monotonic by default)
    group: str | None  # None for unknown routes
    sid: str | None  # None when the token could not be read
    method: str
    path: str
    query: dict[str, str]
    status: int = 0


@dataclass(slots=True)
class Size:
    tech_size: str
    barcode: str
    chrt_id: int


@dataclass(slots=True)
class Product:
    """One article of a seller's catalogue; orders, stock and cards are drawn from it."""

    nm_id: int
    imt_id: int
    article: str
    brand: str
    category: str
    subject: str
    price: int
    discount: int
    income_id: int
    sizes: list[Size]
    volume: float = 1.0

    def size(self, tech_size: str | None = None, barcode: str | None = None) -> Size:
        for s in self.sizes:
            if (tech_size is None or s.tech_size == tech_size) and (
                barcode is None or s.barcode == barcode
            ):
                return s
        return self.sizes[0]


class _Bucket:
    """Token bucket state; refilled lazily from the clock."""

    __slots__ = ("blocked_until", "tokens", "updated")

    def __init__(self, burst: int, now: float) -> None:
        self.tokens = float(burst)
        self.updated = now
        self.blocked_until = 0.0

    def refill(self, now: float, rl: RateLimit) -> None:
        if self.tokens < rl.burst and now > self.updated:
            self.tokens = min(float(rl.burst), self.tokens + (now - self.updated) / rl.interval)
        self.updated = max(self.updated, now)

    def wait(self, now: float, rl: RateLimit) -> float:
        """Seconds until one request fits (0 if it fits now); refills first."""
        self.refill(now, rl)
        blocked = self.blocked_until - now
        short = (1.0 - self.tokens) * rl.interval if self.tokens < 1.0 - _EPS else 0.0
        wait = max(blocked, short)
        return wait if wait > _EPS else 0.0

    def remaining(self) -> int:
        return max(0, math.floor(self.tokens + _EPS))

    def reset_in(self, rl: RateLimit) -> float:
        return max(0.0, (rl.burst - self.tokens) * rl.interval)


class _Entry:
    """One version of a statistics row.

    Holds the row as a dict, as JSON, or both: rows from :meth:`FakeWB.bulk_add_orders` keep
    only their JSON (about 1 KB a row instead of 2.5), rows from the single-row helpers encode on
    first use. Nobody mutates a stored row; a change stores a new entry.
    """

    __slots__ = ("_data", "blob", "day", "hidden_at", "key", "prev", "visible_at")

    def __init__(
        self,
        key: int,
        day: int,
        visible_at: float,
        data: dict[str, Any] | None = None,
        blob: bytes | None = None,
    ) -> None:
        self.key = key
        self.day = day
        self.visible_at = visible_at
        self.hidden_at = math.inf
        self.prev: _Entry | None = None
        self._data = data
        self.blob = blob

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            assert self.blob is not None
            self._data = json.loads(self.blob)
        return self._data

    def encode(self) -> bytes:
        if self.blob is None:
            self.blob = _dumps(self._data)
        return self.blob

    def visible(self, now: float) -> bool:
        return self.visible_at <= now < self.hidden_at


class _RowStore:
    """Rows kept sorted by ``lastChangeDate`` so a ``flag=0`` page costs O(log n + page)."""

    def __init__(self, id_field: str) -> None:
        self.id_field = id_field
        self.keys: list[int] = []
        self.entries: list[_Entry] = []
        self.by_id: dict[str, _Entry] = {}
        self.by_day: dict[int, dict[str, None]] = {}
        self.lagged = False  # True once any row was stored with a visibility delay

    def __len__(self) -> int:
        return len(self.by_id)

    def put(self, data: dict[str, Any], now: float, visible_at: float) -> None:
        row_id = data[self.id_field]
        day = _day_of(data["date"])
        entry = _Entry(_key_of_str(data["lastChangeDate"]), day, visible_at, data)
        old = self.by_id.get(row_id)
        if old is not None:
            if old.prev is not None:
                self._remove(old.prev)
                old.prev = None
            if visible_at <= now and old.visible_at <= now:
                self._remove(old)
            else:
                old.hidden_at = max(visible_at, old.visible_at)
                entry.prev = old
            if old.day != day:
                self.by_day.get(old.day, {}).pop(row_id, None)
        if visible_at > now:
            self.lagged = True
        self.by_id[row_id] = entry
        self.by_day.setdefault(day, {})[row_id] = None
        i = bisect_right(self.keys, entry.key)
        self.keys.insert(i, entry.key)
        self.entries.insert(i, entry)

    def extend(
        self,
        ids: list[str],
        keys: list[int],
        days: list[int],
        blobs: list[bytes],
        now: float,
        visible_at: float,
    ) -> None:
        """Bulk insert of fresh rows (ids must be new) given as JSON; one sort at most."""
        new: list[_Entry] = []
        by_id, by_day = self.by_id, self.by_day
        for row_id, key, day, blob in zip(ids, keys, days, blobs, strict=True):
            e = _Entry(key, day, visible_at, None, blob)
            new.append(e)
            by_id[row_id] = e
            day_ids = by_day.get(day)
            if day_ids is None:
                day_ids = by_day[day] = {}
            day_ids[row_id] = None
        if visible_at > now and new:
            self.lagged = True
        in_order = all(a <= b for a, b in itertools.pairwise(keys))
        if in_order and (not self.keys or not keys or keys[0] >= self.keys[-1]):
            self.keys.extend(keys)
            self.entries.extend(new)
        else:
            self.entries.extend(new)
            self.entries.sort(key=lambda e: e.key)
            self.keys = [e.key for e in self.entries]

    def _remove(self, entry: _Entry) -> None:
        i = bisect_left(self.keys, entry.key)
        while i < len(self.keys) and self.keys[i] == entry.key:
            if self.entries[i] is entry:
                del self.keys[i]
                del self.entries[i]
                return
            i += 1

    def page(self, from_key: int, cap: int, now: float) -> list[_Entry]:
        i = bisect_left(self.keys, from_key)
        if not self.lagged:
            return self.entries[i : i + cap]
        out: list[_Entry] = []
        entries = self.entries
        while i < len(entries) and len(out) < cap:
            if entries[i].visible(now):
                out.append(entries[i])
            i += 1
        return out

    def on_day(self, day: int, now: float) -> list[_Entry]:
        out: list[_Entry] = []
        for row_id in self.by_day.get(day, ()):
            e: _Entry | None = self.by_id[row_id]
            if self.lagged:
                while e is not None and not e.visible(now):
                    e = e.prev
            if e is not None and e.day == day:
                out.append(e)
        out.sort(key=lambda e: e.key)
        return out


class _CardStore:
    """Cards sorted by (updatedAt, nmID), the order WB's cursor walks."""

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []
        self.cards: list[dict[str, Any]] = []
        self.by_nm: dict[int, tuple[int, int]] = {}

    def put(self, card: dict[str, Any], updated: datetime) -> None:
        nm = card["nmID"]
        old = self.by_nm.get(nm)
        if old is not None:
            i = bisect_left(self.keys, old)
            del self.keys[i]
            del self.cards[i]
        key = ((updated - datetime(1970, 1, 1, tzinfo=UTC)) // _US, nm)
        i = bisect_left(self.keys, key)
        self.keys.insert(i, key)
        self.cards.insert(i, card)
        self.by_nm[nm] = key


@dataclass(slots=True)
class _Stock:
    warehouses: dict[str, int]
    in_way_to_client: int
    in_way_from_client: int
    volume: float | None


@dataclass(slots=True)
class _Task:
    created: float
    ready_after: float
    body: bytes
    final_status: str | None = None  # "purged" / "canceled", set by FakeWB.end_tasks


@dataclass
class SellerState:
    """Everything the fake knows about one seller (keyed by the JWT ``sid``)."""

    sid: str
    name: str
    trade_mark: str
    products: list[Product]
    fbs_warehouse: str
    fbs_warehouse_id: int
    orders: _RowStore = field(default_factory=lambda: _RowStore("srid"))
    sales: _RowStore = field(default_factory=lambda: _RowStore("saleID"))
    fbs_new: dict[str, dict[str, Any]] = field(default_factory=dict)  # srid -> FBS order
    # Orders whose payment WB has not confirmed: in the order feed, not (yet) in supplier/orders.
    unconfirmed: dict[str, dict[str, Any]] = field(default_factory=dict)
    # srid -> the order feed's status after the order was bought out or returned, and since when
    feed_status: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    stock: dict[tuple[int, str, str], _Stock] = field(default_factory=dict)
    tasks: dict[str, _Task] = field(default_factory=dict)
    cards: _CardStore = field(default_factory=_CardStore)
    feedbacks: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> review
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> question
    # The finance report's rows per period ("weekly", "daily"), ascending rrdId.
    finance: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {p: [] for p in wb_finance.PERIODS}
    )

    def product(self, nm_id: int) -> Product | None:
        for p in self.products:
            if p.nm_id == nm_id:
                return p
        return None


@dataclass(slots=True)
class _Injection:
    kind: str  # "fail" | "hang" | "malformed"
    target: str  # group, "ping" for every ping group, "/path/suffix", or "*"
    sid: str | None
    times: int
    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    seconds: float = 0.0

    def matches(self, group: str, path: str, sid: str) -> bool:
        if self.sid is not None and self.sid != sid:
            return False
        t = self.target
        if t == "*":
            return True
        if t.startswith("/"):
            return path.endswith(t)
        return group == t or group.startswith(t + ":")


@dataclass(frozen=True, slots=True)
class _Route:
    group: str
    category: str | None
    handler: Callable[[web.Request, SellerState, str], Awaitable[web.Response]]


# ----------------------------------------------------------------------------------------------
# catalogue data (realistic Russian values; deterministic per seller)

_SUBJECTS = (
    ("Одежда", "Футболки", ("S", "M", "L", "XL"), "FUTB", 0.8),
    ("Обувь", "Кроссовки", ("40", "41", "42", "43"), "KROS", 6.5),
    ("Дом", "Светильники", ("0",), "LAMP", 4.2),
    ("Красота", "Кремы", ("0",), "KREM", 0.3),
    ("Аксессуары", "Сумки", ("0",), "SUMK", 3.1),
    ("Игрушки", "Конструкторы", ("0",), "KONS", 2.4),
    ("Электроника", "Наушники", ("0",), "NAUSH", 0.9),
)


def commission_report() -> list[dict[str, Any]]:
    """The catalogue's subjects as 10-tariffs.yaml's Commission example shows a row: percents as
    numbers, `subjectID` as on the cards (bot keys by `subjectName`, as cards and rows name it)."""
    rows = []
    for idx, (parent, subject, *_rest) in enumerate(_SUBJECTS):
        fbw = 15.5 + idx  # paidStorageKgvp: sold from WB's warehouse (FBW)
        rows.append(
            {
                "kgvpBooking": fbw - 1,
                "kgvpMarketplace": fbw + 3,  # from the seller's warehouse (FBS)
                "kgvpPickup": fbw - 1,
                "kgvpSupplier": fbw - 3,
                "kgvpSupplierExpress": 3,
                "paidStorageKgvp": fbw,
                "parentID": 600 + idx,
                "parentName": parent,
                "subjectID": 100 + len(subject),
                "subjectName": subject,
            }
        )
    return rows


#: The money fields WB may send as 0 for up to 24 hours (12-reports.yaml, supplier/orders and
#: supplier/sales).
AMOUNTS = ("finishedPrice", "priceWithDisc", "forPay")
#: The warehouse of the examples of supplier/orders and supplier/sales in 12-reports.yaml.
AGGREGATED_WAREHOUSE = "Склад WB РФ"

_WAREHOUSES = (
    "Коледино",
    "Подольск",
    "Электросталь",
    "Казань",
    "Краснодар",
    "Тула",
    "Невинномысск",
    "Екатеринбург - Испытателей 14г",
    "Новосибирск",
    "Санкт-Петербург Уткина Заводь",
)
_REGIONS = (
    ("Россия", "Центральный федеральный округ", "Москва"),
    ("Россия", "Центральный федеральный округ", "Московская область"),
    ("Россия", "Приволжский федеральный округ", "Республика Татарстан"),
    ("Россия", "Южный федеральный округ", "Краснодарский край"),
    ("Россия", "Северо-Западный федеральный округ", "Санкт-Петербург"),
    ("Россия", "Уральский федеральный округ", "Свердловская область"),
    ("Россия", "Сибирский федеральный округ", "Новосибирская область"),
    ("Беларусь", "", "Минская область"),
    ("Казахстан", "", "Алматы"),
)
_CITIES = {
    "Москва": "Москва",
    "Московская область": "Химки",
    "Республика Татарстан": "Казань",
    "Краснодарский край": "Краснодар",
    "Санкт-Петербург": "Санкт-Петербург",
    "Свердловская область": "Екатеринбург",
    "Новосибирская область": "Новосибирск",
    "Минская область": "Минск",
    "Алматы": "Алматы",
}
_SURNAMES = ("Иванов", "Петрова", "Смирнов", "Кузнецова", "Попов", "Соколова", "Лебедев")
_MARKS = ("NordLine", "Solnce", "HomeLight", "UrbanStep", "Berezka", "ZimaLeto", "TechnoDom")
_SPP = (0, 5, 10, 15, 19, 22, 25, 30)
_PRICES = (490, 790, 990, 1290, 1890, 2490, 3490, 5990)
_DISCOUNTS = (0, 10, 15, 25, 40, 55)


def _make_catalogue(rng: random.Random, brand: str, n: int = 5) -> list[Product]:
    products = []
    for idx in range(n):
        category, subject, sizes, prefix, volume = _SUBJECTS[(idx + rng.randrange(7)) % 7]
        products.append(
            Product(
                nm_id=rng.randint(100_000_000, 450_000_000),
                imt_id=rng.randint(50_000_000, 400_000_000),
                article=f"{prefix}-{rng.randint(100, 999)}-{idx + 1:02d}",
                brand=brand,
                category=category,
                subject=subject,
                price=rng.choice(_PRICES),
                discount=rng.choice(_DISCOUNTS),
                income_id=rng.randint(10_000_000, 30_000_000),
                sizes=[
                    Size(
                        tech_size=s,
                        barcode=f"20{rng.randrange(10**10, 10**11)}",
                        chrt_id=rng.randint(100_000_000, 600_000_000),
                    )
                    for s in sizes
                ],
                volume=volume,
            )
        )
    return products


def _basket_host(vol: int) -> str:
    """Basket shard for photo URLs (community table in wb-api.md §5; stable enough for a fake)."""
    bounds = (143, 287, 431, 719, 1007, 1061, 1115, 1169, 1313, 1601, 1655, 1919, 2045, 2189)
    for i, top in enumerate(bounds, start=1):
        if vol <= top:
            return f"{i:02d}"
    return "15" if vol <= 2405 else "21"


def photo_urls(nm_id: int, n: int = 1) -> dict[str, str]:
    """WB's photo URL set for photo ``n`` of an article, as ``cards/list`` returns it."""
    vol, part = nm_id // 100_000, nm_id // 1000
    base = f"https://basket-{_basket_host(vol)}.wbbasket.ru/vol{vol}/part{part}/{nm_id}/images"
    return {
        "big": f"{base}/big/{n}.webp",
        "c246x328": f"{base}/c246x328/{n}.webp",
        "c516x688": f"{base}/c516x688/{n}.webp",
        "square": f"{base}/square/{n}.webp",
        "tm": f"{base}/tm/{n}.webp",
    }


# ----------------------------------------------------------------------------------------------
# the server


class FakeWB:
    """Fake WB seller API server; see the module docstring for the routes and rules.

    Args:
        rate_scale: multiplies every rate-limit period and the stock task delay (0.001 turns
            "1/min" into "1 per 60 ms").
        page_cap: the largest row cap of a ``flag=0`` Statistics page (WB: "примерно 80000").
        page_cap_spread: each page is cut at ``page_cap`` minus a random 0..spread rows, as WB's
            cap is approximate (12-reports.yaml, ``flag``: "условное ограничение 80000 строк"),
            so a short page is not the last; default a tenth of ``page_cap``.
        repeat_last_row: pure ``>=`` paging (default); False answers ``[]`` instead of
            re-sending only rows exactly at ``dateFrom`` on a short page.
        stock_task_delay: seconds (times ``rate_scale``) until a warehouse_remains task is done.
        visibility_delay: seconds (not scaled) before a new or changed statistics row is served.
        sandbox: act as ``*-sandbox`` hosts: accept only Test tokens; the Analytics and
            common-api hosts do not exist there (404).
        enforce_limits: set False to switch the limiter off (for pure data tests).
        limits: per-group overrides of :data:`LIMITS`, unscaled.
        seed: makes catalogues and ids reproducible.
        record_requests: keep :attr:`requests` (switch off for very long benchmarks).
        returns_negative: sales ``R`` rows carry negative money fields.
        clock: monotonic clock in seconds for limits, tasks and visibility.
        sold_out_rows: how a warehouse_remains report shows a size with no stock anywhere.
            WB lists a warehouse entry "только при ненулевом quantity" (12-reports.yaml, the
            download's ``warehouses``), which leaves two readings: ``"omit"`` (default) drops
            the row, ``"empty"`` keeps it with ``warehouses: []``. A client must handle both.
        empty_report_status: what the download of a report without a single row answers:
            204 (default; the spec's ``'204': Нет данных``) or 200 with ``[]``.
        amounts_later: seconds (unscaled) a fresh orders/sales row (``add_order``,
            ``confirm_payment``, ``add_sale``) carries ``finishedPrice``, ``priceWithDisc`` and
            ``forPay`` as 0 before WB fills them in with a newer ``lastChangeDate``; None
            (default) fills them at once. 12-reports.yaml (supplier/orders, supplier/sales):
            "Поля `finishedPrice`, `priceWithDisc`, `forPay` могут временно иметь значение `0`:
            данные заполняются асинхронно, актуализируются в течение 24 часов".
        aggregated_warehouses: orders and sales from WB warehouses name the aggregated
            warehouse "Склад WB РФ", as the examples of supplier/orders and supplier/sales in
            12-reports.yaml do, instead of a single warehouse ("Коледино").
    """

    def __init__(
        self,
        *,
        rate_scale: float = 1.0,
        page_cap: int = 80_000,
        page_cap_spread: int | None = None,
        repeat_last_row: bool = True,
        stock_task_delay: float = 3.0,
        visibility_delay: float = 0.0,
        sandbox: bool = False,
        enforce_limits: bool = True,
        limits: Mapping[str, tuple[RateLimit, RateLimit]] | None = None,
        seed: int = 0,
        record_requests: bool = True,
        returns_negative: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sold_out_rows: str = "omit",
        empty_report_status: int = 204,
        amounts_later: float | None = None,
        aggregated_warehouses: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if rate_scale <= 0:
            raise ValueError("rate_scale must be positive")
        self.rate_scale = rate_scale
        self.page_cap = page_cap
        self.page_cap_spread = page_cap // 10 if page_cap_spread is None else page_cap_spread
        if not 0 <= self.page_cap_spread < page_cap:
            raise ValueError("page_cap_spread must be from 0 to page_cap - 1")
        self._cap_rng = random.Random(f"{seed}:page-cap")
        self.repeat_last_row = repeat_last_row
        self.stock_task_delay = stock_task_delay
        self.visibility_delay = visibility_delay
        self.sandbox = sandbox
        self.enforce_limits = enforce_limits
        self.seed = seed
        self.record_requests = record_requests
        self.returns_negative = returns_negative
        self.clock = clock
        if sold_out_rows not in ("omit", "empty") or empty_report_status not in (200, 204):
            raise ValueError("sold_out_rows is omit|empty, empty_report_status 200|204")
        self.sold_out_rows = sold_out_rows
        self.empty_report_status = empty_report_status
        self.amounts_later = amounts_later
        self.aggregated_warehouses = aggregated_warehouses
        self._bind = (host, port)
        table = {**LIMITS, **(limits or {})}
        self._limits = {
            g: (p.scaled(rate_scale), b.scaled(rate_scale)) for g, (p, b) in table.items()
        }
        self._test_limits = {g: t.scaled(rate_scale) for g, t in TEST_LIMITS.items()}

        self.sellers: dict[str, SellerState] = {}
        self.requests: list[RecordedRequest] = []
        self.violations: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[tuple[str, str, int], _Bucket] = {}
        self._injections: list[_Injection] = []
        self._revoked_ids: set[str] = set()
        self._revoked_sids: set[str] = set()
        self._claims_cache: dict[str, dict[str, Any] | str] = {}
        self._rng = random.Random(seed)
        self._seq = itertools.count(1)
        self._srid_base = 5_800_000_000_000_000_000 + self._rng.randrange(10**17)
        self._gnum_base = 90_000_000_000_000_000_000 + self._rng.randrange(10**18)
        self._fbs_id_base = 4_000_000_000 + self._rng.randrange(10**8)

        #: WB's commission by subject (GET tariffs/commission `report`), one for every seller.
        self.commission: list[dict[str, Any]] = commission_report()

        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._build_routes()

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{host}/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(self._bind)
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock, backlog=1024)
        await site.start()
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url_template(self) -> str:
        """Value for the bot's ``WB_API_URL_TEMPLATE``."""
        return f"http://127.0.0.1:{self.port}/{{host}}"

    def base_url(self, host: str) -> str:
        return f"http://127.0.0.1:{self.port}/{host}"

    # -- sellers and data ----------------------------------------------------------------------

    def add_seller(
        self,
        token_or_sid: str | None = None,
        *,
        name: str | None = None,
        trade_mark: str | None = None,
    ) -> str:
        """Register (or rename) a seller; returns its ``sid``.

        Sellers are also created on their first request, so this is only needed to set the
        name or to add data before the bot calls.
        """
        sid = _sid_of(token_or_sid) if token_or_sid else str(uuid.uuid4())
        seller = self._seller(sid)
        if name is not None:
            seller.name = name
        if trade_mark is not None:
            seller.trade_mark = trade_mark
        return sid

    def catalogue(self, sid: str) -> list[Product]:
        """The seller's products (orders pick from these unless ``nmId`` is overridden)."""
        return self._seller(sid).products

    def add_order(
        self, sid: str, *, fbs: bool = False, paid: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        """Add one order row; returns a copy of the statistics row.

        ``overrides`` are row fields (``date``/``lastChangeDate`` accept datetimes, naive =
        Moscow). An unknown ``nmId`` adds a product to the catalogue. ``fbs=True`` makes it a
        seller-warehouse order and queues it in ``/api/v3/orders/new`` with ``rid == srid``.
        ``paid=False``: payment not confirmed (deferred payment, instalments): the order is in
        the order feed only, until :meth:`confirm_payment` (if ever) puts it in supplier/orders.
        """
        seller = self._seller(sid)
        now = self._now_msk()
        row = self._order_row(seller, now, fbs=fbs, overrides=overrides)
        if paid:
            self._put_fresh(seller.orders, row)
        else:
            seller.unconfirmed[row["srid"]] = row
        if fbs:
            seller.fbs_new[row["srid"]] = self._fbs_order(seller, row)
        return dict(row)

    def bulk_add_orders(
        self,
        sid: str,
        n: int,
        *,
        start: datetime | None = None,
        step: timedelta = timedelta(seconds=1),
        fbs: bool = False,
        **overrides: Any,
    ) -> list[str]:
        """Add ``n`` orders with ``date == lastChangeDate == start + i*step``; returns the srids.

        Built for 100k+ rows (about 5 µs and 1 KB a row): each row's JSON is joined from the
        pre-encoded pieces of a few templates, and no dict is kept until someone asks for it.
        ``start`` defaults to now minus ``n*step`` (Moscow), so the last row is about now.
        ``overrides`` apply to every row (``date``, ``lastChangeDate``, ``srid``, ``gNumber``
        and ``sticker`` are always generated).
        """
        seller = self._seller(sid)
        start_msk = msk_naive(start) if start is not None else self._now_msk() - step * n
        step_us = step // _US
        start_key = _key_of_msk(start_msk)
        ov = {k: v for k, v in overrides.items() if k not in _BULK_FIELDS}
        if any(k in ov for k in ("nmId", "techSize", "barcode")):
            templates = [self._order_row(seller, start_msk, fbs=fbs, overrides=ov)]
        else:
            templates = [
                self._order_row(seller, start_msk, fbs=fbs, overrides=ov, product=p)
                for p in seller.products
                for _ in range(4)
            ]
        parts = [_bulk_parts(t) for t in templates]
        rand = self._rng.random
        blobs: list[bytes] = []
        keys: list[int] = []
        days: list[int] = []
        srids: list[str] = []
        n_tpl = len(templates)
        srid_base, gnum_base = self._srid_base, self._gnum_base
        with_fraction = bool(start_msk.microsecond or step.microseconds)
        for i in range(n):
            seq = next(self._seq)
            moment = start_msk + step * i
            stamp = (msk_str(moment) if with_fraction else moment.isoformat()).encode()
            srid = f"{srid_base + seq * 7919}.0.0"
            values = (
                stamp,
                stamp,
                b"%d" % (gnum_base + seq * 104_729),
                b"%d" % (20_000_000_000 + seq),
                srid.encode(),
            )
            lits, order = parts[int(rand() * n_tpl)]
            blobs.append(
                b"".join(
                    (
                        lits[0], values[order[0]], lits[1], values[order[1]], lits[2],
                        values[order[2]], lits[3], values[order[3]], lits[4],
                        values[order[4]], lits[5],
                    )
                )
            )  # fmt: skip
            keys.append(start_key + i * step_us)
            days.append(moment.toordinal())
            srids.append(srid)
        now = self.clock()
        seller.orders.extend(srids, keys, days, blobs, now, now + self.visibility_delay)
        if fbs:
            for srid in srids:
                seller.fbs_new[srid] = self._fbs_order(seller, seller.orders.by_id[srid].data)
        return srids

    def order(self, sid: str, srid: str) -> dict[str, Any]:
        """A copy of the latest version of an order row (``KeyError`` if unknown)."""
        seller = self._seller(sid)
        if srid in seller.unconfirmed:
            return dict(seller.unconfirmed[srid])
        return dict(seller.orders.by_id[srid].data)

    def confirm_payment(self, sid: str, srid: str, **overrides: Any) -> dict[str, Any]:
        """WB confirms an unpaid order's payment: it reaches supplier/orders now, with its own
        ``date`` and a ``lastChangeDate`` of now. ``overrides`` change fields (say a price WB
        filled in meanwhile). Returns a copy of the statistics row."""
        seller = self._seller(sid)
        row = dict(seller.unconfirmed.pop(srid))
        row["lastChangeDate"] = msk_str(max(self._now_msk(), msk_naive(row["date"])))
        row.update(self._convert_times(overrides))
        self._put_fresh(seller.orders, row)
        return dict(row)

    def update_order(self, sid: str, srid: str, **overrides: Any) -> dict[str, Any]:
        """WB changes an order row in place (say it fills in a price that was 0): the new
        version gets a newer ``lastChangeDate`` unless ``overrides`` sets one."""
        seller = self._seller(sid)
        if srid in seller.unconfirmed:
            seller.unconfirmed[srid].update(self._convert_times(overrides))
            return dict(seller.unconfirmed[srid])
        row = dict(seller.orders.by_id[srid].data)
        old_lcd = msk_naive(row["lastChangeDate"])
        row["lastChangeDate"] = msk_str(max(self._now_msk(), old_lcd + timedelta(seconds=1)))
        row.update(self._convert_times(overrides))
        self._put(seller.orders, row)
        return dict(row)

    def cancel_order(self, sid: str, srid: str, *, when: datetime | None = None) -> dict[str, Any]:
        """Cancel in place like WB: ``isCancel``, ``cancelDate``, and a newer ``lastChangeDate``.

        The order also leaves the FBS new-orders feed. Returns a copy of the new row.
        """
        seller = self._seller(sid)
        unpaid = srid in seller.unconfirmed
        old = seller.unconfirmed[srid] if unpaid else seller.orders.by_id[srid].data
        now = self._now_msk()
        row = dict(old)
        row["isCancel"] = True
        row["cancelDate"] = msk_str(msk_naive(when) if when is not None else now)
        old_lcd = msk_naive(old["lastChangeDate"])
        row["lastChangeDate"] = msk_str(max(now, old_lcd + timedelta(seconds=1)))
        if unpaid:
            seller.unconfirmed[srid] = row
        else:
            self._put(seller.orders, row)
        seller.fbs_new.pop(srid, None)
        return dict(row)

    def add_sale(
        self,
        sid: str,
        srid: str,
        is_return: bool = False,
        *,
        defective: bool = False,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Add a buyout (``saleID`` ``S…``) or a return (``R…``) of an order; returns a copy.

        Fields come from the order with that ``srid`` when it exists, else from the catalogue.
        The order feed then shows the order as ``buyout``, ``return`` or (``defective=True``)
        ``returnDefective`` from the sale's date.
        """
        seller = self._seller(sid)
        now = self._now_msk()
        existing = seller.orders.by_id.get(srid)
        base = (
            existing.data
            if existing is not None
            else self._order_row(seller, now, fbs=False, overrides={"srid": srid})
        )
        seq = next(self._seq)
        sign = -1 if is_return and self.returns_negative else 1
        pwd = base["priceWithDisc"]
        row: dict[str, Any] = {
            k: base[k]
            for k in (
                "date", "lastChangeDate", "warehouseName", "warehouseType", "countryName",
                "oblastOkrugName", "regionName", "supplierArticle", "nmId", "barcode", "category",
                "subject", "brand", "techSize", "incomeID", "isSupply", "isRealization",
            )
        }  # fmt: skip
        row["date"] = row["lastChangeDate"] = msk_str(now)
        row.update(
            {
                "totalPrice": sign * base["totalPrice"],
                "discountPercent": base["discountPercent"],
                "spp": base["spp"],
                "paymentSaleAmount": sign * (round(pwd * 0.03) if seq % 3 == 0 else 0),
                "forPay": sign * round(pwd * 0.77, 2),
                "finishedPrice": sign * base["finishedPrice"],
                "priceWithDisc": sign * pwd,
                "saleID": f"{'R' if is_return else 'S'}{9_000_000_000 + seq}",
                "sticker": base["sticker"],
                "gNumber": base["gNumber"],
                "srid": srid,
            }
        )
        row.update(self._convert_times(overrides))
        self._put_fresh(seller.sales, row)
        seller.feed_status[srid] = (
            ("returnDefective" if defective else "return") if is_return else "buyout",
            msk_naive(row["date"]).replace(tzinfo=MSK),
        )
        return dict(row)

    def process_fbs(self, sid: str, srid: str) -> bool:
        """The seller took an FBS order to assembly: it leaves ``orders/new``."""
        return self._seller(sid).fbs_new.pop(srid, None) is not None

    def set_stock(
        self,
        sid: str,
        nm_id: int,
        barcode: str,
        tech_size: str,
        warehouses: Mapping[str, int],
        *,
        in_way_to_client: int = 0,
        in_way_from_client: int = 0,
        volume: float | None = None,
    ) -> None:
        """Set the stock of one size; the next warehouse_remains task snapshots it."""
        self._seller(sid).stock[(nm_id, barcode, tech_size)] = _Stock(
            dict(warehouses), in_way_to_client, in_way_from_client, volume
        )

    def clear_stock(self, sid: str) -> None:
        self._seller(sid).stock.clear()

    def end_tasks(self, sid: str, status: str = "purged") -> None:
        """Move every warehouse_remains task of a seller to ``purged`` or ``canceled``.

        Their status then reports it, and a download answers 400 like any unfinished task.
        """
        for task in self._seller(sid).tasks.values():
            task.final_status = status

    def add_card(
        self,
        sid: str,
        nm_id: int,
        title: str,
        *,
        photo_url: str | None = None,
        vendor_code: str | None = None,
        with_photo: bool = True,
        brand: str | None = None,
        subject_name: str | None = None,
        updated_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Add or replace a content card; returns it. ``photo_url`` overrides every photo size."""
        seller = self._seller(sid)
        product = seller.product(nm_id)
        updated = updated_at or datetime.now(UTC)
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=MSK)
        photos: list[dict[str, str]] = []
        if with_photo:
            urls = photo_urls(nm_id)
            if photo_url is not None:
                urls = dict.fromkeys(urls, photo_url)
            photos.append(urls)
        sizes = product.sizes if product else [Size("0", f"20{nm_id:011d}"[-13:], nm_id + 7)]
        card = {
            "nmID": nm_id,
            "imtID": product.imt_id if product else nm_id - 1000,
            "nmUUID": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "subjectID": 100 + len(subject_name or (product.subject if product else "")),
            "subjectName": subject_name or (product.subject if product else "Товар"),
            "vendorCode": vendor_code or (product.article if product else f"ART-{nm_id}"),
            "brand": brand or (product.brand if product else seller.trade_mark),
            "title": title,
            "description": f"{title}. Описание товара.",
            "needKiz": False,
            "photos": photos,
            "dimensions": {"length": 30, "width": 20, "height": 10, "isValid": True},
            "characteristics": [],
            "sizes": [
                {"chrtID": s.chrt_id, "techSize": s.tech_size, "wbSize": "", "skus": [s.barcode]}
                for s in sizes
            ],
            "tags": [],
            "createdAt": utc_str(updated - timedelta(days=30), fraction=True),
            "updatedAt": utc_str(updated, fraction=True),
        }
        seller.cards.put(card, updated.astimezone(UTC))
        return card

    def add_catalogue_cards(self, sid: str) -> list[dict[str, Any]]:
        """One card per catalogue product, titled after its subject and article."""
        return [
            self.add_card(sid, p.nm_id, f"{p.subject} {p.brand} {p.article}")
            for p in self._seller(sid).products
        ]

    # -- auth state ----------------------------------------------------------------------------

    def add_finance_rows(
        self,
        sid: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        date_from: date,
        date_to: date,
        period: str = "weekly",
        report_id: int | None = None,
        create_date: date | None = None,
    ) -> list[dict[str, Any]]:
        """Publish one report of the finance report (13-finances.yaml ``SalesReportsDetailedRes``):
        every row gets the report's ``reportId``, ``dateFrom``, ``dateTo``, ``createDate`` and a
        new ``rrdId`` (ascending), and every required field the overrides leave out. Money
        overrides may be numbers or Decimals; they are served as strings, as WB does."""
        if period not in wb_finance.PERIODS:
            raise ValueError(f"period is one of {wb_finance.PERIODS}")
        seller = self._seller(sid)
        report = report_id if report_id is not None else 10_000_000 + next(self._seq)
        created = create_date or date_to + timedelta(days=1)
        added = []
        for overrides in rows:
            row = wb_finance.blank_row()
            row.update(overrides)
            for name in wb_finance.MONEY_FIELDS & row.keys():
                row[name] = wb_finance.money(row[name])
            row.update(
                {
                    "reportId": report,
                    "dateFrom": date_from.isoformat(),
                    "dateTo": date_to.isoformat(),
                    "createDate": created.isoformat(),
                    "rrdId": 1_200_000_000 + next(self._seq),
                }
            )
            seller.finance[period].append(row)
            added.append(dict(row))
        return added

    def add_finance_week(
        self,
        sid: str,
        monday: date,
        *,
        period: str = "weekly",
        sales_per_item: int = 3,
        until: date | None = None,
    ) -> list[dict[str, Any]]:
        """A realistic week of the seller's catalogue (tests.fakes.wb_finance.week_rows) as one
        weekly report, or (``period="daily"``) as one report per day of ``rrDate``, the days
        up to ``until`` only (WB reports a day the day after)."""
        seller = self._seller(sid)
        items = [
            wb_finance.Item(
                p.nm_id, p.article, p.brand, p.subject, p.sizes[0].tech_size,
                p.sizes[0].barcode, p.price, p.discount,
            )
            for p in seller.products
        ]  # fmt: skip
        rng = random.Random(f"{self.seed}:{sid}:finance:{monday.isoformat()}")
        rows = wb_finance.week_rows(items, monday, rng, sales_per_item=sales_per_item)
        if until is not None:
            rows = [r for r in rows if r["rrDate"] <= until.isoformat()]
        if period == "weekly":
            sunday = monday + timedelta(days=6)
            return self.add_finance_rows(
                sid, rows, date_from=monday, date_to=sunday, period=period
            )
        added = []
        for day in sorted({r["rrDate"] for r in rows}):
            on_day = date.fromisoformat(day)
            added += self.add_finance_rows(
                sid,
                [r for r in rows if r["rrDate"] == day],
                date_from=on_day,
                date_to=on_day,
                period=period,
            )
        return added

    def finance_rows(self, sid: str, period: str = "weekly") -> list[dict[str, Any]]:
        return [dict(r) for r in self._seller(sid).finance[period]]

    def revoke(self, token_or_sid: str) -> None:
        """Withdraw one token (pass the JWT) or every token of a seller (pass the sid)."""
        if token_or_sid.count(".") == 2:
            self._revoked_ids.add(str(_claims_of(token_or_sid).get("id")))
        else:
            self._revoked_sids.add(token_or_sid)

    def restore(self, token_or_sid: str) -> None:
        """Undo :meth:`revoke`."""
        if token_or_sid.count(".") == 2:
            self._revoked_ids.discard(str(_claims_of(token_or_sid).get("id")))
        else:
            self._revoked_sids.discard(token_or_sid)

    # -- injections ----------------------------------------------------------------------------

    def fail_next(
        self,
        target: str,
        status: int,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        sid: str | None = None,
        retry: float | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``.

        ``target`` is a group name (``"ping"`` matches every host's ping), a path suffix starting
        with ``/``, or ``"*"``. ``body``: bytes/str sent raw, anything else as JSON; by default
        WB's body for the status (401 "token withdrawn", 403 "abac: access denied", 429 "too many
        requests", 500 problem JSON, 502/503/504 an nginx HTML page). For 429, ``retry`` (or an
        ``X-Ratelimit-Retry`` in ``headers``) sets the retry header; default one interval.
        Injected answers never count as violations.
        """
        hdrs = dict(headers or {})
        if retry is not None:
            hdrs["X-Ratelimit-Retry"] = _fmt_secs(retry, integer=False)
        self._injections.append(_Injection("fail", target, sid, times, status, body, hdrs))

    def hang_next(
        self, target: str, seconds: float, times: int = 1, *, sid: str | None = None
    ) -> None:
        """Sleep ``seconds`` (unscaled) before answering the next matching requests."""
        self._injections.append(_Injection("hang", target, sid, times, seconds=seconds))

    def malformed_next(
        self,
        target: str,
        payload: Any,
        *,
        times: int = 1,
        sid: str | None = None,
        status: int = 200,
    ) -> None:
        """Answer with ``payload`` instead of the real data (bytes/str raw, else JSON-encoded)."""
        self._injections.append(_Injection("malformed", target, sid, times, status, payload))

    def clear_injections(self) -> None:
        self._injections.clear()

    # -- limits and records --------------------------------------------------------------------

    def reset_limits(self, sid: str | None = None) -> None:
        """Refill buckets (all, or one seller's) and forget pending retry windows."""
        if sid is None:
            self._buckets.clear()
        else:
            for key in [k for k in self._buckets if k[0] == sid]:
                del self._buckets[key]

    def total_violations(self) -> int:
        return sum(self.violations.values())

    def requests_for(self, sid: str | None, group: str | None = None) -> list[RecordedRequest]:
        """Recorded requests of one seller (``None``: unknown token), optionally of one group."""
        return [
            r
            for r in self.requests
            if r.sid == sid
            and (
                group is None
                or r.group == group
                or (r.group is not None and r.group.startswith(group + ":"))
            )
        ]

    def limit_for(self, group: str, acc: int) -> RateLimit:
        """The scaled limit the fake applies to ``group`` for a token of type ``acc``."""
        name = group.split(":", 1)[0]
        personal, base = self._limits[name]
        if acc == ACC_TEST:
            return self._test_limits.get(name, personal)
        return base if acc == ACC_BASE else personal

    # -- internals: data -----------------------------------------------------------------------

    def _seller(self, sid: str) -> SellerState:
        seller = self.sellers.get(sid)
        if seller is None:
            rng = random.Random(f"{self.seed}:{sid}")
            surname = rng.choice(_SURNAMES)
            mark = rng.choice(_MARKS)
            seller = SellerState(
                sid=sid,
                name=f"ИП {surname} {rng.choice('АВДЕИКМНОС')}. {rng.choice('АВГИНПС')}.",
                trade_mark=mark,
                products=_make_catalogue(rng, mark),
                fbs_warehouse=f"Склад {mark} Москва",
                fbs_warehouse_id=rng.randint(100_000, 999_999),
            )
            self.sellers[sid] = seller
        return seller

    def _now_msk(self) -> datetime:
        return datetime.now(MSK).replace(tzinfo=None, microsecond=0)

    def _put(self, store: _RowStore, row: dict[str, Any]) -> None:
        now = self.clock()
        store.put(row, now, now + self.visibility_delay)

    def _put_fresh(self, store: _RowStore, row: dict[str, Any]) -> None:
        """A row new to statistics: with ``amounts_later`` it is served with its amounts at 0
        first, then filled in, ``amounts_later`` seconds on, with a newer ``lastChangeDate``."""
        if self.amounts_later is None:
            self._put(store, row)
            return
        now = self.clock()
        shown = now + self.visibility_delay
        store.put({**row, **{k: 0 for k in AMOUNTS if k in row}}, now, shown)
        filled = dict(row)
        later = msk_naive(row["lastChangeDate"]) + timedelta(seconds=math.ceil(self.amounts_later))
        filled["lastChangeDate"] = msk_str(later)
        store.put(filled, now, shown + self.amounts_later)

    @staticmethod
    def _convert_times(overrides: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(overrides)
        for k in ("date", "lastChangeDate", "cancelDate"):
            v = out.get(k)
            if isinstance(v, datetime):
                out[k] = msk_str(msk_naive(v))
        return out

    def _order_row(
        self,
        seller: SellerState,
        now: datetime,
        *,
        fbs: bool,
        overrides: Mapping[str, Any],
        product: Product | None = None,
    ) -> dict[str, Any]:
        rng = self._rng
        ov = self._convert_times(overrides)
        if product is None:
            nm = ov.get("nmId")
            if isinstance(nm, int):
                product = seller.product(nm) or self._new_product(seller, nm, ov)
            else:
                product = rng.choice(seller.products)
        size = product.size(ov.get("techSize"), ov.get("barcode"))
        country, okrug, region = rng.choice(_REGIONS)
        spp = rng.choice(_SPP)
        pwd = round(product.price * (100 - product.discount) / 100, 2)
        seq = next(self._seq)
        stamp = msk_str(now)
        row: dict[str, Any] = {
            "date": stamp,
            "lastChangeDate": stamp,
            "warehouseName": (
                seller.fbs_warehouse
                if fbs
                else AGGREGATED_WAREHOUSE
                if self.aggregated_warehouses
                else rng.choice(_WAREHOUSES)
            ),
            "warehouseType": "Склад продавца" if fbs else "Склад WB",
            "countryName": country,
            "oblastOkrugName": okrug,
            "regionName": region,
            "supplierArticle": product.article,
            "nmId": product.nm_id,
            "barcode": size.barcode,
            "category": product.category,
            "subject": product.subject,
            "brand": product.brand,
            "techSize": size.tech_size,
            "incomeID": 0 if fbs else product.income_id,
            "isSupply": False,
            "isRealization": True,
            "totalPrice": product.price,
            "discountPercent": product.discount,
            "spp": spp,
            "finishedPrice": round(pwd * (100 - spp) / 100),
            "priceWithDisc": pwd,
            "isCancel": False,
            "cancelDate": NOT_CANCELLED,
            "sticker": str(20_000_000_000 + seq),
            "gNumber": str(self._gnum_base + seq * 104_729),
            "srid": f"{self._srid_base + seq * 7919}.0.0",
        }
        if "date" in ov and "lastChangeDate" not in ov:
            row["lastChangeDate"] = max(ov["date"], stamp, key=_key_of_str)
        row.update(ov)
        return row

    def _new_product(self, seller: SellerState, nm_id: int, ov: Mapping[str, Any]) -> Product:
        rng = self._rng
        product = Product(
            nm_id=nm_id,
            imt_id=rng.randint(50_000_000, 400_000_000),
            article=str(ov.get("supplierArticle", f"ART-{nm_id}")),
            brand=str(ov.get("brand", seller.trade_mark)),
            category=str(ov.get("category", "Дом")),
            subject=str(ov.get("subject", "Товары для дома")),
            price=int(ov.get("totalPrice", 1000)),
            discount=int(ov.get("discountPercent", 0)),
            income_id=rng.randint(10_000_000, 30_000_000),
            sizes=[
                Size(
                    str(ov.get("techSize", "0")),
                    str(ov.get("barcode", f"20{rng.randrange(10**10, 10**11)}")),
                    rng.randint(100_000_000, 600_000_000),
                )
            ],
        )
        seller.products.append(product)
        return product

    def _fbs_order(self, seller: SellerState, row: Mapping[str, Any]) -> dict[str, Any]:
        product = seller.product(row["nmId"])
        chrt = product.size(row["techSize"], row["barcode"]).chrt_id if product else 0
        seq = next(self._seq)
        price = round(float(row["priceWithDisc"]) * 100)
        created = msk_naive(row["date"]).replace(tzinfo=MSK)
        return {
            "id": self._fbs_id_base + seq,
            "rid": row["srid"],
            "orderUid": f"{seq % 900_000_000 + 100_000_000}_{uuid.uuid4().hex}",
            "createdAt": utc_str(created),
            "nmId": row["nmId"],
            "chrtId": chrt,
            "article": row["supplierArticle"],
            "colorCode": "",
            "skus": [row["barcode"]],
            "warehouseId": seller.fbs_warehouse_id,
            "officeId": 15,
            "offices": ["Москва"],
            "price": price,
            "finalPrice": round(float(row["finishedPrice"]) * 100),
            "convertedPrice": price,
            "currencyCode": 643,
            "convertedCurrencyCode": 643,
            "cargoType": 1,
            "deliveryType": "fbs",
            "isZeroOrder": False,
            "comment": "",
            "requiredMeta": [],
            "optionalMeta": [],
            "options": {"isB2b": False},
            "address": None,
            "scanPrice": None,
        }

    # -- internals: HTTP -----------------------------------------------------------------------

    def _build_routes(self) -> dict[tuple[str, str, str], _Route]:
        routes: dict[tuple[str, str, str], _Route] = {
            ("GET", "statistics-api", "/api/v1/supplier/orders"): _Route(
                "orders", "statistics", self._h_orders
            ),
            ("GET", "statistics-api", "/api/v1/supplier/sales"): _Route(
                "sales", "statistics", self._h_sales
            ),
            ("GET", "seller-analytics-api", "/api/v1/warehouse_remains"): _Route(
                "remains_create", "analytics", self._h_remains_create
            ),
            ("POST", "seller-analytics-api", "/api/analytics/v1/order-feed"): _Route(
                "order_feed", "analytics", self._h_order_feed
            ),
            ("GET", "marketplace-api", "/api/v3/orders/new"): _Route(
                "fbs_new", "marketplace", self._h_fbs_new
            ),
            ("POST", "content-api", "/content/v2/get/cards/list"): _Route(
                "cards", "content", self._h_cards
            ),
            ("GET", "common-api", "/api/v1/seller-info"): _Route(
                "seller_info", None, self._h_seller_info
            ),
            ("GET", "common-api", "/api/v1/tariffs/commission"): _Route(
                "tariffs_commission", None, self._h_tariffs_commission
            ),
            ("GET", "feedbacks-api", "/api/v1/new-feedbacks-questions"): _Route(
                "feedbacks", "feedbacks", self._h_new_feedbacks_questions
            ),
            ("GET", "feedbacks-api", "/api/v1/feedbacks"): _Route(
                "feedbacks", "feedbacks", self._h_feedbacks
            ),
            ("GET", "feedbacks-api", "/api/v1/questions"): _Route(
                "feedbacks", "feedbacks", self._h_questions
            ),
            ("GET", "feedbacks-api", "/api/v1/feedbacks/count-unanswered"): _Route(
                "feedbacks", "feedbacks", self._h_feedbacks_unanswered
            ),
            ("GET", "feedbacks-api", "/api/v1/questions/count-unanswered"): _Route(
                "feedbacks", "feedbacks", self._h_questions_unanswered
            ),
            ("POST", "finance-api", "/api/finance/v1/sales-reports/detailed"): _Route(
                "finance_detailed", "finance", self._h_finance_detailed
            ),
        }
        for host in HOSTS:
            routes[("GET", host, "/ping")] = _Route(
                f"ping:{host}", HOST_CATEGORY[host], self._h_ping
            )
        return routes

    def _route(self, method: str, host: str, path: str) -> _Route | None:
        route = self._routes.get((method, host, path))
        if route is None and host == "seller-analytics-api" and method == "GET":
            prefix = "/api/v1/warehouse_remains/tasks/"
            if path.startswith(prefix):
                parts = path[len(prefix) :].split("/")
                if len(parts) == 2 and parts[0] and parts[1] == "status":
                    return _Route("remains_status", "analytics", self._h_remains_status)
                if len(parts) == 2 and parts[0] and parts[1] == "download":
                    return _Route("remains_download", "analytics", self._h_remains_download)
        return route

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = request.match_info["host"].lower().removesuffix(".wildberries.ru")
        host = host.removesuffix("-sandbox")
        path = "/" + request.match_info["tail"]
        route = (
            None
            if self.sandbox and host in NOT_IN_SANDBOX
            else self._route(request.method, host, path)
        )
        rec = RecordedRequest(
            self.clock(),
            route.group if route else None,
            None,
            request.method,
            request.path,
            dict(request.query),
        )
        if self.record_requests:
            self.requests.append(rec)
        resp = await self._serve(request, route, path, rec)
        rec.status = resp.status
        return resp

    async def _serve(
        self, request: web.Request, route: _Route | None, path: str, rec: RecordedRequest
    ) -> web.Response:
        if route is None:
            return _problem(
                404,
                "not found",
                "Please consult the documentation at https://dev.wildberries.ru/",
                "api-gateway",
            )
        claims = self._authenticate(request.headers.get("Authorization", ""))
        if isinstance(claims, str):
            return _problem(401, "unauthorized", claims, "s2s-api-auth-catalog")
        sid: str = claims["sid"]
        rec.sid = sid
        seller = self._seller(sid)
        group = route.group
        rl = self.limit_for(group, int(claims["acc"]))
        acc = claims["acc"]
        bucket_key = (sid, group, acc if acc in (ACC_BASE, ACC_TEST) else 0)
        bucket = self._buckets.get(bucket_key)
        now = self.clock()
        if bucket is None:
            bucket = self._buckets[bucket_key] = _Bucket(rl.burst, now)

        denial = self._authorize(claims, route)
        if denial is not None:
            origin = "s2s-api-auth-marketplace" if group == "fbs_new" else "s2s-api-auth-catalog"
            resp = _problem(401, "unauthorized", denial, origin)
            bucket.refill(now, rl)
            if group in PENALISED_GROUPS:
                bucket.tokens -= PENALTY_COST
            resp.headers["X-Ratelimit-Remaining"] = str(bucket.remaining())
            return resp

        injected = self._peek("fail", group, path, sid)
        if injected is not None and injected.status == 429:
            self._consume(injected)
            return self._injected_429(injected, bucket, rl, now)

        if self.enforce_limits:
            wait = bucket.wait(now, rl)
            if wait > 0:
                self.violations[(sid, group)] += 1
                return self._too_many(group, bucket, rl, wait)
            bucket.tokens -= 1.0
        else:
            bucket.refill(now, rl)

        hang = self._peek("hang", group, path, sid)
        if hang is not None:
            self._consume(hang)
            await asyncio.sleep(hang.seconds)

        injected = self._peek("fail", group, path, sid)
        if injected is not None:
            self._consume(injected)
            resp = _injected_response(injected)
        else:
            malformed = self._peek("malformed", group, path, sid)
            if malformed is not None:
                self._consume(malformed)
                resp = _raw_response(malformed.status, malformed.body)
            else:
                resp = await route.handler(request, seller, path)

        if group in PENALISED_GROUPS and 400 <= resp.status < 500 and resp.status != 429:
            bucket.tokens -= PENALTY_COST - 1
        if resp.status != 429:
            resp.headers["X-Ratelimit-Remaining"] = str(bucket.remaining())
        return resp

    def _authenticate(self, header: str) -> dict[str, Any] | str:
        """Claims of the token in ``header``, or the 401 ``detail`` WB would send."""
        cached = self._claims_cache.get(header)
        if cached is not None:
            return cached
        result = _check_token(header)
        if len(self._claims_cache) > 200_000:
            self._claims_cache.clear()
        self._claims_cache[header] = result
        return result

    def _authorize(self, claims: Mapping[str, Any], route: _Route) -> str | None:
        if claims.get("id") in self._revoked_ids or claims["sid"] in self._revoked_sids:
            return "token withdrawn"
        if claims["exp"] <= time.time():
            return "token expired"
        is_test = bool(claims.get("t")) or claims["acc"] == ACC_TEST
        if is_test and not self.sandbox:
            return "token problem; test token is not valid for production API"
        if self.sandbox and not is_test:
            return "token problem; only test tokens are valid for sandbox API"
        if route.category is not None and not claims["s"] & (1 << CATEGORY_BITS[route.category]):
            return "token scope not allowed"
        return None

    def _peek(self, kind: str, group: str, path: str, sid: str) -> _Injection | None:
        for inj in self._injections:
            if inj.kind == kind and inj.matches(group, path, sid):
                return inj
        return None

    def _consume(self, inj: _Injection) -> None:
        inj.times -= 1
        if inj.times <= 0:
            self._injections.remove(inj)

    def _fmt(self, seconds: float) -> str:
        return _fmt_secs(seconds, integer=self.rate_scale >= 1)

    def _too_many(self, group: str, bucket: _Bucket, rl: RateLimit, wait: float) -> web.Response:
        resp = _problem(
            429,
            "too many requests",
            f"limited by {_LIMITER_IDS[group.split(':', 1)[0]]}",
            "api-gateway",
        )
        resp.headers["X-Ratelimit-Retry"] = self._fmt(wait)
        resp.headers["X-Ratelimit-Limit"] = str(rl.burst)
        resp.headers["X-Ratelimit-Reset"] = self._fmt(max(wait, bucket.reset_in(rl)))
        return resp

    def _injected_429(
        self, inj: _Injection, bucket: _Bucket, rl: RateLimit, now: float
    ) -> web.Response:
        headers = dict(inj.headers or {})
        retry_text = headers.get("X-Ratelimit-Retry")
        try:
            retry = float(retry_text) if retry_text is not None else rl.interval
        except ValueError:
            retry = 0.0  # a deliberately broken header; don't block anything
        if not 0 <= retry <= 86_400:
            retry = 0.0  # an absurd one too: only the client's side is under test
        headers.setdefault("X-Ratelimit-Retry", self._fmt(retry))
        headers.setdefault("X-Ratelimit-Limit", str(rl.burst))
        headers.setdefault("X-Ratelimit-Reset", self._fmt(max(retry, bucket.reset_in(rl))))
        bucket.blocked_until = max(bucket.blocked_until, now + retry)
        inj = _Injection("fail", inj.target, inj.sid, 1, 429, inj.body, headers)
        return _injected_response(inj)

    # -- handlers ------------------------------------------------------------------------------

    async def _h_ping(self, request: web.Request, seller: SellerState, path: str) -> web.Response:
        ts = datetime.now(MSK).replace(microsecond=0).isoformat()
        return _json({"TS": ts, "Status": "OK"})

    async def _h_orders(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return self._statistics(request, seller.orders)

    async def _h_sales(self, request: web.Request, seller: SellerState, path: str) -> web.Response:
        return self._statistics(request, seller.sales)

    def _statistics(self, request: web.Request, store: _RowStore) -> web.Response:
        date_from = request.query.get("dateFrom")
        if not date_from:
            return _json({"errors": ["dateFrom: field required"]}, 400)
        parsed = parse_wb_datetime(date_from)
        if parsed is None:
            return _json({"errors": "dateFrom: Value not validated"}, 400)
        flag = request.query.get("flag", "0")
        if flag not in ("0", "1"):
            return _json({"errors": ["flag: Value not validated"]}, 400)
        now = self.clock()
        if flag == "0":
            # Compared to the microsecond: WB takes dateFrom "с точностью до секунд или
            # миллисекунд" (12-reports.yaml, getV1SupplierOrders, dateFrom), and a client asks
            # from just past its cursor to the millisecond.
            from_key = _key_of_msk(msk_naive(parsed))
            cap = self.page_cap - self._cap_rng.randint(0, self.page_cap_spread)
            entries = store.page(from_key, cap, now)
            if (
                not self.repeat_last_row
                and entries
                and len(entries) < cap
                and entries[-1].key == from_key
            ):
                entries = []
        else:
            entries = store.on_day(msk_naive(parsed).date().toordinal(), now)
        body = b"[" + b",".join([e.encode() for e in entries]) + b"]"
        return web.Response(body=body, headers={"Content-Type": _JSON_CT})

    async def _h_remains_create(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        rows = []
        for (nm_id, barcode, tech_size), st in seller.stock.items():
            product = seller.product(nm_id)
            on_shelves = sum(st.warehouses.values())
            volume = st.volume if st.volume is not None else (product.volume if product else 1.0)
            # The pseudo-rows first, as in the spec's example; "Всего находится на складах" is
            # the sum of the real warehouses (267 = 134 + 10 + 123 there), in-transit excluded.
            entries = [
                {"warehouseName": IN_WAY_TO_CLIENT, "quantity": st.in_way_to_client},
                {"warehouseName": IN_WAY_FROM_CLIENT, "quantity": st.in_way_from_client},
                {"warehouseName": TOTAL_ON_WAREHOUSES, "quantity": on_shelves},
                *({"warehouseName": name, "quantity": qty} for name, qty in st.warehouses.items()),
            ]
            # "Будут в ответе только при ненулевом quantity" (12-reports.yaml, warehouses).
            entries = [e for e in entries if e["quantity"] != 0]
            if not entries and self.sold_out_rows == "omit":
                continue
            rows.append(
                {
                    "brand": product.brand if product else seller.trade_mark,
                    "subjectName": product.subject if product else "",
                    "vendorCode": product.article if product else "",
                    "nmId": nm_id,
                    "barcode": barcode,
                    "techSize": tech_size,
                    "volume": volume,
                    "warehouses": entries,
                }
            )
        task_id = str(uuid.uuid4())
        now = self.clock()
        seller.tasks[task_id] = _Task(
            now, now + self.stock_task_delay * self.rate_scale, _dumps(rows)
        )
        return _json({"data": {"taskId": task_id}})

    def _task(self, seller: SellerState, path: str) -> _Task | web.Response:
        task_id = path.rstrip("/").split("/")[-2]
        task = seller.tasks.get(task_id)
        if task is None:
            return _analytics_error(404, "not found", "task not found")
        return task

    def _task_status(self, task: _Task) -> str:
        if task.final_status is not None:
            return task.final_status
        now = self.clock()
        if now >= task.ready_after:
            return "done"
        if now >= task.created + (task.ready_after - task.created) / 3:
            return "processing"
        return "new"

    async def _h_remains_status(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        task = self._task(seller, path)
        if isinstance(task, web.Response):
            return task
        task_id = path.rstrip("/").split("/")[-2]
        return _json({"data": {"id": task_id, "status": self._task_status(task)}})

    async def _h_remains_download(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        task = self._task(seller, path)
        if isinstance(task, web.Response):
            return task
        status = self._task_status(task)
        if status != "done":
            return _analytics_error(400, "bad request", f"task is not ready, status: {status}")
        if task.body == b"[]" and self.empty_report_status == 204:
            return web.Response(status=204)  # 12-reports.yaml download: '204': Нет данных
        return web.Response(body=task.body, headers={"Content-Type": _JSON_CT})

    async def _h_order_feed(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        """11-analytics.yaml postV1OrderFeed: orders whose current status falls in
        ``selectedPeriod`` (no earlier than 31 days back), newest status first, ``offset`` /
        ``limit`` (default 50, at most 10,000) within one ``snapshotTime``."""

        def bad(detail: str) -> web.Response:
            return _analytics_error(400, "Invalid request body", detail)

        body = await _json_object(request)
        if isinstance(body, str):
            return bad(body)
        period = body.get("selectedPeriod")
        if not isinstance(period, dict) or not isinstance(period.get("start"), str):
            return bad("invalid: selectedPeriod.start (field required)")
        now = datetime.now(UTC)
        start = parse_wb_datetime(period["start"], UTC)
        end_text = period.get("end")
        end = parse_wb_datetime(end_text, UTC) if isinstance(end_text, str) else now
        if end_text is not None and not isinstance(end_text, str):
            end = None
        if start is None or end is None:
            return bad("invalid: selectedPeriod (date-time expected)")
        if start < now - timedelta(days=FEED_DAYS):
            return bad(f"invalid: selectedPeriod.start is earlier than {FEED_DAYS} days ago")
        if start > end:
            return bad("invalid: selectedPeriod.start is later than selectedPeriod.end")
        paging = body.get("pagination") or {}
        if not isinstance(paging, dict):
            return bad("invalid: pagination must be an object")
        offset, limit = paging.get("offset", 0), paging.get("limit", FEED_DEFAULT_LIMIT)
        for name, value, low in (("offset", offset, 0), ("limit", limit, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                return bad(f"invalid: pagination.{name}")
        if limit > FEED_MAX_LIMIT:
            return bad(f"invalid: pagination.limit must be at most {FEED_MAX_LIMIT}")
        snap_text = paging.get("snapshotTime")
        snapshot = (
            parse_wb_datetime(snap_text, UTC)
            if isinstance(snap_text, str)
            else now.replace(microsecond=0)
        )
        if snapshot is None:
            return bad("invalid: pagination.snapshotTime")
        nm_ids = body.get("nmIds") or []
        if not isinstance(nm_ids, list) or len(nm_ids) > 1000:
            return bad("invalid: nmIds")
        wanted = set(nm_ids)
        found: list[tuple[datetime, str, dict[str, Any]]] = []
        rows = itertools.chain(
            (e.data for e in seller.orders.by_id.values()), seller.unconfirmed.values()
        )
        for row in rows:
            if wanted and row["nmId"] not in wanted:
                continue
            item = self._feed_order(seller, row, snapshot)
            if item is None:
                continue
            updated = datetime.fromisoformat(item["updatedAt"])
            if start <= updated <= end:
                found.append((updated, item["srid"], item))
        found.sort(key=lambda t: (t[0], t[1]), reverse=True)
        page = [item for _u, _s, item in found[offset : offset + limit]]
        return _json(
            {"data": {"snapshotTime": utc_str(snapshot), "currency": "RUB", "orders": page}}
        )

    def _feed_order(
        self, seller: SellerState, row: Mapping[str, Any], at: datetime
    ) -> dict[str, Any] | None:
        """The order-feed view of an order as it stood at ``at`` (None: not placed yet).

        Statuses (11-analytics.yaml, ``status`` enum): ``created``, ``cancel``, and ``buyout``,
        ``return``, ``returnDefective`` once :meth:`add_sale` recorded one."""
        created = msk_naive(row["date"]).replace(tzinfo=MSK)
        if created > at:
            return None
        cancelled_at = (
            msk_naive(row["cancelDate"]).replace(tzinfo=MSK)
            if row.get("isCancel") and row.get("cancelDate") not in (None, NOT_CANCELLED)
            else None
        )
        cancelled = cancelled_at is not None and cancelled_at <= at
        status = "cancel" if cancelled else "created"
        updated = cancelled_at if cancelled and cancelled_at else created
        later = seller.feed_status.get(row["srid"])
        if not cancelled and later is not None and later[1] <= at:
            status, updated = later
        product = seller.product(row["nmId"])
        chrt = product.size(row["techSize"], row["barcode"]).chrt_id if product else 0
        seller_wh = row["warehouseType"] == "Склад продавца"
        okrug = str(row.get("oblastOkrugName") or "").removesuffix(" федеральный округ")
        item: dict[str, Any] = {
            "nmId": row["nmId"],
            "chrtId": chrt,
            "srid": row["srid"],
            "createdAt": created.isoformat(),
            # "При "status":"created" возвращается значение поля createdAt"
            "updatedAt": updated.isoformat(),
            "status": status,
        }
        if cancelled:
            item["cancelType"] = "app"
        item.update(
            {
                # RN570: WB warehouses show only "Склад WB" with an empty region for now.
                "warehouseName": row["warehouseName"] if seller_wh else "Склад WB",
                "warehouseRegion": "Центральный" if seller_wh else "",
                "isMp": seller_wh,
                "destinationCity": _CITIES.get(row["regionName"], row["regionName"]),
                # "Если доставка не по России, возвращается страна"
                "destinationDistrict": okrug or row["countryName"],
                # seller's price after the seller's discount: the statistics priceWithDisc
                "sellerPrice": row["priceWithDisc"],
                "isB2b": False,
            }
        )
        return item

    async def _h_fbs_new(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return _json({"orders": list(seller.fbs_new.values())})

    # -- feedbacks and questions (09-communications.yaml) --------------------------------------

    def add_feedback(
        self,
        sid: str,
        rating: int,
        text: str = "",
        *,
        pros: str = "",
        cons: str = "",
        nm_id: int | None = None,
        photos: int = 0,
        created: datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A buyer's review (unanswered, unseen) shaped as getV1Feedbacks' ``responseFeedback``
        item; returns a copy."""
        seller = self._seller(sid)
        product = seller.product(nm_id) if nm_id is not None else seller.products[0]
        nm = nm_id if nm_id is not None else seller.products[0].nm_id
        when = (created or datetime.now(UTC)).astimezone(MSK).replace(microsecond=0)
        fid = f"fb{next(self._seq):08d}{secrets.token_hex(3)}"
        row: dict[str, Any] = {
            "id": fid,
            "text": text,
            "pros": pros,
            "cons": cons,
            "productValuation": rating,
            # The spec's example: "2024-09-26T10:20:48+03:00" (an offset, Moscow time).
            "createdDate": when.isoformat(),
            "answer": None,
            "state": "none",
            "productDetails": self._product_details(seller, nm, product),
            "video": None,
            "wasViewed": False,
            "photoLinks": [
                {
                    "fullSize": f"https://feedback04.wbbasket.ru/vol1/part1/{fid}/photos/{i}fs.webp",
                    "miniSize": f"https://feedback04.wbbasket.ru/vol1/part1/{fid}/photos/{i}ms.webp",
                }
                for i in range(photos)
            ],
            "userName": "Покупатель",
            "orderStatus": "buyout",
            "matchingSize": "ok",
            "bables": [],
            "subjectName": product.subject if product else "",
            "parentFeedbackId": None,
            "childFeedbackId": None,
        }
        row.update(overrides)
        seller.feedbacks[fid] = row
        return dict(row)

    def answer_feedback(self, sid: str, feedback_id: str, text: str = "Спасибо!") -> None:
        """The seller answers in the cabinet: the review leaves ``isAnswered=false``."""
        row = self._seller(sid).feedbacks[feedback_id]
        row["answer"] = {"text": text, "state": "wbRu", "editable": True}
        row["state"] = "wbRu"
        row["wasViewed"] = True

    def add_question(
        self,
        sid: str,
        text: str,
        *,
        nm_id: int | None = None,
        created: datetime | None = None,
    ) -> dict[str, Any]:
        """A buyer's question, shaped as getV1Questions' ``questions`` item; returns a copy."""
        seller = self._seller(sid)
        product = seller.product(nm_id) if nm_id is not None else seller.products[0]
        nm = nm_id if nm_id is not None else seller.products[0].nm_id
        when = (created or datetime.now(UTC)).astimezone(UTC)
        qid = f"q{next(self._seq):08d}{secrets.token_hex(3)}"
        row: dict[str, Any] = {
            "id": qid,
            "text": text,
            # The spec's example: "2022-02-01T11:18:08.769513469Z" (UTC, nanoseconds).
            "createdDate": when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
            "state": "suppliersPortalSynch",  # "новый вопрос"
            "answer": None,
            "productDetails": self._product_details(seller, nm, product),
            "wasViewed": False,
            "isWarned": False,
        }
        seller.questions[qid] = row
        return dict(row)

    def answer_question(self, sid: str, question_id: str, text: str = "Да") -> None:
        row = self._seller(sid).questions[question_id]
        row["answer"] = {"text": text, "editable": True, "createDate": utc_str(datetime.now(UTC))}
        row["state"] = "wbRu"
        row["wasViewed"] = True

    def view_all(self, sid: str) -> None:
        """The seller opened the cabinet: nothing is unseen (``wasViewed``) any more."""
        seller = self._seller(sid)
        for row in (*seller.feedbacks.values(), *seller.questions.values()):
            row["wasViewed"] = True

    @staticmethod
    def _product_details(seller: SellerState, nm: int, product: Product | None) -> dict[str, Any]:
        return {
            "imtId": product.imt_id if product else nm + 1_000_000,
            "nmId": nm,
            "productName": f"{product.subject} {product.brand}" if product else "Товар",
            "supplierArticle": product.article if product else "",
            "supplierName": seller.name,
            "brandName": product.brand if product else "",
        }

    async def _h_new_feedbacks_questions(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        """getV1NewFeedbacksQuestions: whether any review or question is still unseen."""
        return _feedbacks_ok(
            {
                "hasNewQuestions": any(not q["wasViewed"] for q in seller.questions.values()),
                "hasNewFeedbacks": any(not f["wasViewed"] for f in seller.feedbacks.values()),
            }
        )

    def _listing(
        self,
        request: web.Request,
        rows: Iterable[dict[str, Any]],
        key: str,
        *,
        max_take: int,
        max_skip: int,
        max_window: int | None,
    ) -> web.Response:
        """getV1Feedbacks / getV1Questions: ``isAnswered``, ``take`` and ``skip`` required,
        ``nmId``, ``order`` (dateAsc/dateDesc), ``dateFrom``/``dateTo`` (Unix seconds)."""
        q = request.query
        answered_text = q.get("isAnswered")
        if answered_text not in ("true", "false"):
            return _feedbacks_error(400, "Плохой формат isAnswered")
        try:
            take, skip = int(q["take"]), int(q["skip"])
        except (KeyError, ValueError):
            return _feedbacks_error(400, "Плохой формат take или skip")
        if not 0 < take <= max_take or not 0 <= skip <= max_skip:
            return _feedbacks_error(400, "Something went wrong")
        if max_window is not None and take + skip > max_window:
            return _feedbacks_error(400, "Something went wrong")
        order = q.get("order", "dateDesc")
        if order not in ("dateAsc", "dateDesc"):
            return _feedbacks_error(400, "Something went wrong")
        bounds: list[float | None] = []
        for name in ("dateFrom", "dateTo"):
            text = q.get(name)
            try:
                bounds.append(float(text) if text else None)
            except ValueError:
                return _feedbacks_error(400, f"Плохой формат {name}")
        nm_text = q.get("nmId")
        answered = answered_text == "true"
        everything = list(rows)
        chosen = []
        for row in everything:
            if (row["answer"] is not None) != answered:
                continue
            if nm_text and str(row["productDetails"]["nmId"]) != nm_text:
                continue
            ts = _feedback_ts(row["createdDate"])
            if (bounds[0] is not None and ts < bounds[0]) or (
                bounds[1] is not None and ts > bounds[1]
            ):
                continue
            chosen.append(row)
        chosen.sort(key=lambda r: _feedback_ts(r["createdDate"]), reverse=order == "dateDesc")
        unanswered = sum(1 for r in everything if r["answer"] is None)
        page = chosen[skip : skip + take]
        archive = len(everything) - unanswered
        return _feedbacks_ok({"countUnanswered": unanswered, "countArchive": archive, key: page})

    async def _h_feedbacks(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return self._listing(
            request,
            seller.feedbacks.values(),
            "feedbacks",
            max_take=FEEDBACKS_MAX_TAKE,
            max_skip=FEEDBACKS_MAX_SKIP,
            max_window=None,
        )

    async def _h_questions(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return self._listing(
            request,
            seller.questions.values(),
            "questions",
            max_take=QUESTIONS_MAX_WINDOW,
            max_skip=QUESTIONS_MAX_WINDOW,
            max_window=QUESTIONS_MAX_WINDOW,
        )

    def _unanswered_counts(self, rows: Iterable[dict[str, Any]]) -> dict[str, int]:
        today = datetime.now(MSK).date()
        open_rows = [r for r in rows if r["answer"] is None]
        return {
            "countUnanswered": len(open_rows),
            "countUnansweredToday": sum(
                1
                for r in open_rows
                if datetime.fromtimestamp(_feedback_ts(r["createdDate"]), MSK).date() == today
            ),
        }

    async def _h_feedbacks_unanswered(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return _feedbacks_ok(self._unanswered_counts(seller.feedbacks.values()))

    async def _h_questions_unanswered(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return _feedbacks_ok(self._unanswered_counts(seller.questions.values()))

    async def _h_seller_info(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        return _json({"name": seller.name, "sid": seller.sid, "tradeMark": seller.trade_mark})

    async def _h_tariffs_commission(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        # 10-tariffs.yaml: `locale` is ru (default), en or zh; anything else is a 400 with the
        # text of the spec's example.
        locale = request.query.get("locale", "ru")
        if locale not in ("ru", "en", "zh"):
            return _problem(
                400,
                "Bad Request",
                'parameter "locale" in query has an error: value is not one of the allowed '
                'values ["ru","en","zh"]',
                "api-statistics",
            )
        return _json({"report": self.commission})

    async def _h_cards(self, request: web.Request, seller: SellerState, path: str) -> web.Response:
        def bad(detail: str) -> web.Response:
            return _problem(400, "bad request", detail, "s2s-api-content")

        body = await _json_object(request)
        if isinstance(body, str):
            return bad(body)
        settings = body.get("settings") or {}
        if not isinstance(settings, dict):
            return bad("settings must be an object")
        cursor = settings.get("cursor") or {}
        flt = settings.get("filter") or {}
        sort = settings.get("sort") or {}
        if not all(isinstance(x, dict) for x in (cursor, flt, sort)):
            return bad("cursor, filter and sort must be objects")
        limit = cursor.get("limit", 100)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            return bad("cursor.limit must be an integer from 1 to 100")
        ascending = bool(sort.get("ascending", False))
        with_photo = flt.get("withPhoto", -1)
        text = str(flt.get("textSearch") or "").lower()
        after: tuple[int, int] | None = None
        if cursor.get("updatedAt") or cursor.get("nmID"):
            updated = parse_wb_datetime(str(cursor.get("updatedAt") or ""), UTC)
            nm = cursor.get("nmID")
            if updated is None or not isinstance(nm, int):
                return bad("cursor.updatedAt and cursor.nmID must be given together")
            after = ((updated - datetime(1970, 1, 1, tzinfo=UTC)) // _US, nm)

        store = seller.cards
        if ascending:
            start = bisect_right(store.keys, after) if after else 0
            indices: Iterable[int] = range(start, len(store.keys))
        else:
            end = bisect_left(store.keys, after) if after else len(store.keys)
            indices = range(end - 1, -1, -1)
        page: list[dict[str, Any]] = []
        for i in indices:
            card = store.cards[i]
            if with_photo == 1 and not card["photos"]:
                continue
            if with_photo == 0 and card["photos"]:
                continue
            if text and text not in card["vendorCode"].lower() and text != str(card["nmID"]):
                continue
            page.append(card)
            if len(page) >= limit:
                break
        if page:
            out_cursor = {
                "updatedAt": page[-1]["updatedAt"],
                "nmID": page[-1]["nmID"],
                "total": len(page),
            }
        else:
            out_cursor = {
                "updatedAt": cursor.get("updatedAt"),
                "nmID": cursor.get("nmID", 0),
                "total": 0,
            }
        return _json({"cards": page, "cursor": out_cursor})

    async def _h_finance_detailed(
        self, request: web.Request, seller: SellerState, path: str
    ) -> web.Response:
        """13-finances.yaml postV1SalesReportsDetailed: the rows of the seller's reports of
        ``period`` (default weekly) whose period meets ``dateFrom``..``dateTo``, ascending
        ``rrdId`` after the request's ``rrdId`` (0 first), at most ``limit`` (default and
        maximum 100000); nothing left answers 204 ("Повторяйте запрос, пока не получите ответ
        204"). Which reports a span selects is not documented: here, every report whose period
        overlaps it. ``fields`` keeps only the listed fields."""

        def bad(detail: str) -> web.Response:
            # response400FinancialReports: problem+json, origin open-api-finreports.
            body = {
                "status": 400,
                "title": "GetReportDetailByPeriodNB decode error",
                "detail": f"GetReportDetailByPeriodNB decode error: {detail}",
                "requestId": str(uuid.uuid4()),
                "origin": "open-api-finreports",
            }
            return web.Response(
                body=_dumps(body), status=400, headers={"Content-Type": _PROBLEM_CT}
            )

        body = await _json_object(request)
        if isinstance(body, str):
            return bad(body)
        spans = []
        for name in ("dateFrom", "dateTo"):
            value = body.get(name)
            if value is None:
                return bad(f"missing {name} params")
            parsed = parse_wb_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                return bad(f"invalid {name}")
            spans.append(msk_naive(parsed).date())
        start, end = spans
        period = body.get("period", "weekly")
        if period not in wb_finance.PERIODS:
            return bad("invalid period")
        limit = body.get("limit", wb_finance.MAX_LIMIT)
        rrd_id = body.get("rrdId", 0)
        for name, value in (("limit", limit), ("rrdId", rrd_id)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return bad(f"invalid {name}")
        if not 1 <= limit <= wb_finance.MAX_LIMIT:
            return bad(f"limit must be from 1 to {wb_finance.MAX_LIMIT}")
        fields = body.get("fields")
        if fields is not None and (
            not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)
        ):
            return bad("invalid fields")
        page = []
        for row in seller.finance[period]:
            if row["rrdId"] <= rrd_id:
                continue
            if date.fromisoformat(row["dateTo"]) < max(start, wb_finance.DATA_SINCE):
                continue
            if date.fromisoformat(row["dateFrom"]) > end:
                continue
            page.append(row if not fields else {f: row[f] for f in fields if f in row})
            if len(page) >= limit:
                break
        if not page:
            return web.Response(status=204)
        return _json(page)


# ----------------------------------------------------------------------------------------------
# response helpers


async def _json_object(request: web.Request) -> dict[str, Any] | str:
    """The request's JSON object, or why it is not one."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return "request body is not valid JSON"
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    return body


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=_dumps(data), status=status, headers={"Content-Type": _JSON_CT})


def _problem(status: int, title: str, detail: str, origin: str) -> web.Response:
    """WB's problem+json body (401, 429 and friends)."""
    body = {
        "title": title,
        "detail": detail,
        "code": f"{secrets.token_hex(4)}--{secrets.token_hex(6)}-[{secrets.token_urlsafe(8)}]; 03",
        "requestId": secrets.token_hex(16),
        "origin": origin,
        "status": status,
        "statusText": HTTPStatus(status).phrase,
        "timestamp": utc_str(datetime.now(UTC)),
    }
    return web.Response(body=_dumps(body), status=status, headers={"Content-Type": _PROBLEM_CT})


def _feedbacks_ok(data: Any) -> web.Response:
    """Every feedbacks-api answer: ``{data, error, errorText, additionalErrors}``."""
    return _json({"data": data, "error": False, "errorText": "", "additionalErrors": None})


def _feedbacks_error(status: int, text: str) -> web.Response:
    """09-communications.yaml ``responseFeedbackQuestionErr`` (e.g. ``FeedbackErr400``)."""
    body = {
        "data": None,
        "error": True,
        "errorText": text,
        "additionalErrors": None,
        "requestId": str(uuid.uuid4()),
    }
    return _json(body, status)


def _feedback_ts(text: str) -> float:
    """``createdDate`` as Unix seconds: reviews carry an offset, questions a Z and nanoseconds."""
    head = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    return datetime.fromisoformat(head).timestamp()


def _analytics_error(status: int, title: str, detail: str) -> web.Response:
    """Analytics API error shape: ``{title, detail, origin, requestId}``."""
    body = {
        "title": title,
        "detail": detail,
        "origin": "analytics-open-api",
        "requestId": secrets.token_hex(16),
    }
    return web.Response(body=_dumps(body), status=status, headers={"Content-Type": _JSON_CT})


_NGINX_HTML = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _injected_response(inj: _Injection) -> web.Response:
    status = inj.status
    headers = dict(inj.headers or {})
    if inj.body is not None:
        resp = _raw_response(status, inj.body)
    elif status == 401:
        resp = _problem(401, "unauthorized", "token withdrawn", "s2s-api-auth-catalog")
    elif status == 403:
        resp = _problem(403, "access denied", "abac: access denied", "s2s-api-auth-catalog")
    elif status == 429:
        resp = _problem(429, "too many requests", f"limited by {uuid.uuid4()}", "api-gateway")
    elif status in (502, 503, 504):
        phrase = HTTPStatus(status).phrase
        html = _NGINX_HTML.format(code=status, phrase=phrase)
        resp = web.Response(text=html, status=status, content_type="text/html")
    elif status >= 500:
        resp = _problem(status, "internal server error", "service unavailable, retry later", "api")
    else:
        resp = _problem(status, HTTPStatus(status).phrase.lower(), "injected error", "api")
    for k, v in headers.items():
        resp.headers[k] = v
    return resp


def _raw_response(status: int, payload: Any) -> web.Response:
    if isinstance(payload, bytes | bytearray):
        body = bytes(payload)
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = _dumps(payload)
    return web.Response(body=body, status=status, headers={"Content-Type": _JSON_CT})


def _fmt_secs(seconds: float, *, integer: bool) -> str:
    """Seconds for a header, always rounded UP so that waiting exactly that long is enough."""
    seconds = max(0.0, seconds)
    if integer:
        return str(max(1, math.ceil(seconds - 1e-9)) if seconds > 0 else 0)
    ms = math.ceil(seconds * 1000 - 1e-6)
    if seconds > 0:
        ms = max(ms, 1)
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------------------------
# token parsing (mirrors the error texts of WB's auth gateway, a golang-jwt stack)


def _check_token(header: str) -> dict[str, Any] | str:
    token = header.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token:
        return "empty Authorization header"
    malformed = "token problem; token is malformed: "
    parts = token.split(".")
    if len(parts) != 3:
        return malformed + "token contains an invalid number of segments"
    names = ("header", "claim", "signature")
    decoded: list[bytes] = []
    for name, part in zip(names, parts, strict=True):
        if not _B64URL.match(part):
            bad = next(i for i, ch in enumerate(part) if not _B64URL.match(ch))
            return (
                malformed
                + f"could not base64 decode {name}: illegal base64 data at input byte {bad}"
            )
        try:
            decoded.append(b64url_decode(part))
        except ValueError:
            return malformed + f"could not base64 decode {name}: illegal base64 data"
    try:
        head = json.loads(decoded[0])
    except ValueError:
        return malformed + "could not JSON decode header"
    try:
        claims = json.loads(decoded[1])
    except ValueError:
        return malformed + "could not JSON decode claim"
    if not isinstance(head, dict) or head.get("alg") != "ES256":
        return "token problem; token is unverifiable: signing method is invalid"
    if len(decoded[2]) != 64:
        return "token problem; token signature is invalid: ecdsa: verification error"
    if not isinstance(claims, dict):
        return malformed + "could not JSON decode claim"
    for name, typ in (("sid", str), ("acc", int), ("exp", int), ("s", int)):
        if not isinstance(claims.get(name), typ):
            return malformed + f"claim {name} is missing or invalid"
    return claims


def _claims_of(token: str) -> dict[str, Any]:
    result = _check_token(token)
    if isinstance(result, str):
        raise ValueError(result)
    return result


def _sid_of(token_or_sid: str) -> str:
    if token_or_sid.count(".") == 2:
        return str(_claims_of(token_or_sid)["sid"])
    return token_or_sid


# ----------------------------------------------------------------------------------------------
# standalone run


async def _serve_forever(port: int, rate_scale: float) -> None:
    from tests.fakes.tokens import ACC_PERSONAL, make_token

    wb = FakeWB(rate_scale=rate_scale, port=port)
    async with wb:
        token = make_token(acc=ACC_PERSONAL, categories=("statistics", "analytics"))
        sid = wb.add_seller(token, name="ИП Демо")
        wb.bulk_add_orders(sid, 50, step=timedelta(minutes=10))
        print(f"WB_API_URL_TEMPLATE={wb.url_template}")
        print(f"demo token (Personal, statistics+analytics): {token}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake WB seller API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-scale", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port, args.rate_scale))


if __name__ == "__main__":
    main()
