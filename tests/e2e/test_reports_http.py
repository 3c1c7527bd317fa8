"""Report downloads over HTTP from a real server: `GET /reports/{budget}/{report}.{fmt}`."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import httpx
from live import LiveServer, allot

CREATE_BUDGET = """mutation { createBudget(input: {name: "NSF Grant", amount: "1000",
  periodKind: GRANT, startDate: "2025-01-01", endDate: "2035-12-31"}) {
  __typename ... on BudgetCreated { budget { id } } ... on Error { code message } } }"""
CREATE_PROJECT = """mutation($name: String!) { createProject(input: {name: $name}) {
  __typename ... on ProjectCreated { project { id slug } } ... on Error { message } } }"""
ALLOCATE = """mutation($b: ID!, $p: ID!, $amount: Decimal!) { allocate(input: {budgetId: $b,
  projectId: $p, amount: $amount}) { __typename ... on Error { code message } } }"""
SPEND = """mutation($b: ID!, $p: ID!, $amount: Decimal!) { recordSpend(input: {budgetId: $b,
  projectId: $p, amount: $amount, service: "aws-ec2", description: "GPU, \\"big\\" run"}) {
  __typename ... on SpendRecorded { spend { id } } ... on Error { code message } } }"""

AMOUNTS = ["12.345678", "0.000123", "300"]


def seed(s: LiveServer) -> tuple[str, str]:
    """A grant with one project and three spends; returns (budget id, project slug)."""
    budget = s.graphql(CREATE_BUDGET)["createBudget"]["budget"]["id"]
    project = s.graphql(CREATE_PROJECT, name="Algorithm Development")["createProject"]["project"]
    assert s.graphql(ALLOCATE, b=budget, p=project["id"], amount="600")["allocate"][
        "__typename"
    ] == ("AllocationSet")
    for amount in AMOUNTS:
        recorded = s.graphql(SPEND, b=budget, p=project["id"], amount=amount)["recordSpend"]
        assert recorded["__typename"] == "SpendRecorded", recorded
    return budget, project["slug"]


def get(s: LiveServer, path: str, token: str | None = "default") -> httpx.Response:
    headers = (
        {}
        if token is None
        else {"Authorization": f"Bearer {s.token if token == 'default' else token}"}
    )
    return httpx.get(f"{s.url}{path}", headers=headers, timeout=30)


def test_a_spend_csv_downloads_as_an_attachment_with_exact_amounts(
    live_server: LiveServer,
) -> None:
    budget, slug = seed(live_server)

    response = get(live_server, f"/reports/{budget}/spend.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="[\w.-]+\.csv"', disposition), disposition
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["amount"] for r in rows] == AMOUNTS
    assert {r["project_slug"] for r in rows} == {slug}
    assert rows[0]["description"] == 'GPU, "big" run'
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("312.345801")


def test_the_allocations_json_agrees_with_the_spend_it_sums(live_server: LiveServer) -> None:
    budget, slug = seed(live_server)
    number = budget.removeprefix("bud_")

    response = get(live_server, f"/reports/{number}/allocations.json?period=all")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    [row] = response.json()
    assert (row["project_slug"], row["allocated"], row["spent"]) == (slug, "600", "312.345801")
    assert row["remaining"] == "287.654199" and row["status"] == "HEALTHY"


def test_the_journal_streams_as_ndjson(live_server: LiveServer) -> None:
    budget, _ = seed(live_server)

    response = get(live_server, f"/reports/{budget}/journal.ndjson?period=current")

    assert response.status_code == 200
    kinds = [json.loads(line)["kind"] for line in response.text.splitlines()]
    assert kinds == ["FUND", "ALLOCATE", "SPEND", "SPEND", "SPEND"]


def test_a_request_without_a_valid_token_is_401(live_server: LiveServer) -> None:
    budget, _ = seed(live_server)

    missing = get(live_server, f"/reports/{budget}/spend.csv", token=None)
    wrong = get(live_server, f"/reports/{budget}/spend.csv", token="allot_not-a-token")

    assert missing.status_code == wrong.status_code == 401
    assert "Bearer" in missing.json()["error"]["message"]


def test_an_unknown_or_invisible_budget_is_404(live_server: LiveServer) -> None:
    budget, _ = seed(live_server)
    created = allot(
        live_server.env, "users", "create", "--name", "Sam Stranger", "--email", "sam@example.org"
    )
    stranger = re.search(r"API token \(shown once\): (\S+)", created.stdout).group(1)  # type: ignore[union-attr]

    unknown = get(live_server, "/reports/bud_999/spend.csv")
    invisible = get(live_server, f"/reports/{budget}/spend.csv", token=stranger)
    malformed = get(live_server, "/reports/xyz/spend.csv")

    assert unknown.status_code == invisible.status_code == malformed.status_code == 404
    for response in (unknown, invisible, malformed):
        assert re.fullmatch(r"Budget \S+ not found", response.json()["error"]["message"])


def test_a_bad_report_format_or_period_is_400_naming_the_parameter(
    live_server: LiveServer,
) -> None:
    budget, _ = seed(live_server)

    cases = {
        f"/reports/{budget}/payroll.csv": "report",
        f"/reports/{budget}/spend.pdf": "format",
        f"/reports/{budget}/spend": "format",
        f"/reports/{budget}/spend.csv?period=last": "period",
        f"/reports/{budget}/spend.csv?period=9": "period",
    }
    for path, parameter in cases.items():
        response = get(live_server, path)
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert error["field"] == parameter, path
        assert error["message"].startswith(parameter) or parameter in error["message"], path
