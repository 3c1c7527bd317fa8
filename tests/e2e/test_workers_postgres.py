"""Two uvicorn workers on one PostgreSQL database, started as `allot serve --workers 2` starts
them (uvicorn's supervisor; PROMETHEUS_MULTIPROC_DIR set up by app.metrics.prepare_multiprocess),
with the background workers running in both: /readyz answers from two different pids, a
mutation made through one worker is read back through the other, /metrics counts the requests
of both whichever worker answers the scrape, and SIGTERM stops everything cleanly.

A connection is served by one worker for its whole life (keep-alive), so a client held open
after /readyz named its pid talks to that worker. The loops are bounded in count; the only
time limits are upper bounds against a hang."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from running import environment, migrate_with_admin, start

from app import metrics

pytestmark = pytest.mark.postgres

METRICS_TOKEN = "m3trics"
ATTEMPTS = 400  # new connections tried before giving up on meeting the second worker
CREATE = """mutation($name: String!) { createProject(input: {name: $name}) { __typename
  ... on ProjectCreated { project { id name } } ... on Error { code message } } }"""
READ = "query($id: ID!) { node(id: $id) { ... on Project { id name } } }"


def readyz(client: httpx.Client) -> int:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checks"] == {"database": "ok", "migrations": "ok", "writable": "ok"}
    return int(body["pid"])


def test_two_workers_share_the_database_and_the_counters(
    pg_database_url: str, tmp_path: Path
) -> None:
    env = environment(pg_database_url, ALLOT_RUN_WORKERS="true", ALLOT_METRICS_TOKEN=METRICS_TOKEN)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    assert metrics.prepare_multiprocess(2, env) == tmp_path / "metrics"
    token = migrate_with_admin(env)
    server = start(env, tmp_path / "serve.log", workers=2)
    ready_answers = 0  # every 200 of /readyz this test gets: what /metrics must add up to
    bound: dict[int, httpx.Client] = {}  # a kept-alive connection per worker pid
    try:
        deadline = time.monotonic() + 90  # start-up of two workers: a bound against a hang
        for _ in range(ATTEMPTS):
            assert server.proc.poll() is None, server.output()
            client = httpx.Client(base_url=server.url, timeout=10)
            try:
                pid = readyz(client)
            except (httpx.TransportError, AssertionError):
                client.close()
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.2)  # not up yet (or one worker still starting)
                continue
            ready_answers += 1
            if pid in bound:
                client.close()
            else:
                bound[pid] = client
            if len(bound) == 2:
                break
        assert len(bound) == 2, f"one worker answered {ATTEMPTS} times:\n{server.output()}"
        (pid_a, a), (pid_b, b) = bound.items()
        assert server.proc.pid not in bound  # the workers answer, not the supervisor

        auth = {"Authorization": f"Bearer {token}"}
        made = a.post(
            "/graphql",
            json={"query": CREATE, "variables": {"name": "Across workers"}},
            headers=auth,
        ).json()
        project = made["data"]["createProject"]["project"]
        assert readyz(a) == pid_a  # the mutation went through worker A
        read = b.post(
            "/graphql", json={"query": READ, "variables": {"id": project["id"]}}, headers=auth
        ).json()
        assert read == {"data": {"node": project}}
        assert readyz(b) == pid_b  # and was read back through worker B
        ready_answers += 2

        # Whichever worker answers the scrape, it counts both workers' requests.
        scraped = httpx.get(
            f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert scraped.status_code == 200, scraped.text
        counted = {
            (s.labels.get("route"), s.labels.get("status")): s.value
            for family in text_string_to_metric_families(scraped.text)
            for s in family.samples
            if s.name == "allot_http_requests_total" and s.labels.get("method") == "GET"
        }
        assert counted[("/readyz", "200")] == ready_answers
        graphql = sum(v for (route, _), v in counted.items() if route == "/graphql")
        assert graphql == 0  # POSTs only: counted under method POST
    finally:
        for client in bound.values():
            client.close()
        code = server.stop()
    output = server.output()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert output.count("Application shutdown complete.") == 2, output
