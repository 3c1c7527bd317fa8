"""A row a rule sends to a project that cannot take it is held as unassigned spend, with the
reason, instead of being rejected (issue #9); assignSpend and applyRoutingRules then record it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from helpers import make_user

from app.ingest import read_focus
from app.models import Allocation, Spend, UnassignedSpend
from app.services import actors, allocations, budgets, imports, routing, unassigned
from app.services.actors import load_actor
from app.services.verify import verify

both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)

FOCUS = (
    "BilledCost,ChargePeriodStart,BillingCurrency,ServiceName,Tags\n"
    '1.50,2026-03-02T00:00:00Z,USD,svc,"{""team"": ""genomics""}"\n'
    '-0.25,2026-03-03T00:00:00Z,USD,svc,"{""team"": ""genomics""}"\n'
    '2.00,2026-03-04T00:00:00Z,USD,svc,"{""team"": ""other""}"\n'
)


async def _budget(actor, name: str):
    return await budgets.create_budget(
        actor,
        name=name,
        amount="10000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )


async def _world(actor):
    lab = await _budget(actor, "CS Lab")
    cloud = await _budget(actor, "Cloud Credits")
    genomics = await budgets.create_project(actor, name="Genomics", slug="genomics")
    await allocations.allocate(actor, budget_id=lab.id, project_id=genomics.id, amount="500")
    await routing.create_rule(
        actor, match="tag", key="team", value="genomics", project_id=genomics.id
    )
    return lab, cloud, genomics


@both_databases
async def test_rows_for_a_project_without_an_allocation_in_the_budget_are_held_with_why(
    admin,
) -> None:
    _, actor, _ = admin
    _lab, cloud, genomics = await _world(actor)

    summary = await imports.import_rows(
        actor, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=cloud.id
    )

    # Before: rejected == 2 ("Allocation ... not found"), nothing kept.
    why = "project genomics has no allocation in budget Cloud Credits"
    assert summary.rejected == 0 and summary.recorded == 0
    assert summary.unassigned == 3
    assert summary.unassigned_reasons == {why: 2, imports.UNROUTED: 1}
    held = await UnassignedSpend.filter(reason=why).order_by("line")
    assert [(h.amount_micros, h.budget_id) for h in held] == [  # type: ignore[attr-defined]
        (1_500_000, cloud.id),
        (-250_000, cloud.id),
    ]

    again = await imports.import_rows(
        actor, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=cloud.id
    )
    assert again.already_unassigned == 3 and again.unassigned == again.rejected == 0

    # Once the project is funded in that budget, applying the rules records them there.
    # (Importing again would too: see the next test.)
    await allocations.allocate(actor, budget_id=cloud.id, project_id=genomics.id, amount="100")
    applied = await unassigned.apply_rules(actor, budget_id=cloud.id)
    assert (applied.assigned, applied.failed, applied.still_unassigned) == (2, 0, 1)
    envelope = await Allocation.get(budget_id=cloud.id, project_id=genomics.id)
    assert envelope.spent_micros == 1_250_000
    assert await UnassignedSpend.all().count() == 1
    assert await verify() == []


async def test_the_owner_of_the_target_budget_sees_and_assigns_them(admin) -> None:
    _, actor, _ = admin
    _lab, cloud, _genomics = await _world(actor)
    owner_user, _ = await make_user("Olive Owner", creator=True)
    await actors.add_budget_owner(actor, budget_id=cloud.id, user_id=owner_user.id)
    owner = await load_actor(owner_user)
    elsewhere = await budgets.create_project(actor, name="Shared", slug="shared")
    await allocations.allocate(actor, budget_id=cloud.id, project_id=elsewhere.id, amount="50")

    await imports.import_rows(
        owner, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=cloud.id
    )

    visible = await unassigned.visible_unassigned(owner).filter(reason__contains="genomics")
    assert len(visible) == 2
    results = await unassigned.assign(
        owner, [h.id for h in visible], project_id=elsewhere.id, budget_id=cloud.id
    )
    assert [r.status for _, r in results] == ["recorded", "recorded"]
    assert (await Allocation.get(project_id=elsewhere.id)).spent_micros == 1_250_000
    assert await verify() == []


async def test_a_project_funded_by_several_budgets_and_no_budget_named_is_held(admin) -> None:
    _, actor, _ = admin
    _lab, cloud, genomics = await _world(actor)
    await allocations.allocate(actor, budget_id=cloud.id, project_id=genomics.id, amount="100")

    summary = await imports.import_rows(actor, read_focus(io.StringIO(FOCUS)), source="focus")

    # Before: rejected == 2 (AmbiguousReference).
    why = "project genomics is funded by 2 budgets and neither the rule nor the import names one"
    assert summary.rejected == 0 and summary.unassigned_reasons == {why: 2, imports.UNROUTED: 1}
    assert await Spend.all().count() == 0


async def test_a_project_with_no_allocation_at_all_is_held(admin) -> None:
    _, actor, _ = admin
    await _budget(actor, "CS Lab")
    orphan = await budgets.create_project(actor, name="Orphan", slug="orphan")
    await routing.create_rule(actor, match="service", value="svc", project_id=orphan.id)

    summary = await imports.import_rows(actor, read_focus(io.StringIO(FOCUS)), source="focus")

    assert summary.rejected == 0 and summary.unassigned_reasons == {
        "project orphan has no allocation in any open budget": 3
    }


async def test_applying_the_rules_brings_the_reason_up_to_date(admin) -> None:
    _, actor, _ = admin
    lab = await _budget(actor, "CS Lab")
    cloud = await _budget(actor, "Cloud Credits")
    genomics = await budgets.create_project(actor, name="Genomics", slug="genomics")
    await allocations.allocate(actor, budget_id=lab.id, project_id=genomics.id, amount="500")
    await imports.import_rows(
        actor, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=cloud.id
    )
    assert {h.reason for h in await UnassignedSpend.all()} == {imports.UNROUTED}

    await routing.create_rule(
        actor, match="tag", key="team", value="genomics", project_id=genomics.id
    )
    applied = await unassigned.apply_rules(actor)

    assert (applied.assigned, applied.failed, applied.still_unassigned) == (0, 0, 3)
    reasons = sorted(h.reason for h in await UnassignedSpend.all())  # type: ignore[type-var]
    assert reasons == [
        "no routing rule matches it",
        "project genomics has no allocation in budget Cloud Credits",
        "project genomics has no allocation in budget Cloud Credits",
    ]


async def test_importing_again_once_funded_records_them_and_releases_the_held_rows(admin) -> None:
    _, actor, _ = admin
    _lab, cloud, genomics = await _world(actor)
    await imports.import_rows(
        actor, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=cloud.id
    )
    await allocations.allocate(actor, budget_id=cloud.id, project_id=genomics.id, amount="100")

    again = await imports.import_rows(
        actor, read_focus(io.StringIO(FOCUS)), source="focus", budget_id=cloud.id
    )

    assert (again.recorded, again.already_unassigned) == (2, 1)
    assert [h.reason for h in await UnassignedSpend.all()] == [imports.UNROUTED]
    assert (await Allocation.get(budget_id=cloud.id, project_id=genomics.id)).spent_micros == (
        1_250_000
    )
    assert await verify() == []
