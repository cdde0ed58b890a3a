"""Shared fixtures: a fresh database per test, canary secrets."""

from __future__ import annotations

import os

import pytest

from bot.crypto import Keyring
from bot.store import Database

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
