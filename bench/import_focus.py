"""Import an N-row FOCUS file (default 1,000,000) end to end: wall time and peak memory.

The file is generated from the real sample's shape by `bench.gen_focus` in a child process (so
its memory is not counted), into a temporary directory, then imported into a fresh SQLite
database through `app.services.imports` with routing rules on real sub-account names and tags.
Peak memory is this process's max RSS (`ru_maxrss`).

    python -m bench.import_focus [--rows 1000000] [--chunk 5000] [--keep FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app import db
from app.ingest import read_focus
from app.services import imports, routing
from app.services.verify import verify
from bench._setup import fresh, world

RULES = [  # (match, key, value, project slug): values that occur in the sample
    ("tag", "application", "BrightPathMatrix", "bright-path"),
    ("sub_account", None, "Atlas Orion", "atlas-orion"),
    ("sub_account", None, "Orion Zenith", "orion-zenith"),
    ("sub_account", None, "Orion Pioneer", "orion-pioneer"),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(path: Path, url: str, chunk: int) -> None:
    await fresh(url)
    try:
        actor, projects = await world(0, [slug for *_, slug in RULES])
        for (match, key, value, _), project_id in zip(RULES, projects, strict=True):
            await routing.create_rule(
                actor, match=match, key=key, value=value, project_id=project_id
            )
        before = _rss_mb()
        started = time.perf_counter()
        summary = await imports.import_rows(
            actor, read_focus(path), source="focus", chunk_size=chunk
        )
        wall = time.perf_counter() - started
        peak = _rss_mb()
        started = time.perf_counter()
        again = await imports.import_rows(actor, read_focus(path), source="focus", chunk_size=chunk)
        rewall = time.perf_counter() - started
        drift = await verify()
    finally:
        await db.close_db()
    print(f"file            {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"rows read       {summary.read:,}")
    print(
        f"recorded        {summary.recorded:,}   unassigned {summary.unassigned:,}"
        f"   zero-cost {summary.skipped_zero:,}   rejected {summary.rejected:,}"
    )
    print(f"import          {wall:.1f} s = {summary.read / wall:,.0f} rows/s")
    print(f"peak RSS        {peak:.0f} MB (before import {before:.0f} MB)")
    print(
        f"re-import       {rewall:.1f} s: recorded {again.recorded:,},"
        f" duplicates {again.duplicates:,}, already unassigned {again.already_unassigned:,}"
    )
    print(f"verify drift    {len(drift)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=imports.CHUNK)
    parser.add_argument("--keep", type=Path, help="use (or create) this FOCUS file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "focus.csv"
        if not path.exists():
            subprocess.run(
                [sys.executable, "-m", "bench.gen_focus", str(path), "--rows", str(args.rows)],
                check=True,
            )
        asyncio.run(run(path, f"sqlite://{Path(tmp) / 'import.db'}", args.chunk))


if __name__ == "__main__":
    main()
