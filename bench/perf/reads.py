"""Goals 1 and 2: the per-allocation list and the full dashboard, Allot vs floor (vs peer).

Each figure is the latency of one request at a time over HTTP (the load generator with one
client, after a warm-up request): the median, with p10–p90. The servers run side by side and
are measured in interleaved rounds. Allot answers the GraphQL query at /graphql, the floor the
same body at /list or /dashboard with the same JSON (checked: the notes say whether the parsed
answers are identical), PostGraphile its own query for the same rows (checked by counting the
allocations it returned). Datasets: N allocations with 20 × N spends for the list; 1,000
allocations with 200,000 spends for the dashboard (20,000 with --quick).
"""

from __future__ import annotations

from contextlib import ExitStack

from bench.perf import _peer
from bench.perf._data import Dataset
from bench.perf._load import Spec
from bench.perf._report import Table
from bench.perf._run import Context, allot, floor, interleave, latency_spec, ms, ratio, same_json
from bench.perf.queries import read_body


def _spec(ctx: Context, url: str, body: str, token: str) -> Spec:
    requests, seconds = (8, 8.0) if ctx.quick else (30, 30.0)
    return latency_spec(url, body, token, requests=requests, seconds=seconds)


def _peer_spec(ctx: Context, stack: ExitStack, ds: Dataset, table: Table) -> Spec | None:
    try:
        url = stack.enter_context(_peer.postgraphile(ds.url))
        query = _peer.list_query(url)
    except _peer.PeerUnavailable as exc:
        table.note(f"PostGraphile skipped: {exc}")
        return None
    if not any("PostGraphile query" in n for n in table.notes):
        table.note(f"PostGraphile query: {query}")
    return _spec(ctx, url, _peer.list_body(query, ds.budget_id), "")


def per_allocation_list(ctx: Context) -> Table:
    table = Table(
        "1. Per-allocation list (budget totals; id, amount, spent, project name per allocation)",
        "Allot faster than PostGraphile on PostgreSQL; Allot ≤ 3× floor on SQLite",
        "one request at a time over HTTP, interleaved rounds; median (p10–p90) of n requests;"
        " ratio = Allot ÷ other",
    )
    for backend in ctx.backends:
        for n in [1000] if ctx.quick else [1000, 10_000]:
            ds = ctx.dataset(backend, n, 20 * n)
            body = read_body(ds.budget_id, n, full=False)
            with ExitStack() as stack:
                a, f = stack.enter_context(allot(ds)), stack.enter_context(floor(ds))
                specs = {
                    "allot": _spec(ctx, f"{a.url}/graphql", body, ds.token),
                    "floor": _spec(ctx, f"{f.url}/list", body, ds.token),
                }
                peer = _peer_spec(ctx, stack, ds, table) if backend == "postgres" else None
                if peer is not None:
                    specs["peer"] = peer
                got = interleave(specs, ctx.rounds)
            mine, base, other = got["allot"], got["floor"], got.get("peer")
            cells = [ratio(mine.pct(50), base.pct(50))]
            if other is not None:
                cells.append(ratio(mine.pct(50), other.pct(50), "peer"))
                listed = _peer.count_nodes(other.sample) if other.sample else 0
                if listed != n:
                    table.note(f"PostGraphile listed {listed} allocations, not {n}")
            peer_cell = ms(other) if backend == "postgres" else "—"
            work = f"list, {n:,} allocations ({backend})"
            table.add(work, ms(mine), ms(base), peer_cell, ", ".join(cells))
            if not same_json(mine, base):
                table.note(f"{backend} {n:,}: the floor's JSON DIFFERS from Allot's")
    if ctx.cluster is None:
        table.note("PostgreSQL and the peer were not measured (run with --pg)")
    return table


def dashboard_pair(ctx: Context, backend: str, allocations: int, spends: int) -> tuple:
    """(Allot, floor) latency of bench.dashboard.DASHBOARD with `first: allocations`, measured
    once per run and size (goal 5 shows some of goal 2's sizes again)."""
    key = ("dashboard", backend, allocations, spends)
    if key not in ctx.memo:
        ds = ctx.dataset(backend, allocations, spends)
        body = read_body(ds.budget_id, allocations, full=True)
        with allot(ds) as a, floor(ds) as f:
            got = interleave(
                {
                    "allot": _spec(ctx, f"{a.url}/graphql", body, ds.token),
                    "floor": _spec(ctx, f"{f.url}/dashboard", body, ds.token),
                },
                ctx.rounds,
            )
        ctx.memo[key] = (got["allot"], got["floor"])
    return ctx.memo[key]  # type: ignore[return-value]


def full_dashboard(ctx: Context) -> Table:
    spends = 20_000 if ctx.quick else 200_000
    table = Table(
        f"2. Full dashboard (bench.dashboard.DASHBOARD), 1,000 allocations, {spends:,} spends",
        "Allot ≤ 3× floor (raw SQL + app.domain computing the same figures)",
        "one request at a time over HTTP, interleaved rounds; median (p10–p90);"
        " ratio = Allot ÷ floor",
    )
    for backend in ctx.backends:
        mine, base = dashboard_pair(ctx, backend, 1000, spends)
        work = f"dashboard, 1,000 allocations ({backend})"
        table.add(work, ms(mine), ms(base), "—", ratio(mine.pct(50), base.pct(50)))
        same = "identical to" if same_json(mine, base) else "DIFFERS from"
        table.note(f"{backend}: the floor's JSON is {same} Allot's")
    return table
