"""Work shared between processes: who a process is, roles one process holds at a time, and
periodic runs claimed once per period.

Every claim is a lease: a row names its holder (`claimed_by`, a worker id) and the moment the
claim lapses (`lease_until`, unix seconds). A holder renews what it still works on; a process
that dies stops renewing, and once its leases lapse another process takes the work over. On
SQLite the claims are serialised by `BEGIN IMMEDIATE` (one writer for the whole file, across
processes); on PostgreSQL by `FOR UPDATE ... SKIP LOCKED` on the claimed rows plus a
transaction-scoped advisory lock (`lock_claims`), so two workers never both see a row as free.

A restart on the same machine need not wait for its predecessor's leases: a holder whose
process is gone on this host (`holder_is_dead`) is reaped at start (`reap_dead`).
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Any

from bot.store.db import Database

#: The key of the advisory lock PostgreSQL claims run under (any constant all processes share).
CLAIM_LOCK = 0x77627071


def new_worker_id() -> str:
    """This process's name in `claimed_by`: host, pid and a random tail (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def holder_is_dead(holder: str, me: str) -> bool:
    """Whether a holder is a process of this host that no longer runs (a restart's
    predecessor). A holder of another host is never taken for dead: its lease decides."""
    host, _, rest = holder.partition(":")
    pid_text, _, _tail = rest.partition(":")
    my_host = me.partition(":")[0]
    if holder == me or host != my_host or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # this pid is us, under another id: the holder was an earlier process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's live process
    return False


def dialect(db: Database) -> str:
    """'sqlite' or 'postgresql' (bot/store/pg.py sets its own)."""
    return db.dialect


def skip_locked(db: Database, table: str) -> str:
    """The row-locking clause of a claim's SELECT: nothing on SQLite, whose write transaction
    already holds the whole file."""
    return f" FOR UPDATE OF {table} SKIP LOCKED" if dialect(db) == "postgresql" else ""


async def lock_claims(db: Database, conn: Any) -> None:
    """Serialises claims of one kind across processes on PostgreSQL (SQLite's BEGIN IMMEDIATE
    already does): a claim reads which shops are held by others, which row locks alone do not
    protect."""
    if dialect(db) == "postgresql":
        await conn.execute("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK,))


async def reap_dead(db: Database, me: str, now: float) -> int:
    """Ends at once the leases of this host's processes that are gone; returns how many rows
    were freed."""
    holders: set[str] = set()
    for sql in (
        "SELECT DISTINCT claimed_by FROM polls WHERE claimed_by IS NOT NULL AND lease_until >= ?",
        "SELECT DISTINCT claimed_by FROM deliveries WHERE state = 'sending' "
        "AND claimed_by IS NOT NULL AND lease_until >= ?",
        "SELECT DISTINCT holder FROM roles WHERE lease_until >= ?",
        "SELECT DISTINCT claimed_by FROM scheduled_runs WHERE done_at IS NULL "
        "AND lease_until >= ?",
    ):
        holders.update(str(r[0]) for r in await db.fetchall(sql, (now,)))
    dead = sorted(h for h in holders if holder_is_dead(h, me))
    if not dead:
        return 0
    freed = 0
    async with db.transaction() as conn:
        for holder in dead:
            for sql in (
                "UPDATE polls SET lease_until = 0 WHERE claimed_by = ? AND lease_until >= ?",
                "UPDATE deliveries SET lease_until = 0 WHERE claimed_by = ? AND lease_until >= ?",
                "UPDATE scheduled_runs SET lease_until = 0 WHERE claimed_by = ? "
                "AND lease_until >= ?",
            ):
                async with conn.execute(sql, (holder, now)) as cur:
                    freed += max(cur.rowcount, 0)
            async with conn.execute("DELETE FROM roles WHERE holder = ?", (holder,)) as cur:
                freed += max(cur.rowcount, 0)
    return freed


async def hold_role(db: Database, name: str, me: str, now: float, seconds: float) -> bool:
    """Takes the role when it is free or lapsed, or renews it when it is ours; True when this
    process holds it until `now + seconds`."""
    async with (
        db.transaction() as conn,
        conn.execute(
            "INSERT INTO roles(name, holder, lease_until) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
            "lease_until = excluded.lease_until "
            "WHERE roles.holder = excluded.holder OR roles.lease_until < ?",
            (name, me, now + seconds, now),
        ) as cur,
    ):
        return int(cur.rowcount) == 1


async def release_role(db: Database, name: str, me: str) -> None:
    """A clean stop hands the role over at once instead of after the lease."""
    await db.write("DELETE FROM roles WHERE name = ? AND holder = ?", (name, me))


async def role_holder(db: Database, name: str, now: float) -> str | None:
    row = await db.fetchone(
        "SELECT holder FROM roles WHERE name = ? AND lease_until >= ?", (name, now)
    )
    return None if row is None else str(row[0])


async def claim_run(
    db: Database, job: str, period: str, me: str, now: float, seconds: float
) -> bool:
    """Claims a periodic job's run for one period: True for exactly one process, unless its
    holder died before `finish_run` and the lease lapsed (then the run is taken over)."""
    async with (
        db.transaction() as conn,
        conn.execute(
            "INSERT INTO scheduled_runs(job, period, claimed_by, lease_until) VALUES (?,?,?,?) "
            "ON CONFLICT(job, period) DO UPDATE SET claimed_by = excluded.claimed_by, "
            "lease_until = excluded.lease_until "
            "WHERE scheduled_runs.done_at IS NULL AND scheduled_runs.lease_until < ?",
            (job, period, me, now + seconds, now),
        ) as cur,
    ):
        return int(cur.rowcount) == 1


#: Runs older than this are forgotten (a period is never claimed again once it is past).
RUNS_KEPT_SECONDS = 7 * 86400


async def finish_run(db: Database, job: str, period: str, me: str, now: float) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE scheduled_runs SET done_at = ? "
            "WHERE job = ? AND period = ? AND claimed_by = ?",
            (now, job, period, me),
        )
        await conn.execute(
            "DELETE FROM scheduled_runs WHERE job = ? AND done_at < ?",
            (job, now - RUNS_KEPT_SECONDS),
        )
