"""What /connect and /status say, rendered in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.utils.i18n import I18n

from bot.handlers.key_intake import connected_text
from bot.handlers.status import newest_wb_change, shop_status
from bot.i18n import make_i18n
from bot.store.polls import KEY_UNREADABLE, PollState
from bot.store.shops import Shop
from bot.wb.methods import Category, TokenType

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return make_i18n()


@pytest.fixture
def english(i18n: I18n) -> Iterator[None]:
    with i18n.context(), i18n.use_locale("en"):
        yield


@pytest.fixture
def russian(i18n: I18n) -> Iterator[None]:
    with i18n.context(), i18n.use_locale("ru"):
        yield


def shop(token_type: TokenType, *categories: Category, read_only: bool = True) -> Shop:
    mask = 0
    for category in categories:
        mask |= 1 << int(category)
    return Shop(
        id=1,
        seller_id="sid",
        name="<Ромашка>",
        token_type=int(token_type),
        token_categories=mask,
        token_read_only=read_only,
        token_expires_at=NOW + 30 * 86400,
        token_fingerprint="fp",
        state="active",
        dead_reason=None,
        dead_at=None,
        alert_chat_id=None,
        baseline_done=False,
        connected_at=NOW,
    )


def poll(job: str, newest: str | None = None, error: str | None = None) -> PollState:
    return PollState(
        shop_id=1,
        job=job,
        next_due_at=NOW + 60,
        last_ok_at=NOW - 60,
        last_error=error,
        last_error_at=NOW - 120 if error else None,
        failures=0,
        cursor=None,
        newest_change=newest,
        task=None,
        task_started_at=None,
        baseline_done=True,
    )


def test_base_token_with_statistics_only_hears_what_it_misses(english: None) -> None:
    text = connected_text(shop(TokenType.BASE, Category.STATISTICS), True, 30, UTC)
    assert "orders and cancellations: every 3 h" in text
    assert "buyouts and returns: every 2 h" in text
    assert "without stock" in text and "Marketplace" in text and "Content" in text
    assert "Personal" in text and "90 days" in text
    assert "&lt;Ромашка&gt;" in text  # WB's name is escaped for HTML
    assert "expires in" not in text


def test_a_token_near_its_end_is_flagged_at_connect(english: None) -> None:
    text = connected_text(shop(TokenType.PERSONAL, Category.STATISTICS), True, 5, UTC)
    assert "expires in 5 days" in text


def test_personal_token_with_write_access_is_warned(english: None) -> None:
    every = (Category.STATISTICS, Category.ANALYTICS, Category.MARKETPLACE, Category.CONTENT)
    text = connected_text(shop(TokenType.PERSONAL, *every, read_only=False), False, 30, UTC)
    assert "Key updated" in text
    assert "order feed (every order, deferred payment too): every 1 min" in text
    assert "orders and cancellations: every 10 min" in text  # details only, beside the feed
    assert "stock: every 30 min" in text
    assert "Read only" in text and "safer" in text
    assert "without stock" not in text and "90 days" not in text


def test_connected_text_in_russian(russian: None) -> None:
    text = connected_text(shop(TokenType.PERSONAL, Category.STATISTICS), True, 30, UTC)
    assert "подключён" in text and "раз в 1 мин" in text


@pytest.mark.parametrize(
    ("days", "left"),
    [
        (179, "(осталось 179 дней)"),
        (21, "(остался 21 день)"),
        (3, "(осталось 3 дня)"),
        (11, "(осталось 11 дней)"),
    ],
)
def test_russian_days_left_agree_with_the_number(russian: None, days: int, left: str) -> None:
    text = connected_text(shop(TokenType.PERSONAL, Category.STATISTICS), True, days, UTC)
    assert f"действует до 23.12.2026 {left}" in text  # a Russian date, not 2026-12-23


def test_a_token_with_one_day_left_says_day(english: None, russian: None) -> None:
    text = connected_text(shop(TokenType.PERSONAL, Category.STATISTICS), True, 1, UTC)
    assert "истекает через 1 день" in text and "(остался 1 день)" in text


def test_english_says_one_day_not_one_days(english: None) -> None:
    text = connected_text(shop(TokenType.PERSONAL, Category.STATISTICS), True, 1, UTC)
    assert "expires in 1 day:" in text and "(1 day left)" in text


def test_wb_freshness_is_moscow_time_shown_in_the_users_zone(english: None) -> None:
    polls = [poll("orders", "2026-11-23T14:30:00"), poll("sales", "2026-11-23T13:00:00")]
    assert newest_wb_change(polls) == datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    text = shop_status(
        shop(TokenType.PERSONAL, Category.STATISTICS),
        "owner",
        polls,
        ZoneInfo("Asia/Yekaterinburg"),
        NOW,
    )
    assert "as of 2026-11-23 16:30" in text  # 11:30 UTC is 16:30 in Yekaterinburg
    assert "30 days left" in text


def test_status_names_the_last_wb_error_and_when(english: None) -> None:
    polls = [poll("orders"), poll("stock", error="WB 503: unavailable")]
    text = shop_status(shop(TokenType.PERSONAL, Category.STATISTICS), "member", polls, UTC, NOW)
    assert "Last WB error (2026-11-23 11:58): WB 503: unavailable" in text
    assert "orders and cancellations: last sync 2026-11-23 11:59, next 2026-11-23 12:01" in text


def test_status_says_an_unreadable_stored_key_is_not_the_sellers_fault(russian: None) -> None:
    polls = [poll("orders", error=KEY_UNREADABLE), poll("sales", error=KEY_UNREADABLE)]
    text = shop_status(shop(TokenType.PERSONAL, Category.STATISTICS), "owner", polls, UTC, NOW)
    assert "Бот не может прочитать сохранённую копию этого ключа" in text
    assert "Новый ключ не нужен" in text
    assert KEY_UNREADABLE not in text and "Последняя ошибка WB" not in text


def test_status_in_russian_dates_and_days_read_russian(russian: None) -> None:
    polls = [poll("orders"), poll("stock", error="WB 503: unavailable")]
    text = shop_status(shop(TokenType.PERSONAL, Category.STATISTICS), "owner", polls, UTC, NOW)
    assert "действует до 23.12.2026 (осталось 30 дней)" in text
    assert "(23.11.2026 11:58)" in text and "2026-11" not in text


def test_a_key_without_questions_and_reviews_hears_what_adding_it_gives(english: None) -> None:
    bare = shop(TokenType.PERSONAL, Category.STATISTICS)
    full = shop(TokenType.PERSONAL, Category.STATISTICS, Category.FEEDBACKS)
    advice = "Add <b>Questions and reviews</b> for an alert within minutes of a bad review"
    assert advice in connected_text(bare, True, 30, UTC)
    assert advice in shop_status(bare, "owner", [], UTC, 0.0)
    text = connected_text(full, True, 30, UTC)
    assert advice not in text and "reviews and questions: every 1 min" in text
    assert advice not in shop_status(full, "owner", [], UTC, 0.0)


def test_the_reviews_advice_in_russian(russian: None) -> None:
    text = connected_text(shop(TokenType.BASE, Category.STATISTICS), True, 30, UTC)
    assert "Добавьте <b>Вопросы и отзывы</b>" in text
    base = shop(TokenType.BASE, Category.STATISTICS, Category.FEEDBACKS)
    assert "отзывы и вопросы: раз в 12 мин" in connected_text(base, True, 30, UTC)


def test_a_key_without_finance_hears_what_profit_it_misses(english: None) -> None:
    bare = shop(TokenType.BASE, Category.STATISTICS)
    full = shop(TokenType.BASE, Category.STATISTICS, Category.FINANCE)
    advice = (
        "• Add <b>Finance</b> for profit by WB's own finance report: commission, logistics, "
        "storage, penalties, deductions and what WB transfers, exact for every week WB has "
        "published. Without it, profit is only an estimate from sales."
    )
    assert advice in connected_text(bare, True, 30, UTC)
    assert advice in shop_status(bare, "owner", [], UTC, 0.0)
    text = connected_text(full, True, 30, UTC)
    # A Base key: the report pages once every 12 hours (WB: 2 calls per 24 h).
    assert advice not in text
    assert "WB's finance report (weekly; this week daily): every 12 h" in text
    assert advice not in shop_status(full, "owner", [], UTC, 0.0)


def test_the_finance_advice_in_russian(russian: None) -> None:
    bare = shop(TokenType.PERSONAL, Category.STATISTICS)
    advice = "• Добавьте <b>Финансы</b>, чтобы видеть прибыль по финансовому отчёту WB"
    assert advice in connected_text(bare, True, 30, UTC)
    assert advice in shop_status(bare, "owner", [], UTC, 0.0)
    full = shop(TokenType.PERSONAL, Category.STATISTICS, Category.FINANCE)
    assert "финансовый отчёт WB (понедельно; текущая неделя по дням): раз в 1 ч" in (
        connected_text(full, True, 30, UTC)
    )
