"""Recorded spend keeps what its source said (issue #9): an import's tags and amount text, an
API caller's metadata; and held import rows say why they are held."""

from __future__ import annotations

import io
from datetime import date

import pytest

from app.ingest import read_focus
from app.models import Spend
from app.services import allocations, budgets, imports, routing

both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)

FOCUS = (
    "BilledCost,ChargePeriodStart,BillingCurrency,ServiceName,Tags\n"
    '0.00165303109242778,2026-03-02T00:00:00Z,USD,svc,"{""team"": ""atlas"", ""env"": ""prod""}"\n'
    '2.00,2026-03-04T00:00:00Z,USD,svc,"{""team"": ""nobody""}"\n'
)
RECORD = """mutation($items: [RecordSpendInput!]!) { recordSpends(input: {items: $items}) {
  ... on SpendsRecorded { recorded failed items { status
    spend { id amount tags amountText metadata }
    error { __typename ... on ValidationError { field rule } } } } } }"""
SPEND = """query($id: ID!) { node(id: $id) { ... on Spend { amount tags amountText metadata } } }"""


async def _world(actor):
    b = await budgets.create_budget(
        actor,
        name="Cloud",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    p = await budgets.create_project(actor, name="Atlas", slug="atlas")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="500")
    return b, p


@both_databases
async def test_imported_spend_keeps_its_tags_and_amount_text(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    await routing.create_rule(actor, match="tag", key="team", value="atlas", project_id=p.id)

    await imports.import_rows(actor, read_focus(io.StringIO(FOCUS)), source="focus")

    spend = await Spend.get(project_id=p.id)
    # Before: the model had neither field; the tags were dropped and the text lost.
    assert spend.tags == {"team": "atlas", "env": "prod"}
    assert spend.amount_text == "0.00165303109242778" and spend.amount_micros == 1653
    shown = (await gql(user, SPEND, id=f"spd_{spend.id}"))["node"]
    assert shown == {
        "amount": "0.001653",
        "tags": {"team": "atlas", "env": "prod"},
        "amountText": "0.00165303109242778",
        "metadata": None,
    }


async def test_held_rows_say_why_and_keep_their_tags_once_assigned(admin, gql) -> None:
    user, actor, _ = admin
    b, p = await _world(actor)
    other = await budgets.create_budget(
        actor,
        name="Other",
        amount="10",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    await routing.create_rule(actor, match="tag", key="team", value="atlas", project_id=p.id)
    await imports.import_rows(
        actor, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=other.id
    )
    listed = await gql(
        user, "{ unassignedSpends { nodes { id amountText reason tags { key value } } } }"
    )
    nodes = {n["reason"]: n for n in listed["unassignedSpends"]["nodes"]}
    assert sorted(nodes) == [
        "no routing rule matches it",
        "project atlas has no allocation in budget Other",
    ]
    held = nodes["project atlas has no allocation in budget Other"]
    assert held["amountText"] == "0.00165303109242778"
    assigned = await gql(
        user,
        """mutation($ids: [ID!]!, $p: ID!, $b: ID!) {
        assignSpend(input: {unassignedSpendIds: $ids, projectId: $p, budgetId: $b}) {
          ... on SpendAssigned { assigned items { result { spend { tags amountText } } } } } }""",
        ids=[held["id"]],
        p=f"prj_{p.id}",
        b=f"bud_{b.id}",
    )
    assert assigned["assignSpend"]["assigned"] == 1
    assert assigned["assignSpend"]["items"][0]["result"]["spend"] == {
        "tags": {"team": "atlas", "env": "prod"},
        "amountText": "0.00165303109242778",
    }


@both_databases
async def test_record_spends_keeps_the_callers_metadata(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    pid = f"prj_{p.id}"
    items = [
        {"projectId": pid, "amount": "1.5", "metadata": {"ticket": "OPS-12", "run": "r-7"}},
        {"projectId": pid, "amount": "2"},
    ]
    data = (await gql(user, RECORD, items=items))["recordSpends"]
    assert data["recorded"] == 2
    first, second = (item["spend"] for item in data["items"])
    assert first["metadata"] == {"ticket": "OPS-12", "run": "r-7"}
    assert first["tags"] is None and first["amountText"] is None
    assert second["metadata"] is None
    stored = await Spend.get(id=int(first["id"].removeprefix("spd_")))
    assert stored.metadata == {"ticket": "OPS-12", "run": "r-7"}


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"ticket": 12}, "items[0].metadata.ticket"),
        ({"ticket": {"nested": "x"}}, "items[0].metadata.ticket"),
        (["a"], "items[0].metadata"),
        ({"": "x"}, "items[0].metadata"),
        ({"k" * 65: "x"}, "items[0].metadata"),
        ({"note": "x" * 501}, "items[0].metadata.note"),
        ({f"k{i}": "v" for i in range(51)}, "items[0].metadata"),
        ({f"k{i}": "v" * 400 for i in range(21)}, "items[0].metadata"),
    ],
)
async def test_bad_metadata_fails_its_item_naming_the_field(admin, gql, metadata, field) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    items = [{"projectId": f"prj_{p.id}", "amount": "1", "metadata": metadata}]
    data = (await gql(user, RECORD, items=items))["recordSpends"]
    assert data["failed"] == 1
    error = data["items"][0]["error"]
    assert error["__typename"] == "ValidationError" and error["field"] == field
    assert await Spend.all().count() == 0


