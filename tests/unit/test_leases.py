"""Work shared between processes, at the store: each test opens the same database twice, as
two processes do, and checks that a poll, a delivery, a role or a periodic run is held by one of
them at a time, and taken over once its holder's lease lapses."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.store import Database
from bot.store.fsm import DatabaseStorage
from bot.store.leases import (
    claim_run,
    finish_run,
    hold_role,
    holder_is_dead,
    new_worker_id,
    reap_dead,
    release_role,
    role_holder,
)
from bot.store.outbox import claim as claim_deliveries
from bot.store.outbox import delivery_states, recover_sending
from bot.store.polls import claim_polls, ensure_polls, leases_of, put_budget, release_polls
from bot.store.shops import NewToken, connect_shop
from bot.store.users import ensure_user

A, B = "host:1:aaaaaa", "host:2:bbbbbb"
LEASE = 30.0


def twin(db: Database) -> Database:
    """The same store as a second process opens it."""
    url = getattr(db, "url", None)
    return type(db)(url) if url is not None else Database(db.path)  # type: ignore[arg-type]


@pytest.fixture
async def other(db):
    database = twin(db)
    await database.open()
    yield database
    await database.close()


def keys_of(shop):
    return [(0, f"statistics|{shop.seller_id}")]


async def add_shops(db, keyring, count, jobs=("orders", "sales")):
    await ensure_user(db, 7, "en", "Europe/Moscow")
    shops = []
    for n in range(count):
        info = NewToken(f"seller-{n}", f"Shop {n}", 3, 1 << 5, True, None)
        shop, _ = await connect_shop(db, keyring, 7, info, f"token-{n}-xxxxxxxxxxxx")
        await ensure_polls(db, shop.id, dict.fromkeys(jobs, 0.0))
        shops.append(shop)
    return shops


async def claim(db_, worker, now, limit=100, **kw):
    return await claim_polls(db_, worker, now, now + LEASE, limit, budget_keys=keys_of, **kw)


async def test_two_workers_never_hold_one_poll_nor_two_polls_of_one_seller(db, other, keyring):
    await add_shops(db, keyring, 6)
    now = time.time()

    first = await claim(db, A, now, limit=5)
    second = await claim(other, B, now)

    mine = {(d.poll.shop_id, d.poll.job) for d in first.polls}
    theirs = {(d.poll.shop_id, d.poll.job) for d in second.polls}
    assert len(mine) == 5
    assert mine.isdisjoint(theirs)
    # The shop A holds one poll of is left whole to A, although its other poll was free.
    assert {s for s, _ in mine}.isdisjoint({s for s, _ in theirs})
    assert len(mine | theirs) == 11  # of 12: the split shop's second poll waits for A
    leases = await leases_of(db)
    assert {k for k, (holder, _) in leases.items() if holder == A} == mine
    assert all(until == pytest.approx(now + LEASE) for _, until in leases.values() if until)


async def test_a_lapsed_lease_is_taken_over_and_a_released_poll_is_free_at_once(
    db, other, keyring
):
    await add_shops(db, keyring, 2)
    now = time.time()
    held = {(d.poll.shop_id, d.poll.job) for d in (await claim(db, A, now)).polls}
    assert len(held) == 4

    assert (await claim(other, B, now + LEASE - 1)).polls == []  # still A's
    taken = await claim(other, B, now + LEASE + 1)  # A died: its leases lapsed
    assert {(d.poll.shop_id, d.poll.job) for d in taken.polls} == held

    # A comes back from a stall: renewing tells it the polls are gone.
    back = await claim(db, A, now + LEASE + 2, renew=sorted(held))
    assert back.renewed == set()
    assert back.polls == []

    # B frees one shop's polls as it finishes them: A may take them at once.
    one = sorted(held)[:2]
    await claim(other, B, now + LEASE + 3, limit=0, release=one)
    again = await claim(db, A, now + LEASE + 3)
    assert {(d.poll.shop_id, d.poll.job) for d in again.polls} == set(one)


async def test_a_worker_claims_neither_what_it_holds_nor_what_came_due_after_its_tick_began(
    db, keyring
):
    """A worker's running polls are not handed to it again (each claim used to re-read them,
    a row and a shop to decode per running poll), and a tick claims what was due when it began:
    a poll it ran and rescheduled for now waits for the next tick."""
    await add_shops(db, keyring, 2)
    now = time.time()
    held = {(d.poll.shop_id, d.poll.job) for d in (await claim(db, A, now)).polls}
    assert len(held) == 4

    assert (await claim(db, A, now + 1)).polls == []

    ran = sorted(held)[0]
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE polls SET next_due_at = ? WHERE shop_id = ? AND method = ?", (now + 2, *ran)
        )
    assert (await claim(db, A, now + 3, release=[ran], due_by=now + 1)).polls == []
    again = await claim(db, A, now + 3)
    assert [(d.poll.shop_id, d.poll.job) for d in again.polls] == [ran]


async def test_a_claim_reads_the_sellers_budget_rows_in_its_transaction(db, other, keyring):
    shops = await add_shops(db, keyring, 1)
    await put_budget(other, 0, f"statistics|{shops[0].seller_id}", 0.5, 123.0, 0.0)

    claimed = await claim(db, A, time.time())

    assert claimed.budgets == {(0, f"statistics|{shops[0].seller_id}"): (0.5, 123.0, 0.0)}


async def test_a_clean_stop_frees_every_poll_of_the_worker(db, other, keyring):
    await add_shops(db, keyring, 2)
    now = time.time()
    await claim(db, A, now)
    assert await release_polls(db, A) == 4
    assert len((await claim(other, B, now)).polls) == 4


async def test_one_process_holds_a_role_until_it_lapses_or_is_released(db, other):
    now = time.time()
    assert await hold_role(db, "sender", A, now, LEASE)
    assert not await hold_role(other, "sender", B, now + 1, LEASE)
    assert await hold_role(db, "sender", A, now + 10, LEASE)  # renewed to now + 40
    assert not await hold_role(other, "sender", B, now + LEASE + 5, LEASE)
    assert await hold_role(other, "sender", B, now + 10 + LEASE + 1, LEASE)  # A died
    assert await role_holder(db, "sender", now + 10 + LEASE + 2) == B
    await release_role(other, "sender", B)
    assert await hold_role(db, "sender", A, now + 10 + LEASE + 3, LEASE)


async def test_a_periodic_run_is_claimed_once_per_period_and_retaken_when_its_holder_died(
    db, other
):
    now = time.time()
    assert await claim_run(db, "summaries", "100", A, now, LEASE)
    assert not await claim_run(other, "summaries", "100", B, now, LEASE)
    assert await claim_run(other, "summaries", "101", B, now, LEASE)  # the next period
    # A died mid-run: once its lease lapsed the period is run again, by B.
    assert await claim_run(other, "summaries", "100", B, now + LEASE + 1, LEASE)
    await finish_run(other, "summaries", "100", B, now + LEASE + 2)
    assert not await claim_run(db, "summaries", "100", A, now + 10 * LEASE, LEASE)


async def test_deliveries_left_sending_go_out_again_only_once_their_lease_lapsed(db, keyring):
    shops = await add_shops(db, keyring, 1)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO events(shop_id, kind, ref, payload, created_at) VALUES (?,?,?,?,?)",
            (shops[0].id, "order", "r1", "{}", 0),
        )
        await conn.execute(
            "INSERT INTO deliveries(event_id, chat_id, user_id) "
            "SELECT id, 7, 7 FROM events WHERE ref = 'r1'"
        )
    (delivery,) = await db.fetchall("SELECT id FROM deliveries")
    now = time.time()
    await claim_deliveries(db, [delivery[0]], now, A, now + LEASE)

    assert await recover_sending(db, now + LEASE - 1) == 0  # A may be sending it right now
    assert await delivery_states(db) == {"sending": 1}
    assert await recover_sending(db, now + LEASE + 1) == 1
    assert await delivery_states(db) == {"pending": 1}


async def test_a_restart_on_the_same_host_takes_its_dead_predecessors_leases_at_once(db, keyring):
    await add_shops(db, keyring, 1)
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    me = new_worker_id()
    host = me.split(":")[0]
    dead = f"{host}:{gone.pid}:abcdef"
    alive = f"{host}:{os.getppid()}:abcdef"  # our parent runs
    elsewhere = f"other-host:{gone.pid}:abcdef"
    assert holder_is_dead(dead, me)
    assert not holder_is_dead(alive, me)
    assert not holder_is_dead(elsewhere, me)
    assert not holder_is_dead(me, me)
    now = time.time()
    await claim(db, dead, now)
    assert await hold_role(db, "sender", dead, now, LEASE)

    freed = await reap_dead(db, me, now)

    assert freed == 3  # two polls and the role
    assert len((await claim(db, me, now + 1)).polls) == 2
    assert await hold_role(db, "sender", me, now + 1, LEASE)


async def test_a_conversation_begun_in_one_process_goes_on_in_another(db, other):
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    first = DatabaseStorage(db, lambda s: False)
    second = DatabaseStorage(other, lambda s: False)

    await first.set_state(key, "Connect:waiting_key")
    await first.update_data(key, {"shop": "Shop 1"})

    assert await second.get_state(key) == "Connect:waiting_key"
    assert await second.get_data(key) == {"shop": "Shop 1"}
    await second.set_state(key, None)
    await second.set_data(key, {})
    assert await first.get_state(key) is None


async def test_processes_starting_together_on_a_new_sqlite_file_migrate_it_once(tmp_path):
    path = tmp_path / "new.sqlite3"
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from bot.store import Database\n"
        "async def main():\n"
        "    db = Database(Path(sys.argv[1]))\n"
        "    await db.open()\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, str(path), stderr=asyncio.subprocess.PIPE
        )
        for _ in range(4)
    ]
    errors = [(await asyncio.wait_for(p.communicate(), 120))[1].decode() for p in procs]

    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    db = Database(path)
    await db.open()
    try:
        versions = await db.fetchall("SELECT version FROM schema_version")
        assert len(versions) == len({v[0] for v in versions})  # each migration applied once
    finally:
        await db.close()
