"""A function that writes answers with what it wrote, even while another read holds the
reader's snapshot (issue 12: ensure_user and connect_shop wrote, then read back through the
shared reader and could find nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.store import Database
from bot.store.shops import NewToken, connect_shop, create_invite, redeem_invite
from bot.store.users import ensure_user


@asynccontextmanager
async def read_in_progress(db: Database) -> AsyncIterator[None]:
    """A read on the shared reader that has started and not finished (a report halfway
    through its rows): SQLite keeps the snapshot it began with until it ends."""
    for user_id in (1, 2):
        await ensure_user(db, user_id, "en", "Europe/Moscow")
    async with db.reader.execute("SELECT id FROM users") as cur:
        assert await cur.fetchone() is not None
        yield


async def test_first_contact_returns_the_user_it_created_while_a_read_is_under_way(db):
    async with read_in_progress(db):
        user = await ensure_user(db, 42, "ru", "Asia/Yekaterinburg", "Анна (@anna)")
    assert (user.id, user.tg_language, user.timezone) == (42, "ru", "Asia/Yekaterinburg")
    assert user.display_name == "Анна (@anna)" and user.alert_orders


async def test_a_new_shop_comes_back_from_connect_while_a_read_is_under_way(db, keyring):
    token = NewToken("seller-9", "Лавка", token_type=1, categories=1 << 5, read_only=True,
                     expires_at=None)  # fmt: skip
    async with read_in_progress(db):
        shop, is_new = await connect_shop(db, keyring, 1, token, "wb-key")
        code = await create_invite(db, shop.id, 1, 3600)
        joined = await redeem_invite(db, code, 2)
    assert is_new and shop.name == "Лавка" and shop.state == "active"
    assert joined is not None and joined.id == shop.id


async def test_a_read_after_a_commit_sees_it_while_other_reads_run(db):
    """The settings pattern: one function writes, the next reads through the reader, while
    hundreds of other reads are in flight on it."""
    await db.write_many(
        "INSERT INTO counters(name, value) VALUES (?, ?)", [(f"bg{i}", i) for i in range(500)]
    )

    async def background() -> None:
        for _ in range(20):
            await db.fetchall("SELECT name, value FROM counters WHERE name LIKE 'bg%'")

    async def write_then_read(i: int) -> int | None:
        await db.write("INSERT INTO counters(name, value) VALUES (?, ?)", (f"w{i}", i))
        row = await db.fetchone("SELECT value FROM counters WHERE name = ?", (f"w{i}",))
        return None if row is None else int(row[0])

    readers = [asyncio.create_task(background()) for _ in range(10)]
    seen = await asyncio.gather(*(write_then_read(i) for i in range(400)))
    await asyncio.gather(*readers)
    assert [i for i, value in enumerate(seen) if value != i] == []
