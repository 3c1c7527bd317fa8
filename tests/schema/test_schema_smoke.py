from __future__ import annotations

DASHBOARD = """
query($id: ID!) { budget(id: $id) { id name currency amount allocated unallocated spent remaining
  percentUsed status dailyDrip currentPeriod { startDate endDate status }
  allocations(first: 10) { totalCount edges { node { id amount spent remaining percentUsed status
    dailyDrip runwayDays
    forecast { burnRatePerDay projectedSpend projectedOverrun exhaustionDate runwayDays }
    project { name slug } } } }
  topSpenders { project { name } spent } timeline { date spent cumulative ideal }
  serviceBreakdown { service amount count } forecast { burnRatePerDay projectedSpend }
  transfers { edges { node { id amount reason status requestedBy { name } decidedBy { name } } } }
  owners { name } } }
"""


async def test_the_dashboard_query_reads_a_budget_with_its_allocations(admin, gql) -> None:
    user, _, _ = admin
    data = await gql(
        user,
        """mutation { createBudget(input: {name: "Grant", amount: "50000",
        periodKind: GRANT, startDate: "2026-01-01", endDate: "2026-12-31"}) {
        __typename ... on BudgetCreated { budget { id } } ... on Error { code message } } }""",
    )
    budget_id = data["createBudget"]["budget"]["id"]
    data = await gql(
        user,
        """mutation { createProject(input: {name: "Algo"}) {
        ... on ProjectCreated { project { id } } } }""",
    )
    project_id = data["createProject"]["project"]["id"]
    data = await gql(
        user,
        """mutation($b: ID!, $p: ID!) { allocate(input: {budgetId: $b, projectId: $p,
        amount: "20000"}) { __typename
        ... on AllocationSet { allocation { amount remaining } } } }""",
        b=budget_id,
        p=project_id,
    )
    assert data["allocate"]["allocation"] == {"amount": "20000", "remaining": "20000"}
    data = await gql(
        user,
        """mutation($p: ID!) { recordSpend(input: {projectId: $p, amount: "12.5",
        service: "aws"}) { __typename ... on SpendRecorded { spend { amount } } } }""",
        p=project_id,
    )
    assert data["recordSpend"]["spend"]["amount"] == "12.5"
    data = await gql(user, DASHBOARD, id=budget_id)
    b = data["budget"]
    assert b["allocated"] == "20000" and b["unallocated"] == "30000" and b["spent"] == "12.5"
    assert b["allocations"]["edges"][0]["node"]["remaining"] == "19987.5"
    assert b["serviceBreakdown"] == [{"service": "aws", "amount": "12.5", "count": 1}]
