"""Project inputs take a slug where the CLI and the bot do (issue #12): `projectId: "genomics"`
works as `projectId: "prj_3"`; a slug the caller may not see answers exactly as one that does not
exist (NotFound naming the field), and text that is neither an id nor a slug names both forms."""

from __future__ import annotations

from datetime import date

from helpers import actor_of, both_databases, make_user

from app.domain.access import ProjectRole
from app.services import actors, allocations, budgets, transfers
from app.services.verify import verify
from schema import ids

ERR = "... on Error { __typename code message } ... on ValidationError { field rule }"
NOT_FOUND = "... on NotFound { refField: field }"
RECORD = f"""mutation($p: ID!, $amount: Decimal!) {{
  recordSpend(input: {{projectId: $p, amount: $amount}}) {{
  __typename {ERR} {NOT_FOUND}
  ... on SpendRecorded {{ spend {{ amount allocation {{ project {{ slug }} }} }} }} }} }}"""
BATCH = f"""mutation($items: [RecordSpendInput!]!) {{ recordSpends(input: {{items: $items}}) {{
  __typename {ERR} ... on SpendsRecorded {{ recorded failed
    items {{ index status
      error {{ __typename code message ... on NotFound {{ field }} }} }} }} }} }}"""
ALLOCATE = f"""mutation($b: ID!, $p: ID!) {{
  allocate(input: {{budgetId: $b, projectId: $p, amount: "50"}}) {{
  __typename {ERR} {NOT_FOUND}
  ... on AllocationSet {{ allocation {{ amount project {{ slug }} }} }} }} }}"""
SPLIT = f"""mutation($b: ID!, $items: [SplitItemInput!]!) {{
  allocateMany(input: {{budgetId: $b, split: EQUAL, total: "90", items: $items}}) {{
  __typename {ERR} ... on AllocationsSet {{ allocations {{ amount project {{ slug }} }} }} }} }}"""
AUTHORIZE = """query($p: ID!) { authorizeSpend(projectId: $p, amount: "1") { allowed } }"""


async def _world(actor):
    b = await budgets.create_budget(
        actor, name="Grant", amount="1000", period_kind="ANNUAL", start_date=date(2026, 1, 1)
    )
    genomics = await budgets.create_project(actor, name="Genomics")
    secret = await budgets.create_project(actor, name="Secret merger", slug="secret-merger")
    spare = await budgets.create_project(actor, name="Spare", slug="spare")
    await allocations.allocate(actor, budget_id=b.id, project_id=genomics.id, amount="500")
    await allocations.allocate(actor, budget_id=b.id, project_id=secret.id, amount="200")
    return b, genomics, secret, spare


@both_databases
async def test_a_slug_names_the_project_as_its_id_does(admin, gql) -> None:
    user, actor, _ = admin
    b, genomics, _, spare = await _world(actor)
    by_slug = (await gql(user, RECORD, p="genomics", amount="12.5"))["recordSpend"]
    assert by_slug["__typename"] == "SpendRecorded", by_slug
    assert by_slug["spend"]["allocation"]["project"]["slug"] == "genomics"
    by_id = await gql(user, RECORD, p=ids.encode("Project", genomics.id), amount="1")
    assert by_id["recordSpend"]["__typename"] == "SpendRecorded"
    bid = ids.encode("Budget", b.id)
    out = (await gql(user, ALLOCATE, b=bid, p="spare"))["allocate"]
    assert out["__typename"] == "AllocationSet", out
    assert out["allocation"]["project"]["slug"] == spare.slug == "spare"
    assert (await gql(user, AUTHORIZE, p="genomics"))["authorizeSpend"]["allowed"] is True
    assert await verify() == []


