"""`Allocation.timeline` (issue 13, the project page's chart): an envelope's cumulative spend per
day of its period against the allocated amount spread evenly over the period, with spend dated
outside the period carried to the first (last) point, as `Budget.timeline` does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from helpers import make_user

from app.domain.access import ProjectRole
from app.services import actors, allocations, budgets, spending
from app.services.spending import SpendInput
from schema import ids

# The clock stands on 15 March 2026 (tests/helpers.py).
QUERY = """query($id: ID!) { allocation: node(id: $id) { ... on Allocation { amount spent
  timeline { date spent outside cumulative ideal } } } }"""


async def _world(actor):
    b = await budgets.create_budget(
        actor, name="Cloud", amount="5000", period_kind="MONTHLY", start_date=date(2026, 3, 1)
    )
    algo = await budgets.create_project(actor, name="Algo")
    study = await budgets.create_project(actor, name="Study")
    mine = await allocations.allocate(actor, budget_id=b.id, project_id=algo.id, amount="3100")
    await allocations.allocate(actor, budget_id=b.id, project_id=study.id, amount="1000")

    async def spend(project, amount, when):
        await spending.record_spend(
            actor, SpendInput(project_id=project.id, amount=amount, occurred_at=when)
        )

    # A late charge of February, counted in March (dated before the period).
    await spend(algo, "40", datetime(2026, 2, 20, 12, tzinfo=UTC))
    await spend(algo, "10", datetime(2026, 3, 2, 12, tzinfo=UTC))
    await spend(algo, "5.5", datetime(2026, 3, 2, 18, tzinfo=UTC))
    await spend(algo, "20", datetime(2026, 3, 10, 9, tzinfo=UTC))
    await spend(study, "700", datetime(2026, 3, 3, 9, tzinfo=UTC))  # another envelope
    return b, algo, mine


def _allocation_id(result) -> str:
    allocation = getattr(result, "allocation", result)
    return ids.encode("Allocation", allocation.id)


async def test_the_timeline_runs_day_by_day_to_the_envelopes_spent(admin, gql) -> None:
    user, actor, _ = admin
    _, _, mine = await _world(actor)
    data = (await gql(user, QUERY, id=_allocation_id(mine)))["allocation"]
    points = data["timeline"]

    assert data["spent"] == "75.5"
    assert [p["date"] for p in points] == [f"2026-03-{d:02d}" for d in range(1, 16)]
    # The February charge lands in the first point, outside, and starts the line there.
    assert points[0] == {
        "date": "2026-03-01",
        "spent": "0",
        "outside": "40",
        "cumulative": "40",
        "ideal": "100",  # 3,100 over 31 days
    }
    assert (points[1]["spent"], points[1]["cumulative"]) == ("15.5", "55.5")
    assert points[2]["spent"] == "0"  # the other project's 700 is not in this envelope
    assert points[9]["spent"] == "20"
    assert points[-1]["cumulative"] == data["spent"]
    assert points[-1]["ideal"] == "1500"
    total = sum(Decimal(p["spent"]) + Decimal(p["outside"]) for p in points)
    assert total == Decimal(data["spent"])


async def test_the_ideal_ends_at_the_amount_on_the_last_day(admin, gql, fixed_clock) -> None:
    user, actor, _ = admin
    _, _, mine = await _world(actor)
    fixed_clock[0] = datetime(2026, 3, 31, 20, tzinfo=UTC)
    data = (await gql(user, QUERY, id=_allocation_id(mine)))["allocation"]
    points = data["timeline"]
    assert len(points) == 31
    assert points[-1]["date"] == "2026-03-31"
    assert points[-1]["ideal"] == data["amount"] == "3100"
    assert points[-1]["cumulative"] == "75.5"
    ideals = [Decimal(p["ideal"]) for p in points]
    assert ideals == sorted(ideals) and ideals[0] == Decimal("100")


async def test_a_member_sees_their_envelopes_timeline_not_anothers(admin, gql) -> None:
    _, actor, _ = admin
    b, algo, mine = await _world(actor)
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=algo.id, user_id=member.id, role=ProjectRole.MEMBER
    )
    data = (await gql(member, QUERY, id=_allocation_id(mine)))["allocation"]
    assert data["timeline"][-1]["cumulative"] == "75.5"

    query = """query($id: ID!) { budget(id: $id) { allocations { edges { node {
      project { slug } timeline { cumulative } } } } } }"""
    edges = (await gql(member, query, id=ids.encode("Budget", b.id)))["budget"]["allocations"]
    assert [(e["node"]["project"]["slug"], e["node"]["timeline"][-1]["cumulative"])
            for e in edges["edges"]] == [("algo", "75.5")]  # fmt: skip


async def test_an_envelope_without_spend_has_a_flat_line(admin, gql) -> None:
    user, actor, _ = admin
    b = await budgets.create_budget(
        actor, name="Quiet", amount="310", period_kind="MONTHLY", start_date=date(2026, 3, 1)
    )
    p = await budgets.create_project(actor, name="Idle")
    result = await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="310")
    points = (await gql(user, QUERY, id=_allocation_id(result)))["allocation"]["timeline"]
    assert len(points) == 15
    assert {p["cumulative"] for p in points} == {"0"}
    assert points[4]["ideal"] == "50"
