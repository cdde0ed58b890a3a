"""Group commit (bot/sync/batch.py): polls that find nothing new record their state together, in
one transaction, and a transaction that writes more than its poll's state stays one ordinary
transaction: all of it or nothing."""

from __future__ import annotations

import pytest

from bot.store.db import bump
from bot.store.polls import update_poll

SHOPS = 12


def transactions(trace: list[str]) -> list[list[str]]:
    """The write connection's statements, one list per transaction."""
    found: list[list[str]] = []
    for sql in trace:
        if sql.startswith("BEGIN"):
            found.append([])
        elif found:
            found[-1].append(sql)
    return found


def poll_results(statements: list[str]) -> int:
    return sum(1 for s in statements if s.startswith("UPDATE polls SET") and "claimed_by" not in s)


async def test_polls_that_find_nothing_record_their_state_in_shared_transactions(rig) -> None:
    for n in range(SHOPS):
        await rig.connect(user_id=100 + n)
    await rig.run_until(
        lambda: rig.scalar("SELECT COUNT(*) = 0 FROM polls WHERE last_ok_at IS NULL")
    )
    # Orders and sales come due again and find nothing new (the tariffs job writes its whole
    # table every time: it waits).
    async with rig.db.transaction() as conn:
        await conn.execute(
            "UPDATE polls SET next_due_at = CASE method WHEN 'tariffs' THEN 1e12 ELSE 0 END"
        )
    polls = await rig.scalar("SELECT COUNT(*) FROM polls WHERE method IN ('orders', 'sales')")
    trace: list[str] = []
    await rig.db.writer.set_trace_callback(trace.append)
    try:
        await rig.engine.tick(budget=10)
        await rig.engine.idle()
    finally:
        await rig.db.writer.set_trace_callback(None)

    results = [t for t in transactions(trace) if poll_results(t)]
    recorded = sum(poll_results(t) for t in results)
    assert recorded == polls == 2 * SHOPS  # every poll recorded its new state
    # One transaction each before; now they share: at most a third as many transactions.
    assert len(results) <= recorded // 3
    assert await rig.scalar("SELECT COUNT(*) FROM polls WHERE failures > 0") == 0


async def cursor_of(rig, shop_id: int) -> object:
    return await rig.scalar(
        "SELECT cursor FROM polls WHERE shop_id = ? AND method = 'orders'", (shop_id,)
    )


async def test_a_poll_state_written_with_other_rows_commits_with_them_or_not_at_all(rig) -> None:
    shop, _, _ = await rig.connect()

    async with rig.engine.tx() as conn:
        await update_poll(conn, shop.id, "orders", cursor="first")
        await bump(conn, "test_rows", 1)
    assert await cursor_of(rig, shop.id) == "first"
    assert await rig.db.counter("test_rows") == 1

    with pytest.raises(RuntimeError):
        async with rig.engine.tx() as conn:
            await update_poll(conn, shop.id, "orders", cursor="second")
            await bump(conn, "test_rows", 1)
            raise RuntimeError("the poll failed half way")
    with pytest.raises(RuntimeError):
        async with rig.engine.tx() as conn:
            await update_poll(conn, shop.id, "orders", cursor="third")
            raise RuntimeError("the poll failed before its commit")
    assert await cursor_of(rig, shop.id) == "first"
    assert await rig.db.counter("test_rows") == 1

    async with rig.engine.tx() as conn:
        await update_poll(conn, shop.id, "orders", cursor="fourth")
    assert await cursor_of(rig, shop.id) == "fourth"  # committed when the block ends
