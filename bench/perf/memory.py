"""Goal 6: server memory after the dashboard query at 10,000 allocations (1,000 with --quick).

A fresh server (one uvicorn process) is started on the dataset; its resident set is read from
/proc/<pid>/status when idle, then the dashboard query is answered three times (plus one
warm-up) and VmRSS (resident now) and VmHWM (the peak resident set of the process's life) are
read again. The same for the floor. Ratio = Allot ÷ floor, on the RSS after the queries.
"""

from __future__ import annotations

from bench.perf._report import Table
from bench.perf._run import Context, allot, floor, latency, ratio, rss_kb
from bench.perf.queries import read_body


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def memory(ctx: Context) -> Table:
    n = 1000 if ctx.quick else 10_000
    table = Table(
        f"6. Server memory, dashboard at {n:,} allocations",
        "Allot's RSS within 2× the floor's",
        "VmRSS / VmHWM of the uvicorn process from /proc: idle, after 4 dashboard queries;"
        " ratio = Allot ÷ floor",
    )
    for backend in ctx.backends:
        ds = ctx.dataset(backend, n, 20 * n)
        body = read_body(ds.budget_id, n, full=True)
        figures = {}
        for target, path in (("allot", "/graphql"), ("floor", "/dashboard")):
            with allot(ds) if target == "allot" else floor(ds) as server:
                idle = rss_kb(server.pid)[0]
                result = latency(f"{server.url}{path}", body, ds.token, requests=3, seconds=600)
                after, peak = rss_kb(server.pid)
                figures[target] = (idle, after, peak, result.errors)
        for label, index in (("idle", 0), ("after the queries", 1), ("peak (VmHWM)", 2)):
            a, f = figures["allot"][index], figures["floor"][index]
            table.add(f"RSS {label} ({backend})", _mb(a), _mb(f), "—", ratio(a, f))
        if figures["allot"][3] or figures["floor"][3]:
            table.note(f"{backend}: some dashboard requests failed")
    return table
