"""When a product counts as running low, and when a key's expiry is worth a warning (pure)."""

from __future__ import annotations

from bot.clock import parse_hhmm
from bot.handlers.settings.quiet import parse_quiet
from bot.handlers.settings.zone import parse_zone
from bot.notify.checks import DAY, expiry_threshold
from bot.notify.summary import summary_due
from bot.store.stock import SizeStock
from bot.sync.stock_alerts import forecast, is_low, short_sizes


def stock(nm_id: int, size: str, quantity: int) -> SizeStock:
    return SizeStock(nm_id, size, quantity, f"ART-{nm_id}", "Платья", "Acme")


def test_cover_is_stock_over_the_average_daily_orders_of_14_days():
    [product] = forecast([stock(1, "0", 10)], {(1, "0"): 28})
    assert product.avg_daily == 2
    assert product.cover == 5


def test_orders_of_every_size_count_for_the_product_even_a_size_gone_from_stock():
    [product] = forecast(
        [stock(1, "S", 3), stock(1, "M", 4)], {(1, "S"): 7, (1, "M"): 7, (1, "L"): 14}
    )
    assert product.quantity == 7
    assert product.orders_14d == 28
    assert product.cover == 3.5


def test_a_product_that_did_not_sell_has_no_forecast_and_is_never_low():
    [product] = forecast([stock(1, "0", 0)], {})
    assert product.cover is None
    assert not is_low(product.cover, 30)


def test_low_means_under_the_horizon_or_sold_out():
    assert is_low(6.9, 7)
    assert not is_low(7.0, 7)
    assert is_low(0.0, 3)


def test_the_sizes_running_out_are_listed_soonest_first():
    [product] = forecast(
        [stock(1, "S", 0), stock(1, "M", 20), stock(1, "L", 2)],
        {(1, "S"): 14, (1, "M"): 14, (1, "L"): 14},
    )
    assert [(s.size, s.quantity) for s in short_sizes(product, 7)] == [("S", 0), ("L", 2)]


def test_a_product_without_sizes_lists_none():
    [product] = forecast([stock(1, "0", 1)], {(1, "0"): 14})
    assert short_sizes(product, 7) == []


def test_expiry_warns_at_14_3_and_1_days_only_the_smallest_crossed():
    now = 1_000_000.0
    assert expiry_threshold(now, now + 15 * DAY) is None
    assert expiry_threshold(now, now + 14 * DAY) == 14
    assert expiry_threshold(now, now + 10 * DAY) == 14
    assert expiry_threshold(now, now + 2 * DAY) == 3  # connected with 2 days left: one warning
    assert expiry_threshold(now, now + 0.5 * DAY) == 1
    assert expiry_threshold(now, now - 1) is None  # expired: the dead-key alert says so


def test_typed_times_zones_and_quiet_hours():
    assert parse_hhmm("9:05").strftime("%H:%M") == "09:05"
    assert parse_hhmm("24:00") is None and parse_hhmm("noon") is None
    assert parse_zone("Asia/Dubai") == "Asia/Dubai"
    assert parse_zone("Mars/Phobos") is None and parse_zone("../etc/passwd") is None
    assert parse_quiet("22:30 – 7:30") == ("22:30", "07:30")
    assert parse_quiet("22:00-22:00") is None and parse_quiet("25:00-08:00") is None


def test_summary_is_due_from_the_summary_time_once_a_local_day(make_user):
    # Novosibirsk is UTC+7: 09:00 there is 02:00 UTC.
    user = make_user(timezone="Asia/Novosibirsk", summary_time="09:00")
    two_utc = 1_763_604_000.0  # 2025-11-20 02:00 UTC
    assert summary_due(user, two_utc - 60) is None
    assert str(summary_due(user, two_utc)) == "2025-11-20"
    done = make_user(timezone="Asia/Novosibirsk", last_summary_day="2025-11-20")
    assert summary_due(done, two_utc + 3600) is None
