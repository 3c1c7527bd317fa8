"""The three demo situations, replayed step by step through GraphQL over HTTP against a real
server, with their figures checked; then `allot verify` on the same database."""

from __future__ import annotations

from live import LiveServer, allot

CREATE_BUDGET = """mutation($input: CreateBudgetInput!) { createBudget(input: $input) {
  __typename ... on BudgetCreated { budget { id } } ... on Error { code message } } }"""
CREATE_PROJECT = """mutation($name: String!) { createProject(input: {name: $name}) {
  __typename ... on ProjectCreated { project { id } } ... on Error { message } } }"""
ALLOCATE = """mutation($b: ID!, $p: ID!, $amount: Decimal!) { allocate(input: {budgetId: $b,
  projectId: $p, amount: $amount}) { __typename ... on AllocationSet { allocation { id amount } }
  ... on Error { code message } } }"""
SPEND = """mutation($p: ID!, $b: ID!, $amount: Decimal!, $service: String) { recordSpend(input: {
  projectId: $p, budgetId: $b, amount: $amount, service: $service,
  occurredAt: "2026-02-01T10:00:00Z"}) {
  __typename ... on SpendRecorded { spend { amount } } ... on Error { code message } } }"""
FIGURES = """query($id: ID!) { budget(id: $id) { amount allocated unallocated spent remaining status
  allocations(first: 100) { totalCount nodes { amount spent remaining project { name } } }
  transfers { nodes { amount reason status from { project { name } } to { project { name } }
  requestedBy { name } decidedBy { name } } } } }"""


def _project(server: LiveServer, name: str) -> str:
    return server.graphql(CREATE_PROJECT, name=name)["createProject"]["project"]["id"]


def _budget(server: LiveServer, **fields: object) -> str:
    data = server.graphql(CREATE_BUDGET, input=fields)["createBudget"]
    assert data["__typename"] == "BudgetCreated", data
    return data["budget"]["id"]


def test_the_grant_situation_replays_with_exact_figures(live_server: LiveServer) -> None:
    s = live_server
    b = _budget(
        s,
        name="NSF CISE-2024-12345",
        amount="50000",
        periodKind="GRANT",
        startDate="2025-09-01",
        endDate="2028-08-31",
    )
    algo, study, paper = (
        _project(s, n) for n in ("Algorithm Development", "User Study", "Paper Experiments")
    )
    ids = {}
    for p, amount in ((algo, "20000"), (study, "15000"), (paper, "10000")):
        ids[p] = s.graphql(ALLOCATE, b=b, p=p, amount=amount)["allocate"]["allocation"]["id"]
    assert (
        s.graphql(SPEND, p=algo, b=b, amount="4210.55", service="aws-ec2")["recordSpend"]["spend"][
            "amount"
        ]
        == "4210.55"
    )
    s.graphql(SPEND, p=paper, b=b, amount="1275.40", service="aws-ec2")
    moved = s.graphql(
        """mutation($f: ID!, $t: ID!) { requestTransfer(input: {fromAllocationId: $f,
      toAllocationId: $t, amount: "5000", reason: "Experiments done; solver needs GPUs"}) {
      __typename ... on TransferRequested { transfer { status amount } } } }""",
        f=ids[paper],
        t=ids[algo],
    )["requestTransfer"]
    assert moved["transfer"] == {"status": "APPLIED", "amount": "5000"}

    budget = s.graphql(FIGURES, id=b)["budget"]
    assert (budget["amount"], budget["allocated"], budget["unallocated"]) == (
        "50000",
        "45000",
        "5000",
    )
    assert budget["spent"] == "5485.95" and budget["remaining"] == "44514.05"
    by_name = {n["project"]["name"]: n for n in budget["allocations"]["nodes"]}
    assert by_name["Algorithm Development"]["amount"] == "25000"
    assert by_name["Algorithm Development"]["remaining"] == "20789.45"
    assert by_name["Paper Experiments"]["amount"] == "5000"
    assert by_name["Paper Experiments"]["remaining"] == "3724.6"
    [transfer] = budget["transfers"]["nodes"]
    assert transfer["from"]["project"]["name"] == "Paper Experiments"
    assert transfer["decidedBy"]["name"] == "Ada Admin"


