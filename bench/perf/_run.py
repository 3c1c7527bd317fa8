"""Running the three servers and measuring them: shared by every goal's module.

Allot is `uvicorn app.main:create --factory` (bench/_server.py) with background workers off and
the read limits raised so one query may list 10,000 allocations (ALLOT_MAX_PAGE_SIZE=10000,
ALLOT_MAX_QUERY_COST=10^9: the dashboard at 10,000 allocations is estimated at ~200,000). The
floor is `uvicorn bench.perf.floor_app:create --factory` on the same database. Latency is
measured with one client in closed loop, throughput with C clients, always by the load
generator process (bench/perf/_load.py); what is compared runs interleaved in rounds
(`interleave`), every server up at once (an idle one costs no CPU).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench._server import Server, serving
from bench.perf._data import Dataset, Datasets
from bench.perf._load import Result, Spec, run
from bench.perf._pg import Cluster, StatementLog

ALLOT_ENV = {
    "ALLOT_RUN_WORKERS": "false",
    "ALLOT_MAX_PAGE_SIZE": "10000",
    "ALLOT_MAX_QUERY_COST": str(10**9),
}
FLOOR_APP = "bench.perf.floor_app:create"


@dataclass
class Context:
    """What every goal gets: the mode, the datasets, PostgreSQL if asked for."""

    quick: bool
    data: Datasets
    cluster: Cluster | None
    log: StatementLog | None
    #: Figures measured once and shown by several goals (the dashboard at one size).
    memo: dict[object, object] = field(default_factory=dict)

    @property
    def rounds(self) -> int:
        """How many interleaved rounds each comparison runs (see `interleave`)."""
        return 2 if self.quick else 3

    @property
    def backends(self) -> list[str]:
        return ["sqlite", "postgres"] if self.cluster is not None else ["sqlite"]

    def dataset(self, backend: str, allocations: int, spends: int, **kw: bool) -> Dataset:
        if backend == "sqlite":
            return self.data.sqlite(allocations, spends)
        return self.data.postgres(allocations, spends, **kw)


@contextmanager
def allot(ds: Dataset, workers: int = 1) -> Iterator[Server]:
    env = {**ALLOT_ENV, "ALLOT_DATABASE_URL": ds.url}
    with serving(workers=workers, env=env) as server:
        yield server


@contextmanager
def floor(ds: Dataset, workers: int = 1) -> Iterator[Server]:
    with serving(FLOOR_APP, workers=workers, env={"ALLOT_DATABASE_URL": ds.url}) as server:
        yield server


def _merge(parts: list[Result]) -> Result:
    return Result(
        requests=sum(p.requests for p in parts),
        errors=sum(p.errors for p in parts),
        seconds=sum(p.seconds for p in parts),
        latencies_ms=[x for p in parts for x in p.latencies_ms],
        client_cpu=sum(p.client_cpu for p in parts),
        sample=next((p.sample for p in parts if p.sample), ""),
        error_sample=next((p.error_sample for p in parts if p.error_sample), ""),
    )


def interleave(specs: dict[str, Spec], rounds: int) -> dict[str, Result]:
    """Run every spec once per round, in turn (A B C, A B C, …), and merge each one's rounds:
    the shared machine's background load then falls on all of them alike. Each round takes
    1/rounds of the spec's requests and seconds; warm-up runs in the first round only, and
    its requests (@N@) are numbered on from the last round's so externalIds stay unique."""
    parts: dict[str, list[Result]] = {name: [] for name in specs}
    for n in range(rounds):
        for name, spec in specs.items():
            part = Spec(**{**spec.__dict__})
            part.requests = max(1, spec.requests // rounds)
            part.max_seconds = spec.max_seconds / rounds
            part.min_requests = max(1, spec.min_requests // rounds)
            part.warmup = spec.warmup if n == 0 or spec.clients > 1 else 0
            part.start_at = spec.start_at + n * 10_000_000
            result = run(part)
            if result.errors:
                print(f"  ({name}: {result.errors} errors, e.g. {result.error_sample[:300]})")
            parts[name].append(result)
    return {name: _merge(results) for name, results in parts.items()}


def latency_spec(url: str, body: str, token: str, *, requests: int, seconds: float) -> Spec:
    """One client, one request at a time: `requests` (at most `seconds`, at least 3)."""
    spec = Spec(url=url, body=body, token=token, clients=1, requests=requests, warmup=1)
    spec.max_seconds, spec.expect = seconds, '"data"'
    return spec


def latency(url: str, body: str, token: str, *, requests: int, seconds: float) -> Result:
    return run(latency_spec(url, body, token, requests=requests, seconds=seconds))


def load_spec(
    url: str, body: str, ds: Dataset, clients: int, requests: int, seconds: float
) -> Spec:
    """`clients` closed-loop clients on the dataset's projects, in turn (see _load.py)."""
    spec = Spec(url=url, body=body, token=ds.token, clients=clients, requests=requests)
    spec.warmup, spec.max_seconds, spec.projects = max(20, 2 * clients), seconds, ds.project_ids
    spec.expect, spec.min_requests = '"data"', clients
    return spec


def ms(r: Result | None) -> str:
    """Latency cell: median (p10–p90) in ms, and the number of requests."""
    if r is None or not r.requests:
        return "—"
    errors = f", {r.errors} ERRORS" if r.errors else ""
    return f"{r.pct(50):,.1f} ms ({r.pct(10):,.0f}–{r.pct(90):,.0f}, n={r.requests}{errors})"


def rps(r: Result | None) -> str:
    """Throughput cell: requests/s with p50/p99 latency."""
    if r is None or not r.requests:
        return "—"
    errors = f", {r.errors} ERRORS" if r.errors else ""
    return f"{r.rps:,.0f} req/s (p50 {r.pct(50):,.0f} / p99 {r.pct(99):,.0f} ms{errors})"


def ratio(slow: float | None, fast: float | None, label: str = "floor") -> str:
    if not slow or not fast or math.isnan(slow) or math.isnan(fast):
        return ""
    return f"{slow / fast:,.1f}× {label}"


def same_json(a: Result, b: Result, ignore: tuple[str, ...] = ()) -> bool:
    """Did both answer the same thing (parsed JSON, `ignore` keys dropped everywhere)?"""

    def clean(value: object) -> object:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in ignore}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    try:
        return clean(json.loads(a.sample)) == clean(json.loads(b.sample))
    except ValueError:
        return False


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)
