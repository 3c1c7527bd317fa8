"""Calendars, the prorated first period, the rollover preview and allocations set at the close,
through the GraphQL API, as owners and as a project's member."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import make_user

from app.services import actors
from schema import ids

CREATE = """mutation($in: CreateBudgetInput!) { createBudget(input: $in) { __typename
  ... on BudgetCreated { budget { id periodKind fiscalYearStartMonth resetDay weekStart
      prorateFirstPeriod firstPeriodProrated firstPeriodAmount
      currentPeriod { startDate endDate amount } } }
  ... on ValidationError { field rule } } }"""
PROJECT = """mutation($n: String!) { createProject(input: {name: $n}) {
  ... on ProjectCreated { project { id } } } }"""
ALLOCATE = """mutation($b: ID!, $p: ID!, $a: Decimal!) {
  allocate(input: {budgetId: $b, projectId: $p, amount: $a}) { __typename } }"""
SPEND = """mutation($p: ID!, $a: Decimal!) { recordSpend(input: {projectId: $p, amount: $a}) {
  __typename } }"""
PREVIEW = """query($b: ID!) { budget(id: $b) { rolloverPreview {
  closesEarly nextPeriodStart nextPeriodEnd skippedPeriods
  pool { policy remaining carried lapsed }
  allocations(first: 10) { totalCount nodes { allocation { project { name } }
    policy remaining carried lapsed nextBase nextAmount } } } } }"""
CLOSE = """mutation($in: ClosePeriodInput!) { closePeriod(input: $in) { __typename
  ... on PeriodClosed { closedPeriod { startDate endDate }
      nextPeriod { startDate endDate amount allocated unallocated } }
  ... on InsufficientFunds { available }
  ... on NotFound { missing: field }
  ... on ValidationError { field rule } } }"""


def budget_input(**extra):
    return {"name": "Ops", "amount": "1000", "startDate": "2026-03-01", **extra}


async def test_a_weekly_budget_from_sunday_shows_only_the_anchors_it_uses(admin, gql) -> None:
    user, _, _ = admin
    data = await gql(
        user,
        CREATE,
        **{"in": budget_input(periodKind="WEEKLY", startDate="2026-03-11", weekStart="SUNDAY")},
    )
    budget = data["createBudget"]["budget"]
    assert budget == {
        "id": budget["id"],
        "periodKind": "WEEKLY",
        "fiscalYearStartMonth": None,
        "resetDay": None,
        "weekStart": "SUNDAY",
        "prorateFirstPeriod": False,
        "firstPeriodProrated": False,
        "firstPeriodAmount": "1000",
        "currentPeriod": {"startDate": "2026-03-11", "endDate": "2026-03-14", "amount": "1000"},
    }


async def test_an_anchor_the_kind_does_not_use_is_a_validation_error(admin, gql) -> None:
    user, _, _ = admin
    data = await gql(user, CREATE, **{"in": budget_input(periodKind="WEEKLY", resetDay=15)})
    assert data["createBudget"] == {
        "__typename": "ValidationError",
        "field": "resetDay",
        "rule": "applies only to MONTHLY, QUARTERLY and ANNUAL budgets",
    }
    data = await gql(user, CREATE, **{"in": budget_input(periodKind="MONTHLY", resetDay=31)})
    assert data["createBudget"]["field"] == "resetDay"


async def test_a_prorated_fiscal_year_says_so_and_a_member_sees_no_funding_figure(
    admin, gql
) -> None:
    user, actor, _ = admin
    data = await gql(
        user,
        CREATE,
        **{
            "in": budget_input(
                periodKind="ANNUAL",
                amount="50000",
                startDate="2026-03-15",
                fiscalYearStartMonth=7,
                prorateFirstPeriod=True,
            )
        },
    )
    budget = data["createBudget"]["budget"]
    assert budget["fiscalYearStartMonth"] == 7 and budget["resetDay"] == 1
    assert budget["firstPeriodProrated"] is True
    assert budget["firstPeriodAmount"] == "14794.520547"  # 50,000 × 108 ÷ 365, rounded down
    assert budget["currentPeriod"] == {
        "startDate": "2026-03-15",
        "endDate": "2026-06-30",
        "amount": "14794.520547",
    }
    project = (await gql(user, PROJECT, n="Algo"))["createProject"]["project"]["id"]
    await gql(user, ALLOCATE, b=budget["id"], p=project, a="100")
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=ids.decode(project, "Project", "p"), user_id=member.id
    )
    seen = await gql(
        member,
        "query($b: ID!) { budget(id: $b) { firstPeriodProrated firstPeriodAmount } }",
        b=budget["id"],
    )
    assert seen["budget"] == {"firstPeriodProrated": True, "firstPeriodAmount": None}


async def test_the_calendar_of_a_started_budget_cannot_change(admin, gql) -> None:
    user, _, _ = admin
    data = await gql(user, CREATE, **{"in": budget_input(periodKind="MONTHLY")})
    budget = data["createBudget"]["budget"]["id"]
    data = await gql(
        user,
        """mutation($b: ID!) { updateBudget(input: {budgetId: $b, resetDay: 15}) { __typename
        ... on ValidationError { field rule } } }""",
        b=budget,
    )
    assert data["updateBudget"]["__typename"] == "ValidationError"
    assert data["updateBudget"]["field"] == "resetDay"
    assert data["updateBudget"]["rule"].startswith("cannot change once the budget has started")


async def _two_projects(gql, user, actor):
    """A MONTHLY CARRY_UNSPENT budget with Algo (a member's project) and Study."""
    data = await gql(
        user, CREATE, **{"in": budget_input(periodKind="MONTHLY", rolloverPolicy="CARRY_UNSPENT")}
    )
    budget = data["createBudget"]["budget"]["id"]
    algo = (await gql(user, PROJECT, n="Algo"))["createProject"]["project"]["id"]
    study = (await gql(user, PROJECT, n="Study"))["createProject"]["project"]["id"]
    await gql(user, ALLOCATE, b=budget, p=algo, a="300")
    await gql(user, ALLOCATE, b=budget, p=study, a="200")
    await gql(user, SPEND, p=algo, a="100")
    await gql(user, SPEND, p=study, a="250")  # overspent: CARRY_UNSPENT carries nothing
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=ids.decode(algo, "Project", "p"), user_id=member.id
    )
    return budget, algo, study, member


