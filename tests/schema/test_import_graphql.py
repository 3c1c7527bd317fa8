from __future__ import annotations

from datetime import date

import pytest
from data_files import DATA as DATA_DIR

from app.ingest import read_focus
from app.services import allocations, budgets, imports
from app.services.verify import verify

# Like tests/conftest.py's `both_databases` (not imported: tests/bot/conftest.py may shadow it).
both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)


async def make_user(name: str):
    from app.services import actors

    email = name.lower().replace(" ", ".") + "@example.org"
    return await actors.create_user(None, name=name, email=email)


DATA = DATA_DIR

RECORD = """
mutation($items: [RecordSpendInput!]!) {
  recordSpends(input: {items: $items}) {
    __typename
    ... on SpendsRecorded {
      recorded duplicates failed
      items { index status spend { id amount externalId } error { __typename code message
              ... on ValidationError { field } } }
    }
    ... on ValidationError { field message }
  }
}"""


async def _world(actor):
    b = await budgets.create_budget(
        actor,
        name="Cloud",
        amount="100000",
        period_kind="GRANT",
        start_date=date(2024, 1, 1),
        end_date=date(2026, 12, 31),
    )
    p = await budgets.create_project(actor, name="Atlas", slug="atlas")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="50000")
    return b, p


@both_databases
async def test_record_spends_answers_each_item_by_index(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    pid = f"prj_{p.id}"
    items = [
        {"projectId": pid, "amount": "1.5", "externalId": "a"},
        {"projectId": "bud_1", "amount": "1"},
        {"projectId": pid, "amount": "-2"},
        {"projectId": pid, "amount": "1.5", "externalId": "a"},
    ]
    data = (await gql(user, RECORD, items=items))["recordSpends"]
    assert data["__typename"] == "SpendsRecorded"
    assert (data["recorded"], data["duplicates"], data["failed"]) == (1, 1, 2)
    first, bad_id, negative, again = data["items"]
    assert first["status"] == "RECORDED" and first["spend"]["amount"] == "1.5"
    assert bad_id["error"]["field"] == "items[1].projectId"
    assert negative["error"]["code"] == "VALIDATION" and negative["spend"] is None
    assert again["status"] == "DUPLICATE" and again["spend"]["id"] == first["spend"]["id"]
    assert await verify() == []


async def test_record_spends_refuses_more_than_ten_thousand_items(admin) -> None:
    """Refused before the variables are coerced (schema/limits.py), not after per-item work."""
    from schema import schema
    from schema.context import context_for_user

    user, actor, _ = admin
    _, p = await _world(actor)
    items = [{"projectId": f"prj_{p.id}", "amount": "0.01"}] * 10_001
    result = await schema.execute(
        RECORD, variable_values={"items": items}, context_value=await context_for_user(user)
    )
    assert result.errors is not None and result.data is None
    assert result.errors[0].extensions == {
        "code": "LIST_TOO_LONG",
        "field": "items",
        "limit": 10000,
    }


RULE = """
mutation($input: CreateRoutingRuleInput!) {
  createRoutingRule(input: $input) {
    __typename
    ... on RoutingRuleCreated { rule { id match key value priority project { slug } } }
    ... on Error { code }
  }
}"""


@both_databases
async def test_unassigned_rows_are_listed_then_assigned_and_routed(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    summary = await imports.import_rows(
        actor, read_focus(DATA / "focus1.0_sample_1000rows.csv"), source="focus"
    )
    listed = await gql(
        user,
        """{ unassignedSpends(first: 2) { totalCount
        nodes { id amount currency subAccountName tags { key value } } } }""",
    )
    page = listed["unassignedSpends"]
    assert page["totalCount"] == summary.unassigned > 0
    first = page["nodes"][0]
    assigned = await gql(
        user,
        """mutation($ids: [ID!]!, $p: ID!) {
        assignSpend(input: {unassignedSpendIds: $ids, projectId: $p}) {
          ... on SpendAssigned { assigned items { unassignedSpendId result { status
            spend { amount source } } } } } }""",
        ids=[first["id"]],
        p=f"prj_{p.id}",
    )
    item = assigned["assignSpend"]["items"][0]
    assert assigned["assignSpend"]["assigned"] == 1
    assert item["result"]["spend"] == {"amount": first["amount"], "source": "focus"}

    created = await gql(
        user,
        RULE,
        input={
            "match": "sub_account",
            "value": "Orion Zenith",
            "projectId": f"prj_{p.id}",
            "priority": 5,
        },
    )
    rule = created["createRoutingRule"]["rule"]
    assert rule["match"] == "sub_account" and rule["project"]["slug"] == "atlas"
    rules = await gql(user, "{ routingRules { nodes { id value } } }")
    assert rules["routingRules"]["nodes"] == [{"id": rule["id"], "value": "Orion Zenith"}]

    applied = await gql(
        user,
        """mutation { applyRoutingRules(input: {}) {
        ... on RoutingRulesApplied { assigned stillUnassigned failed } } }""",
    )
    done = applied["applyRoutingRules"]
    assert done["assigned"] > 0 and done["failed"] == 0
    assert done["assigned"] + done["stillUnassigned"] == summary.unassigned - 1

    deleted = await gql(
        user,
        """mutation($id: ID!) { deleteRoutingRule(input: {ruleId: $id}) {
        ... on RoutingRuleDeleted { ruleId } } }""",
        id=rule["id"],
    )
    assert deleted["deleteRoutingRule"]["ruleId"] == rule["id"]
    assert await verify() == []


async def test_only_owners_of_a_funding_budget_may_add_rules(admin, gql) -> None:
    _, actor, _ = admin
    _, p = await _world(actor)
    stranger, _ = await make_user("Sam Stranger")
    data = await gql(
        stranger,
        RULE,
        input={"match": "tag", "key": "team", "value": "x", "projectId": f"prj_{p.id}"},
    )
    assert data["createRoutingRule"] == {
        "__typename": "PermissionDenied",
        "code": "PERMISSION_DENIED",
    }
    listed = await gql(stranger, "{ unassignedSpends { totalCount } routingRules { totalCount } }")
    assert listed == {"unassignedSpends": {"totalCount": 0}, "routingRules": {"totalCount": 0}}
