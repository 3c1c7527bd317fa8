"""Periods, rollover, pacing and forecasts through the GraphQL API."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import make_user

CREATE = """mutation { createBudget(input: {name: "Ops", amount: "3000", periodKind: MONTHLY,
  startDate: "2026-03-01", rolloverPolicy: CARRY_UNSPENT}) {
  ... on BudgetCreated { budget { id } } } }"""
PROJECT = (
    'mutation { createProject(input: {name: "Algo"}) { ... on ProjectCreated { project { id } } } }'
)
ALLOCATE = """mutation($b: ID!, $p: ID!, $a: Decimal!) {
  allocate(input: {budgetId: $b, projectId: $p, amount: $a}) {
  ... on AllocationSet { allocation { id } } } }"""
SPEND = """mutation($p: ID!, $a: Decimal!) { recordSpend(input: {projectId: $p, amount: $a}) {
  __typename } }"""
CLOSE = """mutation($b: ID!) { closePeriod(input: {budgetId: $b}) { __typename
  ... on PeriodClose { closedPeriod { seq startDate endDate status spent remaining closedAt }
                       nextPeriod { seq startDate endDate status amount allocated unallocated } }
  ... on Error { code message } } }"""
PACE = """query($b: ID!) { budget(id: $b) { pace elapsedFraction dailyDrip todayAllowance spentToday
  remaining carriedIn rolloverCap
  allocations(first: 5) { edges { node { amount spent pace elapsedFraction dailyDrip
    todayAllowance spentToday rolloverPolicy rolloverOverride
    forecast { burnRatePerDay projectedSpend exhaustionDate runwayDays method } } } } } }"""


async def _setup(gql, user):
    budget = (await gql(user, CREATE))["createBudget"]["budget"]["id"]
    project = (await gql(user, PROJECT))["createProject"]["project"]["id"]
    allocation = (await gql(user, ALLOCATE, b=budget, p=project, a="310"))["allocate"][
        "allocation"
    ]["id"]
    return budget, project, allocation


async def test_close_period_archives_the_figures_and_opens_the_next_period(
    admin, gql, fixed_clock
) -> None:
    user, _, _ = admin
    budget, project, _ = await _setup(gql, user)
    await gql(user, SPEND, p=project, a="10")
    fixed_clock[0] = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)
    data = await gql(user, CLOSE, b=budget)
    result = data["closePeriod"]
    assert result["__typename"] == "PeriodClosed"
    assert result["closedPeriod"] == {
        "seq": 1,
        "startDate": "2026-03-01",
        "endDate": "2026-03-31",
        "status": "CLOSED",
        "spent": "10",
        "remaining": "0",
        "closedAt": "2026-04-01T00:01:00+00:00",
    }
    assert result["nextPeriod"] == {
        "seq": 2,
        "startDate": "2026-04-01",
        "endDate": "2026-04-30",
        "status": "OPEN",
        "amount": "3000",
        "allocated": "610",
        "unallocated": "5380",
    }
    data = await gql(
        user,
        "query($b: ID!) { budget(id: $b) { carriedIn periods { seq status spent } } }",
        b=budget,
    )
    assert data["budget"]["carriedIn"] == "2990"
    assert data["budget"]["periods"] == [
        {"seq": 1, "status": "CLOSED", "spent": "10"},
        {"seq": 2, "status": "OPEN", "spent": "0"},
    ]


async def test_close_period_is_refused_to_someone_who_does_not_own_the_budget(admin, gql) -> None:
    user, _, _ = admin
    budget, _, _ = await _setup(gql, user)
    other, _ = await make_user("Olga Other")
    data = await gql(other, CLOSE, b=budget)
    assert data["closePeriod"]["__typename"] == "PermissionDenied"


async def test_pacing_fields_compare_spend_with_time(admin, gql, fixed_clock) -> None:
    user, _, _ = admin
    budget, project, _ = await _setup(gql, user)
    fixed_clock[0] = datetime(2026, 3, 10, 12, tzinfo=UTC)  # day 10 of 31
    await gql(user, SPEND, p=project, a="200")  # 200 of 310: ahead of pace
    b = (await gql(user, PACE, b=budget))["budget"]
    node = b["allocations"]["edges"][0]["node"]
    # Drip from what was left this morning: 310 over 22 days left (10th..31st) = 14.090909.
    assert node["dailyDrip"] == "14.090909"
    assert node["spentToday"] == "200" and node["todayAllowance"] == "0"
    assert node["pace"] == "AHEAD" and node["elapsedFraction"] == 0.3226
    assert node["rolloverPolicy"] == "CARRY_UNSPENT" and node["rolloverOverride"] is None
    assert b["pace"] == "BEHIND"  # 200 of 3000 at a third of the month
    assert b["dailyDrip"] == "136.363636" and b["todayAllowance"] == "0"
    assert b["remaining"] == "2800" and b["carriedIn"] == "0" and b["rolloverCap"] is None
    fixed_clock[0] = datetime(2026, 3, 11, 12, tzinfo=UTC)
    node = (await gql(user, PACE, b=budget))["budget"]["allocations"]["edges"][0]["node"]
    assert (
        node["spentToday"] == "0" and node["todayAllowance"] == node["dailyDrip"] == "5.238095"
    )  # 110 / 21


async def test_a_young_period_forecasts_from_the_end_of_the_previous_one(
    admin, gql, fixed_clock
) -> None:
    user, _, _ = admin
    budget, project, _ = await _setup(gql, user)
    for day in range(17, 32):
        fixed_clock[0] = datetime(2026, 3, day, 12, tzinfo=UTC)
        await gql(user, SPEND, p=project, a="10")
    fixed_clock[0] = datetime(2026, 4, 2, 12, tzinfo=UTC)
    await gql(user, CLOSE, b=budget)
    node = (await gql(user, PACE, b=budget))["budget"]["allocations"]["edges"][0]["node"]
    # April 1st had no spend; the burn rate still knows March's 10 a day.
    assert node["amount"] == "470" and node["spent"] == "0"
    forecast = node["forecast"]
    assert forecast["method"].startswith("ewma")
    assert 5 < float(forecast["burnRatePerDay"]) < 10
    assert float(forecast["runwayDays"]) > 40 and forecast["exhaustionDate"] is None


async def test_planned_amounts_rollover_cap_and_allocation_override_are_settable(
    admin, gql
) -> None:
    user, _, _ = admin
    budget, _, allocation = await _setup(gql, user)
    data = await gql(
        user,
        """mutation($b: ID!) { setPlannedAmount(input: {budgetId: $b,
        periodStart: "2026-05-01", amount: "4500"}) { __typename ... on PlannedAmountSet {
        budget { plannedAmounts { periodStart amount } } } } }""",
        b=budget,
    )
    assert data["setPlannedAmount"]["budget"]["plannedAmounts"] == [
        {"periodStart": "2026-05-01", "amount": "4500"}
    ]
    data = await gql(
        user,
        """mutation($b: ID!) { setPlannedAmount(input: {budgetId: $b,
        periodStart: "2026-05-02", amount: "1"}) {
        __typename ... on ValidationError { field } } }""",
        b=budget,
    )
    assert data["setPlannedAmount"] == {"__typename": "ValidationError", "field": "periodStart"}
    data = await gql(
        user,
        """mutation($b: ID!) { updateBudget(input: {budgetId: $b, rolloverCap: "25"}) {
        ... on BudgetUpdated { budget { rolloverCap } } } }""",
        b=budget,
    )
    assert data["updateBudget"]["budget"]["rolloverCap"] == "25"
    data = await gql(
        user,
        """mutation($b: ID!) { updateBudget(input: {budgetId: $b, rolloverCap: null}) {
        ... on BudgetUpdated { budget { rolloverCap } } } }""",
        b=budget,
    )
    assert data["updateBudget"]["budget"]["rolloverCap"] is None
    data = await gql(
        user,
        """mutation($a: ID!) { setAllocationRollover(input: {allocationId: $a,
        rolloverPolicy: CARRY_ALL}) { ... on AllocationRolloverSet { allocation { rolloverPolicy
        rolloverOverride } } } }""",
        a=allocation,
    )
    assert data["setAllocationRollover"]["allocation"] == {
        "rolloverPolicy": "CARRY_ALL",
        "rolloverOverride": "CARRY_ALL",
    }