@both_databases
async def test_a_bulk_split_and_a_batch_resolve_their_slugs(admin, gql) -> None:
    user, actor, _ = admin
    b, _, _, spare = await _world(actor)
    items = [
        {"projectId": s} for s in ("genomics", "secret-merger", ids.encode("Project", spare.id))
    ]
    out = (await gql(user, SPLIT, b=ids.encode("Budget", b.id), items=items))["allocateMany"]
    assert out["__typename"] == "AllocationsSet", out
    assert sorted((a["project"]["slug"], a["amount"]) for a in out["allocations"]) == [
        ("genomics", "30"),
        ("secret-merger", "30"),
        ("spare", "30"),
    ]
    batch = [
        {"projectId": "genomics", "amount": "2"},
        {"projectId": "no-such-project", "amount": "3"},
        {"projectId": "spare", "amount": "4"},
    ]
    result = (await gql(user, BATCH, items=batch))["recordSpends"]
    assert (result["recorded"], result["failed"]) == (2, 1), result
    bad = result["items"][1]
    assert bad["error"]["code"] == "NOT_FOUND"
    assert bad["error"]["field"] == "items[1].projectId"


@both_databases
async def test_a_slug_the_caller_may_not_see_is_not_found_like_one_that_does_not_exist(
    admin, gql
) -> None:
    _, actor, _ = admin
    _, genomics, _, _ = await _world(actor)
    member, _ = await make_user("Mo Member")
    await actors.add_project_member(
        actor, project_id=genomics.id, user_id=member.id, role=ProjectRole.MEMBER
    )
    assert (await actor_of(member)).project_roles
    mine = (await gql(member, RECORD, p="genomics", amount="5"))["recordSpend"]
    assert mine["__typename"] == "SpendRecorded", mine
    hidden = (await gql(member, RECORD, p="secret-merger", amount="5"))["recordSpend"]
    missing = (await gql(member, RECORD, p="no-such-project", amount="5"))["recordSpend"]
    assert hidden["__typename"] == missing["__typename"] == "NotFound"
    assert hidden["refField"] == missing["refField"] == "projectId"
    assert hidden["message"].replace("secret-merger", "X") == missing["message"].replace(
        "no-such-project", "X"
    )
    assert "200" not in hidden["message"]


@both_databases
async def test_text_that_is_neither_an_id_nor_a_slug_names_both_forms(admin, gql) -> None:
    user, actor, _ = admin
    await _world(actor)
    for bad in ("Genomics Lab", "bud_1", "prj_x", ""):
        out = (await gql(user, RECORD, p=bad, amount="1"))["recordSpend"]
        assert out["__typename"] == "ValidationError", (bad, out)
        assert out["field"] == "projectId"
    spaced = (await gql(user, RECORD, p="Genomics Lab", amount="1"))["recordSpend"]
    assert "prj_1" in spaced["rule"] and "slug" in spaced["rule"]


TRANSFERS = """query($p: ID, $mine: Boolean!) { transfers(projectId: $p, mine: $mine) {
  nodes { amount requestedBy { name } } } }"""


@both_databases
async def test_transfers_filter_by_project_and_by_who_asked(admin, gql) -> None:
    user, actor, _ = admin
    b, genomics, secret, _ = await _world(actor)
    a_gen = await allocations.allocate(actor, budget_id=b.id, project_id=genomics.id, amount="500")
    a_sec = await allocations.allocate(actor, budget_id=b.id, project_id=secret.id, amount="200")
    await transfers.request_transfer(
        actor, amount="5", reason="to the pool", from_allocation_id=a_gen.id
    )
    await transfers.request_transfer(
        actor, amount="7", reason="between", from_allocation_id=a_sec.id, to_allocation_id=a_gen.id
    )
    await transfers.request_transfer(actor, amount="9", reason="other", from_allocation_id=a_sec.id)
    member, _ = await make_user("Mo Member")
    await actors.add_project_member(
        actor, project_id=genomics.id, user_id=member.id, role=ProjectRole.MEMBER
    )

    def amounts(out):
        return sorted(n["amount"] for n in out["transfers"]["nodes"])

    assert amounts(await gql(user, TRANSFERS, p="genomics", mine=False)) == ["5", "7"]
    assert amounts(await gql(user, TRANSFERS, p=None, mine=True)) == ["5", "7", "9"]
    assert amounts(await gql(member, TRANSFERS, p=None, mine=True)) == []
    # A project the member may not see lists nothing, exactly as one that does not exist.
    assert amounts(await gql(member, TRANSFERS, p="secret-merger", mine=False)) == []
    assert amounts(await gql(member, TRANSFERS, p="no-such-project", mine=False)) == []
