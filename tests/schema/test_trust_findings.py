"""The trust issue's findings, each tried as an outsider with nothing but an API token would.

The scene: Olive owns the budget "Grant" ($1,000) funding P1 ($500, $123.45 spent) and P2
($200); Lee leads P1, Mia is a member of P1, Vic views P1, Max is a member of P2, Sam has no
role at all. Carla may create budgets (a department manager), Ada is an admin.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from helpers import make_user

from app.domain.access import ProjectRole
from app.models import Allocation, ProjectMember, Spend, TransferRequest, User
from app.services import actors, allocations, budgets, spending
from app.services.broker import broker
from app.services.outbox import deliver_pending
from app.services.spending import SpendInput
from schema import ids, schema
from schema.context import context_for_token, context_for_user

ERRORS = "__typename ... on Error { code message } ... on InsufficientFunds { available }"


@dataclass
class Scene:
    admin: User
    creator: User
    owner: User
    lead: User
    member: User
    viewer: User
    other: User  # member of P2
    stranger: User
    tokens: dict[str, str]
    budget_id: int
    p1: int
    p2: int
    a1: int
    a2: int


@pytest.fixture
async def scene(admin) -> Scene:
    admin_user, admin_actor, admin_token = admin
    creator, t_creator = await make_user("Carla Creator", creator=True)
    owner, t_owner = await make_user("Olive Owner")
    lead, t_lead = await make_user("Lee Lead")
    member, t_member = await make_user("Mia Member")
    viewer, t_viewer = await make_user("Vic Viewer")
    other, t_other = await make_user("Max Other")
    stranger, t_stranger = await make_user("Sam Stranger")
    b = await budgets.create_budget(
        admin_actor,
        name="Grant",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        owner_ids=[owner.id],
    )
    p1 = await budgets.create_project(admin_actor, name="P1")
    p2 = await budgets.create_project(admin_actor, name="P2")
    a1 = await allocations.allocate(admin_actor, budget_id=b.id, project_id=p1.id, amount="500")
    a2 = await allocations.allocate(admin_actor, budget_id=b.id, project_id=p2.id, amount="200")
    for user, project, role in [
        (lead, p1, ProjectRole.LEAD),
        (member, p1, ProjectRole.MEMBER),
        (viewer, p1, ProjectRole.VIEWER),
        (other, p2, ProjectRole.MEMBER),
    ]:
        await actors.add_project_member(
            admin_actor, project_id=project.id, user_id=user.id, role=role
        )
    await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="123.45"))
    return Scene(
        admin=admin_user,
        creator=creator,
        owner=owner,
        lead=lead,
        member=member,
        viewer=viewer,
        other=other,
        stranger=stranger,
        tokens={
            "admin": admin_token,
            "creator": t_creator,
            "owner": t_owner,
            "lead": t_lead,
            "member": t_member,
            "viewer": t_viewer,
            "other": t_other,
            "stranger": t_stranger,
        },
        budget_id=b.id,
        p1=p1.id,
        p2=p2.id,
        a1=a1.id,
        a2=a2.id,
    )


async def run(user: User | None, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(
        query, variable_values=variables, context_value=await context_for_user(user)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


CREATE_BUDGET = f"""mutation($name: String!) {{
  createBudget(input: {{name: $name, amount: "0.000001", periodKind: GRANT,
    startDate: "2026-01-01", endDate: "2026-12-31"}}) {{
    {ERRORS} ... on BudgetCreated {{ budget {{ id }} }} }} }}"""
ALLOCATE = f"""mutation($budgetId: ID!, $projectId: ID!) {{
  allocate(input: {{budgetId: $budgetId, projectId: $projectId, amount: "0.000001"}}) {{
    {ERRORS} ... on AllocationSet {{ allocation {{ id }} }} }} }}"""
ADD_MEMBER = f"""mutation($projectId: ID!, $userId: ID!, $role: ProjectRole!) {{
  addProjectMember(input: {{projectId: $projectId, userId: $userId, role: $role}}) {{
    {ERRORS} }} }}"""


# 1. Self-promotion ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "viewer", "other", "owner", "lead", "member"])
async def test_only_admins_and_budget_creators_may_create_a_budget(scene: Scene, who: str) -> None:
    user = getattr(scene, who)
    result = (await run(user, CREATE_BUDGET, name=f"Mine {who}"))["createBudget"]
    assert result["__typename"] == "PermissionDenied"
    assert "budget-creator" in result["message"]


async def test_a_budget_creator_creates_a_budget_and_owns_it(scene: Scene) -> None:
    result = (await run(scene.creator, CREATE_BUDGET, name="Dept Q3"))["createBudget"]
    assert result["__typename"] == "BudgetCreated"
    budget_id = ids.decode(result["budget"]["id"], "Budget", "id")
    from app.models import BudgetOwner

    assert await BudgetOwner.exists(budget_id=budget_id, user_id=scene.creator.id)


async def test_funding_a_project_gives_no_way_to_join_it(scene: Scene) -> None:
    """Carla may create a budget and fund P1 with one micro; she still cannot add herself."""
    created = (await run(scene.creator, CREATE_BUDGET, name="Trojan"))["createBudget"]
    budget = created["budget"]["id"]
    funded = (
        await run(
            scene.creator, ALLOCATE, budgetId=budget, projectId=ids.encode("Project", scene.p1)
        )
    )["allocate"]
    assert funded["__typename"] == "AllocationSet"
    joined = (
        await run(
            scene.creator,
            ADD_MEMBER,
            projectId=ids.encode("Project", scene.p1),
            userId=ids.encode("User", scene.creator.id),
            role="MEMBER",
        )
    )["addProjectMember"]
    assert joined["__typename"] == "PermissionDenied"
    assert not await ProjectMember.exists(project_id=scene.p1, user_id=scene.creator.id)
    # …and the one micro of funding shows her P1's envelope in *her* budget only, not P1's spend.
    data = await run(
        scene.creator,
        "query($id: ID!) { budget(id: $id) { spent } }",
        id=ids.encode("Budget", scene.budget_id),
    )
    assert data["budget"] is None


@pytest.mark.parametrize("who", ["owner", "viewer", "member", "other", "stranger"])
async def test_nobody_but_a_lead_or_admin_adds_people_to_a_project(scene: Scene, who: str) -> None:
    user = getattr(scene, who)
    result = (
        await run(
            user,
            ADD_MEMBER,
            projectId=ids.encode("Project", scene.p1),
            userId=ids.encode("User", user.id),
            role="MEMBER",
        )
    )["addProjectMember"]
    assert result["__typename"] == "PermissionDenied"
    role = await ProjectMember.get_or_none(project_id=scene.p1, user_id=user.id)
    assert role is None or role.role == {"viewer": "VIEWER", "member": "MEMBER"}[who]


async def test_a_lead_manages_the_projects_people(scene: Scene) -> None:
    result = (
        await run(
            scene.lead,
            ADD_MEMBER,
            projectId=ids.encode("Project", scene.p1),
            userId=ids.encode("User", scene.stranger.id),
            role="VIEWER",
        )
    )["addProjectMember"]
    assert result["__typename"] == "ProjectMemberAdded"
    removed = (
        await run(
            scene.lead,
            f"""mutation($p: ID!, $u: ID!) {{ removeProjectMember(input: {{projectId: $p,
              userId: $u}}) {{ {ERRORS} }} }}""",
            p=ids.encode("Project", scene.p1),
            u=ids.encode("User", scene.stranger.id),
        )
    )["removeProjectMember"]
    assert removed["__typename"] == "ProjectMemberRemoved"
    assert not await ProjectMember.exists(project_id=scene.p1, user_id=scene.stranger.id)


async def test_a_lead_of_one_project_cannot_manage_another(scene: Scene) -> None:
    result = (
        await run(
            scene.lead,
            ADD_MEMBER,
            projectId=ids.encode("Project", scene.p2),
            userId=ids.encode("User", scene.lead.id),
            role="LEAD",
        )
    )["addProjectMember"]
    assert result["__typename"] == "PermissionDenied"


# 3. Transfer requests ------------------------------------------------------------------------

REQUEST = f"""mutation($from: ID, $to: ID, $fromPool: Boolean, $toPool: Boolean,
    $amount: Decimal!) {{
  requestTransfer(input: {{fromAllocationId: $from, toAllocationId: $to, fromPool: $fromPool,
    toPool: $toPool, amount: $amount, reason: "please"}}) {{
    {ERRORS} ... on TransferRequested {{ transfer {{ id status }} }} }} }}"""


async def _auto_approve(scene: Scene, below: str) -> None:
    owner = await actors.load_actor(scene.admin)
    await budgets.update_budget(owner, scene.budget_id, auto_approve_below=below)


async def test_a_taking_from_another_project_waits_for_an_owner_whatever_auto_approval_says(
    scene: Scene,
) -> None:
    await _auto_approve(scene, "1000000")
    for amount in ["1", "99999"]:
        result = (
            await run(
                scene.other,
                REQUEST,
                **{"from": ids.encode("Allocation", scene.a1)},
                to=ids.encode("Allocation", scene.a2),
                amount=amount,
            )
        )["requestTransfer"]
        # No InsufficientFunds naming P1's figures, and no money moved: it waits.
        assert result["__typename"] == "TransferRequested", result
        assert result["transfer"]["status"] == "PENDING"
    p1 = await Allocation.get(id=scene.a1)
    assert p1.allocated_micros == 500_000_000


async def test_a_gift_and_a_request_from_the_pool_still_auto_apply(scene: Scene) -> None:
    await _auto_approve(scene, "50")
    gift = (
        await run(
            scene.member,
            REQUEST,
            **{"from": ids.encode("Allocation", scene.a1)},
            to=ids.encode("Allocation", scene.a2),
            amount="10",
        )
    )["requestTransfer"]
    assert gift["transfer"]["status"] == "APPLIED"
    ask = (
        await run(
            scene.other, REQUEST, fromPool=True, to=ids.encode("Allocation", scene.a2), amount="10"
        )
    )["requestTransfer"]
    assert ask["transfer"]["status"] == "APPLIED"
    big = (
        await run(
            scene.other, REQUEST, fromPool=True, to=ids.encode("Allocation", scene.a2), amount="60"
        )
    )["requestTransfer"]
    assert big["transfer"]["status"] == "PENDING"


async def test_a_viewer_may_not_give_their_projects_money(scene: Scene) -> None:
    await _auto_approve(scene, "50")
    result = (
        await run(
            scene.viewer,
            REQUEST,
            **{"from": ids.encode("Allocation", scene.a1)},
            to=ids.encode("Allocation", scene.a2),
            amount="1",
        )
    )["requestTransfer"]
    assert result["__typename"] == "PermissionDenied"
    assert not await TransferRequest.exists()


# 4. Other leaks ------------------------------------------------------------------------------


async def test_insufficient_funds_names_no_figure_to_a_reader_who_cannot_see_the_source(
    scene: Scene,
) -> None:
    """Defence in depth: even if a taking reached the ledger, the error would hide P1's figures."""
    from app.domain.errors import InsufficientFunds
    from app.models import Budget, BudgetPeriod
    from app.services.transfers import _apply  # the one place a movement is posted

    other = await actors.load_actor(scene.other)
    transfer = await TransferRequest.create(
        budget_id=scene.budget_id,
        period_id=(await Allocation.get(id=scene.a1)).period_id,  # type: ignore[attr-defined]
        from_allocation_id=scene.a1,
        to_allocation_id=scene.a2,
        amount_micros=99_999_000_000,
        reason="x",
        requested_by_id=scene.other.id,
    )
    budget = await Budget.get(id=scene.budget_id)
    period = await BudgetPeriod.get(id=transfer.period_id)  # type: ignore[attr-defined]
    with pytest.raises(InsufficientFunds) as refused:
        await _apply(other, budget, period, transfer, None)
    assert refused.value.available is None
    assert "376.55" not in refused.value.message and "P1" not in refused.value.message


