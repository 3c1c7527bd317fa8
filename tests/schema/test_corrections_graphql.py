"""Corrections through the API (issue #9): voidSpend, refundSpend, credits in recordSpend,
moveSpend / moveSpends, archive / restore / delete of budgets and projects, released envelopes
leaving the lists. Typed errors name the field and the rule."""

from __future__ import annotations

from datetime import date

from helpers import both_databases, make_user

from app.domain.access import ProjectRole
from app.services import actors, allocations, budgets, spending
from app.services.spending import SpendInput
from app.services.verify import verify
from schema import ids

ERR = "... on Error { __typename code message } ... on ValidationError { field rule }"
VOID = f"""mutation($id: ID!, $why: String!) {{ voidSpend(input: {{spendId: $id, reason: $why}}) {{
  __typename {ERR}
  ... on SpendVoided {{ spend {{ id amount voided voidedAt voidReason voidedBy {{ name }}
    reversedAmount netAmount }} }} }} }}"""
REFUND = f"""mutation($id: ID!, $amount: Decimal!) {{
  refundSpend(input: {{spendId: $id, amount: $amount, reason: "credit note"}}) {{
  __typename {ERR}
  ... on SpendRefunded {{ spend {{ netAmount reversedAmount }}
    credit {{ amount correctionKind correctionReason corrects {{ id }} }} }} }} }}"""
MOVE = f"""mutation($id: ID!, $to: ID!) {{
  moveSpend(input: {{spendId: $id, toProjectId: $to, reason: "wrong project"}}) {{
  __typename {ERR}
  ... on SpendMoved {{ move {{ original {{ voided }} reversal {{ amount }}
    spend {{ amount correctionKind allocation {{ project {{ name }} }} }} }} }} }} }}"""
MOVES = f"""mutation($a: ID!, $to: ID!) {{
  moveSpends(input: {{filter: {{allocationId: $a}}, toProjectId: $to, reason: "all of it"}}) {{
  __typename {ERR} ... on SpendsMoved {{ moves {{ spend {{ amount }} }} }} }} }}"""
RECORD = f"""mutation($p: ID!, $amount: Decimal!) {{
  recordSpend(input: {{projectId: $p, amount: $amount}}) {{
  __typename {ERR} ... on SpendRecorded {{ spend {{ amount }} }} }} }}"""
ARCHIVE = f"""mutation($b: ID!) {{ archiveBudget(input: {{budgetId: $b}}) {{
  __typename {ERR} ... on BudgetArchived {{ budget {{ archivedAt }} }} }} }}"""
RESTORE = f"""mutation($b: ID!) {{ restoreBudget(input: {{budgetId: $b}}) {{
  __typename {ERR} }} }}"""
DELETE = f"""mutation($b: ID!) {{ deleteBudget(input: {{budgetId: $b}}) {{
  __typename {ERR} ... on BudgetDeleted {{ budgetId }} }} }}"""
ARCHIVE_PROJECT = f"""mutation($p: ID!) {{ archiveProject(input: {{projectId: $p}}) {{
  __typename {ERR} }} }}"""
DELETE_PROJECT = f"""mutation($p: ID!) {{ deleteProject(input: {{projectId: $p}}) {{
  __typename {ERR} ... on ProjectDeleted {{ projectId }} }} }}"""
BUDGETS = """query($all: Boolean!) { budgets(includeArchived: $all) { nodes { name } } }"""
PROJECTS = """query($all: Boolean!) { projects(includeArchived: $all) { nodes { name } } }"""
RELEASE = """mutation($a: ID!) { releaseAllocation(input: {allocationId: $a}) { __typename } }"""
ALLOCATIONS = """query($b: ID!) { budget(id: $b) { allocations { nodes { project { name } } } } }"""


