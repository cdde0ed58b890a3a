"""How long the money view of a month takes for a shop with 1,000,000 orders and 2,000,000 rows
of WB's finance report (issue 14: DB time ≤ 100 ms).

Run: `python -m tests.bench.bench_profit [orders] [finance_rows] [db path to keep]`. Not part of
the test suite. The month is the last 30 WB days: five whole weekly reports (the finance rows,
as the finance job keeps them) and the days since, estimated from the sales. 500 products in 3
sizes, each with a cost price, 50 of them changed in mid-month, one with a cost for one size;
УСН 6% and fixed expenses. Prints the wall time of `load_money` (every read the money block of
/report and /profit make: the time from each query's call to its rows) beside the goal, best and
median of 5, and the time of the whole `load_money` with the arithmetic.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.money.view import load_money
from bot.store import Database
from bot.store.costs import NewCost, TaxRegime, save_costs, set_fixed_monthly, set_tax
from bot.store.finance import _rebuild_sums
from bot.store.profit import wb_day_start

SHOP = 1
PRODUCTS = 500
SIZES = ("S", "M", "L")
GOAL_MS = 100.0
MONTH = 30


def weeks_before(today: date) -> list[tuple[date, date]]:
    """The five whole Monday–Sunday weeks before the current one (the finance job keeps four
    weeks back and the last one): with the current week's days, a month."""
    monday = today - timedelta(days=today.weekday())
    return [
        (monday - timedelta(days=7 * k), monday - timedelta(days=7 * k - 6))
        for k in range(5, 0, -1)
    ]


def fill(path: Path, orders: int, finance_rows: int, today: date, now: float) -> None:
    """Plain sqlite3 executemany: the fastest honest way to a big database."""
    rng = random.Random(14)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    first = today - timedelta(days=MONTH - 1)
    lo, hi = wb_day_start(first), wb_day_start(today) + 12 * 3600
    conn.executemany(
        "INSERT INTO orders(shop_id, srid, ts, nm_id, supplier_article, subject, tech_size, "
        "price_with_disc, first_seen) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            (SHOP, f"srid{i}", rng.randint(lo, hi), nm, f"ART-{nm}", "Платья", rng.choice(SIZES),
             round(rng.uniform(300, 5000), 2), now)
            for i in range(orders)
            for nm in (rng.randint(1, PRODUCTS),)
        ),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO rollup_product_weeks(shop_id, week, nm_id, orders, orders_sum, "
        "supplier_article, subject) SELECT shop_id, ts / 604800 * 604800, nm_id, COUNT(*), "
        "SUM(price_with_disc), MAX(supplier_article), MAX(subject) FROM orders "
        "GROUP BY shop_id, ts / 604800, nm_id"
    )
    conn.executemany(
        "INSERT INTO sales(shop_id, sale_id, srid, ts, nm_id, tech_size, price_with_disc, "
        "for_pay, is_return, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            (SHOP, f"{'R' if ret else 'S'}{i}", f"srid{i}", rng.randint(lo, hi),
             rng.randint(1, PRODUCTS), rng.choice(SIZES), sign * price,
             0 if rng.random() < 0.02 else sign * round(price * 0.8, 2), int(ret), now)
            for i in range(orders * 6 // 10)
            for ret in (rng.random() < 0.05,)
            for sign in (-1 if ret else 1,)
            for price in (round(rng.uniform(300, 5000), 2),)
        ),
    )  # fmt: skip
    weeks = weeks_before(today)
    kinds = ("sale", "sale", "logistics_to", "logistics_to", "return", "logistics_from",
             "storage", "penalty")  # fmt: skip

    def finance() -> object:
        for i in range(finance_rows):
            week = weeks[i % len(weeks)]
            day = week[0] + timedelta(days=rng.randrange(7))
            kind = rng.choice(kinds)
            price = rng.randint(30_000, 500_000)
            sale = kind in ("sale", "return")
            yield (
                SHOP, i + 1, 1000 + weeks.index(week), "weekly", week[0].isoformat(),
                week[1].isoformat(), day.isoformat(), kind, rng.randint(1, PRODUCTS), "",
                rng.choice(SIZES), "", "", "", "", 1 if sale else 0, int(kind == "logistics_to"),
                int(kind == "logistics_from"), "", price if sale else 0,
                price * 8 // 10 if sale else 0,
                rng.randint(3_000, 9_000) if kind.startswith("logistics") else 0,
                rng.randint(100, 900) if kind == "storage" else 0,
                rng.randint(100, 5_000) if kind == "penalty" else 0,
            )  # fmt: skip

    conn.executemany(
        "INSERT INTO finance_rows(shop_id, rrd_id, report_id, period, date_from, date_to, "
        "rr_date, kind, nm_id, sa_name, ts_name, barcode, doc_type, oper, bonus_type, quantity, "
        "delivery_amount, return_amount, srid, retail_amount, for_pay, delivery_service, "
        "paid_storage, penalty) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        finance(),
    )
    conn.commit()
    conn.close()


