"""The WB methods the bot calls, as data: host, path, token category and limits per token type.

Every WB rate limit and every poll period the bot plans comes from this table (wb-api.md §3.2,
limits as of Aug 2026). Change a limit here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType


class TokenType(IntEnum):
    """The JWT claim ``acc``."""

    BASE = 1
    TEST = 2
    PERSONAL = 3
    SERVICE = 4


class Category(IntEnum):
    """Bit positions in the JWT claim ``s`` (tested as ``s & (1 << bit)``)."""

    CONTENT = 1
    ANALYTICS = 2
    PRICES = 3
    MARKETPLACE = 4
    STATISTICS = 5
    PROMOTION = 6
    FEEDBACKS = 7
    CHAT = 9
    SUPPLIES = 10
    RETURNS = 11
    DOCUMENTS = 12
    FINANCE = 13
    USERS = 16


MINUTE = 60.0
HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class Limit:
    """WB's token bucket: ``count`` requests per ``period`` seconds, at most ``burst`` at once."""

    period: float  # seconds for `count` requests
    count: int
    burst: int

    def __post_init__(self) -> None:
        if not self.period > 0:
            raise ValueError("period must be positive")
        if self.count < 1 or self.burst < 1:
            raise ValueError("count and burst must be at least 1")

    @property
    def interval(self) -> float:
        """Seconds for one request to come back to the bucket."""
        return self.period / self.count

    def scaled(self, scale: float) -> Limit:
        """The same limit with every period multiplied by ``scale`` (WB_RATE_SCALE)."""
        if not scale > 0:
            raise ValueError("scale must be positive")
        return Limit(period=self.period * scale, count=self.count, burst=self.burst)


@dataclass(frozen=True)
class Method:
    """One WB endpoint.

    ``group`` names the limiter bucket; methods sharing a group share one budget and must have
    the same limits. ``limits[t] is None`` means the bot does not call the method with a token of
    type ``t``. ``min_poll`` is the shortest period (seconds, before scaling) between planned
    polls, where WB's own refresh or plain usefulness says polling faster is pointless.
    ``calls_per_poll`` is how many calls of the group one planned poll spends. ``category`` is
    the token category WB checks; None when any valid token will do.
    """

    name: str
    host: str
    path: str
    http_method: str
    category: Category | None
    group: str
    limits: Mapping[TokenType, Limit | None] = field(hash=False)
    min_poll: float = 0.0
    calls_per_poll: int = 1


def _per_type(
    personal: Limit | None, base: Limit | None, test: Limit | None = None
) -> Mapping[TokenType, Limit | None]:
    """Service tokens get the Personal limits; Base its own row; Test (sandbox) tokens their
    own row where WB gives one, else the Personal one."""
    return MappingProxyType(
        {
            TokenType.BASE: base,
            TokenType.TEST: test or personal,
            TokenType.PERSONAL: personal,
            TokenType.SERVICE: personal,
        }
    )


STATISTICS = "statistics-api"
ANALYTICS = "seller-analytics-api"
MARKETPLACE = "marketplace-api"
CONTENT = "content-api"
COMMON = "common-api"
FEEDBACKS_HOST = "feedbacks-api"
FINANCE_HOST = "finance-api"
#: The hosts WB's sandbox has (wb-api.md "Sandbox", feedbacks-api-sandbox included): a Test token
#: can call nothing else, so the bot never plans Analytics (stock, order feed) or common-api
#: (shop name) calls for one.
SANDBOX_HOSTS = frozenset({STATISTICS, MARKETPLACE, CONTENT, FEEDBACKS_HOST})

#: WB refreshes the warehouse_remains data about every 30 minutes.
STOCK_REFRESH = 30 * MINUTE
FEEDBACKS_GROUP = "feedbacks"


@dataclass(frozen=True)
class _Budget:
    """What the methods of one limiter group share: the limits and how the bot polls them."""

    group: str
    limits: Mapping[TokenType, Limit | None] = field(hash=False)
    min_poll: float = 0.0
    calls_per_poll: int = 1


def _budget(
    group: str,
    personal: Limit,
    base: Limit,
    *,
    test: Limit | None = None,
    min_poll: float = 0.0,
    calls_per_poll: int = 1,
) -> _Budget:
    return _Budget(group, _per_type(personal, base, test), min_poll, calls_per_poll)


