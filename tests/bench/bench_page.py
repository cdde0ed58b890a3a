"""Peak memory and time for one full orders page (80,000 rows, about 58 MB of JSON) through the
real path: WBClient.orders (aiohttp, the body read, decoded and parsed into models.Order rows),
the rows held as the sync engine holds them while it writes the page.

The fake WB runs in its own process and the page is measured in a fresh process of its own, so
the figure is the bot's peak RSS above what it held just before the call (the kernel's
high-water mark, reset through /proc/self/clear_refs), not the fake's.

Run: `python -m tests.bench.bench_page [--rows 80000]`
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    """The kernel's high-water mark (VmHWM) starts again from the current RSS."""
    Path("/proc/self/clear_refs").write_text("5")


async def serve(rows: int) -> None:
    from tests.fakes.tokens import make_token
    from tests.fakes.wb import FakeWB

    async with FakeWB(rate_scale=0.001, page_cap=rows, page_cap_spread=0) as wb:
        token = make_token(acc=3, categories=("statistics",))
        sid = wb.add_seller(token, name="Big shop")
        wb.bulk_add_orders(sid, rows, step=timedelta(seconds=1))
        print(f"READY {wb.url_template} {token}", flush=True)
        await asyncio.Event().wait()


async def measure(template: str, token: str) -> None:
    import aiohttp

    from bot.timeutil import utc_to_msk_str
    from bot.wb.client import WBClient

    date_from = utc_to_msk_str(datetime.now(UTC) - timedelta(days=30))
    async with aiohttp.ClientSession() as http:
        client = WBClient(http, template)
        await client.ping(token)  # the connection and every lazy import, outside the figure
        await asyncio.sleep(0.1)
        gc.collect()
        before = status_kb("VmRSS")
        reset_peak()
        began = time.perf_counter()
        parsed = await client.orders(token, date_from)  # what the engine holds as it writes
        seconds = time.perf_counter() - began
        peak = status_kb("VmHWM")
        held = status_kb("VmRSS")
        rows = len(parsed.rows)
        del parsed
        async with http.get(
            template.format(host="statistics-api") + "/api/v1/supplier/orders",
            params={"dateFrom": date_from, "flag": 0},
            headers={"Authorization": token},
        ) as resp:
            size = len(await resp.read())
    print(
        f"page of {rows:,} orders ({size / 1e6:.0f} MB of JSON): "
        f"peak +{(peak - before) / 1024:.0f} MB RSS, {seconds:.2f} s to rows; "
        f"held after +{(held - before) / 1024:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=80_000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.rows))
        return
    if args.measure:
        asyncio.run(measure(*args.measure))
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.bench_page", "--serve", "--rows", str(args.rows)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = next(line for line in server.stdout if line.startswith("READY "))
        _, template, token = ready.split()
        out = subprocess.run(
            [sys.executable, "-m", "tests.bench.bench_page", "--measure", template, token],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        print(out.stdout + out.stderr, end="", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
