from __future__ import annotations

from datetime import date

from app.services import allocations, budgets, spending
from app.services.spending import SpendInput
from app.services.verify import verify


async def test_a_budget_can_be_created_allocated_and_spent(admin) -> None:
    _, actor, _ = admin
    b = await budgets.create_budget(
        actor,
        name="Grant",
        amount="50000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    p = await budgets.create_project(actor, name="Algo")
    a = await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="20000")
    assert a.allocated_micros == 20_000_000_000
    s, created = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="12.345678"))
    assert created and s.amount_micros == 12_345_678
    assert await verify() == []


async def test_an_external_id_replayed_with_another_description_is_a_conflict(admin) -> None:
    import pytest

    from app.domain.errors import IdempotencyConflict

    _, actor, _ = admin
    b = await budgets.create_budget(
        actor,
        name="G",
        amount="100",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    p = await budgets.create_project(actor, name="P")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="50")
    first, created = await spending.record_spend(
        actor, SpendInput(project_id=p.id, amount="2", external_id="inv-1", description="GPU")
    )
    again, created_again = await spending.record_spend(
        actor, SpendInput(project_id=p.id, amount="2", external_id="inv-1")
    )
    assert created and not created_again and again.id == first.id
    with pytest.raises(IdempotencyConflict):
        await spending.record_spend(
            actor, SpendInput(project_id=p.id, amount="2", external_id="inv-1", description="CPU")
        )
    assert await verify() == []
