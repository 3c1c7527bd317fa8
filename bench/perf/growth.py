"""Goal 5: how the dashboard's latency grows with allocations and with spend rows.

Allocations: 10 / 100 / 1,000 / 10,000 allocations with 20 spends each (the page holds them
all: `allocations(first: N)`); linear or better means the time per allocation does not grow.
Spends: 2,000 / 20,000 / 200,000 / 1,000,000 spends at random instants over the period so far
(bench/perf/_data.py), 1,000 allocations; the dashboard reads the `spend_daily` roll-up, so the
time should stay flat. Measured as goal 2 (bench.perf.reads.dashboard_pair: one request at a
time, Allot and floor in interleaved rounds); median (p10–p90); ratio = Allot ÷ floor. The
"growth" note compares each size with the smallest: time ratio against size ratio.
"""

from __future__ import annotations

from bench.perf._report import Table
from bench.perf._run import Context, ms, ratio
from bench.perf.reads import dashboard_pair


def _series(ctx: Context, table: Table, label: str, sizes: list[tuple[int, int]], key: int) -> None:
    for backend in ctx.backends:
        first: tuple[int, float, float] | None = None
        growth = []
        for allocations, spends in sizes:
            mine, base = dashboard_pair(ctx, backend, allocations, spends)
            size = (allocations, spends)[key]
            table.add(
                f"dashboard, {allocations:,} allocations, {spends:,} spends ({backend})",
                ms(mine),
                ms(base),
                "—",
                ratio(mine.pct(50), base.pct(50)),
            )
            if first is None:
                first = (size, mine.pct(50), base.pct(50))
            else:
                growth.append(
                    f"×{size / first[0]:,.0f} {label} → Allot ×{mine.pct(50) / first[1]:,.1f},"
                    f" floor ×{base.pct(50) / first[2]:,.1f}"
                )
        table.note(f"{backend} growth vs the smallest: " + "; ".join(growth))


def growth(ctx: Context) -> Table:
    table = Table(
        "5. Growth of the dashboard's latency",
        "linear or better in allocations; flat in spend rows",
        "one request at a time over HTTP; median (p10–p90); ratio = Allot ÷ floor",
    )
    by_allocations = [(10, 200), (100, 2000), (1000, 20_000)]
    by_spends = [(1000, 2000), (1000, 20_000)]
    if not ctx.quick:
        by_allocations.append((10_000, 200_000))
        by_spends += [(1000, 200_000), (1000, 1_000_000)]
    _series(ctx, table, "allocations", by_allocations, 0)
    _series(ctx, table, "spends", by_spends, 1)
    return table