_ORDERS = _budget("statistics.orders", Limit(MINUTE, 1, 10), Limit(3 * HOUR, 1, 1))
_SALES = _budget("statistics.sales", Limit(MINUTE, 1, 1), Limit(2 * HOUR, 1, 1))
# create and download share one bucket: WB documents "4 per hour" for Base without saying whether
# the two share it, and one bucket with burst 1 is safe either way. A stock poll is create, then
# (after the report is built) download, so it spends two calls of the group.
_WAREHOUSE_REMAINS = _budget(
    "analytics.warehouse_remains",
    personal=Limit(MINUTE, 1, 1),
    base=Limit(HOUR, 4, 1),
    min_poll=STOCK_REFRESH,
    calls_per_poll=2,
)
# Its own table in WB's spec (12-reports.yaml, tasks/{task_id}/status): 1 per 5 s, burst 5; Base
# "1 ч | 4 запроса | 15 мин | 1 запрос". One status check per poll is all the bot needs, so
# burst 1 everywhere.
_STOCK_STATUS = _budget("analytics.warehouse_remains.status", Limit(5.0, 1, 1), Limit(HOUR, 4, 1))
# 11-analytics.yaml postV1OrderFeed: Personal, Service, Base with secret 1 per minute; Base 1 per
# 3 h.
_ORDER_FEED = _budget("analytics.order_feed", Limit(MINUTE, 1, 1), Limit(3 * HOUR, 1, 1))
# orders-fbs: "Test | 1 minute | 150 requests | ... | 10 requests". Real-time source, but a minute
# is as fresh as an alert needs to be.
_FBS_NEW = _budget(
    "marketplace.orders_new",
    personal=Limit(MINUTE, 300, 20),
    base=Limit(MINUTE, 150, 10),
    test=Limit(MINUTE, 150, 10),
    min_poll=MINUTE,
)
# WB publishes no per-type rows for cards/list: one limit for every token type. Titles and photos
# change rarely.
_CARDS = _budget(
    "content.cards_list", Limit(MINUTE, 100, 5), Limit(MINUTE, 100, 5), min_poll=6 * HOUR
)
_SELLER_INFO = _budget("common.seller_info", Limit(MINUTE, 1, 10), Limit(DAY, 1, 1), min_poll=DAY)
# eslazarev/wildberries-sdk specs/10-tariffs.yaml /api/v1/tariffs/commission (x-category
# commonapi: any valid token): Personal, Service, Base with secret "1 мин | 1 запрос | 1 мин |
# 2 запроса"; Base "1 ч | 5 запросов | 12 мин | 1 запрос". WB's commission by subject changes
# rarely: once a day is plenty for an estimate.
_TARIFFS_COMMISSION = _budget(
    "common.tariffs_commission", Limit(MINUTE, 1, 2), Limit(HOUR, 5, 1), min_poll=DAY
)
# 13-finances.yaml postV1SalesReportsDetailed (ZloyDeDD/wb-api-skill; MissiaL
# financial-reports-and-accounting.json x-wb-rate-limits agrees): Personal, Service, Base with
# secret "1 мин | 1 запрос | 1 мин | 1 запрос"; Base "24 ч | 2 запроса | 12 ч | 1 запрос": one
# page every 12 hours. WB publishes a weekly report a week and daily ones a day: the job looks at
# what is due once an hour at most (it pages on at once while a report has more pages).
_FINANCE_DETAILED = _budget(
    "finance.sales_reports_detailed", Limit(MINUTE, 1, 1), Limit(DAY, 2, 1), min_poll=HOUR
)
# 3 per 30 s per host, and WB blocks automated pinging: for the /connect check only.
_PING = _budget("ping.statistics-api", Limit(30.0, 3, 1), Limit(30.0, 3, 1))
# 09-communications.yaml (and x-wb-rate-limits in MissiaL/wildberries-api
# assets/openapi/user-communication.json): one limit "на один аккаунт продавца для всех методов
# категории Вопросы и отзывы": Personal, Service, Base with secret 3/s burst 6; Base 5 per hour,
# burst 1. Every feedbacks-api method shares the one group, so the limiter holds one budget for
# them. A new bad review within a minute or two is what a seller needs; faster buys nothing.
_FEEDBACKS = _budget(FEEDBACKS_GROUP, Limit(1.0, 3, 6), Limit(HOUR, 5, 1), min_poll=MINUTE)

