"""/metrics through prometheus_client: requests per route and per GraphQL operation, period
closes and import rows where the work happens, the outbox backlog and its oldest event read at
scrape time; bounded labels; the multiprocess set-up for several workers (its end-to-end test
on PostgreSQL is test_workers_postgres.py).

Counters are process-wide, so each test compares a value before and after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app import clock, metrics
from app.ingest.rows import CostRow, RejectedRow
from app.models import BudgetPeriod, OutboxEvent
from app.server import create_app
from app.services import allocations, budgets, imports, periods, routing
from app.services.events import emit
from app.settings import Settings

TOKEN = "m3trics"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def client(admin: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(metrics_token=TOKEN), init_database=False, workers=[])
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {admin[2]}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://allot.test", headers=headers
    ) as c:
        yield c


async def scrape(client: httpx.AsyncClient) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return found


async def test_requests_are_counted_per_route_template_and_status(
    client: httpx.AsyncClient,
) -> None:
    healthz = {"route": "/healthz", "method": "GET", "status": "200"}
    report = {"route": "/reports/{budget_id}/{file}", "method": "GET", "status": "404"}
    nowhere = {"route": "unmatched", "method": "GET", "status": "404"}
    before = [
        sample("allot_http_requests_total", **labels) for labels in (healthz, report, nowhere)
    ]
    timed = sample("allot_http_request_duration_seconds_count", route="/healthz", method="GET")
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/reports/bud_424242/spend.csv")).status_code == 404
    assert (await client.get("/reports/bud_525252/spend.csv")).status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404
    after = [sample("allot_http_requests_total", **labels) for labels in (healthz, report, nowhere)]
    # Two budgets, one label: the route template, never the raw path.
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 2, 1]
    assert (
        sample("allot_http_request_duration_seconds_count", route="/healthz", method="GET")
        == timed + 3
    )
    # And /metrics shows them.
    found = await scrape(client)
    key = tuple(sorted(healthz.items()))
    assert found["allot_http_requests_total"][key] >= 3


async def test_graphql_operations_are_counted_by_name_or_root_fields(
    client: httpx.AsyncClient,
) -> None:
    def ops(operation: str, kind: str, outcome: str) -> float:
        return sample(
            "allot_graphql_operations_total", operation=operation, type=kind, outcome=outcome
        )

    create = 'mutation { createProject(input: {name: "P"}) { __typename } }'
    cases = [
        ({"query": "query Viewer { viewer { name } }"}, ("Viewer", "query", "ok")),
        ({"query": "{ budgets(first: 1) { totalCount } viewer { id } }"},
         ("budgets,viewer", "query", "ok")),
        ({"query": create}, ("createProject", "mutation", "ok")),
        ({"query": "{ noSuchField }"}, ("anonymous", "query", "rejected")),
        ({"query": "query Broken { noSuchField }"}, ("Broken", "query", "rejected")),
        ({"query": "{"}, ("anonymous", "unknown", "rejected")),
    ]  # fmt: skip
    before = [ops(*labels) for _, labels in cases]
    for body, _ in cases:
        assert (await client.post("/graphql", json=body)).status_code == 200
    after = [ops(*labels) for _, labels in cases]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1] * len(cases)
    assert (
        sample("allot_graphql_operation_duration_seconds_count", operation="Viewer", type="query")
        >= 1
    )


def test_operation_labels_are_bounded() -> None:
    bounded = metrics._Bounded(3)
    assert [bounded(n) for n in ("A", "B", "C", "D", "A", "E")] == [
        "A",
        "B",
        "C",
        "other",
        "A",
        "other",
    ]
    assert metrics.operation_label("x" * 65) == "other"
    assert metrics.operation_label("not a name") == "other"
    fields = ["e", "d", "c", "b", "a"]
    assert metrics.operation_label(None, fields) == "a,b,c,…"
    assert metrics.operation_label(None, []) == "anonymous"
    assert metrics.method_label("BREW") == "other"


async def test_period_closes_and_import_rows_are_counted_where_the_work_happens(
    admin: Any,
) -> None:
    _, actor, _ = admin
    budget = await budgets.create_budget(
        actor, name="Ops", amount="1000", period_kind="MONTHLY", start_date=date(2026, 3, 1)
    )
    project = await budgets.create_project(actor, name="Genomics")
    await allocations.allocate(actor, budget_id=budget.id, project_id=project.id, amount="400")

    by_owner = sample("allot_period_closes_total", by="owner")
    by_scheduler = sample("allot_period_closes_total", by="scheduler")
    await periods.close_period(actor, budget.id)  # early, by an owner
    following = await BudgetPeriod.get(budget_id=budget.id, status="OPEN")
    after_its_end = datetime.combine(following.end_date + timedelta(days=2), time(), UTC)
    closed = await periods.close_due_periods(after_its_end)  # the scheduler's close
    assert len(closed) == 1
    assert sample("allot_period_closes_total", by="owner") == by_owner + 1
    assert sample("allot_period_closes_total", by="scheduler") == by_scheduler + 1

    await routing.create_rule(
        actor, match="tag", key="project", value="genomics", project_id=project.id
    )

    def row(line: int, amount: int, tags: dict[str, str]) -> CostRow:
        when = datetime(2026, 3, 10, tzinfo=UTC)
        return CostRow(f"r{line}", when, amount, str(amount), "USD", "aws-ec2", None, None,
                       tags, None, None, None, None, None, line)  # fmt: skip

    rows = [
        row(1, 5_000_000, {"project": "genomics"}),
        row(2, 7_000_000, {"project": "genomics"}),
        row(3, 1_000_000, {"project": "nobody"}),
        row(4, 0, {"project": "genomics"}),
        RejectedRow(5, "has no amount"),
    ]
    outcomes = ("recorded", "duplicate", "unassigned", "zero", "rejected")
    before = {o: sample("allot_import_rows_total", outcome=o) for o in outcomes}
    await imports.import_rows(actor, rows, source="focus", dry_run=True)  # counts nothing
    assert {o: sample("allot_import_rows_total", outcome=o) for o in outcomes} == before
    summary = await imports.import_rows(actor, rows, source="focus")
    again = await imports.import_rows(actor, rows[:2], source="focus")
    assert (summary.recorded, again.duplicates) == (2, 2)
    gained = {o: sample("allot_import_rows_total", outcome=o) - before[o] for o in outcomes}
    assert gained == {"recorded": 2, "duplicate": 2, "unassigned": 1, "zero": 1, "rejected": 1}


async def test_the_outbox_backlog_and_its_oldest_event_are_read_at_scrape_time(
    client: httpx.AsyncClient, fixed_clock: list[datetime]
) -> None:
    found = await scrape(client)
    assert found["allot_outbox_undelivered"][()] == 0
    assert found["allot_outbox_oldest_undelivered_age_seconds"][()] == 0
    await emit("spend.recorded", {"n": 1})
    await emit("spend.recorded", {"n": 2})
    oldest = await OutboxEvent.all().order_by("id").first()
    assert oldest is not None
    await OutboxEvent.filter(id=oldest.id).update(created_at=fixed_clock[0] - timedelta(minutes=5))
    found = await scrape(client)
    assert found["allot_outbox_undelivered"][()] == 2
    assert found["allot_outbox_oldest_undelivered_age_seconds"][()] == 300
    await OutboxEvent.filter(id=oldest.id).update(delivered_at=clock.now())
    found = await scrape(client)
    assert found["allot_outbox_undelivered"][()] == 1
    assert found["allot_outbox_oldest_undelivered_age_seconds"][()] < 300
    assert found["allot_budgets"][()] == 0 and "allot_transfers_pending" in found


def test_several_workers_share_one_emptied_directory(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert metrics.prepare_multiprocess(1, environ) is None and environ == {}
    made = metrics.prepare_multiprocess(2, environ)
    assert made is not None and made.is_dir() and not list(made.iterdir())
    assert environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
    # A directory given is used, emptied of the last run's files (prometheus_client's rule).
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"stale")
    (given / "notes.txt").write_text("kept")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(given)}
    assert metrics.prepare_multiprocess(1, environ) == given
    assert sorted(p.name for p in given.iterdir()) == ["notes.txt"]
