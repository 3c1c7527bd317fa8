"""Errors through GraphQL: typed union members for expected failures, hostile queries refused
before execution, unexpected errors masked and logged, permissions enforced."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from graphql import ExecutionResult
from helpers import make_user

from app.models import Project, User
from app.services import actors, allocations, budgets, spending
from app.services.spending import SpendInput
from app.settings import Settings
from schema import build_schema, ids
from schema import schema as default_schema
from schema.context import context_for_user

ERROR_FIELDS = (
    "__typename ... on Error { code message } ... on ValidationError { field rule }"
    " ... on NotFound { ref: field } ... on Conflict { ref: field }"
    " ... on IdempotencyConflict { ref: field }"
    " ... on InsufficientFunds { source requested available }"
)


async def execute(
    user: User | None, query: str, schema: Any = None, **variables: Any
) -> tuple[ExecutionResult, Any]:
    context = await context_for_user(user)
    result = await (schema or default_schema).execute(
        query, variable_values=variables, context_value=context
    )
    return result, context


@dataclass
class Scene:
    admin: User
    owner: User
    member: User  # MEMBER of Algo
    viewer: User  # VIEWER of Algo
    outsider: User  # MEMBER of Study only
    budget: str
    algo: str
    study: str
    algo_allocation: str
    study_allocation: str
    algo_spend: str
    study_spend: str


@pytest.fixture
async def scene(admin) -> Scene:
    """$1,000 grant owned by Olive: Algo ($300, $12.5 spent on aws) and Study ($100, $40 on gpu)."""
    admin_user, admin_actor, _ = admin
    owner, _ = await make_user("Olive Owner", creator=True)
    member, _ = await make_user("Mia Member")
    viewer, _ = await make_user("Vic Viewer")
    outsider, _ = await make_user("Sam Study")
    budget = await budgets.create_budget(
        admin_actor,
        name="Grant",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        owner_ids=[owner.id],
    )
    algo = await budgets.create_project(admin_actor, name="Algo")
    study = await budgets.create_project(admin_actor, name="Study")
    a = await allocations.allocate(
        admin_actor, budget_id=budget.id, project_id=algo.id, amount="300"
    )
    b = await allocations.allocate(
        admin_actor, budget_id=budget.id, project_id=study.id, amount="100"
    )
    await actors.add_project_member(admin_actor, project_id=algo.id, user_id=member.id)
    await actors.add_project_member(
        admin_actor, project_id=algo.id, user_id=viewer.id, role=actors.ProjectRole.VIEWER
    )
    await actors.add_project_member(admin_actor, project_id=study.id, user_id=outsider.id)
    s1, _ = await spending.record_spend(
        admin_actor, SpendInput(project_id=algo.id, amount="12.5", service="aws")
    )
    s2, _ = await spending.record_spend(
        admin_actor, SpendInput(project_id=study.id, amount="40", service="gpu")
    )
    return Scene(
        admin=admin_user,
        owner=owner,
        member=member,
        viewer=viewer,
        outsider=outsider,
        budget=ids.encode("Budget", budget.id),
        algo=ids.encode("Project", algo.id),
        study=ids.encode("Project", study.id),
        algo_allocation=ids.encode("Allocation", a.id),
        study_allocation=ids.encode("Allocation", b.id),
        algo_spend=ids.encode("Spend", s1.id),
        study_spend=ids.encode("Spend", s2.id),
    )


ALLOCATE = f"""mutation($b: ID!, $p: ID!, $amount: Decimal!, $key: String) {{
  allocate(input: {{budgetId: $b, projectId: $p, amount: $amount, idempotencyKey: $key}}) {{
    {ERROR_FIELDS} ... on AllocationSet {{ allocation {{ id amount }} }} }} }}"""
RECORD_SPEND = f"""mutation($p: ID!, $amount: Decimal!, $currency: String, $key: String,
    $ext: String) {{
  recordSpend(input: {{projectId: $p, amount: $amount, service: "aws", currency: $currency,
      idempotencyKey: $key, externalId: $ext}}) {{
    {ERROR_FIELDS} ... on SpendRecorded {{ duplicate spend {{ id amount }} }} }} }}"""
REQUEST_TRANSFER = f"""mutation($from: ID, $to: ID, $amount: Decimal!, $reason: String!,
    $toPool: Boolean = false) {{
  requestTransfer(input: {{fromAllocationId: $from, toAllocationId: $to, toPool: $toPool,
      amount: $amount, reason: $reason}}) {{
    {ERROR_FIELDS} ... on TransferRequested {{ transfer {{ id status from {{ id }} to {{ id }} }} }}
  }} }}"""
APPROVE = f"""mutation($t: ID!) {{ approveTransfer(input: {{transferId: $t}}) {{
    {ERROR_FIELDS} ... on TransferDecided {{ transfer {{ status }} }} }} }}"""
CREATE_PROJECT = f"""mutation($name: String!, $slug: String) {{
  createProject(input: {{name: $name, slug: $slug}}) {{
    {ERROR_FIELDS} ... on ProjectCreated {{ project {{ id }} }} }} }}"""
CREATE_BUDGET = f"""mutation($amount: Decimal!, $start: Date!, $end: Date, $tz: String) {{
  createBudget(input: {{name: "Lab", amount: $amount, periodKind: GRANT, startDate: $start,
      endDate: $end, timezone: $tz}}) {{
    {ERROR_FIELDS} ... on BudgetCreated {{ budget {{ id }} }} }} }}"""


async def _mutate(user: User | None, query: str, **variables: Any) -> dict[str, Any]:
    result, _ = await execute(user, query, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    (payload,) = result.data.values()
    if "ref" in payload:  # `field` is String! on ValidationError and String elsewhere: aliased
        payload["field"] = payload.pop("ref")
    return payload


# --- typed errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        ("-5", "must not be negative"),
        ("1.0000001", "more than 6 decimal places"),
        ("NaN", "plain decimal"),
        ("Infinity", "plain decimal"),
        (12.5, "float"),
        ("twelve", "plain decimal"),
    ],
)
async def test_a_bad_amount_comes_back_as_a_validation_error_naming_field_and_rule(
    scene: Scene, amount: Any, rule: str
) -> None:
    payload = await _mutate(scene.owner, ALLOCATE, b=scene.budget, p=scene.algo, amount=amount)
    assert payload["__typename"] == "ValidationError"
    assert payload["code"] == "VALIDATION"
    assert payload["field"] == "amount"
    assert rule in payload["rule"]
    assert payload["message"] == f"amount {payload['rule']}"


async def test_a_decimal_literal_in_the_query_is_read_as_exact_text(scene: Scene) -> None:
    result, _ = await execute(
        scene.owner,
        f"""mutation {{ allocate(input: {{budgetId:
        "{scene.budget}", projectId: "{scene.algo}", amount: "300.000001"}}) {{ {ERROR_FIELDS}
        ... on AllocationSet {{ allocation {{ amount }} }} }} }}""",
    )
    assert result.errors is None
    assert result.data == {
        "allocate": {"__typename": "AllocationSet", "allocation": {"amount": "300.000001"}}
    }


async def test_each_mutation_error_is_a_typed_union_member(scene: Scene) -> None:
    cases = [
        (
            ALLOCATE,
            {"b": "bud_999", "p": scene.algo, "amount": "1"},
            {"__typename": "NotFound", "code": "NOT_FOUND", "field": "budgetId"},
        ),
        (
            ALLOCATE,
            {"b": "prj_1", "p": scene.algo, "amount": "1"},
            {"__typename": "ValidationError", "code": "VALIDATION", "field": "budgetId"},
        ),
        (
            ALLOCATE,
            {"b": scene.budget, "p": scene.algo, "amount": "1000"},
            {
                "__typename": "InsufficientFunds",
                "code": "INSUFFICIENT_FUNDS",
                "source": "the pool",
                "requested": "700",
                "available": "600",
            },
        ),
        (
            RECORD_SPEND,
            {"p": scene.algo, "amount": "1", "currency": "EUR"},
            {"__typename": "CurrencyMismatch", "code": "CURRENCY_MISMATCH"},
        ),
        (
            RECORD_SPEND,
            {"p": scene.algo, "amount": "0"},
            {
                "__typename": "ValidationError",
                "code": "VALIDATION",
                "field": "amount",
                "rule": "must be greater than zero",
            },
        ),
        (
            RECORD_SPEND,
            {"p": "prj_999", "amount": "1"},
            {"__typename": "NotFound", "code": "NOT_FOUND", "field": "projectId"},
        ),
        (
            REQUEST_TRANSFER,
            {
                "from": scene.algo_allocation,
                "to": scene.study_allocation,
                "amount": "287.500001",
                "reason": "too much",
            },
            {
                "__typename": "InsufficientFunds",
                "code": "INSUFFICIENT_FUNDS",
                "source": "project 'Algo'",
                "requested": "287.500001",
                "available": "287.5",
            },
        ),
        (
            REQUEST_TRANSFER,
            {"from": scene.algo_allocation, "amount": "1", "reason": "r"},
            {"__typename": "ValidationError", "code": "VALIDATION", "field": "toAllocationId"},
        ),
        (
            APPROVE,
            {"t": "trf_999"},
            {"__typename": "NotFound", "code": "NOT_FOUND", "field": "transferId"},
        ),
        (
            CREATE_PROJECT,
            {"name": "Again", "slug": "algo"},
            {"__typename": "Conflict", "code": "CONFLICT", "field": "slug"},
        ),
        (
            CREATE_BUDGET,
            {"amount": "10", "start": "2026-06-01", "end": "2026-05-01"},
            {"__typename": "ValidationError", "code": "VALIDATION", "field": "endDate"},
        ),
        (
            CREATE_BUDGET,
            {"amount": "10", "start": "2026-06-01", "end": "2026-07-01", "tz": "Mars/Olympus"},
            {"__typename": "ValidationError", "code": "VALIDATION", "field": "timezone"},
        ),
    ]
    for query, variables, expected in cases:
        payload = await _mutate(scene.owner, query, **variables)
        assert payload["message"], (variables, payload)
        assert {k: payload.get(k) for k in expected} == expected, (variables, payload)


async def test_a_reused_idempotency_key_with_other_content_is_an_idempotency_conflict(
    scene: Scene,
) -> None:
    first = await _mutate(scene.owner, RECORD_SPEND, p=scene.algo, amount="5", key="k1")
    again = await _mutate(scene.owner, RECORD_SPEND, p=scene.algo, amount="5", key="k1")
    assert first["__typename"] == again["__typename"] == "SpendRecorded"
    assert again["duplicate"] is True and again["spend"]["id"] == first["spend"]["id"]
    other = await _mutate(scene.owner, RECORD_SPEND, p=scene.algo, amount="6", key="k1")
    assert other["__typename"] == "IdempotencyConflict"
    assert other["code"] == "IDEMPOTENCY_CONFLICT" and other["field"] == "idempotencyKey"
    ext = await _mutate(scene.owner, RECORD_SPEND, p=scene.algo, amount="7", ext="line-1")
    ext_other = await _mutate(scene.owner, RECORD_SPEND, p=scene.algo, amount="8", ext="line-1")
    assert ext["__typename"] == "SpendRecorded"
    assert ext_other["__typename"] == "IdempotencyConflict" and ext_other["field"] == "externalId"


async def test_approving_a_decided_transfer_is_an_invalid_state(scene: Scene) -> None:
    requested = await _mutate(
        scene.member,
        REQUEST_TRANSFER,
        **{
            "from": scene.algo_allocation,
            "to": scene.study_allocation,
            "amount": "10",
            "reason": "share",
        },
    )
    transfer = requested["transfer"]
    assert transfer["status"] == "PENDING"
    approved = await _mutate(scene.owner, APPROVE, t=transfer["id"])
    assert approved == {"__typename": "TransferDecided", "transfer": {"status": "APPLIED"}}
    again = await _mutate(scene.owner, APPROVE, t=transfer["id"])
    assert again["__typename"] == "InvalidState" and again["code"] == "INVALID_STATE"
    assert "APPLIED" in again["message"]


# --- hostile queries ------------------------------------------------------------------------


def _deep_selection(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"budget {{ allocations {{ edges {{ node {{ {inner} }} }} }} }}"
    return inner


async def _refused_before_execution(user: User, query: str) -> list[str]:
    projects = await Project.all().count()
    result, _ = await execute(user, query)
    assert result.errors, "the query was not refused"
    assert result.data is None
    assert await Project.all().count() == projects, "a resolver ran"
    return [e.message for e in result.errors]


async def test_a_query_deeper_than_the_limit_is_refused_before_execution(scene: Scene) -> None:
    messages = await _refused_before_execution(
        scene.owner,
        f"""mutation {{
        createProject(input: {{name: "Deep"}}) {{ ... on ProjectCreated {{ project {{
        allocations {{ {_deep_selection(4)} }} }} }} }} }}""",
    )
    assert all("exceeds maximum operation depth" in m for m in messages), messages


async def test_a_query_within_the_depth_limit_runs(scene: Scene, gql) -> None:
    data = await gql(
        scene.owner,
        f"query($id: ID!) {{ node(id: $id) {{ ... on Allocation {{ {_deep_selection(2)} }} }} }}",
        id=scene.algo_allocation,
    )
    assert data["node"]["budget"]["allocations"]["edges"]


async def test_more_than_thirty_aliases_are_refused_before_execution(scene: Scene, gql) -> None:
    many = " ".join(
        f'p{n}: createProject(input: {{name: "Alias {n}"}}) {{ __typename }}' for n in range(31)
    )
    messages = await _refused_before_execution(scene.owner, f"mutation {{ {many} }}")
    assert all("aliases" in m for m in messages), messages
    thirty = " ".join(f"v{n}: viewer {{ name }}" for n in range(30))
    assert len(await gql(scene.owner, f"{{ {thirty} }}")) == 30


async def test_a_query_over_the_token_limit_is_refused_before_execution(scene: Scene) -> None:
    padding = " ".join(["__typename"] * 4001)
    messages = await _refused_before_execution(
        scene.owner, f'mutation {{ createProject(input: {{name: "Tokens"}}) {{ {padding} }} }}'
    )
    assert all("token" in m.lower() for m in messages), messages


@pytest.mark.parametrize(
    "query",
    [
        "{ budgets(first: 100000) { totalCount } }",
        "{ projects(first: 100000) { totalCount } }",
        "{ transfers(first: 100000) { totalCount } }",
        "query($id: ID!) { budget(id: $id) { allocations(first: 100000) { totalCount } } }",
        "{ budgets(first: -1) { totalCount } }",
    ],
)
async def test_a_page_size_over_the_maximum_is_an_error_naming_first(
    scene: Scene, query: str
) -> None:
    result, _ = await execute(scene.owner, query, id=scene.budget)
    assert result.errors and len(result.errors) == 1
    error = result.errors[0]
    assert error.message.startswith("first ")
    assert error.extensions == {"code": "VALIDATION", "field": "first"}
    assert not (result.data or {}).get("budget")


async def test_the_maximum_page_size_itself_is_allowed(scene: Scene, gql) -> None:
    data = await gql(scene.owner, "{ budgets(first: 1000) { totalCount } }")
    assert data["budgets"]["totalCount"] == 1


# --- unexpected errors, introspection -------------------------------------------------------


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    scene: Scene, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret connection string postgres://x:y@db")

    monkeypatch.setattr(allocations, "allocate", broken)
    with caplog.at_level(logging.ERROR, logger="allot.graphql"):
        result, context = await execute(
            scene.owner, ALLOCATE, b=scene.budget, p=scene.algo, amount="1"
        )
    assert result.errors and len(result.errors) == 1
    error = result.errors[0]
    assert error.message == f"Unexpected error (request id {context.request_id})."
    assert "secret" not in str(error.message) and "secret" not in str(error.extensions)
    assert error.extensions == {"code": "INTERNAL", "requestId": context.request_id}
    logged = [r for r in caplog.records if r.name == "allot.graphql"]
    assert logged, "the unexpected error was not logged"
    assert context.request_id in logged[0].getMessage()
    assert logged[0].exc_info and isinstance(logged[0].exc_info[1], RuntimeError)


async def test_introspection_can_be_switched_off(scene: Scene) -> None:
    query = "{ __schema { queryType { name } } }"
    on, _ = await execute(scene.owner, query)
    assert on.errors is None and on.data == {"__schema": {"queryType": {"name": "Query"}}}
    off, _ = await execute(scene.owner, query, schema=build_schema(Settings(introspection=False)))
    assert off.errors and off.data is None
    assert "introspection" in off.errors[0].message.lower()


# --- permissions ----------------------------------------------------------------------------

BUDGET_VIEW = """query($id: ID!) { budget(id: $id) { name
  allocations(first: 10) { totalCount edges { node { id spent project { name } } } }
  topSpenders { id project { name } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename ... on Allocation { spent }
  ... on Spend { amount } } }"""


async def test_a_member_sees_only_their_own_project_in_the_budget(scene: Scene, gql) -> None:
    data = await gql(scene.member, BUDGET_VIEW, id=scene.budget)
    budget = data["budget"]
    assert budget["allocations"]["totalCount"] == 1
    assert [e["node"]["project"]["name"] for e in budget["allocations"]["edges"]] == ["Algo"]
    assert [a["project"]["name"] for a in budget["topSpenders"]] == ["Algo"]
    owner = await gql(scene.owner, BUDGET_VIEW, id=scene.budget)
    assert owner["budget"]["allocations"]["totalCount"] == 2


async def test_a_member_cannot_fetch_another_projects_allocation_or_spend_by_id(
    scene: Scene, gql
) -> None:
    for hidden in (scene.study_allocation, scene.study_spend):
        assert (await gql(scene.member, NODE, id=hidden))["node"] is None
    assert (await gql(scene.member, NODE, id=scene.algo_allocation))["node"] == {
        "__typename": "Allocation",
        "spent": "12.5",
    }
    assert (await gql(scene.member, NODE, id=scene.algo_spend))["node"] == {
        "__typename": "Spend",
        "amount": "12.5",
    }
    assert (await gql(scene.outsider, NODE, id=scene.algo_spend))["node"] is None
    assert (await gql(scene.owner, NODE, id=scene.study_spend))["node"]["amount"] == "40"


async def test_a_member_sees_a_transfer_of_theirs_but_not_the_other_side(scene: Scene, gql) -> None:
    requested = await _mutate(
        scene.member,
        REQUEST_TRANSFER,
        **{
            "from": scene.algo_allocation,
            "to": scene.study_allocation,
            "amount": "10",
            "reason": "share",
        },
    )
    transfer = requested["transfer"]
    assert transfer["from"] == {"id": scene.algo_allocation}
    assert transfer["to"] is None  # Study's envelope is not the member's to see


async def test_a_stranger_cannot_see_the_budget_at_all(scene: Scene, gql) -> None:
    stranger, _ = await make_user("Stan Stranger")
    assert (await gql(stranger, BUDGET_VIEW, id=scene.budget))["budget"] is None
    assert (await gql(stranger, "{ budgets { totalCount } }"))["budgets"]["totalCount"] == 0
    assert (await gql(stranger, NODE, id=scene.algo_allocation))["node"] is None


async def test_a_viewer_cannot_record_spend_or_request_transfers(scene: Scene) -> None:
    payload = await _mutate(scene.viewer, RECORD_SPEND, p=scene.algo, amount="1")
    assert payload["__typename"] == "PermissionDenied"
    assert payload["code"] == "PERMISSION_DENIED" and "record spend" in payload["message"]
    payload = await _mutate(
        scene.viewer,
        REQUEST_TRANSFER,
        **{"from": scene.algo_allocation, "toPool": True, "amount": "1", "reason": "r"},
    )
    assert payload["__typename"] == "PermissionDenied"


async def test_a_member_records_spend_but_cannot_allocate_or_approve(scene: Scene) -> None:
    spent = await _mutate(scene.member, RECORD_SPEND, p=scene.algo, amount="1")
    assert spent["__typename"] == "SpendRecorded"
    denied = await _mutate(scene.member, ALLOCATE, b=scene.budget, p=scene.algo, amount="500")
    assert denied["__typename"] == "PermissionDenied" and denied["code"] == "PERMISSION_DENIED"
    elsewhere = await _mutate(scene.member, RECORD_SPEND, p=scene.study, amount="1")
    assert elsewhere["__typename"] == "PermissionDenied"
    pending = await _mutate(
        scene.member,
        REQUEST_TRANSFER,
        **{
            "from": scene.algo_allocation,
            "to": scene.study_allocation,
            "amount": "10",
            "reason": "share",
        },
    )
    assert pending["transfer"]["status"] == "PENDING"
    refused = await _mutate(scene.member, APPROVE, t=pending["transfer"]["id"])
    assert refused["__typename"] == "PermissionDenied"
    refused = await _mutate(scene.outsider, APPROVE, t=pending["transfer"]["id"])
    assert refused["__typename"] == "PermissionDenied"


async def test_owners_and_admins_allocate_and_approve(scene: Scene) -> None:
    owner = await _mutate(scene.owner, ALLOCATE, b=scene.budget, p=scene.algo, amount="350")
    assert owner["__typename"] == "AllocationSet" and owner["allocation"]["amount"] == "350"
    admin = await _mutate(scene.admin, ALLOCATE, b=scene.budget, p=scene.algo, amount="360")
    assert admin["__typename"] == "AllocationSet" and admin["allocation"]["amount"] == "360"
    pending = await _mutate(
        scene.member,
        REQUEST_TRANSFER,
        **{"from": scene.algo_allocation, "toPool": True, "amount": "10", "reason": "give back"},
    )
    approved = await _mutate(scene.owner, APPROVE, t=pending["transfer"]["id"])
    assert approved["transfer"]["status"] == "APPLIED"


async def test_an_owners_own_transfer_applies_at_once(scene: Scene) -> None:
    payload = await _mutate(
        scene.owner,
        REQUEST_TRANSFER,
        **{
            "from": scene.algo_allocation,
            "to": scene.study_allocation,
            "amount": "10",
            "reason": "rebalance",
        },
    )
    assert payload["transfer"]["status"] == "APPLIED"


async def test_an_unauthenticated_mutation_gets_permission_denied(scene: Scene) -> None:
    payload = await _mutate(None, RECORD_SPEND, p=scene.algo, amount="1")
    assert payload["__typename"] == "PermissionDenied"
    assert payload["code"] == "PERMISSION_DENIED"
    assert "authentication required" in payload["message"]
    assert await spending.Spend.all().count() == 2


@pytest.mark.parametrize(
    "query",
    [
        "{ viewer { name } }",
        "{ budgets { totalCount } }",
        "query($id: ID!) { node(id: $id) { id } }",
    ],
)
async def test_an_unauthenticated_query_gets_a_permission_denied_error(
    scene: Scene, query: str
) -> None:
    result, _ = await execute(None, query, id=scene.algo_allocation)
    assert result.errors and result.errors[0].extensions["code"] == "PERMISSION_DENIED"
    assert "authentication required" in result.errors[0].message
    assert not (result.data or {}).get("node")
