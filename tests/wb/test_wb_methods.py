"""The WB method table: hosts, paths, categories, limits per token type, planned poll periods."""

from __future__ import annotations

import pytest

from bot.wb.methods import (
    METHODS,
    Category,
    Limit,
    TokenType,
    limit_for,
    methods_needing,
    poll_period,
)
from tests.fakes import wb as fake

MINUTE = 60.0
HOUR = 3600.0


def test_base_token_orders_limited_to_one_per_three_hours() -> None:
    limit = limit_for(METHODS["orders"], TokenType.BASE)
    assert limit == Limit(period=3 * HOUR, count=1, burst=1)
    assert limit.interval == 3 * HOUR


def test_personal_token_orders_one_per_minute_with_burst_ten() -> None:
    limit = limit_for(METHODS["orders"], TokenType.PERSONAL)
    assert limit is not None
    assert (limit.interval, limit.burst) == (MINUTE, 10)


def test_base_token_sales_limited_to_one_per_two_hours() -> None:
    limit = limit_for(METHODS["sales"], TokenType.BASE)
    assert limit is not None
    assert (limit.interval, limit.burst) == (2 * HOUR, 1)


def test_service_tokens_get_the_personal_limits() -> None:
    for method in METHODS.values():
        assert limit_for(method, TokenType.SERVICE) == limit_for(method, TokenType.PERSONAL)


def test_test_tokens_have_wbs_sandbox_limits_and_no_analytics_or_common_api() -> None:
    # orders-fbs "Test | 1 minute | 150 requests | ... | 10 requests"; the sandbox has no
    # seller-analytics-api or common-api host (wb-api.md, Corrections 6).
    fbs = limit_for(METHODS["fbs_new"], TokenType.TEST)
    assert fbs is not None and (fbs.period, fbs.count, fbs.burst) == (MINUTE, 150, 10)
    for name in ("stock_create", "stock_status", "stock_download", "order_feed", "seller_info"):
        assert limit_for(METHODS[name], TokenType.TEST) is None, name
        assert poll_period(METHODS[name], TokenType.TEST) is None, name
    for name in ("orders", "sales", "cards", "ping"):
        assert limit_for(METHODS[name], TokenType.TEST) == limit_for(
            METHODS[name], TokenType.PERSONAL
        )


def test_base_token_warehouse_remains_four_per_hour() -> None:
    limit = limit_for(METHODS["stock_create"], TokenType.BASE)
    assert limit is not None
    assert limit.interval == 15 * MINUTE


def test_stock_create_and_download_spend_one_budget() -> None:
    create, download = METHODS["stock_create"], METHODS["stock_download"]
    assert create.group == download.group


def test_every_token_type_may_check_the_stock_report_status_within_wbs_limit() -> None:
    """12-reports.yaml, tasks/{task_id}/status: Base "1 ч | 4 запроса | 15 мин | 1 запрос"."""
    base = limit_for(METHODS["stock_status"], TokenType.BASE)
    assert base is not None and base.interval == 15 * MINUTE and base.burst == 1
    status = limit_for(METHODS["stock_status"], TokenType.PERSONAL)
    assert status is not None and status.interval == 5.0


def test_ping_allows_three_per_thirty_seconds() -> None:
    limit = limit_for(METHODS["ping"], TokenType.BASE)
    assert limit is not None
    assert limit.period / limit.interval == 3
    assert limit.period == 30.0


def test_methods_sharing_a_group_share_their_limits() -> None:
    by_group: dict[str, list[str]] = {}
    for method in METHODS.values():
        by_group.setdefault(method.group, []).append(method.name)
    for names in by_group.values():
        first = METHODS[names[0]]
        for name in names[1:]:
            assert dict(METHODS[name].limits) == dict(first.limits), names
            assert METHODS[name].host == first.host


