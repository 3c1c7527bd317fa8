from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from helpers import both_databases

from app.domain.errors import InsufficientFunds, InvalidState
from app.models import Allocation, Reservation, Spend
from app.services import allocations, authorize, budgets, holds, reservations
from app.services.verify import verify


async def funded_project(actor, *, amount: str = "1000", hard_limit: bool = False):
    b = await budgets.create_budget(
        actor,
        name="Grant",
        amount="50000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        hard_limit=hard_limit,
    )
    p = await budgets.create_project(actor, name="Algo")
    a = await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=amount)
    return b, p, a


async def held(allocation_id: int) -> int:
    return (await Allocation.get(id=allocation_id)).held_micros


async def test_a_hold_reduces_what_authorize_spend_allows(admin) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor, amount="100")
    assert (await authorize.authorize_spend(actor, project_id=p.id, amount="80")).allowed
    r, created = await reservations.reserve_spend(actor, project_id=p.id, amount="30")
    assert created and r.status == "OPEN" and await held(a.id) == 30_000_000
    decision = await authorize.authorize_spend(actor, project_id=p.id, amount="80")
    assert not decision.allowed and decision.remaining == 70_000_000
    assert "held by open reservations" in decision.reason
    with pytest.raises(InsufficientFunds) as caught:
        await reservations.reserve_spend(actor, project_id=p.id, amount="70.000001")
    assert caught.value.available == 70_000_000
    assert await verify() == []


async def test_settling_for_less_than_the_hold_spends_the_actual_amount(admin) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor)
    r, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="100")
    done = await reservations.settle_reservation(
        actor, reservation_id=r.id, amount="60.5", external_id="job-1"
    )
    row = await Allocation.get(id=a.id)
    assert (row.spent_micros, row.held_micros) == (60_500_000, 0)
    assert done.reservation.status == "SETTLED" and done.reservation.spend_id == done.spend.id
    again = await reservations.settle_reservation(actor, reservation_id=r.id, amount="60.5")
    assert not again.created and again.spend.id == done.spend.id
    with pytest.raises(InvalidState):
        await reservations.settle_reservation(actor, reservation_id=r.id, amount="61")
    assert await Spend.all().count() == 1 and await verify() == []


async def test_settling_for_more_than_the_hold_spends_the_actual_amount(admin) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor, amount="120")
    r, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="100")
    await reservations.settle_reservation(actor, reservation_id=r.id, amount="150")
    row = await Allocation.get(id=a.id)
    # Without hard limits, the actual spend may overdraw the allocation: it happened.
    assert (row.spent_micros, row.held_micros) == (150_000_000, 0)
    assert await verify() == []


async def test_a_hard_limit_refuses_the_part_above_the_hold_that_free_money_cannot_cover(
    admin,
) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor, amount="200", hard_limit=True)
    r, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="100")
    other, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="60")
    # Free money besides the two holds is 40: 100 + 40 fits, 100 + 41 would eat the other hold.
    with pytest.raises(InsufficientFunds):
        await reservations.settle_reservation(actor, reservation_id=r.id, amount="141")
    assert (await Reservation.get(id=r.id)).status == "OPEN" and await held(a.id) == 160_000_000
    await reservations.settle_reservation(actor, reservation_id=r.id, amount="140")
    row = await Allocation.get(id=a.id)
    assert (row.spent_micros, row.held_micros) == (140_000_000, 60_000_000)
    assert other.status == "OPEN" and await verify() == []


async def test_a_released_hold_gives_its_money_back_and_cannot_be_settled(admin) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor)
    r, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="100")
    released = await reservations.release_reservation(actor, reservation_id=r.id)
    assert released.status == "RELEASED" and await held(a.id) == 0
    assert (await reservations.release_reservation(actor, reservation_id=r.id)).status == "RELEASED"
    with pytest.raises(InvalidState):
        await reservations.settle_reservation(actor, reservation_id=r.id, amount="10")
    assert await held(a.id) == 0 and await verify() == []


async def test_holds_expire_after_their_time_to_live(admin, fixed_clock) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor, amount="100")
    short, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="40", ttl_seconds=60)
    long, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="10")
    assert long.expires_at == fixed_clock[0] + timedelta(seconds=900)  # the default TTL
    fixed_clock[0] += timedelta(seconds=61)
    # Authorize ignores the stale hold before any sweep: 100 − 10 held remain.
    assert (await authorize.authorize_spend(actor, project_id=p.id, amount="90")).allowed
    assert await holds.expire_reservations() == 1
    assert (await Reservation.get(id=short.id)).status == "EXPIRED"
    assert await held(a.id) == 10_000_000
    assert await holds.expire_reservations() == 0
    with pytest.raises(InvalidState):
        await reservations.settle_reservation(actor, reservation_id=short.id, amount="40")
    assert await verify() == []


async def test_a_new_hold_takes_the_money_of_a_stale_hold_without_waiting_for_the_sweep(
    admin,
    fixed_clock,
) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor, amount="100")
    stale, _ = await reservations.reserve_spend(
        actor, project_id=p.id, amount="100", ttl_seconds=30
    )
    fixed_clock[0] += timedelta(seconds=31)
    fresh, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="100")
    assert fresh.status == "OPEN" and await held(a.id) == 100_000_000
    assert (await Reservation.get(id=stale.id)).status == "EXPIRED"
    assert await verify() == []


async def test_the_same_idempotency_key_returns_the_first_hold(admin) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor)
    first, created = await reservations.reserve_spend(
        actor, project_id=p.id, amount="10", idempotency_key="req-1"
    )
    again, created_again = await reservations.reserve_spend(
        actor, project_id=p.id, amount="10", idempotency_key="req-1"
    )
    assert created and not created_again and again.id == first.id
    assert await held(a.id) == 10_000_000


@both_databases
async def test_a_hundred_concurrent_holds_on_room_for_ten_grant_exactly_ten(admin) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor, amount="100")

    async def attempt() -> str:
        try:
            await reservations.reserve_spend(actor, project_id=p.id, amount="10")
        except InsufficientFunds:
            return "refused"
        return "granted"

    outcomes = await asyncio.gather(*(attempt() for _ in range(100)))
    assert outcomes.count("granted") == 10 and outcomes.count("refused") == 90
    assert await Reservation.filter(status="OPEN").count() == 10
    assert await held(a.id) == 100_000_000
    assert not (await authorize.authorize_spend(actor, project_id=p.id, amount="0.01")).allowed
    assert await verify() == []
