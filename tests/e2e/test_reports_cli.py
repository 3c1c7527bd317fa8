"""`allot export` as a subprocess against the database a live server writes to."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from live import LiveServer, allot

CREATE_BUDGET = """mutation { createBudget(input: {name: "Lab", amount: "1000",
  periodKind: GRANT, startDate: "2025-01-01", endDate: "2035-12-31"}) {
  __typename ... on BudgetCreated { budget { id } } ... on Error { code message } } }"""
CREATE_PROJECT = """mutation($name: String!) { createProject(input: {name: $name}) {
  __typename ... on ProjectCreated { project { id slug } } ... on Error { message } } }"""
ALLOCATE = """mutation($b: ID!, $p: ID!) { allocate(input: {budgetId: $b, projectId: $p,
  amount: "400"}) { __typename ... on Error { code message } } }"""
SPEND = """mutation($b: ID!, $p: ID!, $amount: Decimal!) { recordSpend(input: {budgetId: $b,
  projectId: $p, amount: $amount}) { __typename ... on Error { code message } } }"""
MEMBER = """mutation($p: ID!, $u: ID!) { addProjectMember(input: {projectId: $p, userId: $u}) {
  __typename ... on Error { code message } } }"""
SPENDS = {"genomics": ["0.000123", "10"], "climate": ["7.5"]}


def seed(s: LiveServer) -> tuple[str, dict[str, str]]:
    budget = s.graphql(CREATE_BUDGET)["createBudget"]["budget"]["id"]
    projects = {}
    for name, amounts in SPENDS.items():
        project = s.graphql(CREATE_PROJECT, name=name)["createProject"]["project"]
        projects[name] = project["id"]
        s.graphql(ALLOCATE, b=budget, p=project["id"])
        for amount in amounts:
            assert s.graphql(SPEND, b=budget, p=project["id"], amount=amount)["recordSpend"] == {
                "__typename": "SpendRecorded"
            }
    return budget, projects


def test_export_writes_a_csv_file_of_the_spend(live_server: LiveServer, tmp_path: Path) -> None:
    budget, _ = seed(live_server)
    out = tmp_path / "spend.csv"

    done = allot(
        live_server.env, "export", budget, "--report", "spend", "--format", "csv", "-o", str(out)
    )

    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["project_slug"], r["amount"]) for r in rows] == [
        ("genomics", "0.000123"),
        ("genomics", "10"),
        ("climate", "7.5"),
    ]
    assert {r["recorded_by"] for r in rows} == {"ada@example.org"}


def test_export_prints_one_json_array_and_takes_a_bare_budget_number(
    live_server: LiveServer,
) -> None:
    budget, _ = seed(live_server)

    done = allot(
        live_server.env,
        "export",
        budget.removeprefix("bud_"),
        "--report",
        "allocations",
        "--format",
        "json",
        "--period",
        "all",
    )

    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["project_slug"], r["spent"], r["remaining"]) for r in rows] == [
        ("genomics", "10.000123", "389.999877"),
        ("climate", "7.5", "392.5"),
    ]


def test_export_as_a_member_lists_only_their_projects_journal(live_server: LiveServer) -> None:
    budget, projects = seed(live_server)
    created = allot(
        live_server.env, "users", "create", "--name", "Mia Member", "--email", "mia@example.org"
    )
    assert created.returncode == 0, created.stderr
    user_id = re.search(r"created user (\d+)", created.stdout).group(1)  # type: ignore[union-attr]
    live_server.graphql(MEMBER, p=projects["climate"], u=user_id)

    done = allot(
        live_server.env,
        "export",
        budget,
        "--report",
        "spend",
        "--format",
        "ndjson",
        "--user",
        "mia@example.org",
    )

    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["project_slug"], r["amount"]) for r in rows] == [("climate", "7.5")]


def test_export_refuses_an_unknown_budget_or_period_and_writes_no_file(
    live_server: LiveServer, tmp_path: Path
) -> None:
    budget, _ = seed(live_server)
    out = tmp_path / "nothing.csv"

    unknown = allot(live_server.env, "export", "bud_99", "--report", "spend", "-o", str(out))
    bad_period = allot(
        live_server.env, "export", budget, "--report", "spend", "--period", "2", "-o", str(out)
    )
    bad_report = allot(live_server.env, "export", budget, "--report", "payroll")

    assert unknown.returncode == 1 and "Budget 99 not found" in unknown.stderr
    assert bad_period.returncode == 1 and "period" in bad_period.stderr
    assert bad_report.returncode != 0 and "payroll" in bad_report.stderr
    assert not out.exists()


def test_export_help_says_json_is_one_array_and_ndjson_one_object_a_line(
    live_server: LiveServer,
) -> None:
    shown = allot({**live_server.env, "COLUMNS": "200"}, "export", "--help")

    assert shown.returncode == 0
    text = " ".join(shown.stdout.replace("│", " ").split())
    assert "ONE JSON array" in text and "one JSON object per line" in text
