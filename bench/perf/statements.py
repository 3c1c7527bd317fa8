"""Goal 3: SQL statements per request, from PostgreSQL's own statement log.

For N = 10, 100, 1,000 allocations (20 × N spends) a database is copied with
`log_statement = 'all'`; Allot and then the floor serve it; after one warm-up of each request
(pools open, asyncpg's type introspection done), each request is sent once between two marker
queries and every statement the server's connections sent in between is counted
(bench/perf/_pg.py). A cell reads `total (resets, txn)`: resets are asyncpg's pool reset
(`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), txn BEGIN/COMMIT/SAVEPOINT…;
both are included in the total. The figures must not grow with N.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bench.perf._data import Dataset
from bench.perf._pg import StatementCount, StatementLog
from bench.perf._report import Table
from bench.perf._run import Context, allot, floor
from bench.perf.queries import AUTHORIZE, RECORD, RESERVE, body, read_body

#: (name, Allot's request, the floor's path)
REQUESTS: list[tuple[str, Callable[[Dataset, int], str], str]] = [
    ("dashboard", lambda ds, i: read_body(ds.budget_id, ds.allocations, full=True), "/dashboard"),
    ("list", lambda ds, i: read_body(ds.budget_id, ds.allocations, full=False), "/list"),
    (
        "recordSpend",
        lambda ds, i: body(RECORD, p=ds.project_ids[0], a="0.01", x=f"st-{i}"),
        "/spend",
    ),
    ("authorizeSpend", lambda ds, i: body(AUTHORIZE, p=ds.project_ids[0], a="1"), "/authorize"),
    ("reserveSpend", lambda ds, i: body(RESERVE, p=ds.project_ids[0], a="0.01"), "/reserve"),
]
GOALS = {"dashboard": "≤ 10", "recordSpend": "≤ 6"}


def _counts(
    log: StatementLog, ds: Dataset, url_for: Callable[[str], str]
) -> dict[str, StatementCount]:
    headers = {"Authorization": f"Bearer {ds.token}", "Content-Type": "application/json"}
    out: dict[str, StatementCount] = {}
    with httpx.Client(headers=headers, timeout=120) as client:

        def send(name: str, path: str, text: str) -> None:
            response = client.post(url_for(path), content=text)
            if response.status_code != 200 or '"errors"' in response.text:
                raise RuntimeError(f"{name} failed: {response.text[:300]}")

        for n, (name, make, path) in enumerate(REQUESTS):
            send(name, path, make(ds, 2 * n))  # warm-up: connections opened, statements prepared
            second = make(ds, 2 * n + 1)
            out[name] = log.count(ds.url, lambda n=name, p=path, t=second: send(n, p, t))
    return out


def _at(root: str, *, graphql: bool) -> Callable[[str], str]:
    """Allot takes every request at /graphql; the floor at its own path."""
    return lambda path: f"{root}/graphql" if graphql else f"{root}{path}"


def statements(ctx: Context) -> Table:
    table = Table(
        "3. SQL statements per request (PostgreSQL statement log)",
        "dashboard ≤ 10 and recordSpend ≤ 6, none of them connection resets; constant in N",
        "log_statement=all on a copy of the database, statements counted between two markers;"
        " cell = total (resets, BEGIN/COMMIT); ratio = Allot total ÷ floor total",
    )
    if ctx.log is None:
        table.note("not measured: counting reads PostgreSQL's log (run with --pg)")
        return table
    for n in (10, 100) if ctx.quick else (10, 100, 1000):
        ds = ctx.dataset("postgres", n, 20 * n, logged=True)
        with allot(ds) as a:
            mine = _counts(ctx.log, ds, _at(a.url, graphql=True))
        ds = ctx.dataset("postgres", n, 20 * n, logged=True)  # the floor gets its own copy
        with floor(ds) as f:
            base = _counts(ctx.log, ds, _at(f.url, graphql=False))
        for name, *_ in REQUESTS:
            goal = GOALS.get(name)
            table.add(
                f"{name}, {n:,} allocations" + (f" (goal {goal})" if goal else ""),
                str(mine[name]),
                str(base[name]),
                "—",
                f"{mine[name].total / base[name].total:.1f}× floor",
            )
    return table
