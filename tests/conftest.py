"""Shared fixtures: a fresh database per test, canary secrets."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from bot.crypto import Keyring
from bot.store import Database

# Property tests: the same examples on every run by default, so that the suite (and CI) passes or
# fails on the code, not on the draw; `HYPOTHESIS_PROFILE=explore` draws fresh examples each run
# (how the capped X-Ratelimit-Retry was found) and is how to hunt for new failures by hand.
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# A WB token that must never appear in clear anywhere: logs, database, messages.
CANARY_SID = "c0ffee00-0000-4000-8000-00000000ca11"


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "test.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
def keyring():
    return Keyring([os.urandom(32)])