async def sums_and_costs(db: Database, today: date, rows: int) -> None:
    async with db.transaction() as conn:
        for first, last in weeks_before(today):
            await _rebuild_sums(conn, SHOP, "weekly", first.isoformat(), last.isoformat())
            await conn.execute(
                "INSERT INTO finance_periods(shop_id, period, date_from, date_to, rrd_id, "
                "row_count, complete, started_at, fetched_at, completed_at) "
                "VALUES (?, 'weekly', ?, ?, ?, ?, 1, 0, 0, 0)",
                (SHOP, first.isoformat(), last.isoformat(), rows, rows // 5),
            )
    month = today - timedelta(days=MONTH - 1)
    costs = [NewCost(nm, 20_000 + nm * 100, month - timedelta(days=60)) for nm in range(1, 501)]
    costs += [NewCost(nm, 25_000, month + timedelta(days=12)) for nm in range(1, 51)]
    costs += [NewCost(7, 30_000, month, size="L")]
    await save_costs(db, SHOP, costs, by=1)
    await set_tax(db, SHOP, TaxRegime.USN_INCOME, 600, by=1)
    await set_fixed_monthly(db, SHOP, 30_000_000, by=1)


async def build(path: Path, orders: int, finance_rows: int, today: date, now: float) -> None:
    db = Database(path)
    await db.open()  # the schema
    await db.write(
        "INSERT INTO shops(id, seller_id, name, connected_at, updated_at) "
        "VALUES (?, 's', 'bench', 0, 0)",
        (SHOP,),
    )
    await db.close()
    began = time.perf_counter()
    fill(path, orders, finance_rows, today, now)
    db = Database(path)
    await db.open()
    await sums_and_costs(db, today, finance_rows)
    await db.write("ANALYZE")
    await db.close()
    print(f"filled in {time.perf_counter() - began:.0f} s", flush=True)


def timed_queries(db: Database) -> list[float]:
    """Seconds each query of `db` takes from the call to its rows (the DB time), appended to
    the list returned."""
    spent: list[float] = []

    def timed(read: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(*args: Any) -> Any:
            began = time.perf_counter()
            try:
                return await read(*args)
            finally:
                spent.append(time.perf_counter() - began)

        return run

    db.fetchall = timed(db.fetchall)  # type: ignore[method-assign]
    db.fetchone = timed(db.fetchone)  # type: ignore[method-assign]
    return spent


async def main(orders: int, finance_rows: int, keep: Path | None) -> None:
    """`keep`: build the database there once and measure it on later runs (the same day)."""
    now = datetime.now(UTC)
    today = (now + timedelta(hours=3)).date()
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "bench.db"
        if not path.exists():
            await build(path, orders, finance_rows, today, now.timestamp())
        db = Database(path)
        await db.open()
        first = today - timedelta(days=MONTH - 1)
        in_db = timed_queries(db)
        times, db_times = [], []
        view = None
        for _ in range(5):
            in_db.clear()
            t0 = time.perf_counter()
            view = await load_money(db, [SHOP], first, today)
            times.append((time.perf_counter() - t0) * 1000)
            db_times.append(sum(in_db) * 1000)
        assert view is not None
        money = view.money
        print(
            f"orders={orders:,} finance_rows={finance_rows:,} products={len(money.products)} "
            f"days by report={sum((b - a).days + 1 for a, b in money.report_spans)} "
            f"estimated={sum((b - a).days + 1 for a, b in money.estimate_spans)} "
            f"queries={len(in_db)}"
        )
        print(
            f"profit month DB time: best {min(db_times):.1f} ms, median "
            f"{statistics.median(db_times):.1f} ms (goal ≤ {GOAL_MS:.0f} ms); with the "
            f"arithmetic: best {min(times):.1f} ms, median {statistics.median(times):.1f} ms; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        await db.close()


if __name__ == "__main__":
    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    finance_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    keep = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    asyncio.run(main(orders, finance_rows, keep))
