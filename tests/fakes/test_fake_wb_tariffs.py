"""The fake's tariffs/commission (eslazarev/wildberries-sdk specs/10-tariffs.yaml)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes.test_fake_wb import api
from tests.fakes.tokens import ACC_BASE
from tests.fakes.wb import FakeWB

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def wb() -> AsyncIterator[FakeWB]:
    async with FakeWB() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_commission_by_subject_with_its_limits(
    wb: FakeWB, http: aiohttp.ClientSession
) -> None:
    client = api(wb, http, categories=())  # common-api: no category bit needed
    wb.add_seller(client.token)
    status, body, _ = await client.call("GET", "common-api", "/api/v1/tariffs/commission")
    assert status == 200
    row = next(r for r in body["report"] if r["subjectName"] == "Футболки")
    assert row["paidStorageKgvp"] == 15.5 and row["kgvpMarketplace"] == 18.5
    assert row["parentName"] == "Одежда" and isinstance(row["subjectID"], int)
    status, body, _ = await client.call(
        "GET", "common-api", "/api/v1/tariffs/commission", params={"locale": "de"}
    )
    assert status == 400 and "locale" in body["detail"]
    status, _, headers = await client.call("GET", "common-api", "/api/v1/tariffs/commission")
    assert status == 429 and headers["X-Ratelimit-Limit"] == "2"  # Personal: 1/min, burst 2
    base = api(wb, http, acc=ACC_BASE, categories=())
    wb.add_seller(base.token)
    for expected in (200, 429):  # Base: 5 per hour, burst 1
        status, _, headers = await base.call("GET", "common-api", "/api/v1/tariffs/commission")
        assert status == expected
    # one back every 12 minutes, burst 1
    assert headers["X-Ratelimit-Limit"] == "1" and 700 < float(headers["X-Ratelimit-Retry"]) <= 720