@pytest.mark.parametrize(
    ("name", "host", "http_method", "path", "category"),
    [
        ("orders", "statistics-api", "GET", "/api/v1/supplier/orders", Category.STATISTICS),
        ("sales", "statistics-api", "GET", "/api/v1/supplier/sales", Category.STATISTICS),
        (
            "stock_create",
            "seller-analytics-api",
            "GET",
            "/api/v1/warehouse_remains",
            Category.ANALYTICS,
        ),
        (
            "stock_status",
            "seller-analytics-api",
            "GET",
            "/api/v1/warehouse_remains/tasks/{task_id}/status",
            Category.ANALYTICS,
        ),
        (
            "stock_download",
            "seller-analytics-api",
            "GET",
            "/api/v1/warehouse_remains/tasks/{task_id}/download",
            Category.ANALYTICS,
        ),
        ("fbs_new", "marketplace-api", "GET", "/api/v3/orders/new", Category.MARKETPLACE),
        ("cards", "content-api", "POST", "/content/v2/get/cards/list", Category.CONTENT),
        ("seller_info", "common-api", "GET", "/api/v1/seller-info", None),
        ("ping", "statistics-api", "GET", "/ping", Category.STATISTICS),
    ],
)
def test_method_table_entry(
    name: str, host: str, http_method: str, path: str, category: Category | None
) -> None:
    method = METHODS[name]
    assert (method.name, method.host, method.http_method, method.path, method.category) == (
        name,
        host,
        http_method,
        path,
        category,
    )


def test_every_method_has_a_limit_for_personal_tokens() -> None:
    for method in METHODS.values():
        assert limit_for(method, TokenType.PERSONAL) is not None, method.name


def test_scaled_limit_multiplies_the_period_only() -> None:
    limit = Limit(period=60.0, count=3, burst=5)
    scaled = limit.scaled(0.01)
    assert scaled.period == pytest.approx(0.6)
    assert (scaled.count, scaled.burst) == (3, 5)
    assert scaled.interval == pytest.approx(0.2)


def test_limit_for_applies_the_scale() -> None:
    limit = limit_for(METHODS["orders"], TokenType.BASE, scale=0.001)
    assert limit is not None
    assert limit.interval == pytest.approx(3 * HOUR * 0.001)


@pytest.mark.parametrize(
    "kwargs", [{"period": 0, "count": 1, "burst": 1}, {"period": 1, "count": 0, "burst": 1}]
)
def test_limit_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limit(**kwargs)  # type: ignore[arg-type]


def test_limit_refuses_a_non_positive_scale() -> None:
    with pytest.raises(ValueError):
        Limit(60, 1, 1).scaled(0)


def test_poll_period_base_orders_every_three_hours() -> None:
    assert poll_period(METHODS["orders"], TokenType.BASE) == 3 * HOUR


def test_poll_period_personal_orders_every_minute() -> None:
    assert poll_period(METHODS["orders"], TokenType.PERSONAL) == MINUTE


def test_stock_polled_no_more_often_than_every_thirty_minutes_scaled() -> None:
    assert poll_period(METHODS["stock_create"], TokenType.PERSONAL) == 30 * MINUTE
    assert poll_period(METHODS["stock_create"], TokenType.PERSONAL, 0.01) == pytest.approx(18.0)
    # Base: create + download at 4 per hour is also one poll per 30 minutes.
    assert poll_period(METHODS["stock_create"], TokenType.BASE) == 30 * MINUTE


def test_fbs_new_is_polled_every_minute_not_every_200_ms() -> None:
    assert poll_period(METHODS["fbs_new"], TokenType.PERSONAL) == MINUTE
    assert poll_period(METHODS["fbs_new"], TokenType.BASE, 0.5) == 30.0


def test_methods_needing_statistics() -> None:
    names = {m.name for m in methods_needing(Category.STATISTICS)}
    assert names == {"orders", "sales", "ping"}


_FAKE_GROUP = {
    "orders": "orders",
    "sales": "sales",
    "stock_create": "remains_create",
    "stock_status": "remains_status",
    "stock_download": "remains_download",
    "fbs_new": "fbs_new",
    "cards": "cards",
    "seller_info": "seller_info",
    "order_feed": "order_feed",
    "ping": "ping",
}


@pytest.mark.parametrize("name", sorted(_FAKE_GROUP))
@pytest.mark.parametrize("token_type", list(TokenType))
def test_our_limits_are_never_looser_than_the_fake_wb(name: str, token_type: TokenType) -> None:
    """The fake WB enforces wb-api.md independently; a bucket of ours never outpaces its own."""
    ours = limit_for(METHODS[name], token_type)
    personal, base = fake.LIMITS[_FAKE_GROUP[name]]
    theirs = base if token_type is TokenType.BASE else personal
    if token_type is TokenType.TEST:
        theirs = fake.TEST_LIMITS.get(_FAKE_GROUP[name], personal)
    if ours is None:
        return
    assert ours.interval >= theirs.interval - 1e-9
    assert ours.burst <= theirs.burst