async def test_metadata_is_part_of_what_an_idempotency_key_promises(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    item = {"projectId": f"prj_{p.id}", "amount": "1", "idempotencyKey": "k1"}
    first = await gql(user, RECORD, items=[{**item, "metadata": {"ticket": "A"}}])
    replay = await gql(user, RECORD, items=[{**item, "metadata": {"ticket": "A"}}])
    other = await gql(user, RECORD, items=[{**item, "metadata": {"ticket": "B"}}])
    assert first["recordSpends"]["items"][0]["status"] == "RECORDED"
    assert replay["recordSpends"]["items"][0]["status"] == "DUPLICATE"
    assert other["recordSpends"]["items"][0]["error"]["__typename"] == "IdempotencyConflict"


async def test_record_spend_keeps_the_callers_metadata(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    data = await gql(
        user,
        """mutation($p: ID!) { recordSpend(input: {projectId: $p, amount: "3",
          metadata: {ticket: "OPS-9"}}) { ... on SpendRecorded { spend { metadata } } } }""",
        p=f"prj_{p.id}",
    )
    assert data["recordSpend"]["spend"]["metadata"] == {"ticket": "OPS-9"}


SINGLE = """mutation($p: ID!, $m: JSON, $k: String) { recordSpend(input: {projectId: $p,
  amount: "3", metadata: $m, idempotencyKey: $k}) { __typename
  ... on SpendRecorded { duplicate spend { id metadata } }
  ... on ValidationError { field } ... on Error { code } } }"""
READ_BACK = """query($id: ID!) { node(id: $id) { ... on Spend { metadata amount } } }"""


@both_databases
async def test_record_spend_stores_metadata_checks_it_and_keys_replay_on_it(admin, gql) -> None:
    user, actor, _ = admin
    _, p = await _world(actor)
    pid = f"prj_{p.id}"
    first = (await gql(user, SINGLE, p=pid, m={"ticket": "OPS-9"}, k="key-1"))["recordSpend"]
    assert first["__typename"] == "SpendRecorded"
    stored = await gql(user, READ_BACK, id=first["spend"]["id"])
    assert stored["node"] == {"metadata": {"ticket": "OPS-9"}, "amount": "3"}
    again = (await gql(user, SINGLE, p=pid, m={"ticket": "OPS-9"}, k="key-1"))["recordSpend"]
    assert again["duplicate"] is True and again["spend"]["id"] == first["spend"]["id"]
    other = (await gql(user, SINGLE, p=pid, m={"ticket": "OPS-10"}, k="key-1"))["recordSpend"]
    assert other["__typename"] == "IdempotencyConflict"
    bad = (await gql(user, SINGLE, p=pid, m={"ticket": 7}, k=None))["recordSpend"]
    assert bad["__typename"] == "ValidationError" and bad["field"].startswith("metadata")
    plain = (await gql(user, SINGLE, p=pid, m=None, k=None))["recordSpend"]
    assert plain["spend"]["metadata"] is None