async def test_an_owner_is_told_what_the_source_holds(scene: Scene) -> None:
    owner = await actors.load_actor(scene.owner)
    from app.domain.errors import InsufficientFunds
    from app.services import transfers

    with pytest.raises(InsufficientFunds) as refused:
        await transfers.request_transfer(
            owner,
            amount="99999",
            reason="x",
            from_allocation_id=scene.a1,
            to_allocation_id=scene.a2,
        )
    assert refused.value.available == 376_550_000


async def test_carried_in_counts_only_the_members_own_envelopes(scene: Scene, fixed_clock) -> None:
    from datetime import UTC, datetime

    admin = await actors.load_actor(scene.admin)
    monthly = await budgets.create_budget(
        admin,
        name="Monthly",
        amount="1000",
        period_kind="MONTHLY",
        start_date=date(2026, 3, 1),
        rollover_policy="CARRY_UNSPENT",
    )
    await allocations.allocate(admin, budget_id=monthly.id, project_id=scene.p1, amount="100")
    await allocations.allocate(admin, budget_id=monthly.id, project_id=scene.p2, amount="300")
    fixed_clock[0] = datetime(2026, 4, 2, tzinfo=UTC)
    from app.services import periods

    await periods.close_due_periods()
    query = "query($id: ID!) { budget(id: $id) { carriedIn } }"
    bid = ids.encode("Budget", monthly.id)
    assert (await run(scene.admin, query, id=bid))["budget"]["carriedIn"] == "1000"
    # Mia sees the pool's carry (600) and P1's (100), never P2's 300.
    assert (await run(scene.member, query, id=bid))["budget"]["carriedIn"] == "700"