async def test_the_rollover_preview_shows_owners_everything_and_members_their_own(
    admin, gql
) -> None:
    user, actor, _ = admin
    budget, _, _, member = await _two_projects(gql, user, actor)
    whole = (await gql(user, PREVIEW, b=budget))["budget"]["rolloverPreview"]
    assert whole["closesEarly"] is True  # 15 March: closing now would be early
    assert (whole["nextPeriodStart"], whole["nextPeriodEnd"]) == ("2026-04-01", "2026-04-30")
    assert whole["skippedPeriods"] == 0
    assert whole["pool"] == {
        "policy": "CARRY_UNSPENT",
        "remaining": "500",
        "carried": "500",
        "lapsed": "0",
    }
    assert whole["allocations"]["totalCount"] == 2
    assert whole["allocations"]["nodes"] == [
        {
            "allocation": {"project": {"name": "Algo"}},
            "policy": "CARRY_UNSPENT",
            "remaining": "200",
            "carried": "200",
            "lapsed": "0",
            "nextBase": "300",
            "nextAmount": "500",
        },
        {
            "allocation": {"project": {"name": "Study"}},
            "policy": "CARRY_UNSPENT",
            "remaining": "-50",
            "carried": "0",
            "lapsed": "-50",
            "nextBase": "200",
            "nextAmount": "200",
        },
    ]
    mine = (await gql(member, PREVIEW, b=budget))["budget"]["rolloverPreview"]
    assert mine["pool"] == whole["pool"]
    assert mine["allocations"]["totalCount"] == 1
    assert mine["allocations"]["nodes"] == whole["allocations"]["nodes"][:1]


async def test_closing_then_opens_exactly_what_the_preview_showed(admin, gql, fixed_clock) -> None:
    user, actor, _ = admin
    budget, _, _, _ = await _two_projects(gql, user, actor)
    fixed_clock[0] = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    preview = (await gql(user, PREVIEW, b=budget))["budget"]["rolloverPreview"]
    assert preview["closesEarly"] is False
    result = (await gql(user, CLOSE, **{"in": {"budgetId": budget}}))["closePeriod"]
    nodes = preview["allocations"]["nodes"]
    assert result["nextPeriod"]["allocated"] == "700"  # 500 + 200, as previewed
    assert [n["nextAmount"] for n in nodes] == ["500", "200"]
    # April's 1,000 and the 500 carried pool, less the bases 300 + 200.
    assert result["nextPeriod"]["unallocated"] == "1000"


async def test_close_period_sets_the_next_allocations_or_nothing(admin, gql, fixed_clock) -> None:
    user, actor, _ = admin
    budget, algo, study, member = await _two_projects(gql, user, actor)
    too_much = {"budgetId": budget, "allocations": [{"projectId": algo, "amount": "1500.01"}]}
    data = await gql(user, CLOSE, **{"in": too_much})
    assert data["closePeriod"] == {"__typename": "InsufficientFunds", "available": "1500"}
    unknown = {"budgetId": budget, "allocations": [{"projectId": "prj_999", "amount": "1"}]}
    data = await gql(user, CLOSE, **{"in": unknown})
    assert data["closePeriod"] == {"__typename": "NotFound", "missing": "allocations[0].projectId"}
    twice = {"budgetId": budget, "allocations": [{"projectId": algo, "amount": "1"}] * 2}
    data = await gql(user, CLOSE, **{"in": twice})
    assert data["closePeriod"]["field"] == "allocations"
    data = await gql(member, CLOSE, **{"in": too_much})
    assert data["closePeriod"]["__typename"] == "PermissionDenied"

    chosen = {
        "budgetId": budget,
        "allocations": [
            {"projectId": algo, "amount": "600"},
            {"projectId": study, "amount": "0"},
        ],
    }
    data = await gql(user, CLOSE, **{"in": chosen})
    result = data["closePeriod"]
    assert result["__typename"] == "PeriodClosed"
    assert result["closedPeriod"] == {"startDate": "2026-03-01", "endDate": "2026-03-15"}
    assert result["nextPeriod"] == {
        "startDate": "2026-04-01",
        "endDate": "2026-04-30",
        "amount": "1000",
        "allocated": "800",  # Algo 600 + its 200 carried; Study 0
        "unallocated": "900",  # 1,000 + the 500 pool − 600
    }
    rows = await gql(
        user,
        "query($b: ID!) { budget(id: $b) { allocations { nodes { project { name } amount } } } }",
        b=budget,
    )
    assert rows["budget"]["allocations"]["nodes"] == [
        {"project": {"name": "Algo"}, "amount": "800"},
        {"project": {"name": "Study"}, "amount": "0"},
    ]
