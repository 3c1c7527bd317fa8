"""`python -m bench.perf [--quick] [--pg] [--only GROUP[,GROUP…]] [--rebuild] [--save FILE]`

Groups: statements (goal 3), reads (goals 1–2), writes (goal 4), growth (goal 5), memory
(goal 6); all by default. See bench/perf/__init__.py for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from bench.perf import growth, memory, reads, statements, writes
from bench.perf._data import Datasets, cache_dir
from bench.perf._pg import Cluster, PgUnavailable, StatementLog
from bench.perf._report import Table
from bench.perf._run import Context

GROUPS: dict[str, list[Callable[[Context], Table]]] = {
    "statements": [statements.statements],
    "reads": [reads.per_allocation_list, reads.full_dashboard],
    "writes": [writes.record_spend, writes.spend_checks],
    "growth": [growth.growth],
    "memory": [memory.memory],
}


def _banner(args: argparse.Namespace) -> str:
    load = os.getloadavg()
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("strawberry-graphql", "tortoise-orm", "uvicorn", "asyncpg")
    )
    return (
        f"# bench.perf — {'quick' if args.quick else 'full'} run, "
        f"{time.strftime('%Y-%m-%d %H:%M')}\n"
        f"machine: {os.cpu_count()} cores, load {load[0]:.2f}; Python {platform.python_version()};"
        f" {packages}\ncache: {cache_dir()}\n"
        "figures only: nothing here passes or fails; compare ratios, not absolute times"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer requests")
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL (a private cluster)")
    parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups")
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached datasets")
    parser.add_argument("--save", type=Path, help="also write the tables to this file")
    args = parser.parse_args(argv)
    chosen = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {list(GROUPS)}")
    banner = _banner(args)
    print(banner, flush=True)
    rendered = [banner]
    cluster = None
    if args.pg:
        try:
            cluster = Cluster()
        except (PgUnavailable, RuntimeError) as exc:
            print(f"(PostgreSQL skipped: {exc})")
    try:
        with tempfile.TemporaryDirectory(prefix="allot-perf-") as tmp:
            ctx = Context(
                quick=args.quick,
                data=Datasets(Path(tmp), cluster, rebuild=args.rebuild),
                cluster=cluster,
                log=StatementLog(cluster) if cluster else None,
            )
            started = time.perf_counter()
            for group in chosen:
                for goal in GROUPS[group]:
                    print(f"\n… {goal.__module__}.{goal.__name__}", flush=True)
                    table = goal(ctx)
                    table.print()
                    rendered.append(table.render())
            print(f"(total {time.perf_counter() - started:,.0f} s)")
    finally:
        if cluster is not None:
            cluster.stop()
    if args.save:
        args.save.write_text("\n".join(rendered))


if __name__ == "__main__":
    main()
