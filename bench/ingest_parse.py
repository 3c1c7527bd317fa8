"""Time `read_focus` over a file and print rows/s and peak memory.

Peak memory is the process's max RSS (`resource.getrusage`), printed next to the RSS before
parsing, so the growth caused by parsing is visible; `--tracemalloc` adds Python's own peak
allocation count (and slows parsing, so its rows/s is not the headline figure).

    python -m bench.ingest_parse OUT.csv [--tracemalloc]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from pathlib import Path

from app.ingest import CostRow, read_focus


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    rss_before = _max_rss_mb()
    started = time.perf_counter()
    rows = rejected = total = 0
    for row in read_focus(args.path):
        if isinstance(row, CostRow):
            rows += 1
            total += row.amount
        else:
            rejected += 1
    elapsed = time.perf_counter() - started
    size_mb = args.path.stat().st_size / 1e6
    print(f"file            {args.path} ({size_mb:,.1f} MB)")
    print(f"rows            {rows:,} parsed, {rejected:,} rejected, total {total:,} micros")
    print(f"time            {elapsed:,.2f} s = {(rows + rejected) / elapsed:,.0f} rows/s")
    print(f"max RSS         {_max_rss_mb():,.1f} MB (before parsing {rss_before:,.1f} MB)")
    if args.tracemalloc:
        _, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc     peak {peak / 1e6:,.2f} MB of Python allocations")


if __name__ == "__main__":
    main()
