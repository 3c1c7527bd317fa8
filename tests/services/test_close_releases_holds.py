from __future__ import annotations

from datetime import date

from app.models import Allocation, Reservation
from app.services import allocations, budgets, periods, reservations
from app.services.verify import verify


async def test_closing_a_period_lets_its_open_spend_holds_lapse(admin) -> None:
    _, actor, _ = admin
    b = await budgets.create_budget(
        actor,
        name="LLM",
        amount="500",
        period_kind="MONTHLY",
        start_date=date(2026, 3, 1),
        rollover_policy="CARRY_UNSPENT",
    )
    p = await budgets.create_project(actor, name="Agents")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="100")
    hold, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="40")
    assert (await Allocation.get(id=hold.allocation_id)).held_micros == 40_000_000  # type: ignore[attr-defined]

    result = await periods.close_period(actor, b.id)

    old = await Allocation.get(id=hold.allocation_id)  # type: ignore[attr-defined]
    assert old.held_micros == 0
    assert (await Reservation.get(id=hold.id)).status == "EXPIRED"
    assert result.next is not None
    new = await Allocation.get(period_id=result.next.id, project_id=p.id)
    assert new.allocated_micros == 200_000_000  # base 100 + the 100 unspent, hold included
    assert await verify() == []
