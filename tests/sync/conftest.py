"""An in-process sync engine against the fake WB: the real client, limiter and store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.store.shops import NewToken, Shop, connect_shop
from bot.store.users import ensure_user
from bot.sync.engine import SyncEngine
from bot.sync.plan import plan_shop
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from bot.wb.token import inspect_token
from tests.fakes.tokens import make_token
from tests.fakes.wb import FakeWB

SCALE = 0.001


@dataclass
class Rig:
    wb: FakeWB
    engine: SyncEngine
    db: object
    keyring: object

    async def connect(
        self, acc: int = 3, categories=("statistics",), user_id: int = 1, **claims
    ) -> tuple[Shop, str, str]:
        token = make_token(acc=acc, categories=categories, **claims)
        sid = self.wb.add_seller(token, name="Shop")
        info = inspect_token(token)
        await ensure_user(self.db, user_id, "en", "Europe/Moscow")
        shop, _ = await connect_shop(
            self.db,
            self.keyring,
            user_id,
            NewToken(
                sid,
                "Shop",
                int(info.token_type),
                _mask(info),
                info.read_only,
                info.expires_at.timestamp() if info.expires_at else None,
            ),
            token,
        )
        await plan_shop(self.db, shop, SCALE)
        return shop, sid, token

    async def connect_earlier(self, **kw) -> tuple[Shop, str]:
        """A shop connected two seconds ago: WB stamps rows to the second, and a row of the very
        second of /connect would count as history. Earlier instead of sleeping."""
        shop, sid, _token = await self.connect(**kw)
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE shops SET connected_at = connected_at - 2 WHERE id = ?", (shop.id,)
            )
        return shop, sid

    async def rows(self, sql: str, params=()) -> list[tuple]:
        return [tuple(r) for r in await self.db.fetchall(sql, params)]

    async def run_until(self, predicate: Callable[[], object], within: float = 10) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await self.engine.tick()
            await asyncio.sleep(0.005)
            if await _value(predicate()):
                await self.engine.idle()
                return
        raise AssertionError("condition not reached in time")

    async def run_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.engine.tick()
            await asyncio.sleep(0.005)
        await self.engine.idle()

    async def scalar(self, sql: str, params=()) -> object:
        row = await self.db.fetchone(sql, params)
        return row[0] if row else None


def _mask(info) -> int:
    mask = 0
    for category in info.categories:
        mask |= 1 << int(category)
    return mask


async def _value(v):
    return await v if asyncio.iscoroutine(v) else v


def settings_for(tmp_path, **extra) -> Settings:
    values = {"wb_rate_scale": SCALE, **extra}
    return Settings(bot_token=SecretStr("123456:" + "A" * 35), data_dir=tmp_path, **values)


@pytest.fixture
async def rig(tmp_path, db, keyring, request):
    opts = getattr(request, "param", {})
    async with (
        FakeWB(
            rate_scale=SCALE,
            stock_task_delay=1.0,
            page_cap=opts.get("page_cap", 80_000),
            page_cap_spread=opts.get("page_cap_spread"),
            amounts_later=opts.get("amounts_later"),
            aggregated_warehouses=opts.get("aggregated_warehouses", False),
        ) as wb,
        aiohttp.ClientSession() as http,
    ):
        settings = settings_for(tmp_path)
        engine = SyncEngine(db, keyring, WBClient(http, wb.url_template), Limiter(), settings)
        yield Rig(wb, engine, db, keyring)
        await engine.stop()
