"""`python -m tests.bench`: every benchmark in one table, each row with the command that
reproduces it. Takes about 10 minutes on a 2-core machine at full size; `--quick` for a smaller
run (1,000 shops, 20k ingest rows, 2,000 alerts, 100k stored orders)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str]) -> str:
    print(f"$ python -m {' '.join(args)}", flush=True)
    out = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    print(out.stdout + out.stderr, flush=True)
    return out.stdout


def find(pattern: str, text: str, default: str = "?") -> str:
    match = re.search(pattern, text)
    return match.group(1) if match else default


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    shops = ["1000"] if quick else ["1000", "10000"]
    sync_cmd = [
        "tests.bench.bench_sync",
        "--shops",
        *shops,
        "--rows",
        "20000" if quick else "100000",
    ]
    alerts_cmd = ["tests.bench.bench_alerts", "--alerts", "2000" if quick else "10000"]
    reports_cmd = ["tests.bench.bench_reports", "100000" if quick else "1000000"]
    sync, alerts, reports = run(sync_cmd), run(alerts_cmd), run(reports_cmd)

    rows = []
    for n in shops:
        line = find(rf"(\s*{n} shops:.*)", sync)
        rows.append((f"polls/s, one core, {n} shops", find(r"([\d.]+) polls/s", line), sync_cmd))
        rows.append(
            (f"CPU per poll, {n} shops", find(r"([\d.]+) ms CPU/poll", line) + " ms", sync_cmd)
        )
        rows.append(
            (
                f"memory per shop, {n} shops",
                find(r"memory ([\d.]+) KB/shop", line) + " KB",
                sync_cmd,
            )
        )
    rows.append(
        (
            "ingest, real write path",
            find(r"real write path\s+(\d+) rows/s", sync) + " rows/s",
            sync_cmd,
        )
    )
    rows.append(
        (
            "ingest, plain sqlite3.executemany",
            find(r"one transaction:\s+(\d+) rows/s", sync)
            + " rows/s (ratio "
            + find(r"ratio ([\d.]+)", sync)
            + ")",
            sync_cmd,
        )
    )
    backlog = find(r"(backlog: .*)", alerts)
    grouped = find(r"(grouped: .*)", alerts)
    steady = find(r"(latency at .*)", alerts)
    rows.append(
        (
            "alert backlog, one alert per chat: drain rate (ceiling 30 msg/s)",
            find(r"rate: ([\d.]+) msg/s", backlog)
            + " msg/s, violations "
            + find(r"violations: (\d+)", alerts),
            alerts_cmd,
        )
    )
    rows.append(
        (
            "the same alerts into 2,000 chats (merged per chat)",
            find(r"in (\d+) messages", grouped)
            + " messages in "
            + find(r"over ([\d.]+) s", grouped)
            + " s",
            alerts_cmd,
        )
    )
    rows.append(
        (
            "alert latency at a steady 20 alerts/s, event commit to Telegram OK",
            "p95 "
            + find(r"p95 ([\d.]+) s", steady)
            + " s, max "
            + find(r"max ([\d.]+) s", steady)
            + " s",
            alerts_cmd,
        )
    )
    for period in ("week", "month"):
        line = find(rf"(/report {period}:.*)", reports)
        rows.append(
            (
                f"/report {period}, DB time",
                find(r"DB for the message (\d+) ms", line)
                + " ms (totals "
                + find(r"totals \(rollups\) ([\d.]+) ms", line)
                + " ms)",
                reports_cmd,
            )
        )
        rows.append(
            (
                f"/report {period}, total with chart and XLSX",
                find(r"total (\d+) ms", line) + " ms",
                reports_cmd,
            )
        )

    print("| figure | value | command |\n|---|---|---|")
    for name, value, cmd in rows:
        print(f"| {name} | {value} | `python -m {' '.join(cmd)}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