def test_the_lab_quarter_keeps_ten_thousand_unallocated(live_server: LiveServer) -> None:
    s = live_server
    b = _budget(
        s, name="CS Lab Q1 2026", amount="100000", periodKind="QUARTERLY", startDate="2026-01-01"
    )
    for name, amount in (
        ("Genomics", "40000"),
        ("Climate Modeling", "30000"),
        ("ML Research", "20000"),
    ):
        s.graphql(ALLOCATE, b=b, p=_project(s, name), amount=amount)
    budget = s.graphql(FIGURES, id=b)["budget"]
    assert (budget["allocated"], budget["unallocated"], budget["status"]) == (
        "90000",
        "10000",
        "HEALTHY",
    )
    over = s.graphql(ALLOCATE, b=b, p=_project(s, "Robotics"), amount="10000.000001")["allocate"]
    assert over["__typename"] == "InsufficientFunds" and "10000" in over["message"]


def test_the_class_splits_three_thousand_seven_hundred_fifty_equally(
    live_server: LiveServer,
) -> None:
    s = live_server
    b = _budget(
        s,
        name="CS499 Spring 2026",
        amount="5000",
        periodKind="GRANT",
        startDate="2026-01-12",
        endDate="2026-12-31",
    )
    items = [{"projectId": _project(s, f"CS499 Team {n:02d}")} for n in range(1, 26)]
    data = s.graphql(
        """mutation($b: ID!, $items: [SplitItemInput!]!) { allocateMany(input: {
      budgetId: $b, split: EQUAL, total: "3750", items: $items}) { __typename
      ... on AllocationsSet { allocations { amount } } } }""",
        b=b,
        items=items,
    )["allocateMany"]
    assert [a["amount"] for a in data["allocations"]] == ["150"] * 25
    budget = s.graphql(FIGURES, id=b)["budget"]
    assert (budget["allocated"], budget["unallocated"]) == ("3750", "1250")
    assert budget["allocations"]["totalCount"] == 25
    verify = allot(s.env, "verify")
    assert verify.returncode == 0 and "zero drift" in verify.stdout


def test_requests_without_a_token_are_refused_and_health_is_reported(
    live_server: LiveServer,
) -> None:
    import httpx

    health = httpx.get(f"{live_server.url}/healthz").json()
    assert health == {"status": "ok"}
    body = httpx.post(f"{live_server.url}/graphql", json={"query": "{ viewer { name } }"}).json()
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_allot_demo_loads_once_and_the_journal_verifies(tmp_path) -> None:
    import os
    import re

    env = {**os.environ, "ALLOT_DATABASE_URL": f"sqlite://{tmp_path / 'demo.db'}"}
    first = allot(env, "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    assert "demo data loaded" in first.stdout
    assert re.search(r"admin API token \(shown once\): allot_\S+", first.stdout)
    again = allot(env, "demo", "--if-empty")
    assert "already has data" in again.stdout and "token" not in again.stdout
    verify = allot(env, "verify")
    assert verify.returncode == 0 and "zero drift" in verify.stdout


def test_a_revoked_token_no_longer_authenticates(live_server: LiveServer) -> None:
    import httpx

    revoked = allot(live_server.env, "tokens", "revoke", "--email", "ada@example.org")
    assert revoked.returncode == 0 and "revoked 1 token(s)" in revoked.stdout
    response = httpx.post(
        f"{live_server.url}/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": f"Bearer {live_server.token}"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    fresh = allot(live_server.env, "tokens", "create", "--email", "ada@example.org")
    token = fresh.stdout.rsplit(" ", 1)[-1].strip()
    assert live_server.graphql("{ viewer { name } }", token=token)["viewer"]["name"] == "Ada Admin"
