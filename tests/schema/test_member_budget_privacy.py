"""A member sees the pool and their own project's spend, never another project's — not even
as a difference of totals."""

from __future__ import annotations

from datetime import date

from helpers import make_user

from app.domain.access import ProjectRole
from app.services import actors, allocations, budgets, spending
from app.services.spending import SpendInput
from schema import ids

QUERY = """query($id: ID!) { budget(id: $id) { amount allocated unallocated spent remaining
  serviceBreakdown { service amount } timeline { cumulative } forecast { projectedSpend }
  currentPeriod { spent allocated } periods { spent }
  allocations { totalCount } topSpenders { project { slug } } } }"""


async def test_a_member_sees_only_their_projects_spend_in_budget_totals(admin, gql) -> None:
    admin_user, actor, _ = admin
    b = await budgets.create_budget(
        actor,
        name="Grant",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    algo = await budgets.create_project(actor, name="Algo")
    study = await budgets.create_project(actor, name="Study")
    await allocations.allocate(actor, budget_id=b.id, project_id=algo.id, amount="300")
    await allocations.allocate(actor, budget_id=b.id, project_id=study.id, amount="500")
    await spending.record_spend(actor, SpendInput(project_id=algo.id, amount="10", service="cpu"))
    await spending.record_spend(actor, SpendInput(project_id=study.id, amount="40", service="gpu"))
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=algo.id, user_id=member.id, role=ProjectRole.MEMBER
    )
    budget_id = ids.encode("Budget", b.id)

    mine = (await gql(member, QUERY, id=budget_id))["budget"]
    whole = (await gql(admin_user, QUERY, id=budget_id))["budget"]

    assert whole["spent"] == "50" and whole["allocated"] == "800"
    assert mine["spent"] == "10" and mine["allocated"] == "300" and mine["unallocated"] == "200"
    assert mine["amount"] == "500" and mine["remaining"] == "490"
    assert mine["serviceBreakdown"] == [{"service": "cpu", "amount": "10"}]
    assert mine["timeline"][-1]["cumulative"] == "10"
    assert mine["currentPeriod"] == {"spent": "10", "allocated": "300"}
    assert mine["periods"] == [{"spent": "10"}]
    assert mine["allocations"]["totalCount"] == 1
    assert [t["project"]["slug"] for t in mine["topSpenders"]] == ["algo"]


async def test_a_literal_page_size_over_the_maximum_is_refused_before_anything_runs(admin) -> None:
    from app.models import Project
    from schema import schema
    from schema.context import context_for_user

    user, _, _ = admin
    hostile = """mutation { createProject(input: {name: "Sneaky"}) { __typename
      ... on ProjectCreated { project { allocations { budget {
        allocations(first: 100000) { totalCount } } } } } } }"""
    result = await schema.execute(hostile, context_value=await context_for_user(user))
    assert result.errors and result.errors[0].message == "first must be at most 1000"
    assert result.errors[0].extensions == {"code": "VALIDATION", "field": "first"}
    assert not await Project.exists(name="Sneaky")


async def test_a_budget_owner_can_find_a_project_to_fund_but_not_its_people(admin, gql) -> None:
    _, actor, _ = admin
    pi, _ = await make_user("Pat Pi", creator=True)
    student, _ = await make_user("Sam Student")
    b = await budgets.create_budget(
        await actors.load_actor(pi),
        name="Lab",
        amount="100",
        period_kind="MONTHLY",
        start_date=date(2026, 3, 1),
    )
    robotics = await budgets.create_project(actor, name="Robotics")
    await actors.add_project_member(actor, project_id=robotics.id, user_id=student.id)
    query = (
        """{ projects(search: "Robo") { nodes { slug members { name } allocations { id } } } }"""
    )

    found = (await gql(pi, query))["projects"]["nodes"]
    assert found == [{"slug": "robotics", "members": [], "allocations": []}]
    assert (await gql(student, query))["projects"]["nodes"][0]["members"] == [
        {"name": "Sam Student"}
    ]

    pi_actor = await actors.load_actor(pi)
    await allocations.allocate(pi_actor, budget_id=b.id, project_id=robotics.id, amount="10")
    funded = (await gql(pi, query))["projects"]["nodes"][0]
    assert funded["members"] == [{"name": "Sam Student"}] and len(funded["allocations"]) == 1


async def test_a_page_size_over_the_maximum_in_a_variable_is_refused_before_anything_runs(
    admin,
) -> None:
    from app.models import Project
    from schema import schema
    from schema.context import context_for_user

    user, _, _ = admin
    hostile = """mutation($n: Int!) { createProject(input: {name: "Sneaky"}) { __typename
      ... on ProjectCreated { project { allocations { budget {
        allocations(first: $n) { totalCount } } } } } } }"""
    context = await context_for_user(user)
    result = await schema.execute(hostile, variable_values={"n": 5000}, context_value=context)
    assert result.errors and result.errors[0].message == "first must be at most 1000"
    assert not await Project.exists(name="Sneaky")
    fine = await schema.execute(hostile, variable_values={"n": 10}, context_value=context)
    assert fine.errors is None and await Project.exists(name="Sneaky")
