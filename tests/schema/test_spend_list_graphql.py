"""What the web app's spend list and owner picker ask of the API: Allocation.spends filtered by
service and by local days (the budget's time zone), and addBudgetOwner naming the new owner by
e-mail (the permission check first, so nobody else learns whether an address is known)."""

from __future__ import annotations

from typing import Any

from app.services import actors

BUDGET = """mutation { createBudget(input: {name: "Cloud", amount: "1000", periodKind: GRANT,
  startDate: "2024-01-01", endDate: "2030-12-31", timezone: "America/New_York"}) {
  ... on BudgetCreated { budget { id } } } }"""
PROJECT = """mutation { createProject(input: {name: "Atlas"}) {
  ... on ProjectCreated { project { id } } } }"""
ALLOCATE = """mutation($b: ID!, $p: ID!) { allocate(input: {budgetId: $b, projectId: $p,
  amount: "500"}) { ... on AllocationSet { allocation { id } } } }"""
SPEND = """mutation($b: ID!, $p: ID!, $amount: Decimal!, $service: String!, $at: DateTime!) {
  recordSpend(input: {budgetId: $b, projectId: $p, amount: $amount, service: $service,
  occurredAt: $at}) { __typename ... on SpendRecorded { spend { id } } } }"""
SPENDS = """query($id: ID!, $service: String, $from: Date, $to: Date, $first: Int, $after: String) {
  node(id: $id) { ... on Allocation { spends(service: $service, fromDate: $from, toDate: $to,
  first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  nodes { amount service } } } } }"""
ADD_OWNER = """mutation($input: AddBudgetOwnerInput!) { addBudgetOwner(input: $input) {
  __typename ... on Error { code message } ... on ValidationError { field } } }"""
OWNERS = """query($id: ID!) { budget(id: $id) { owners { name } } }"""


async def _envelope(gql: Any, user: Any) -> tuple[str, str, str]:
    budget = (await gql(user, BUDGET))["createBudget"]["budget"]["id"]
    project = (await gql(user, PROJECT))["createProject"]["project"]["id"]
    allocation = (await gql(user, ALLOCATE, b=budget, p=project))["allocate"]["allocation"]["id"]
    return budget, project, allocation


async def test_spends_filter_by_service_and_by_local_days(admin, gql) -> None:
    user, _, _ = admin
    budget, project, allocation = await _envelope(gql, user)
    # 03:00 UTC on 10 March is still 9 March in New York (UTC-5).
    for amount, service, at in [
        ("1", "aws-ec2", "2024-03-09T15:00:00+00:00"),
        ("2", "gpt-4o", "2024-03-10T03:00:00+00:00"),
        ("3", "aws-ec2", "2024-03-10T06:00:00+00:00"),
        ("4", "aws-ec2", "2024-03-12T12:00:00+00:00"),
    ]:
        done = await gql(user, SPEND, b=budget, p=project, amount=amount, service=service, at=at)
        assert done["recordSpend"]["__typename"] == "SpendRecorded"

    async def amounts(**filters: Any) -> list[str]:
        page = (await gql(user, SPENDS, id=allocation, **filters))["node"]["spends"]
        assert page["totalCount"] == len(page["nodes"])
        return [n["amount"] for n in page["nodes"]]

    assert await amounts() == ["1", "2", "3", "4"]
    assert await amounts(service="aws-ec2") == ["1", "3", "4"]
    assert await amounts(service="none-such") == []
    assert await amounts(**{"from": "2024-03-09", "to": "2024-03-09"}) == ["1", "2"]
    assert await amounts(**{"from": "2024-03-10"}) == ["3", "4"]
    assert await amounts(**{"to": "2024-03-10"}) == ["1", "2", "3"]
    assert await amounts(service="aws-ec2", **{"from": "2024-03-10", "to": "2024-03-12"}) == [
        "3",
        "4",
    ]
    # Pages follow the filter: the cursor of a filtered page goes on within it.
    first = (await gql(user, SPENDS, id=allocation, service="aws-ec2", first=2))["node"]["spends"]
    assert [n["amount"] for n in first["nodes"]] == ["1", "3"] and first["pageInfo"]["hasNextPage"]
    rest = await gql(
        user,
        SPENDS,
        id=allocation,
        service="aws-ec2",
        first=2,
        after=first["pageInfo"]["endCursor"],
    )
    assert [n["amount"] for n in rest["node"]["spends"]["nodes"]] == ["4"]


async def test_a_range_ending_before_it_starts_is_refused_naming_to_date(admin) -> None:
    from schema import schema
    from schema.context import context_for_user

    user, _, _ = admin
    context = await context_for_user(user)
    made = await schema.execute(BUDGET, context_value=context)
    assert made.data is not None
    budget = made.data["createBudget"]["budget"]["id"]
    project = (await schema.execute(PROJECT, context_value=context)).data["createProject"]  # type: ignore[index]
    allocated = await schema.execute(
        ALLOCATE,
        variable_values={"b": budget, "p": project["project"]["id"]},
        context_value=context,
    )
    allocation = allocated.data["allocate"]["allocation"]["id"]  # type: ignore[index]
    result = await schema.execute(
        SPENDS,
        variable_values={"id": allocation, "from": "2024-03-10", "to": "2024-03-09"},
        context_value=await context_for_user(user),
    )
    assert result.errors, result
    assert "toDate" in result.errors[0].message and "fromDate" in result.errors[0].message


async def test_an_owner_is_added_by_email_and_strangers_learn_nothing(admin, gql) -> None:
    user, _, _ = admin
    budget, _, _ = await _envelope(gql, user)
    bob, _ = await actors.create_user(None, name="Bob Owner", email="bob@example.org")
    sam, _ = await actors.create_user(None, name="Sam Stranger", email="sam@example.org")

    async def add(who: Any, **input: Any) -> dict[str, Any]:
        data = await gql(who, ADD_OWNER, input={"budgetId": budget, **input})
        return data["addBudgetOwner"]  # type: ignore[no-any-return]

    # Not an owner: refused before the address is looked up, known or not.
    for email in ("bob@example.org", "nobody@example.org"):
        assert (await add(sam, email=email))["code"] == "PERMISSION_DENIED"
    unknown = await add(user, email="nobody@example.org")
    assert unknown["code"] == "NOT_FOUND" and "nobody@example.org" in unknown["message"]
    neither = await add(user)
    assert neither["code"] == "VALIDATION" and neither["field"] == "userId"
    both = await add(user, email="bob@example.org", userId=f"usr_{bob.id}")
    assert both["code"] == "VALIDATION"
    assert (await add(user, email="  BOB@Example.org "))["__typename"] == "BudgetOwnerAdded"
    owners = (await gql(user, OWNERS, id=budget))["budget"]["owners"]
    assert sorted(o["name"] for o in owners) == ["Ada Admin", "Bob Owner"]
