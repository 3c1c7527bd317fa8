from __future__ import annotations

from datetime import date

from app.services import allocations, budgets, spending
from app.services.spending import SpendInput
from app.services.verify import verify


async def test_a_budget_can_be_created_allocated_and_spent(admin) -> None:
    user, actor, _ = admin
    b = await budgets.create_budget(actor, name="Grant", amount="50000", period_kind="GRANT",
                                    start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    p = await budgets.create_project(actor, name="Algo")
    a = await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="20000")
    assert a.allocated_micros == 20_000_000_000
    s, created = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="12.345678"))
    assert created and s.amount_micros == 12_345_678
    assert await verify() == []
