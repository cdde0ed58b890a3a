"""How long /report week and /report month take for a shop with 1,000,000 stored orders.

Run: `python -m tests.bench.bench_reports [orders]`. Not part of the test suite. Prints the DB
time (everything `load_report` reads) and the total time as the seller waits for it: the DB,
the message text, the chart and the XLSX (the last two rendered in a thread, as the bot does);
then, apart, the every-order file of the "All orders (XLSX)" button.
The message's numbers come from rollups (hourly totals; daily and weekly products, daily
warehouses and regions) plus raw orders only for the partial UTC days at a period's edges.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.handlers.report_data import load_report
from bot.reports.chart import render_chart
from bot.reports.export import EXPORT_LIMIT, render_orders_xlsx
from bot.reports.periods import parse_period
from bot.reports.text import render_report
from bot.reports.xlsx import render_report_xlsx
from bot.store import Database, rollups
from bot.store import orders as store_orders
from bot.store.rollups import HOUR, refresh_rollups

SHOP = 1
DAYS = 90
ZONE = ZoneInfo("Asia/Novosibirsk")


def fill(path: Path, orders: int, now: float) -> None:
    """Plain sqlite3 executemany: the fastest honest way to a big database."""
    rng = random.Random(1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    span = DAYS * 86400
    order_rows = []
    for i in range(orders):
        ts = int(now - rng.random() * span)
        nm = rng.randint(1, 500)
        cancel = ts + 3600 if rng.random() < 0.1 else None
        order_rows.append(
            (
                SHOP, f"srid{i}", ts, nm, f"ART-{nm}", "Платья", f"Склад {rng.randint(1, 60)}",
                f"Регион {rng.randint(1, 80)}", round(rng.uniform(300, 5000), 2),
                int(cancel is not None), cancel, now,
            )
        )  # fmt: skip
    conn.executemany(
        "INSERT INTO orders(shop_id, srid, ts, nm_id, supplier_article, subject, warehouse, "
        "region, price_with_disc, is_cancel, cancel_ts, first_seen) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        order_rows,
    )
    sale_rows = []
    for i in range(orders * 6 // 10):
        ts = int(now - rng.random() * span)
        ret = rng.random() < 0.05
        sign = -1 if ret else 1
        price = round(rng.uniform(300, 5000), 2)
        sale_rows.append(
            (
                SHOP, f"{'R' if ret else 'S'}{i}", ts, rng.randint(1, 500), sign * price,
                sign * price * 0.85, int(ret), now,
            )
        )  # fmt: skip
    conn.executemany(
        "INSERT INTO sales(shop_id, sale_id, ts, nm_id, price_with_disc, for_pay, is_return, "
        "first_seen) VALUES (?,?,?,?,?,?,?,?)",
        sale_rows,
    )
    conn.commit()
    conn.close()


async def main(orders: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        db = Database(path)
        await db.open()  # the real schema and indexes
        await db.close()
        now = datetime.now(UTC)
        began = time.perf_counter()
        fill(path, orders, now.timestamp())
        print(f"inserted {orders:,} orders in {time.perf_counter() - began:.1f}s")
        db = Database(path)
        await db.open()
        began = time.perf_counter()
        first = int((now - timedelta(days=DAYS + 1)).timestamp()) // HOUR * HOUR
        async with db.transaction() as conn:
            await refresh_rollups(conn, SHOP, range(first, int(now.timestamp()) + HOUR, HOUR))
        print(f"rebuilt all rollups from the raw rows in {time.perf_counter() - began:.1f}s")
        today = now.astimezone(ZONE).date()
        for name in ("week", "month"):
            for _run in range(2):  # the first run reads cold pages; the second is typical
                period = parse_period(name, today)
                t0 = time.perf_counter()
                data = await load_report(db, [SHOP], period, ZONE, now)
                t1 = time.perf_counter()
                await rollups.totals(db, [SHOP], data.start, data.end)
                t2 = time.perf_counter()
                message = render_report(data, "Shop", "en", today, str)
                t3 = time.perf_counter()
                png = await asyncio.to_thread(
                    render_chart, data.days, data.previous_days, ("o", "s", "a", "b")
                )
                t4 = time.perf_counter()
                book = await asyncio.to_thread(render_report_xlsx, data, {})
                t5 = time.perf_counter()
                # The "All orders (XLSX)" button: its own file, after the report.
                rows = store_orders.stream_raw_orders(
                    db, [SHOP], data.start, data.end, EXPORT_LIMIT
                )
                every, count = await asyncio.to_thread(render_orders_xlsx, rows, ZONE, {})
                t6 = time.perf_counter()
            print(
                f"/report {name}: {data.current.orders:,} orders; "
                f"totals (rollups) {(t2 - t1) * 1000:.1f} ms; "
                f"DB for the message {(t1 - t0) * 1000:.0f} ms; "
                f"text {(t3 - t2) * 1000:.0f} ms ({len(message):,} chars); "
                f"chart {(t4 - t3) * 1000:.0f} ms ({len(png):,} B); "
                f"xlsx {(t5 - t4) * 1000:.0f} ms ({len(book):,} B); "
                f"total {(t5 - t0 - (t2 - t1)) * 1000:.0f} ms; "
                f"all orders (XLSX) {(t6 - t5) * 1000:.0f} ms for {count:,} orders "
                f"({len(every):,} B)",
                flush=True,
            )
        await db.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
