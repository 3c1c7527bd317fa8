"""Prometheus metrics (prometheus_client): what /metrics shows, behind ALLOT_METRICS_TOKEN.

Counted where the work happens (app.observe for HTTP and GraphQL, app.services for periods and
imports); the figures that live in the database (outbox backlog, budgets, pending transfers)
are read when /metrics is scraped (app.services.stats), not kept in memory.

Several processes (`allot serve --workers N`, on PostgreSQL): uvicorn's workers share one port,
so a scrape reaches whichever worker accepts it. Per-process registries would make every
scrape show one worker's counters, and counters would jump between scrapes. So with several
workers, counters and histograms go through prometheus_client's multiprocess mode: every
process writes its own files in PROMETHEUS_MULTIPROC_DIR and each scrape adds them up, so any
worker answers for all of them (a worker that stopped still counts: counters never go back).
`prepare_multiprocess(workers)` sets that up before uvicorn starts the workers (`allot serve`
calls it; under plain `uvicorn --workers`, set PROMETHEUS_MULTIPROC_DIR to an empty directory
yourself). One process keeps the default in-memory registry, with the process_* metrics.

Label values are bounded: routes are the router's templates (`/reports/{budget_id}/{file}`),
never raw paths; an operation is its name, or its root fields when it has none, and at most
`MAX_OPERATIONS` distinct ones per process are kept before the rest count as "other" (an
operation name is the client's choice).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

#: No `*_created` series beside each counter and histogram: half the series, and Prometheus
#: reads resets from the counters themselves.
disable_created_metrics()

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Distinct operation labels one process keeps before counting the rest as OTHER.
MAX_OPERATIONS = 200
OTHER = "other"

#: Request latencies: 5 ms to 30 s (a dashboard query is ~10 ms, a 10,000-spend batch seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "allot_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "allot_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_OPERATIONS = Counter(
    "allot_graphql_operations",
    "GraphQL operations, by operation (its name, or its root fields), type and outcome"
    " (ok; error: executed with field errors; rejected: did not parse, validate or coerce).",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "allot_graphql_operation_duration_seconds",
    "Time to parse, validate and execute a GraphQL query or mutation, by operation and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
PERIOD_CLOSES = Counter(
    "allot_period_closes",
    "Budget periods closed, by who closed them (the scheduler, or an owner's closePeriod).",
    ["by"],
)
IMPORT_ROWS = Counter(
    "allot_import_rows",
    "Rows of cost exports imported (not dry runs), by outcome.",
    ["outcome"],
)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


class _Bounded:
    """The first `limit` distinct values pass; later new ones become OTHER."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return value
        with self.lock:
            if value in self.seen:
                return value
            if len(self.seen) >= self.limit:
                return OTHER
            self.seen.add(value)
            return value


_operations = _Bounded(MAX_OPERATIONS)


def operation_label(name: str | None, root_fields: Iterable[str] = ()) -> str:
    """The operation's name, or its root fields sorted and joined with `,` (at most three,
    then `,…`), or "anonymous"; bounded per process."""
    if name:
        return _operations(name) if isinstance(name, str) and _NAME.fullmatch(name) else OTHER
    fields = sorted(set(root_fields))
    if not fields:
        return "anonymous"
    label = ",".join(fields[:3]) + (",…" if len(fields) > 3 else "")
    return _operations(label)


def method_label(method: str) -> str:
    return method if method in HTTP_METHODS else OTHER


def observe_http(route: str, method: str, status: int, seconds: float) -> None:
    method = method_label(method)
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method).observe(seconds)


def observe_operation(label: str, kind: str, outcome: str, seconds: float | None) -> None:
    GRAPHQL_OPERATIONS.labels(label, kind, outcome).inc()
    if seconds is not None:
        GRAPHQL_DURATION.labels(label, kind).observe(seconds)


def count_period_close(by_scheduler: bool) -> None:
    PERIOD_CLOSES.labels("scheduler" if by_scheduler else "owner").inc()


class ImportCounts(Protocol):
    dry_run: bool
    recorded: int
    duplicates: int
    unassigned: int
    already_unassigned: int
    skipped_zero: int
    rejected: int


def count_import(summary: ImportCounts) -> None:
    """Count an import's rows by outcome (app.services.imports.ImportSummary)."""
    if summary.dry_run:
        return
    for outcome, rows in (
        ("recorded", summary.recorded),
        ("duplicate", summary.duplicates),
        ("unassigned", summary.unassigned + summary.already_unassigned),
        ("zero", summary.skipped_zero),
        ("rejected", summary.rejected),
    ):
        if rows:
            IMPORT_ROWS.labels(outcome).inc(rows)


# --- several processes ----------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess(
    workers: int, environ: MutableMapping[str, str] | None = None
) -> Path | None:
    """Before uvicorn starts `workers` processes (they inherit `environ`): give them one empty
    directory to count in. An existing PROMETHEUS_MULTIPROC_DIR is emptied of the last run's
    files (prometheus_client requires it); otherwise a temporary one is made, and removed when
    this process exits. One worker needs nothing (returns None)."""
    environ = os.environ if environ is None else environ
    configured = environ.get(MULTIPROC_ENV)
    if workers <= 1 and not configured:
        return None
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix="allot-metrics-"))
    environ[MULTIPROC_ENV] = str(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def process_stopped(pid: int | None = None) -> None:
    """A worker is stopping: drop its live gauges from the shared directory (its counters
    stay, they are totals)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


# --- exposition -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gauge:
    """A value read at scrape time (app.services.stats)."""

    name: str
    help: str
    value: float
    #: (label, value) pairs; gauges of one name with different labels are one family.
    labels: tuple[tuple[str, str], ...] = ()


class _Gauges:
    def __init__(self, gauges: Iterable[Gauge]) -> None:
        self.gauges = list(gauges)

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for gauge in self.gauges:
            if not gauge.labels:
                yield GaugeMetricFamily(gauge.name, gauge.help, value=gauge.value)
                continue
            family = families.get(gauge.name)
            if family is None:
                family = GaugeMetricFamily(
                    gauge.name, gauge.help, labels=[k for k, _ in gauge.labels]
                )
                families[gauge.name] = family
            family.add_metric([v for _, v in gauge.labels], gauge.value)
        yield from families.values()


class _Forward:
    """This process's default registry, as one collector of the scrape's registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(gauges: Iterable[Gauge], accept: str | None = None) -> tuple[bytes, str]:
    """The body and content type of a scrape: every process's counters and histograms (or
    this one's), and the gauges read for this scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward())  # type: ignore[arg-type]
    registry.register(_Gauges(gauges))  # type: ignore[arg-type]
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


# --- outbox deliveries (issue #14) ----------------------------------------------------------

DELIVERIES = Counter(
    "allot_deliveries",
    "Outbox deliveries by channel (SLACK_DM, SLACK_CHANNEL, SLACK_UPDATE, EMAIL, WEBHOOK, SINK)"
    " and outcome: delivered, reconciled (an earlier try had landed: not sent again), failed"
    " (retried later) or dead (given up: see `deliveries(state: DEAD)`).",
    ["channel", "outcome"],
)


def count_delivery(channel: str, outcome: str) -> None:
    DELIVERIES.labels(channel, outcome).inc()
