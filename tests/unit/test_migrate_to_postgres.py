"""`python -m bot migrate-to-postgres <url>`: an SQLite store copied table by table into an
empty PostgreSQL database, the sealed keys still sealed and still opening, ids kept and the
identity sequences continuing after them; a database that holds data is refused."""

from __future__ import annotations

import os
from datetime import timedelta

from bot.crypto import Keyring, new_key, parse_keys
from bot.events import RouteChanged
from bot.store import Database
from bot.store.outbox import NewEvent, add_events
from bot.store.pg import PgDatabase
from bot.store.shops import NewToken, connect_shop, open_token
from tests.e2e.harness import run_cli
from tests.reports.seed import make_shop, order, sale, store_rows, utc

CANARY = "eyJhbGciOiJFUzI1NiJ9.eyJjYW5hcnkiOiJtaWdyYXRlIn0.Q0FOQVJZLW1pZ3JhdGU"


async def table_rows(db: Database, table: str) -> list[tuple[object, ...]]:
    rows = await db.fetchall(f"SELECT * FROM {table}")
    return sorted((tuple(r) for r in rows), key=repr)


async def test_the_sqlite_store_arrives_whole_with_its_keys_sealed(tmp_path, pg_server):
    master = new_key()
    keyring = Keyring(parse_keys(master))
    data = tmp_path / "data"
    source = Database(data / "wbpulse.sqlite3")
    await source.open()
    shops = [await make_shop(source, keyring, 100 + i, name=f"Лавка {i}") for i in range(3)]
    canary_shop, _ = await connect_shop(
        source,
        keyring,
        100,
        NewToken("seller-canary", "Канарейка", 3, 1 << 5, True, None),
        CANARY,
    )
    base = utc(2026, 11, 2, 9)
    for shop in shops:
        orders = [order(f"{shop.id}-{i}", base + timedelta(hours=i), 100.5 + i) for i in range(30)]
        sales = [
            sale(f"S{shop.id}-{i}", base + timedelta(days=1, hours=i), 90, 80) for i in range(5)
        ]
        await store_rows(source, shop.id, orders, sales)
        async with source.transaction() as conn:
            events = [NewEvent(RouteChanged(actor=100, to="group"), f"r{i}") for i in range(3)]
            await add_events(conn, shop.id, events, batch="b1", catch_up=False)
    tables = [
        str(r[0])
        for r in await source.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        if str(r[0]) not in ("sqlite_sequence", "schema_version")
    ]
    want = {table: await table_rows(source, table) for table in tables}
    await source.close()
    assert want["shops"] and want["orders"] and want["rollup_hours"] and want["events"]

    url = pg_server.url(await pg_server.create_database())
    result = run_cli({"DATA_DIR": str(data)}, "migrate-to-postgres", url)
    assert result.returncode == 0, result.stderr
    total = sum(len(rows) for rows in want.values())
    assert f"copied {total} row(s) in {len(tables)} table(s)" in result.stdout

    target = PgDatabase(url)
    await target.open()
    try:
        for table in tables:
            assert await table_rows(target, table) == want[table], table
        # Still sealed, and opening with the same master key under the same shop id.
        sealed = await target.fetchall("SELECT token_sealed FROM shops")
        assert all(CANARY.encode() not in bytes(r[0]) for r in sealed)
        assert await open_token(target, keyring, canary_shop.id) == CANARY
        # New rows continue after the copied ids.
        newer, is_new = await connect_shop(
            target, keyring, 101, NewToken("seller-new", "Новая", 3, 1 << 5, True, None), "t-new"
        )
        assert is_new and newer.id == max(s.id for s in [*shops, canary_shop]) + 1
        async with target.transaction() as conn:
            new_event = NewEvent(RouteChanged(actor=101), "n1")
            await add_events(conn, newer.id, [new_event], batch="b2", catch_up=False)
        top = await target.fetchone("SELECT MAX(id) FROM events")
        assert top is not None and top[0] == max(int(e[0]) for e in want["events"]) + 1
    finally:
        await target.close()

    again = run_cli({"DATA_DIR": str(data)}, "migrate-to-postgres", url)
    assert again.returncode == 2
    assert "is not empty: copy into an empty database" in again.stderr


def test_without_an_sqlite_store_or_with_another_url_nothing_runs(tmp_path):
    result = run_cli({"DATA_DIR": str(tmp_path)}, "migrate-to-postgres", "postgresql://h/db")
    assert result.returncode == 2
    assert f"no SQLite database at {tmp_path / 'wbpulse.sqlite3'}" in result.stderr
    result = run_cli({"DATA_DIR": str(tmp_path)}, "migrate-to-postgres", "mysql://h/db")
    assert result.returncode == 2 and "postgresql://" in result.stderr
    assert os.listdir(tmp_path) == []
