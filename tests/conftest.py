"""Shared fixtures: a fresh database per test (SQLite; PostgreSQL too for the store suites),
canary secrets."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from bot.crypto import Keyring
from bot.store import Database
from tests.pgserver import PgServer, find_bindir, required

# Property tests: the same examples on every run by default, so that the suite (and CI) passes or
# fails on the code, not on the draw; `HYPOTHESIS_PROFILE=explore` draws fresh examples each run
# (how the capped X-Ratelimit-Retry was found) and is how to hunt for new failures by hand.
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# A WB token that must never appear in clear anywhere: logs, database, messages.
CANARY_SID = "c0ffee00-0000-4000-8000-00000000ca11"


# The suites that read and write the store run on both engines; the rest run on SQLite only,
# which keeps the suite's time in bounds (the engines differ only inside bot/store).
BOTH_ENGINES = (
    "tests/unit/test_store.py",
    "tests/unit/test_pg.py",
    "tests/money/test_store.py",
    "tests/money/test_costs.py",
    "tests/money/test_profit_truth.py",  # the whole app (profit view, /profit, /report)
    "tests/finance/test_finance_rows.py",
    "tests/reports/test_rollups.py",
    "tests/reports/test_report_numbers.py",
    "tests/reports/test_stock_view.py",
    "tests/sync/test_rows.py",
    "tests/notify/test_sender.py",
    "tests/alerts/test_checks.py",
    "tests/alerts/test_summary.py",
    "tests/sync/test_budgets.py",
    "tests/races/test_fsm_restart.py",  # a conversation continued by a new process
    "tests/unit/test_leases.py",  # work shared between processes
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = metafunc.definition.path.relative_to(metafunc.config.rootpath).as_posix()
    if path not in BOTH_ENGINES or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    # The app (tests/dispatch.py) opens its own store; other tests take `db`.
    for fixture in ("app", "db"):
        if fixture in metafunc.fixturenames:
            metafunc.parametrize(fixture, ["sqlite", "postgres"], indirect=True)
            return


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the session (see tests/pgserver.py)."""
    bindir = find_bindir()
    if bindir is None:
        reason = (
            "no PostgreSQL server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin, "
            "PATH): apt-get install postgresql"
        )
        if required():
            pytest.fail(f"WBPULSE_REQUIRE_PG is set but {reason}")
        pytest.skip(reason)
    server = PgServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def pg_url(pg_server):
    """The URL of a fresh, migrated PostgreSQL database of its own."""
    name = await pg_server.create_database()
    yield pg_server.url(name)
    await pg_server.drop_database(name)


@pytest.fixture
async def db(request, tmp_path):
    if getattr(request, "param", "sqlite") == "postgres":
        from bot.store.pg import PgDatabase

        server = request.getfixturevalue("pg_server")
        name = await server.create_database()
        database: Database = PgDatabase(server.url(name))
    else:
        database = Database(tmp_path / "test.sqlite3")
    await database.open()
    yield database
    await database.close()
    if getattr(request, "param", "sqlite") == "postgres":
        await server.drop_database(name)


@pytest.fixture
def keyring():
    return Keyring([os.urandom(32)])
