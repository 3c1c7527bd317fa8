"""Goal 4: recordSpend (and authorizeSpend, reserveSpend) throughput over HTTP.

Allot and the floor each get a fresh copy of the 1,000-allocation dataset (one budget: every
spend updates the same budget-period row, the hot spot that decides how writes scale) and run
side by side. The load generator (bench/perf/_load.py, its own process) runs C closed-loop
clients, Allot and floor in interleaved rounds; each request spends 0.01 on the next project in
turn with an externalId unique to the run. Allot gets the GraphQL mutation; the floor the same
body at /spend, where it does the same writes in one transaction (bench/perf/_floor_writes.py).
Cells: requests/s (p50 / p99 latency); ratio = floor req/s ÷ Allot req/s. Workers: uvicorn
--workers N on PostgreSQL, 16 clients, both servers with N workers.
"""

from __future__ import annotations

import uuid

from bench.perf._load import Result
from bench.perf._report import Table
from bench.perf._run import Context, allot, floor, interleave, load_spec, ratio, rps
from bench.perf.queries import AUTHORIZE, RESERVE, body, spend_body


def _budget(ctx: Context) -> tuple[int, float]:
    """(requests, seconds) per measurement, over all rounds: whichever ends first."""
    return (300, 6.0) if ctx.quick else (3000, 24.0)


def _spends(ctx: Context, backend: str, clients: list[int], workers: int = 1) -> dict:
    """{(target, clients): Result} for recordSpend."""
    requests, seconds = _budget(ctx)
    run = uuid.uuid4().hex[:8]
    a_ds, f_ds = ctx.dataset(backend, 1000, 20_000), ctx.dataset(backend, 1000, 20_000)
    out: dict[tuple[str, int], Result] = {}
    with allot(a_ds, workers) as a, floor(f_ds, workers) as f:
        for c in clients:
            mine = spend_body(f"{run}-a{c}")
            base = spend_body(f"{run}-f{c}")
            specs = {
                "allot": load_spec(f"{a.url}/graphql", mine, a_ds, c, requests, seconds),
                "floor": load_spec(f"{f.url}/spend", base, f_ds, c, requests, seconds),
            }
            for target, result in interleave(specs, ctx.rounds).items():
                out[(target, c)] = result
    return out


def record_spend(ctx: Context) -> Table:
    table = Table(
        "4. recordSpend over HTTP (one spend per request, unique externalIds)",
        "PostgreSQL: 2 workers ≥ 1.6× one worker, 4 further; as close to the floor as possible",
        "closed-loop clients in a separate process, interleaved rounds; req/s (p50 / p99 ms);"
        " ratio = floor req/s ÷ Allot req/s",
    )
    client_counts = [1, 16] if ctx.quick else [1, 16, 64]
    single: dict[str, Result] = {}
    for backend in ctx.backends:
        results = _spends(ctx, backend, client_counts)
        for c in client_counts:
            mine, base = results[("allot", c)], results[("floor", c)]
            work = f"recordSpend, {c} client{'s' if c > 1 else ''} ({backend}, 1 worker)"
            table.add(work, rps(mine), rps(base), "—", ratio(base.rps, mine.rps))
        cpu = max(r.client_cpu / max(r.seconds, 1e-9) for r in results.values())
        table.note(f"{backend}: the load generator used at most {cpu:.0%} of one core")
        if backend == "postgres":
            single = {"allot": results[("allot", 16)], "floor": results[("floor", 16)]}
    if single:
        _workers(ctx, table, single)
    return table


def _workers(ctx: Context, table: Table, single: dict[str, Result]) -> None:
    """16 clients on PostgreSQL with 2 (and 4) uvicorn workers; 1 worker is the row above."""
    for workers in (2,) if ctx.quick else (2, 4):
        results = _spends(ctx, "postgres", [16], workers)
        mine, base = results[("allot", 16)], results[("floor", 16)]
        work = f"recordSpend, 16 clients (postgres, {workers} workers)"
        table.add(work, rps(mine), rps(base), "—", ratio(base.rps, mine.rps))
        table.add(
            f"  scaling: {workers} workers ÷ 1 worker (16 clients, postgres)",
            f"{mine.rps / single['allot'].rps:.2f}×",
            f"{base.rps / single['floor'].rps:.2f}×",
        )


OPERATIONS = [
    ("authorizeSpend", AUTHORIZE, "/authorize", "1"),
    ("reserveSpend", RESERVE, "/reserve", "0.01"),
]


def spend_checks(ctx: Context) -> Table:
    table = Table(
        "4b. authorizeSpend and reserveSpend over HTTP, 16 clients, 1 worker",
        "figures only (no target in the issue)",
        "as recordSpend; authorize 1.00 on each project in turn, reserve 0.01 for an hour;"
        " ratio = floor req/s ÷ Allot req/s",
    )
    requests, seconds = _budget(ctx)
    for backend in ctx.backends:
        a_ds, f_ds = ctx.dataset(backend, 1000, 20_000), ctx.dataset(backend, 1000, 20_000)
        with allot(a_ds) as a, floor(f_ds) as f:
            for name, query, path, amount in OPERATIONS:
                text = body(query, p="@P@", a=amount)
                specs = {
                    "allot": load_spec(f"{a.url}/graphql", text, a_ds, 16, requests, seconds),
                    "floor": load_spec(f"{f.url}{path}", text, f_ds, 16, requests, seconds),
                }
                got = interleave(specs, ctx.rounds)
                mine, base = got["allot"], got["floor"]
                work = f"{name}, 16 clients ({backend})"
                table.add(work, rps(mine), rps(base), "—", ratio(base.rps, mine.rps))
    return table
