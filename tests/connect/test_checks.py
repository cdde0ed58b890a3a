"""The key checks of /connect apart from Telegram: claims, WB's answer, limits and deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.shops.keycheck import (
    Accepted,
    Busy,
    Refusal,
    Refused,
    Unauthorized,
    Unreachable,
    category_mask,
    check_claims,
    check_with_wb,
    days_left,
    extract_key,
    fallback_name,
    period_parts,
)
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.methods import Category
from bot.wb.token import TokenInfo
from tests.fakes.tokens import ACC_BASE, ACC_PERSONAL, ACC_TEST, OLD_STYLE_KEY, make_token
from tests.fakes.wb import FakeWB

NOW = datetime.now(UTC)


def refusal(raw: str, sandbox: bool = False) -> Refusal | None:
    result = check_claims(raw, NOW, sandbox)
    return result.refusal if isinstance(result, Refused) else None


def test_each_bad_key_is_refused_for_its_own_reason() -> None:
    assert refusal(OLD_STYLE_KEY) is Refusal.OLD_STYLE
    assert refusal("eyJhbGciOiJFUzI1NiJ9.bm90LWpzb24.c2ln") is Refusal.MALFORMED
    assert refusal("hello world") is Refusal.MALFORMED
    assert refusal(make_token(exp=int(NOW.timestamp()) - 60)) is Refusal.EXPIRED
    assert refusal(make_token(acc=ACC_TEST)) is Refusal.TEST_TOKEN
    assert refusal(make_token(categories=("analytics", "content"))) is Refusal.NO_STATISTICS


def test_expired_refusal_carries_the_expiry_date_for_the_answer() -> None:
    exp = int(time.time()) - 86400
    result = check_claims(make_token(exp=exp), NOW, sandbox=False)
    assert isinstance(result, Refused) and result.expired_at is not None
    assert int(result.expired_at.timestamp()) == exp


def test_test_token_is_accepted_against_wbs_sandbox() -> None:
    assert isinstance(check_claims(make_token(acc=ACC_TEST), NOW, sandbox=True), TokenInfo)


def test_statistics_alone_is_enough_and_bearer_prefix_is_tolerated() -> None:
    info = check_claims("Bearer " + make_token(categories=("statistics",)), NOW, False)
    assert isinstance(info, TokenInfo)
    assert category_mask(info) == 1 << int(Category.STATISTICS)


def test_refusals_never_carry_the_token() -> None:
    token = make_token(categories=("analytics",))
    assert token not in repr(check_claims(token, NOW, False))


def test_periods_read_the_way_a_seller_says_them() -> None:
    assert period_parts(60) == (1, "min")
    assert period_parts(1800) == (30, "min")
    assert period_parts(3 * 3600) == (3, "h")
    assert period_parts(86400) == (1, "d")
    assert period_parts(5) == (5, "s")


def test_days_left_counts_whole_days_and_never_goes_negative() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert days_left(now.timestamp() + 10 * 86400 + 5, now) == 10
    assert days_left(now.timestamp() - 5, now) == 0
    assert days_left(None, now) is None


@pytest.fixture
async def fake_wb() -> AsyncIterator[FakeWB]:
    async with FakeWB(rate_scale=0.001) as wb:
        yield wb


@pytest.fixture
async def client(fake_wb: FakeWB) -> AsyncIterator[WBClient]:
    async with aiohttp.ClientSession() as session:
        yield WBClient(session, fake_wb.url_template)


def info_of(token: str) -> TokenInfo:
    info = check_claims(token, NOW, False)
    assert isinstance(info, TokenInfo)
    return info


async def test_a_live_key_is_accepted_with_the_shop_name_from_wb(
    fake_wb: FakeWB, client: WBClient
) -> None:
    token = make_token(acc=ACC_PERSONAL)
    fake_wb.add_seller(token, name="ИП Петров")
    result = await check_with_wb(client, Limiter(), token, info_of(token), 0.001)
    assert result == Accepted("ИП Петров")


async def test_a_revoked_key_is_refused_with_wbs_reason(fake_wb: FakeWB, client: WBClient) -> None:
    token = make_token(acc=ACC_PERSONAL)
    fake_wb.add_seller(token)
    fake_wb.revoke(token)
    result = await check_with_wb(client, Limiter(), token, info_of(token), 0.001)
    assert result == Unauthorized("revoked")


async def test_wb_hanging_is_answered_by_the_deadline(fake_wb: FakeWB, client: WBClient) -> None:
    token = make_token(acc=ACC_PERSONAL)
    fake_wb.hang_next("ping", 5.0)
    started = time.monotonic()
    result = await check_with_wb(client, Limiter(), token, info_of(token), 0.001, seconds=0.3)
    assert isinstance(result, Unreachable)
    assert time.monotonic() - started < 1.0


async def test_wb_5xx_means_unreachable(fake_wb: FakeWB, client: WBClient) -> None:
    token = make_token(acc=ACC_PERSONAL)
    fake_wb.fail_next("ping", 503)
    result = await check_with_wb(client, Limiter(), token, info_of(token), 0.001)
    assert isinstance(result, Unreachable)


async def test_fourth_check_within_wbs_ping_window_waits_instead_of_calling(
    fake_wb: FakeWB, client: WBClient
) -> None:
    token = make_token(acc=ACC_PERSONAL)
    limiter = Limiter()
    results = [await check_with_wb(client, limiter, token, info_of(token), 1.0) for _ in range(4)]
    assert isinstance(results[0], Accepted)
    busy = [r for r in results if isinstance(r, Busy)]
    assert busy and all(1 <= r.seconds <= 30 for r in busy)
    assert fake_wb.total_violations() == 0


async def test_base_token_gets_a_fallback_name_once_its_daily_seller_info_is_spent(
    fake_wb: FakeWB, client: WBClient
) -> None:
    token = make_token(acc=ACC_BASE)
    sid = fake_wb.add_seller(token, name="ООО Ромашка")
    limiter = Limiter()
    info = info_of(token)
    assert await check_with_wb(client, limiter, token, info, 0.001) == Accepted("ООО Ромашка")
    await asyncio.sleep(0.05)  # WB's ping window (30 s, scaled) has passed; the day has not
    second = await check_with_wb(client, limiter, token, info, 0.001)
    assert second == Accepted(fallback_name(sid))
    assert fake_wb.total_violations() == 0


def test_a_key_inside_a_sentence_is_found() -> None:
    token = make_token()
    assert extract_key(f"here is my key: {token} thanks") == token
    assert extract_key(f"  {OLD_STYLE_KEY}\n") == OLD_STYLE_KEY
