"""A Test token (WB's sandbox): the bot plans only what the sandbox has (statistics,
marketplace, content), never calls the Analytics or common-api hosts it lacks, and /status says
why stock and the order feed are missing."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.handlers.status import shop_status
from bot.i18n import make_i18n
from bot.store.polls import polls_of_shop
from bot.sync.engine import SyncEngine
from bot.sync.plan import jobs_for
from bot.wb.client import WBClient
from bot.wb.limiter import Limiter
from tests.fakes.tokens import ACC_TEST
from tests.fakes.wb import FakeWB
from tests.sync.conftest import SCALE, Rig, settings_for

pytestmark = pytest.mark.asyncio
EVERYTHING = ("statistics", "analytics", "marketplace", "content")


async def test_a_test_token_polls_only_the_sandbox_hosts_and_status_says_so(tmp_path, db, keyring):
    async with (
        FakeWB(rate_scale=SCALE, sandbox=True) as wb,
        aiohttp.ClientSession() as http,
    ):
        template = wb.url_template.replace("{host}", "{host}-sandbox")
        engine = SyncEngine(
            db, keyring, WBClient(http, template), Limiter(), settings_for(tmp_path)
        )
        rig = Rig(wb, engine, db, keyring)
        try:
            shop, sid, _ = await rig.connect(acc=ACC_TEST, categories=EVERYTHING)
            assert set(jobs_for(shop, SCALE)) == {"orders", "sales", "fbs", "cards"}
            wb.add_order(sid, fbs=True)
            await rig.run_for(0.5)
        finally:
            await engine.stop()
        hosts = {r.path.split("/")[1] for r in wb.requests_for(sid)}
        assert hosts == {
            "statistics-api-sandbox",
            "marketplace-api-sandbox",
            "content-api-sandbox",
        }
        assert all(r.status == 200 for r in wb.requests_for(sid))
        assert wb.total_violations() == 0

        polls = await polls_of_shop(db, shop.id)
        i18n = make_i18n()
        for lang, words in (("en", "sandbox"), ("ru", "песочнице")):
            with i18n.context(), i18n.use_locale(lang):
                text = shop_status(shop, "owner", polls, ZoneInfo("Europe/Moscow"), time.time())
            assert words in text, text
        assert "• stock:" not in text and "• order feed (" not in text  # no such jobs
