"""`python -m tests.bench`: every benchmark, then one table of their figures with the goal beside
each (issue 16) and the command that reproduces it. About 20 minutes on a 2-core machine at
full size; `--quick` for a smaller run (1,000 shops, 20k ingest rows, 2,000 alerts, 100k stored
orders, 60 WB minutes of orders per rate). Each benchmark runs in its own process, one after
another; on a shared machine compare figures of one run (ratios), not runs of different days.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CPU_GOAL = "≤ 0.75 ms"


def run(args: list[str]) -> str:
    print(f"$ python -m {' '.join(args)}", flush=True)
    out = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    # Progress lines ("... deliveries/s") are for a run by hand: the figures are enough here.
    shown = [line for line in (out.stdout + out.stderr).splitlines() if "deliveries/s" not in line]
    print("\n".join(shown), flush=True)
    return out.stdout


def find(pattern: str, text: str, default: str = "?") -> str:
    match = re.search(pattern, text)
    return match.group(1) if match else default


Row = tuple[str, str, str, list[str]]


def sync_rows(out: str, shops: list[str], cmd: list[str]) -> list[Row]:
    rows: list[Row] = []
    for n in shops:
        line = find(rf"(\s*{n} shops:.*)", out)
        for job in ("orders", "sales"):
            rows.append(
                (
                    f"CPU per poll, steady state, {job}, {int(n):,} shops",
                    find(rf"steady {job} ([\d.]+) ms", line)
                    + " ms ("
                    + find(rf"steady {job} [\d.]+ ms CPU/poll, (\d+) polls/s", line)
                    + " polls/s)",
                    CPU_GOAL,
                    cmd,
                )
            )
        rows.append(
            (
                f"CPU per poll, first polls (orders + sales), {int(n):,} shops",
                find(r"first polls \(orders\+sales\) ([\d.]+) ms", line) + " ms",
                "—",
                cmd,
            )
        )
        rows.append(
            (
                f"memory per shop, {int(n):,} shops",
                find(r"memory ([\d.]+) KB/shop", line) + " KB",
                "—",
                cmd,
            )
        )
    rows.append(
        (
            "ingest, real write path (2,000-row transactions, rollups, change detection)",
            find(r"real write path\s+(\d+) rows/s", out) + " rows/s",
            "—",
            cmd,
        )
    )
    rows.append(
        (
            "ingest, plain sqlite3.executemany, same table and indexes, one transaction",
            find(r"one transaction:\s+(\d+) rows/s", out)
            + " rows/s (real/plain "
            + find(r"ratio ([\d.]+)", out)
            + ")",
            "—",
            cmd,
        )
    )
    return rows


def rows_rows(out: str, cmd: list[str]) -> list[Row]:
    rows: list[Row] = []
    for rate in ("0.1", "1", "10"):
        for key, label in (
            ("statistics ", "Statistics key"),
            ("statistics\\+analytics", "+ feed"),
        ):
            line = find(rf"((?<![\d.]){re.escape(rate)}/min {key}.*)", out)
            rows.append(
                (
                    f"rows downloaded per new order, {rate}/min, {label}",
                    find(r"rows per new order\s+([\d.]+)", line)
                    + " (statistics "
                    + find(r"\(statistics\s+([\d.]+)", line)
                    + ", feed "
                    + find(r"feed\s+([\d.]+)\)", line)
                    + "; stored "
                    + find(r"stored (\d+)", line)
                    + " of "
                    + find(r"placed\s+(\d+)", line)
                    + ", alerted "
                    + find(r"alerted (\d+)", line)
                    + ")",
                    "≤ 1.1",
                    cmd,
                )
            )
    return rows


def report_rows(out: str, cmd: list[str]) -> list[Row]:
    rows: list[Row] = []
    for period in ("week", "month"):
        line = find(rf"(/report {period}:.*)", out)
        rows.append(
            (
                f"/report {period}, DB time for the message",
                find(r"DB for the message (\d+) ms", line) + " ms",
                "≤ 50 ms",
                cmd,
            )
        )
        rows.append(
            (
                f"/report {period}, all in (DB, text, chart, XLSX)",
                find(r"total (\d+) ms", line) + " ms",
                "≤ 1,500 ms" if period == "month" else "—",
                cmd,
            )
        )
        export = find(r"all orders \(XLSX\) (\d+ ms[^;]*)", line, "")
        if export:
            rows.append((f"/report {period}, the all-orders export", export, "—", cmd))
    return rows


def saved_runs(path: str) -> Callable[[list[str]], str]:
    """Each benchmark's output from a saved `python -m tests.bench` log, by its command."""
    chunks = Path(path).read_text().split("$ python -m ")[1:]
    outputs = {chunk.split("\n", 1)[0]: chunk.split("\n", 1)[1] for chunk in chunks}
    return lambda args: outputs.get(" ".join(args), "")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--table-from", metavar="LOG", help="print the table of a saved run")
    args = parser.parse_args()
    quick = args.quick
    global run
    if args.table_from:
        run = saved_runs(args.table_from)
    shops = ["1000"] if quick else ["1000", "10000", "20000"]
    sync_cmd = ["tests.bench.bench_sync", "--shops", *shops, "--rows"]
    sync_cmd.append("20000" if quick else "100000")
    rows_cmd = ["tests.bench.bench_rows", "--minutes", "60" if quick else "300"]
    reports_cmd = ["tests.bench.bench_reports", "100000" if quick else "1000000"]
    page_cmd = ["tests.bench.bench_page", "--rows", "80000"]
    alerts_cmd = ["tests.bench.bench_alerts", "--alerts", "2000" if quick else "10000"]

    table: list[Row] = []
    table += sync_rows(run(sync_cmd), shops, sync_cmd)
    table += rows_rows(run(rows_cmd), rows_cmd)
    table += report_rows(run(reports_cmd), reports_cmd)
    page = find(r"(page of .*)", run(page_cmd))
    table.append(
        (
            "one 80,000-row orders page through the real client path: peak RSS growth",
            "+" + find(r"peak \+(\d+) MB", page) + " MB",
            "≤ +150 MB",
            page_cmd,
        )
    )
    table.append(
        (
            "the same page: seconds to parsed rows",
            find(r"([\d.]+) s to rows", page) + " s",
            "—",
            page_cmd,
        )
    )
    alerts = run(alerts_cmd)
    backlog = find(r"(backlog: .*)", alerts)
    grouped = find(r"(grouped: .*)", alerts)
    steady = find(r"(latency at .*)", alerts)
    table.append(
        (
            "alert backlog, one alert per chat: drain rate, limit violations",
            find(r"rate: ([\d.]+) msg/s", backlog)
            + " msg/s, "
            + find(r"violations: (\d+)", alerts)
            + " violations",
            "≥ 27 msg/s, 0",
            alerts_cmd,
        )
    )
    table.append(
        (
            "the same alerts into 2,000 chats (merged per chat)",
            find(r"in (\d+) messages", grouped)
            + " messages in "
            + find(r"over ([\d.]+) s", grouped)
            + " s",
            "—",
            alerts_cmd,
        )
    )
    table.append(
        (
            "alert latency at a steady 20 alerts/s, event commit to Telegram OK",
            "p95 "
            + find(r"p95 ([\d.]+) s", steady)
            + " s, max "
            + find(r"max ([\d.]+) s", steady)
            + " s",
            "p95 ≤ 60 s",
            alerts_cmd,
        )
    )

    print("Figures of this one run (a shared machine: compare within the run).")
    print("| figure | value | goal | command |\n|---|---|---|---|")
    for name, value, goal, cmd in table:
        print(f"| {name} | {value} | {goal} | `python -m {' '.join(cmd)}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