RECORD = f"""mutation($p: ID!, $e: String) {{
  recordSpend(input: {{projectId: $p, amount: "1", externalId: $e}}) {{
    {ERRORS} ... on AmbiguousReference {{ candidates }}
    ... on SpendRecorded {{ duplicate }} }} }}"""


async def test_which_budgets_fund_a_project_is_told_only_after_the_permission_check(
    scene: Scene,
) -> None:
    admin = await actors.load_actor(scene.admin)
    second = await budgets.create_budget(
        admin,
        name="Secret Second",
        amount="50",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    await allocations.allocate(admin, budget_id=second.id, project_id=scene.p1, amount="5")
    p1 = ids.encode("Project", scene.p1)
    for user in (scene.other, scene.stranger, scene.viewer):
        result = (await run(user, RECORD, p=p1))["recordSpend"]
        assert result["__typename"] == "PermissionDenied", result
        assert "Secret" not in result["message"] and "2 budgets" not in result["message"]
        decision = await schema.execute(
            'query($p: ID!) { authorizeSpend(projectId: $p, amount: "1") { allowed } }',
            variable_values={"p": p1},
            context_value=await context_for_user(user),
        )
        if user is not scene.viewer:
            assert decision.errors and "Secret" not in decision.errors[0].message
    # An owner of only the first budget is not ambiguous: it is the one budget they may use.
    owner_result = (await run(scene.owner, RECORD, p=p1))["recordSpend"]
    assert owner_result["__typename"] == "SpendRecorded"
    # Mia may spend from both: she is told which ones.
    mia = (await run(scene.member, RECORD, p=p1))["recordSpend"]
    assert mia["__typename"] == "AmbiguousReference"
    assert sorted(mia["candidates"]) == ["Grant", "Secret Second"]


async def test_an_external_id_is_unique_per_project_so_it_is_no_oracle(scene: Scene) -> None:
    p1, p2 = ids.encode("Project", scene.p1), ids.encode("Project", scene.p2)
    first = (await run(scene.member, RECORD, p=p1, e="run-42"))["recordSpend"]
    assert first == {"__typename": "SpendRecorded", "duplicate": False}
    # Max, in P2, uses the same id: recorded, not "a duplicate" (which would say P1 used it).
    theirs = (await run(scene.other, RECORD, p=p2, e="run-42"))["recordSpend"]
    assert theirs == {"__typename": "SpendRecorded", "duplicate": False}
    again = (await run(scene.member, RECORD, p=p1, e="run-42"))["recordSpend"]
    assert again == {"__typename": "SpendRecorded", "duplicate": True}
    assert await Spend.filter(external_id="run-42").count() == 2


async def test_a_batch_scopes_external_ids_per_project_too(scene: Scene) -> None:
    batch = """mutation($items: [RecordSpendInput!]!) { recordSpends(input: {items: $items}) {
      ... on SpendsRecorded { items { status } } } }"""
    await run(scene.member, RECORD, p=ids.encode("Project", scene.p1), e="b-1")
    data = await run(
        scene.other,
        batch,
        items=[{"projectId": ids.encode("Project", scene.p2), "amount": "1", "externalId": "b-1"}],
    )
    assert data["recordSpends"]["items"] == [{"status": "RECORDED"}]


# 2 and 7. Live events ------------------------------------------------------------------------

SUBSCRIBE = "subscription($b: ID!) { budgetEvents(budgetId: $b) { kind data } }"


async def _subscribe(context: Any, budget_id: int):  # type: ignore[no-untyped-def]
    stream = await schema.subscribe(
        SUBSCRIBE, variable_values={"b": ids.encode("Budget", budget_id)}, context_value=context
    )
    return stream


async def _until(predicate) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


async def test_live_events_follow_the_read_rules(scene: Scene) -> None:
    """Max (P2) subscribes: he hears of P2's spend, never of P1's spend or P1's alerts."""
    await deliver_pending([])  # what happened before anyone listened
    stream = await _subscribe(await context_for_user(scene.other), scene.budget_id)
    first = asyncio.ensure_future(stream.__anext__())
    await _until(lambda: broker.subscriber_count(scene.budget_id) == 1)
    admin = await actors.load_actor(scene.admin)
    # P1 crosses 50% and 80% (alerts) — none of it is Max's business.
    await spending.record_spend(admin, SpendInput(project_id=scene.p1, amount="300"))
    await spending.record_spend(admin, SpendInput(project_id=scene.p2, amount="7"))
    await deliver_pending([], broadcast=broker.publish)
    result = await asyncio.wait_for(first, 5)
    assert result.errors is None
    event = result.data["budgetEvents"]
    assert event["kind"] == "spend.recorded"
    assert event["data"]["allocationId"] == ids.encode("Allocation", scene.a2)
    assert event["data"]["amount"] == "7"  # money as a decimal string, ids as API ids
    await stream.aclose()


async def test_an_owner_hears_every_event_of_the_budget(scene: Scene) -> None:
    await deliver_pending([])
    stream = await _subscribe(await context_for_user(scene.owner), scene.budget_id)
    first = asyncio.ensure_future(stream.__anext__())
    await _until(lambda: broker.subscriber_count(scene.budget_id) == 1)
    admin = await actors.load_actor(scene.admin)
    await spending.record_spend(admin, SpendInput(project_id=scene.p1, amount="1"))
    await deliver_pending([], broadcast=broker.publish)
    event = (await asyncio.wait_for(first, 5)).data["budgetEvents"]
    assert event["data"]["allocationId"] == ids.encode("Allocation", scene.a1)
    await stream.aclose()


async def test_a_revoked_token_ends_its_open_subscription_within_seconds(
    scene: Scene, monkeypatch
) -> None:
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "subscription_recheck_seconds", 0.2)
    context = await context_for_token(scene.tokens["member"])
    stream = await _subscribe(context, scene.budget_id)
    pending = asyncio.ensure_future(stream.__anext__())
    await _until(lambda: broker.subscriber_count(scene.budget_id) == 1)
    await actors.revoke_tokens(scene.member.id)
    result = await asyncio.wait_for(pending, 5)
    assert result.errors and "revoked" in result.errors[0].message
    await _until(lambda: broker.subscriber_count(scene.budget_id) == 0)


