"""`python -m bot migrate-to-postgres <url>`: an SQLite store copied into PostgreSQL.

Both stores are migrated to the same schema version first (opening them does that), then every
table is copied row for row in ONE PostgreSQL transaction, parents before the tables whose
foreign keys point at them: either everything arrives or nothing does. Ids are kept, so the
sealed WB tokens (bound to their shop's id and seller id) open as before, still sealed: the
copy never opens one. The identity sequences then continue after the largest copied id.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

from bot.store.db import Database
from bot.store.pg import PgDatabase

BATCH = 5000
SKIPPED = frozenset({"schema_version", "sqlite_sequence"})


class TargetNotEmpty(Exception):
    """The PostgreSQL database already holds data: a copy would mix two stores."""


async def _tables(source: Database) -> list[str]:
    """The source's tables, each after the tables its foreign keys reference."""
    rows = await source.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    names = sorted(str(r[0]) for r in rows if str(r[0]) not in SKIPPED)
    graph: dict[str, set[str]] = {}
    for name in names:
        refs = await source.fetchall(f'PRAGMA foreign_key_list("{name}")')
        graph[name] = {str(r["table"]) for r in refs} - {name}
    return list(TopologicalSorter(graph).static_order())


async def _columns(source: Database, table: str) -> list[str]:
    return [str(r["name"]) for r in await source.fetchall(f'PRAGMA table_info("{table}")')]


async def copy_to_postgres(source: Database, target: PgDatabase) -> dict[str, int]:
    """Copies every table; returns the rows copied per table. Raises TargetNotEmpty when the
    target holds any row already."""
    tables = await _tables(source)
    copied: dict[str, int] = {}
    async with target.pool.acquire() as conn, conn.transaction():
        for table in tables:
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                raise TargetNotEmpty(f"table {table} in the PostgreSQL database is not empty")
        for table in tables:
            columns = await _columns(source, table)
            listed = ", ".join(f'"{c}"' for c in columns)
            copied[table] = 0
            async with source.reader.execute(f'SELECT {listed} FROM "{table}"') as cur:
                while batch := list(await cur.fetchmany(BATCH)):
                    await conn.copy_records_to_table(
                        table, records=[tuple(r) for r in batch], columns=columns
                    )
                    copied[table] += len(batch)
        identities = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
        for row in identities:
            table, column = row["table_name"], row["column_name"]
            # The next id is one past the largest copied (1 for an empty table).
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
            )
    return copied


async def migrate_to_postgres(source: Database, url: str) -> dict[str, int]:
    """Opens both stores (each migrated to the newest schema), copies, closes them."""
    await source.open()
    try:
        target = PgDatabase(url)
        await target.open()
        try:
            return await copy_to_postgres(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