#: The token category WB checks on each host; common-api takes any valid token.
_HOST_CATEGORY: Mapping[str, Category | None] = MappingProxyType(
    {
        STATISTICS: Category.STATISTICS,
        ANALYTICS: Category.ANALYTICS,
        MARKETPLACE: Category.MARKETPLACE,
        CONTENT: Category.CONTENT,
        COMMON: None,
        FEEDBACKS_HOST: Category.FEEDBACKS,
        FINANCE_HOST: Category.FINANCE,
    }
)


def _method(name: str, host: str, request: str, budget: _Budget) -> Method:
    """One row of the table: ``request`` is ``"VERB /path"``; the category follows the host."""
    http_method, path = request.split(" ", 1)
    return Method(
        name,
        host,
        path,
        http_method,
        _HOST_CATEGORY[host],
        budget.group,
        budget.limits,
        budget.min_poll,
        budget.calls_per_poll,
    )


def _feedbacks_method(name: str, path: str) -> Method:
    return _method(name, FEEDBACKS_HOST, f"GET /api/v1/{path}", _FEEDBACKS)


_TASK = "/api/v1/warehouse_remains/tasks/{task_id}"
_METHODS: tuple[Method, ...] = (
    _feedbacks_method("feedbacks_new", "new-feedbacks-questions"),
    _feedbacks_method("feedbacks", "feedbacks"),
    _feedbacks_method("questions", "questions"),
    _feedbacks_method("feedbacks_unanswered", "feedbacks/count-unanswered"),
    _feedbacks_method("questions_unanswered", "questions/count-unanswered"),
    _method("orders", STATISTICS, "GET /api/v1/supplier/orders", _ORDERS),
    _method("sales", STATISTICS, "GET /api/v1/supplier/sales", _SALES),
    _method("stock_create", ANALYTICS, "GET /api/v1/warehouse_remains", _WAREHOUSE_REMAINS),
    _method("stock_status", ANALYTICS, f"GET {_TASK}/status", _STOCK_STATUS),
    _method("stock_download", ANALYTICS, f"GET {_TASK}/download", _WAREHOUSE_REMAINS),
    _method("order_feed", ANALYTICS, "POST /api/analytics/v1/order-feed", _ORDER_FEED),
    _method("fbs_new", MARKETPLACE, "GET /api/v3/orders/new", _FBS_NEW),
    _method("cards", CONTENT, "POST /content/v2/get/cards/list", _CARDS),
    _method("seller_info", COMMON, "GET /api/v1/seller-info", _SELLER_INFO),
    _method("tariffs_commission", COMMON, "GET /api/v1/tariffs/commission", _TARIFFS_COMMISSION),
    _method(
        "finance_detailed",
        FINANCE_HOST,
        "POST /api/finance/v1/sales-reports/detailed",
        _FINANCE_DETAILED,
    ),
    _method("ping", STATISTICS, "GET /ping", _PING),
)

METHODS: Mapping[str, Method] = MappingProxyType({m.name: m for m in _METHODS})


def limit_for(method: Method, token_type: TokenType, scale: float = 1.0) -> Limit | None:
    """The limit of ``method`` for a token of ``token_type``, periods scaled; None if not used."""
    if token_type is TokenType.TEST and method.host not in SANDBOX_HOSTS:
        return None
    limit = method.limits.get(token_type)
    if limit is None and token_type not in method.limits:
        limit = method.limits.get(TokenType.PERSONAL)
    return None if limit is None else limit.scaled(scale)


def poll_period(method: Method, token_type: TokenType, scale: float = 1.0) -> float | None:
    """Seconds between the polls the bot plans (the freshness a seller can expect); None if the
    token type may not call the method.

    The budget's steady rate (``interval`` per call, times the calls one poll spends) or
    ``min_poll``, whichever is longer; both scaled.
    """
    limit = limit_for(method, token_type, scale)
    if limit is None:
        return None
    return max(limit.interval * method.calls_per_poll, method.min_poll * scale)


def methods_needing(category: Category) -> tuple[Method, ...]:
    """The methods a token needs ``category`` for (to tell a seller what a missing bit costs)."""
    return tuple(m for m in METHODS.values() if m.category is category)
