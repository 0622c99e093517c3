"""Print locust's per-endpoint figures: requests/s, p50, p99, failures split by kind.

Failures are split by status, so 404s from endpoints not built yet stand apart from 5xx.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path


def main(stats_path: str, failures_path: str) -> None:
    rows = list(csv.DictReader(Path(stats_path).open()))
    failures: dict[str, dict[str, int]] = {}
    if Path(failures_path).exists():
        for row in csv.DictReader(Path(failures_path).open()):
            key = f"{row['Method']} {row['Name']}"
            status = re.search(r"\b([45]\d\d) (?:Client|Server) Error", row["Error"])
            kind = status.group(1) if status else "error"
            failures.setdefault(key, {}).setdefault(kind, 0)
            failures[key][kind] += int(row["Occurrences"])
    print(f"{'endpoint':<46} {'reqs':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}  failures")
    for row in rows:
        name = "ALL" if row["Name"] == "Aggregated" else row["Name"]
        fails = failures.get(f"{row['Type']} {row['Name']}", {})
        text = ", ".join(f"{k}: {v}" for k, v in sorted(fails.items())) or "0"
        if name == "ALL":
            text = row["Failure Count"]
        print(f"{name[:46]:<46} {row['Request Count']:>7} {float(row['Requests/s']):>7.1f} "
              f"{row['50%']:>7} {row['99%']:>7}  {text}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
