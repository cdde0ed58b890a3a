"""The database: SQLite by default (connection settings, migrations, the one write path), or
PostgreSQL behind the same API (bot/store/pg.py, chosen by DATABASE_URL: bot/store/engine.py).

Writes go through `Database.transaction()`: one connection, one writer at a time, each
transaction `BEGIN IMMEDIATE` so a reader never upgrades into a deadlock. Reads use a second
connection, so a long report query never holds up a commit (WAL lets both run at once).

Each read runs start to finish as one job on the reader's thread: SQLite keeps a connection's
read snapshot while any of its statements is unfinished, so a read interleaved with another
(execute, then a separate fetch) would not see a write committed in between.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence, Sized
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar, overload

import aiosqlite

if TYPE_CHECKING:
    from types import TracebackType

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

_BUMP = (
    "INSERT INTO counters(name, value) VALUES (?, ?) "
    "ON CONFLICT(name) DO UPDATE SET value = counters.value + excluded.value"
)


_T_co = TypeVar("_T_co", covariant=True)


class Row(Protocol):
    """A result row read by name or by index: sqlite3.Row, or asyncpg's Record."""

    @overload
    def __getitem__(self, key: int | str, /) -> Any: ...

    @overload
    def __getitem__(self, key: slice, /) -> tuple[Any, ...]: ...

    def keys(self) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Row | None: ...

    async def fetchall(self) -> Iterable[Row]: ...


class Pending(Protocol[_T_co]):
    """What `execute` returns: awaited, or entered with `async with`."""

    def __await__(self) -> Generator[Any, None, _T_co]: ...

    async def __aenter__(self) -> _T_co: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any: ...


class Conn(Protocol):
    """The connection a transaction hands to store code (aiosqlite's, or pg.PgConnection)."""

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Pending[Cursor]: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Pending[Cursor]: ...

    def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Pending[Iterable[Row]]: ...


def marks(ids: Sized) -> str:
    """The placeholders of an `IN (...)` for these values."""
    return ",".join("?" * len(ids))


def unix(moment: datetime) -> int:
    """An aware datetime as the whole unix seconds the tables keep."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return int(moment.timestamp())


async def bump(conn: Conn, name: str, by: int) -> None:
    """Adds to a counter inside the caller's transaction (nothing when `by` is 0)."""
    if by:
        await conn.execute(_BUMP, (name, by))


async def executemany_counted(conn: Conn, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """Runs a statement once per row; returns how many rows it changed in all (an insert that
    met a conflict and did nothing counts 0)."""
    opened = getattr(conn, "opened", None)  # the sync engine's lazy transaction (sync/batch.py)
    if opened is not None:
        conn = await opened()
    if isinstance(conn, aiosqlite.Connection):
        before = conn.total_changes
        await conn.executemany(sql, rows)
        return conn.total_changes - before
    changed = 0
    for row in rows:  # PostgreSQL: asyncpg's executemany does not tell the counts
        async with conn.execute(sql, row) as cur:
            changed += max(cur.rowcount, 0)
    return changed


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _lock_file(path: Path) -> IO[bytes]:
    """An exclusive lock on a file beside the database, held until the returned file closes."""
    handle = path.open("ab")
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def migration_files() -> list[tuple[int, str, str | None]]:
    """Each numbered migration: its script, and its PostgreSQL twin (`NNNN_name.pg.sql`) if it
    has one (bot/store/pg.py renders the others)."""
    folder = resources.files("bot.store") / "migrations"
    scripts: dict[int, str] = {}
    twins: dict[int, str] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            into = twins if entry.name.endswith(".pg.sql") else scripts
            into[number] = entry.read_text(encoding="utf-8")
    return [(number, scripts[number], twins.get(number)) for number in sorted(scripts)]


def migration_scripts() -> list[tuple[int, str]]:
    """The numbered migrations as SQLite runs them."""
    return [(number, script) for number, script, _ in migration_files()]


class Database:
    #: Which SQL engine: 'sqlite' here, 'postgresql' for bot/store/pg.py.
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        # Processes starting together (a bot and its workers) migrate one after the other: the
        # version is read before the script's own transaction, so it needs a lock of its own.
        lock = await asyncio.to_thread(_lock_file, self.path.with_name(self.path.name + ".lock"))
        try:
            await self._migrate()
        finally:
            lock.close()  # closing the file releases the lock
        self._reader = await _connect(self.path)

    async def close(self) -> None:
        # Taking the lock means no transaction is half written when the file closes.
        async with self._write_lock:
            for conn in (self._reader, self._writer):
                if conn is not None:
                    await conn.close()
            self._reader = self._writer = None

    #: What asking for a connection that is not there says.
    NO_CONNECTION = "database is not open"

    @property
    def writer(self) -> aiosqlite.Connection:
        return self._connection(self._writer)

    @property
    def reader(self) -> aiosqlite.Connection:
        return self._connection(self._reader)

    def _connection(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError(self.NO_CONNECTION)
        return conn

    async def _migrate(self) -> None:
        conn = self.writer
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        async with conn.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        for number, script in migration_scripts():
            if number <= current:
                continue
            log.info("applying migration %04d", number)
            # executescript commits on its own; the version row goes in the same script.
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\n"
                f"INSERT INTO schema_version(version) VALUES ({number});\nCOMMIT;"
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """The one write path: everything inside commits together or not at all."""
        async with self._write_lock:
            conn = self.writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self.reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query meant to return at most one (a key, an aggregate, LIMIT 1)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """A query's rows one at a time, from a thread of its own (not the event loop's): a
        read-only connection of that thread, so a large result never sits in memory at once."""
        # Not tied to the thread: a reader that stops early leaves the close to the collector.
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            yield from conn.execute(sql, params)
        finally:
            conn.close()

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """A single statement in its own transaction; returns the rows it changed."""
        async with self.transaction() as conn, conn.execute(sql, params) as cur:
            return cur.rowcount

    async def write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def bump(self, name: str, by: int = 1) -> None:
        await self.write(_BUMP, (name, by))

    async def counter(self, name: str) -> int:
        row = await self.fetchone("SELECT value FROM counters WHERE name = ?", (name,))
        return int(row[0]) if row else 0

    async def heartbeat(self) -> None:
        await self.write(
            "INSERT INTO meta(key, value) VALUES ('heartbeat', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(time.time()),),
        )
