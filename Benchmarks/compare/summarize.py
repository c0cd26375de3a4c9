#!/usr/bin/env python3
"""The table of Benchmarks/compare-pretix.sh from its results.jsonl: per workload and system the
median over the runs with the range in brackets, the platform-to-pretix ratio, and the machine
reference measured in the same runs.

    summarize.py results.jsonl
    summarize.py --recent N results.jsonl   # the last N results, one line each (as a run goes)"""
import json
import statistics
import sys

COLUMNS = [("pretix", "pretix (PostgreSQL)"), ("platform-postgres", "platform (PostgreSQL)"), ("platform-sqlite", "platform (SQLite)")]
MODES = [("hot", "orders on the hot item until sold out"), ("scan", "first scans"), ("rescan", "re-scans")]


def spread(values, digits=1):
    values = [value for value in values if value is not None]
    if not values:
        return "-"
    form = f"{{:,.{digits}f}}"
    median = form.format(statistics.median(values))
    return median if len(values) == 1 else f"{median} ({form.format(min(values))}-{form.format(max(values))})"


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    machine = [row for row in rows if row["mode"] == "machine"]
    runs = max((row["run"] for row in rows), default=0)
    print(f"\nSide by side, {runs} run(s): median (range); CPU is milliseconds per request")
    print("| workload | measure | " + " | ".join(title for _, title in COLUMNS) + " | platform / pretix |")
    print("|---|---|" + "---|" * (len(COLUMNS) + 1))
    for mode, title in MODES:
        def pick(label, field):
            return [field(row) for row in rows if row.get("label") == label and row["mode"] == mode]

        measures = [
            ("per second", lambda row: row.get("sold_per_s") if mode == "hot" else row["ok_per_s"]),
            ("p50 ms", lambda row: row["p50_ms"]),
            ("p99 ms", lambda row: row["p99_ms"]),
            ("CPU server", lambda row: row["cpu_ms_per_request"].get("server")),
            ("CPU PostgreSQL", lambda row: row["cpu_ms_per_request"].get("postgres")),
            ("requests", lambda row: row["requests"]),
        ]
        if mode == "hot":
            measures.append(("oversold (sold of 1,000)", lambda row: f'{row["oversold"]} ({row["taken_seats"]})'))
        for name, field in measures:
            cells, medians = [], {}
            for label, _ in COLUMNS:
                values = pick(label, field)
                if values and isinstance(values[0], str):
                    cells.append(", ".join(values))
                    continue
                cells.append(spread(values, 0 if name == "requests" else 1))
                numbers = [value for value in values if value is not None]
                medians[label] = statistics.median(numbers) if numbers else None
            ratio = ""
            if name == "per second" and medians.get("pretix") and medians.get("platform-postgres"):
                ratio = f'{medians["platform-postgres"] / medians["pretix"]:,.1f} x'
            print(f"| {title if name == 'per second' else ''} | {name} | " + " | ".join(cells) + f" | {ratio} |")
    if machine:
        print(f'\nMachine reference (same runs): pgbench TPC-B {spread([m["pgbench_tps"] for m in machine], 0)} tps '
              f'(16 clients, scale 10, same cluster); platform-bench qr {spread([m["qr_per_s"] for m in machine], 0)} PNGs/s on one core')


def recent(count, path):
    for line in open(path).readlines()[-count:]:
        row = json.loads(line)
        rate = row.get("sold_per_s") or row["ok_per_s"]
        print(f'    {row["label"]:<18} {row["mode"]:<6} {row["ok"]:>6} ok  {rate:>8}/s  p50 {row["p50_ms"]} ms  p99 {row["p99_ms"]} ms  '
              f'CPU/request {row["cpu_ms_per_request"]}  {row["outcomes"]}')


if __name__ == "__main__":
    if sys.argv[1] == "--recent":
        recent(int(sys.argv[2]), sys.argv[3])
    else:
        main(sys.argv[1])