async def _world(actor):
    b = await budgets.create_budget(
        actor, name="Grant", amount="1000", period_kind="ANNUAL", start_date=date(2026, 1, 1)
    )
    p1 = await budgets.create_project(actor, name="P1")
    p2 = await budgets.create_project(actor, name="P2")
    a1 = await allocations.allocate(actor, budget_id=b.id, project_id=p1.id, amount="500")
    a2 = await allocations.allocate(actor, budget_id=b.id, project_id=p2.id, amount="200")
    return b, p1, p2, a1, a2


@both_databases
async def test_void_and_refund_through_the_api(admin, gql) -> None:
    user, actor, _ = admin
    _, p1, _, _, _ = await _world(actor)
    s, _ = await spending.record_spend(actor, SpendInput(project_id=p1.id, amount="100"))
    t, _ = await spending.record_spend(actor, SpendInput(project_id=p1.id, amount="40"))
    sid, tid = ids.encode("Spend", s.id), ids.encode("Spend", t.id)
    out = (await gql(user, VOID, id=sid, why="recorded twice"))["voidSpend"]
    assert out["__typename"] == "SpendVoided"
    spend = out["spend"]
    assert spend["voided"] is True and spend["voidReason"] == "recorded twice"
    assert spend["voidedBy"]["name"] == user.name and spend["voidedAt"]
    assert (spend["amount"], spend["reversedAmount"], spend["netAmount"]) == ("100", "100", "0")
    again = (await gql(user, VOID, id=sid, why="again"))["voidSpend"]
    assert again["__typename"] == "InvalidState" and "already voided" in again["message"]
    blank = (await gql(user, VOID, id=tid, why=" "))["voidSpend"]
    assert (blank["__typename"], blank["field"]) == ("ValidationError", "reason")

    refund = (await gql(user, REFUND, id=tid, amount="15.5"))["refundSpend"]
    assert refund["__typename"] == "SpendRefunded"
    assert refund["spend"] == {"netAmount": "24.5", "reversedAmount": "15.5"}
    credit = refund["credit"]
    assert credit["amount"] == "-15.5" and credit["correctionKind"] == "REFUND"
    assert credit["correctionReason"] == "credit note" and credit["corrects"]["id"] == tid
    too_much = (await gql(user, REFUND, id=tid, amount="24.500001"))["refundSpend"]
    assert too_much["__typename"] == "ValidationError" and too_much["field"] == "amount"
    assert "at most what remains" in too_much["rule"]
    assert await verify() == []


async def test_negative_record_spend_is_a_credit(admin, gql) -> None:
    user, actor, _ = admin
    _, p1, _, _, _ = await _world(actor)
    member_user, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=p1.id, user_id=member_user.id, role=ProjectRole.MEMBER
    )
    pid = ids.encode("Project", p1.id)
    assert (await gql(member_user, RECORD, p=pid, amount="30"))["recordSpend"]["__typename"] == (
        "SpendRecorded"
    )
    credit = (await gql(member_user, RECORD, p=pid, amount="-10"))["recordSpend"]
    assert credit["spend"]["amount"] == "-10"
    refused = (await gql(member_user, RECORD, p=pid, amount="-20.01"))["recordSpend"]
    assert refused["__typename"] == "ValidationError" and refused["field"] == "amount"
    assert "at most what this allocation spent" in refused["rule"]
    owner_credit = (await gql(user, RECORD, p=pid, amount="-50"))["recordSpend"]
    assert owner_credit["__typename"] == "SpendRecorded"


@both_databases
async def test_move_spend_and_move_spends(admin, gql) -> None:
    user, actor, _ = admin
    _, p1, p2, a1, _ = await _world(actor)
    s, _ = await spending.record_spend(actor, SpendInput(project_id=p1.id, amount="12"))
    await spending.record_spend(actor, SpendInput(project_id=p1.id, amount="3"))
    moved = (await gql(user, MOVE, id=ids.encode("Spend", s.id), to=ids.encode("Project", p2.id)))[
        "moveSpend"
    ]
    assert moved["__typename"] == "SpendMoved"
    assert moved["move"]["original"]["voided"] is True
    assert moved["move"]["reversal"]["amount"] == "-12"
    assert moved["move"]["spend"] == {
        "amount": "12",
        "correctionKind": "MOVE",
        "allocation": {"project": {"name": "P2"}},
    }
    rest = (
        await gql(user, MOVES, a=ids.encode("Allocation", a1.id), to=ids.encode("Project", p2.id))
    )["moveSpends"]
    assert rest["moves"] == [{"spend": {"amount": "3"}}]
    assert await verify() == []


