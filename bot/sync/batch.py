"""Group commit for the sync engine's transactions.

Most polls in steady state find nothing new: their transaction only records the poll's new state
(one `UPDATE polls ... WHERE shop_id = ? AND method = ?`) and the WB budgets spent. Each such
transaction on its own costs a write lock and four round trips to the database thread (BEGIN,
the update, the budgets, COMMIT); with thousands of polls a minute that was a fifth of the sync's
CPU. So `engine.tx()` hands out a `LazyTx`: it holds such a statement instead of running it, and
when the transaction ends with nothing else written, `GroupCommit` commits it together with the
statements of every other poll that ended meanwhile, in one transaction, one `executemany` per
statement shape.

Nothing is promised earlier than before: a poll's `async with engine.tx()` returns only once its
statement is committed, so a poll ends (and its lease is released) after its result is durable,
and a crash before the commit only means the poll runs again. Any other statement (rows, events,
a read) opens the real transaction at once, the held statement first: the transaction behaves
exactly as an ordinary one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from types import TracebackType
from typing import Any

from bot.store.db import Conn, Row
from bot.store.polls import is_poll_update

Statement = tuple[str, tuple[Any, ...]]
Begin = Callable[[], AbstractAsyncContextManager[Conn]]


class GroupCommit:
    """Commits the statements handed to `commit` by many polls in as few transactions as the
    database allows: while one batch commits, the next gathers."""

    def __init__(self, begin: Begin) -> None:
        self._begin = begin  # the real transaction (it carries the spent WB budgets)
        self._queue: list[tuple[list[Statement], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def commit(self, statements: list[Statement]) -> None:
        """Returns once ``statements`` are committed (an empty list commits the budgets)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((statements, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush(), name="sync group commit")
        await asyncio.shield(future)

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                shapes: dict[str, list[tuple[Any, ...]]] = {}
                for statements, _ in batch:
                    for sql, params in statements:
                        shapes.setdefault(sql, []).append(params)
                try:
                    async with self._begin() as conn:
                        for sql, rows in shapes.items():
                            await conn.executemany(sql, rows)
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            if isinstance(exc, asyncio.CancelledError):
                                future.cancel()
                            else:
                                future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._flushing = None


class _HeldCursor:
    """What a held statement returns: it has not run, so it has no count to tell."""

    @property
    def rowcount(self) -> int:
        raise RuntimeError("a statement held for the group commit has no row count yet")

    async def fetchone(self) -> Row | None:
        return None

    async def fetchall(self) -> list[Row]:
        return []


class _Ready:
    """An awaitable and async context manager for a result already at hand."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def __await__(self) -> Generator[Any, None, Any]:
        if False:  # pragma: no cover - makes this a generator
            yield
        return self._value

    async def __aenter__(self) -> Any:
        return self._value

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Opening:
    """A statement that needs the real transaction: opens it first, then runs there."""

    def __init__(self, tx: LazyTx, name: str, args: tuple[Any, ...]) -> None:
        self._tx = tx
        self._name = name
        self._args = args
        self._inner: Any = None

    def __await__(self) -> Generator[Any, None, Any]:
        return self._run().__await__()

    async def _run(self) -> Any:
        conn = await self._tx.opened()
        return await getattr(conn, self._name)(*self._args)

    async def __aenter__(self) -> Any:
        conn = await self._tx.opened()
        self._inner = getattr(conn, self._name)(*self._args)
        return await self._inner.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        return await self._inner.__aexit__(exc_type, exc, tb)


class LazyTx:
    """The connection `engine.tx()` hands out (see the module's docstring)."""

    def __init__(self, begin: Begin) -> None:
        self._begin = begin
        self.held: list[Statement] = []
        self._real: Conn | None = None
        self._stack: AsyncExitStack | None = None

    @property
    def is_open(self) -> bool:
        return self._stack is not None

    async def opened(self) -> Conn:
        """The real transaction, begun now if it was not (the held statement runs first)."""
        if self._real is None:
            stack = AsyncExitStack()
            conn = await stack.enter_async_context(self._begin())
            self._stack = stack
            try:
                for sql, params in self.held:
                    await conn.execute(sql, params)
            except BaseException as exc:
                await stack.__aexit__(type(exc), exc, exc.__traceback__)
                self._stack = None
                raise
            self.held = []
            self._real = conn
        return self._real

    async def end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commits (or, with an exception, rolls back) the real transaction if one was begun."""
        if self._stack is not None:
            stack, self._stack, self._real = self._stack, None, None
            await stack.__aexit__(exc_type, exc, tb)

    # -- the Conn calls -------------------------------------------------------------------

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Any:
        if self._real is None and not self.held and is_poll_update(sql):
            self.held.append((sql, tuple(parameters or ())))
            return _Ready(_HeldCursor())
        return _Opening(self, "execute", (sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Any:
        return _Opening(self, "executemany", (sql, parameters))

    def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> Any:
        return _Opening(self, "execute_fetchall", (sql, parameters))