async def test_losing_the_role_ends_the_subscription(scene: Scene, monkeypatch) -> None:
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "subscription_recheck_seconds", 0.2)
    stream = await _subscribe(await context_for_user(scene.other), scene.budget_id)
    pending = asyncio.ensure_future(stream.__anext__())
    await _until(lambda: broker.subscriber_count(scene.budget_id) == 1)
    await ProjectMember.filter(user_id=scene.other.id).delete()
    result = await asyncio.wait_for(pending, 5)
    assert result.errors and result.errors[0].extensions["code"] == "PERMISSION_DENIED"


# 5. Stalls: period catch-up is bounded -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        (date(1, 1, 1), "between 1970-01-01"),
        (date(2015, 3, 14), "more than 10 years in the past"),
    ],
)
async def test_a_recurring_budget_may_not_start_far_back(
    scene: Scene, start: date, rule: str
) -> None:
    from app.domain.errors import ValidationError

    admin = await actors.load_actor(scene.admin)
    with pytest.raises(ValidationError, match=rule) as refused:
        await budgets.create_budget(
            admin, name="Ancient", amount="1", period_kind="MONTHLY", start_date=start
        )
    assert refused.value.field == "startDate"


async def test_a_recurring_budget_ten_years_back_is_allowed_and_catches_up_in_one_close(
    scene: Scene,
) -> None:
    from app.models import BudgetPeriod
    from app.services import periods

    admin = await actors.load_actor(scene.admin)
    b = await budgets.create_budget(
        admin, name="Decade", amount="1", period_kind="MONTHLY", start_date=date(2016, 3, 15)
    )
    assert len(await periods.close_due_periods()) == 1
    assert await BudgetPeriod.filter(budget_id=b.id).count() == 2