@both_databases
async def test_archive_hides_and_delete_refuses_a_budget_that_moved_money(admin, gql) -> None:
    user, actor, _ = admin
    b, p1, _, _, _ = await _world(actor)
    bid = ids.encode("Budget", b.id)
    archived = (await gql(user, ARCHIVE, b=bid))["archiveBudget"]
    assert archived["__typename"] == "BudgetArchived" and archived["budget"]["archivedAt"]
    assert (await gql(user, BUDGETS, all=False))["budgets"]["nodes"] == []
    assert (await gql(user, BUDGETS, all=True))["budgets"]["nodes"] == [{"name": "Grant"}]
    refused = (await gql(user, RECORD, p=ids.encode("Project", p1.id), amount="1"))["recordSpend"]
    assert refused["__typename"] == "InvalidState" and "archived" in refused["message"]
    assert (await gql(user, RESTORE, b=bid))["restoreBudget"]["__typename"] == "BudgetRestored"
    assert (await gql(user, BUDGETS, all=False))["budgets"]["nodes"] == [{"name": "Grant"}]
    deleted = (await gql(user, DELETE, b=bid))["deleteBudget"]
    assert deleted["__typename"] == "InvalidState" and "archive it instead" in deleted["message"]
    empty = await budgets.create_budget(
        actor, name="Typo", amount="5", period_kind="ANNUAL", start_date=date(2026, 1, 1)
    )
    eid = ids.encode("Budget", empty.id)
    assert (await gql(user, DELETE, b=eid))["deleteBudget"] == {
        "__typename": "BudgetDeleted",
        "budgetId": eid,
    }


async def test_archive_and_delete_projects(admin, gql) -> None:
    user, actor, _ = admin
    _, p1, _, _, _ = await _world(actor)
    pid = ids.encode("Project", p1.id)
    assert (await gql(user, ARCHIVE_PROJECT, p=pid))["archiveProject"]["__typename"] == (
        "ProjectArchived"
    )
    names = [n["name"] for n in (await gql(user, PROJECTS, all=False))["projects"]["nodes"]]
    assert names == ["P2"]
    names = [n["name"] for n in (await gql(user, PROJECTS, all=True))["projects"]["nodes"]]
    assert names == ["P1", "P2"]
    lone = await budgets.create_project(actor, name="Lone")
    lid = ids.encode("Project", lone.id)
    assert (await gql(user, DELETE_PROJECT, p=lid))["deleteProject"]["projectId"] == lid
    refused = (await gql(user, DELETE_PROJECT, p=pid))["deleteProject"]
    assert refused["__typename"] == "InvalidState"


async def test_a_released_spendless_allocation_leaves_the_list(admin, gql) -> None:
    user, actor, _ = admin
    b, p1, _, _, a2 = await _world(actor)
    await spending.record_spend(actor, SpendInput(project_id=p1.id, amount="1"))
    bid = ids.encode("Budget", b.id)
    before = (await gql(user, ALLOCATIONS, b=bid))["budget"]["allocations"]["nodes"]
    assert [n["project"]["name"] for n in before] == ["P1", "P2"]
    await gql(user, RELEASE, a=ids.encode("Allocation", a2.id))
    after = (await gql(user, ALLOCATIONS, b=bid))["budget"]["allocations"]["nodes"]
    assert [n["project"]["name"] for n in after] == ["P1"]
