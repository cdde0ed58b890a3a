"""Scheduling state per (shop, job) and WB budget rows: what is due, when WB allows it, and how
fresh the stored data is."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from bot.crypto import Sealed
from bot.store.db import Conn, Database, Row, executemany_counted, marks
from bot.store.leases import lock_claims, skip_locked
from bot.store.shops import SHOP_COLUMNS, Shop, sealed_from_row, shop_from_row
from bot.timeutil import msk_to_utc

# polls.last_error of a poll whose shop's sealed WB key does not open (the bot's fault, not WB's).
KEY_UNREADABLE = "stored key unreadable"


class NoData(NamedTuple):
    """The stock job's run of 204 "no data" answers: when the first came, how many in a row,
    and whether the bot has taken the silence as an empty report (bot.sync.engine)."""

    since: float
    in_a_row: int
    emptied: bool


def stock_no_data(cursor: str | None) -> NoData | None:
    """The run kept in the stock job's cursor (the job has no other use for it); None once WB
    sends data again."""
    if not cursor:
        return None
    try:
        run = json.loads(cursor)
        return NoData(
            float(run["no_data_since"]), int(run["no_data_count"]), bool(run.get("emptied"))
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


@dataclass(frozen=True)
class PollState:
    shop_id: int
    job: str
    next_due_at: float
    last_ok_at: float | None
    last_error: str | None
    last_error_at: float | None
    failures: int
    cursor: str | None
    newest_change: str | None
    task: str | None
    task_started_at: float | None
    baseline_done: bool


def poll_from_row(row: Row) -> PollState:
    return PollState(
        shop_id=row["shop_id"],
        job=row["method"],
        next_due_at=row["next_due_at"],
        last_ok_at=row["last_ok_at"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
        failures=row["failures"],
        cursor=row["cursor"],
        newest_change=row["newest_change"],
        task=row["task"],
        task_started_at=row["task_started_at"],
        baseline_done=bool(row["baseline_done"]),
    )


async def polls_of_shop(db: Database, shop_id: int) -> list[PollState]:
    rows = await db.fetchall("SELECT * FROM polls WHERE shop_id = ? ORDER BY method", (shop_id,))
    return [poll_from_row(r) for r in rows]


async def get_poll(db: Database, shop_id: int, job: str) -> PollState | None:
    row = await db.fetchone("SELECT * FROM polls WHERE shop_id = ? AND method = ?", (shop_id, job))
    return poll_from_row(row) if row else None


@dataclass(frozen=True)
class DuePoll:
    """A poll that is due with its shop and sealed key: what a poll needs before it calls WB,
    read in the one query that claims it."""

    poll: PollState
    shop: Shop
    sealed: Sealed | None


_DUE_COLUMNS = ", ".join(
    ["p.*"]
    + [f"s.{c.strip()} AS shop_{c.strip()}" for c in SHOP_COLUMNS.split(",")]
    + [f"s.{c} AS shop_{c}" for c in ("token_key_id", "token_nonce", "token_sealed")]
)


async def due_polls(db: Database, now: float, limit: int) -> list[DuePoll]:
    rows = await db.fetchall(
        f"SELECT {_DUE_COLUMNS} FROM polls p JOIN shops s ON s.id = p.shop_id "
        "WHERE p.next_due_at <= ? AND s.state = 'active' ORDER BY p.next_due_at LIMIT ?",
        (now, limit),
    )
    return [
        DuePoll(poll_from_row(r), shop_from_row(r, "shop_"), sealed_from_row(r, "shop_"))
        for r in rows
    ]


async def ensure_polls(db: Database, shop_id: int, jobs: dict[str, float]) -> None:
    """Adds the jobs a shop's token allows (first run at the given time) and drops the others.

    Known jobs keep their cursor and due time, so a replaced key re-alerts nothing."""
    async with db.transaction() as conn:
        marks = ",".join("?" * len(jobs)) or "''"
        await conn.execute(
            f"DELETE FROM polls WHERE shop_id = ? AND method NOT IN ({marks})",
            (shop_id, *jobs),
        )
        await conn.executemany(
            "INSERT INTO polls(shop_id, method, next_due_at) VALUES (?, ?, ?) "
            "ON CONFLICT(shop_id, method) DO UPDATE SET next_due_at = CASE WHEN "
            "excluded.next_due_at < polls.next_due_at THEN excluded.next_due_at "
            "ELSE polls.next_due_at END, failures = 0",
            [(shop_id, job, due) for job, due in jobs.items()],
        )


async def add_missing_polls(db: Database, shop_id: int, jobs: dict[str, float]) -> int:
    """Adds the jobs the shop has no poll for yet; the others keep every column. Returns how
    many were added."""
    async with db.transaction() as conn:
        return await executemany_counted(
            conn,
            "INSERT INTO polls(shop_id, method, next_due_at) VALUES (?, ?, ?) "
            "ON CONFLICT(shop_id, method) DO NOTHING",
            [(shop_id, job, due) for job, due in jobs.items()],
        )


async def get_budget(db: Database, shop_id: int, group: str) -> tuple[float, float, float] | None:
    """(tokens, updated, blocked_until) as last saved for this limiter bucket, if ever."""
    row = await db.fetchone(
        "SELECT tokens, updated, blocked_until FROM wb_budget WHERE shop_id = ? AND grp = ?",
        (shop_id, group),
    )
    return (row[0], row[1], row[2]) if row else None


_PUT_BUDGET = (
    "INSERT INTO wb_budget(shop_id, grp, tokens, updated, blocked_until) VALUES (?,?,?,?,?) "
    "ON CONFLICT(shop_id, grp) DO UPDATE SET tokens = excluded.tokens, "
    "updated = excluded.updated, blocked_until = excluded.blocked_until"
)

Budget = tuple[int, str, float, float, float]  # shop_id, group, tokens, updated, blocked_until


async def put_budget(
    db: Database, shop_id: int, group: str, tokens: float, updated: float, blocked_until: float
) -> None:
    await db.write(_PUT_BUDGET, (shop_id, group, tokens, updated, blocked_until))


async def put_budgets(conn: Conn, budgets: list[Budget]) -> None:
    """Several budget rows inside the caller's transaction (a poll's result carries them)."""
    await conn.executemany(_PUT_BUDGET, budgets)


async def update_poll(conn: Conn, shop_id: int, job: str, **values: Any) -> None:
    allowed = {
        "next_due_at",
        "last_ok_at",
        "last_error",
        "last_error_at",
        "failures",
        "cursor",
        "newest_change",
        "task",
        "task_started_at",
        "baseline_done",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a poll column: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in values)
    await conn.execute(f"{_POLL_UPDATE}{assignments}{_ONE_POLL}", (*values.values(), shop_id, job))


_POLL_UPDATE = "UPDATE polls SET "
_ONE_POLL = " WHERE shop_id = ? AND method = ?"


def is_poll_update(sql: str) -> bool:
    """Whether a statement is `update_poll`'s: a write of one poll's row and nothing else (the
    sync engine commits such statements of many polls together: bot/sync/batch.py)."""
    return sql.startswith(_POLL_UPDATE) and sql.endswith(_ONE_POLL) and ";" not in sql


async def data_as_of(db: Database, shop_ids: Sequence[int]) -> datetime | None:
    """How fresh WB's data is: per shop, the newest `lastChangeDate` WB returned for orders or
    sales (or, before WB returned any row, the last successful poll of them); over several shops
    the stalest one, since the sum is only as fresh as its oldest part. None: never polled."""
    if not shop_ids:
        return None
    rows = await db.fetchall(
        "SELECT shop_id, newest_change, last_ok_at FROM polls "
        f"WHERE shop_id IN ({marks(shop_ids)}) AND method IN ('orders', 'sales')",
        tuple(shop_ids),
    )
    per_shop: dict[int, datetime] = {}
    for r in rows:
        moment: datetime | None = None
        if r[1]:
            try:
                moment = msk_to_utc(str(r[1]))
            except ValueError:
                moment = None
        if moment is None and r[2] is not None:
            moment = datetime.fromtimestamp(float(r[2]), UTC)
        if moment is None:
            continue
        shop = int(r[0])
        if shop not in per_shop or moment > per_shop[shop]:
            per_shop[shop] = moment
    return min(per_shop.values()) if per_shop else None


@dataclass(frozen=True)
class Claimed:
    """What one claim took: the polls, now leased to the claiming worker, the WB budget rows of
    their sellers as they were in the claim's transaction, and which of the worker's running
    polls it renewed (a running poll missing from `renewed` was taken over by another)."""

    polls: list[DuePoll]
    budgets: dict[tuple[int, str], tuple[float, float, float]]
    renewed: set[tuple[int, str]]


async def claim_polls(
    db: Database,
    worker: str,
    now: float,
    until: float,
    limit: int,
    *,
    budget_keys: Callable[[Shop], Sequence[tuple[int, str]]],
    renew: Sequence[tuple[int, str]] = (),
    release: Sequence[tuple[int, str]] = (),
    due_by: float | None = None,
) -> Claimed:
    """In one transaction: frees the polls this worker finished (`release`), extends the lease
    of the ones it still runs (`renew`), leases up to `limit` due polls to it until `until`,
    and reads the WB budget rows of their sellers (`budget_keys`).

    A poll is due when its `next_due_at` is at or before `due_by` (default `now`), and free
    when nobody holds it or its lease lapsed (this worker's own live leases too: its running
    polls are not claimed again, and what it finished it releases here first). A poll of a shop
    another worker holds a poll of is left alone even when free: a seller's WB budget is spent
    by one worker at a time, so two workers never call WB for one seller beyond its limits.
    """
    async with db.transaction() as conn:
        await lock_claims(db, conn)
        if release:
            await conn.executemany(
                "UPDATE polls SET claimed_by = NULL, lease_until = NULL "
                "WHERE shop_id = ? AND method = ? AND claimed_by = ?",
                [(shop_id, job, worker) for shop_id, job in release],
            )
        renewed: set[tuple[int, str]] = set()
        for shop_id, job in renew:
            async with conn.execute(
                "UPDATE polls SET lease_until = ? WHERE shop_id = ? AND method = ? "
                "AND claimed_by = ?",
                (until, shop_id, job, worker),
            ) as cur:
                if cur.rowcount == 1:
                    renewed.add((shop_id, job))
        rows = await conn.execute_fetchall(
            f"SELECT {_DUE_COLUMNS} FROM polls p JOIN shops s ON s.id = p.shop_id "
            "WHERE p.next_due_at <= ? AND s.state = 'active' "
            "AND (p.lease_until IS NULL OR p.lease_until < ?) "
            "AND NOT EXISTS (SELECT 1 FROM polls q WHERE q.shop_id = p.shop_id "
            "AND q.claimed_by != ? AND q.lease_until >= ?) "
            f"ORDER BY p.next_due_at LIMIT ?{skip_locked(db, 'p')}",
            (now if due_by is None else due_by, now, worker, now, limit),
        )
        claimed = [
            DuePoll(poll_from_row(r), shop_from_row(r, "shop_"), sealed_from_row(r, "shop_"))
            for r in rows
        ]
        await conn.executemany(
            "UPDATE polls SET claimed_by = ?, lease_until = ? WHERE shop_id = ? AND method = ?",
            [(worker, until, d.poll.shop_id, d.poll.job) for d in claimed],
        )
        keys = sorted({k for d in claimed for k in budget_keys(d.shop)})
        budgets: dict[tuple[int, str], tuple[float, float, float]] = {}
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            found = await conn.execute_fetchall(
                "SELECT shop_id, grp, tokens, updated, blocked_until FROM wb_budget "
                f"WHERE {' OR '.join(['(shop_id = ? AND grp = ?)'] * len(chunk))}",
                [v for key in chunk for v in key],
            )
            for r in found:
                budgets[(int(r[0]), str(r[1]))] = (float(r[2]), float(r[3]), float(r[4]))
    return Claimed(claimed, budgets, renewed)


async def leases_of(db: Database) -> dict[tuple[int, str], tuple[str | None, float | None]]:
    """(claimed_by, lease_until) per poll, for /status and tests."""
    rows = await db.fetchall("SELECT shop_id, method, claimed_by, lease_until FROM polls")
    return {(int(r[0]), str(r[1])): (r[2], r[3]) for r in rows}


async def release_polls(db: Database, worker: str) -> int:
    """A worker stopping cleanly frees every poll it holds (no other worker waits the lease)."""
    return await db.write(
        "UPDATE polls SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?", (worker,)
    )
