"""An envelope that is used up or overdrawn drips nothing (issue #9: an allocation at -25.00
showed a daily drip of 11.29, computed from what it held in the morning)."""

from __future__ import annotations

from datetime import UTC, datetime

CREATE = """mutation($a: Decimal!) { createBudget(input: {name: "Ops", amount: $a,
  periodKind: MONTHLY, startDate: "2026-03-01"}) { ... on BudgetCreated { budget { id } } } }"""
PROJECT = (
    'mutation { createProject(input: {name: "Algo"}) { ... on ProjectCreated { project { id } } } }'
)
ALLOCATE = """mutation($b: ID!, $p: ID!, $a: Decimal!) {
  allocate(input: {budgetId: $b, projectId: $p, amount: $a}) { __typename } }"""
SPEND = """mutation($p: ID!, $a: Decimal!) { recordSpend(input: {projectId: $p, amount: $a}) {
  __typename } }"""
PACE = """query($b: ID!) { budget(id: $b) { remaining dailyDrip todayAllowance spentToday
  allocations(first: 5) { nodes { remaining dailyDrip todayAllowance spentToday } } } }"""


async def _overdrawn_today(gql, user, fixed_clock, budget_amount: str) -> dict:
    budget = (await gql(user, CREATE, a=budget_amount))["createBudget"]["budget"]["id"]
    project = (await gql(user, PROJECT))["createProject"]["project"]["id"]
    await gql(user, ALLOCATE, b=budget, p=project, a="248.38")
    fixed_clock[0] = datetime(2026, 3, 10, 12, tzinfo=UTC)  # 22 days left, today included
    # 248.38 was left this morning (11.29 a day); 273.38 spent today leaves -25.00.
    await gql(user, SPEND, p=project, a="273.38")
    return (await gql(user, PACE, b=budget))["budget"]


async def test_an_overdrawn_allocation_drips_nothing_and_allows_nothing(
    admin, gql, fixed_clock
) -> None:
    user, _, _ = admin
    budget = await _overdrawn_today(gql, user, fixed_clock, "3000")
    node = budget["allocations"]["nodes"][0]
    assert node["remaining"] == "-25" and node["spentToday"] == "273.38"
    assert node["dailyDrip"] == "0"  # was 11.29 (248.38 ÷ 22 from this morning's balance)
    assert node["todayAllowance"] == "0"
    # The budget still holds 2,726.62 in its pool: its own drip is from that, untouched.
    assert budget["remaining"] == "2726.62"
    assert budget["dailyDrip"] == "136.363636"  # 3000 left this morning ÷ 22


async def test_an_overdrawn_budget_drips_nothing_either(admin, gql, fixed_clock) -> None:
    user, _, _ = admin
    budget = await _overdrawn_today(gql, user, fixed_clock, "248.38")
    assert budget["remaining"] == "-25"
    assert budget["dailyDrip"] == "0"  # was 11.29
    assert budget["todayAllowance"] == "0"


async def test_an_envelope_used_up_exactly_drips_nothing(admin, gql, fixed_clock) -> None:
    user, _, _ = admin
    budget = (await gql(user, CREATE, a="100"))["createBudget"]["budget"]["id"]
    project = (await gql(user, PROJECT))["createProject"]["project"]["id"]
    await gql(user, ALLOCATE, b=budget, p=project, a="100")
    fixed_clock[0] = datetime(2026, 3, 10, 12, tzinfo=UTC)
    await gql(user, SPEND, p=project, a="100")
    data = (await gql(user, PACE, b=budget))["budget"]
    assert data["allocations"]["nodes"][0]["dailyDrip"] == "0"  # was 4.545454
    assert data["dailyDrip"] == "0"


async def test_a_partly_spent_envelope_keeps_the_drip_of_this_morning(
    admin, gql, fixed_clock
) -> None:
    user, _, _ = admin
    budget = (await gql(user, CREATE, a="3000"))["createBudget"]["budget"]["id"]
    project = (await gql(user, PROJECT))["createProject"]["project"]["id"]
    await gql(user, ALLOCATE, b=budget, p=project, a="248.38")
    fixed_clock[0] = datetime(2026, 3, 10, 12, tzinfo=UTC)
    await gql(user, SPEND, p=project, a="5")
    node = (await gql(user, PACE, b=budget))["budget"]["allocations"]["nodes"][0]
    assert node["dailyDrip"] == "11.29" and node["todayAllowance"] == "6.29"
