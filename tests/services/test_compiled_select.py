"""Compiled selects (app.models.compiled) return what the QuerySet returns, on both databases,
inside a transaction too; a query whose arguments cannot be compiled is built every time."""

from __future__ import annotations

from datetime import date

from helpers import both_databases
from tortoise.transactions import in_transaction

from app.models import Allocation
from app.models.compiled import CompiledSelect
from app.services import allocations, budgets
from app.services.spending import _OPEN_ALLOCATION_IN, _OPEN_ALLOCATIONS, _open_allocations


def _shape(rows: list[Allocation]) -> list[tuple[object, ...]]:
    return [
        (
            r.id,
            r.allocated_micros,
            r.spent_micros,
            r.budget.id,
            r.budget.name,
            r.budget.hard_limit,
            r.project.slug,
            r.period.status,
            r.period.start_date,
        )
        for r in rows
    ]


async def _world(actor):  # type: ignore[no-untyped-def]
    one = await budgets.create_budget(
        actor, name="One", amount="1000", period_kind="ANNUAL", start_date=date(2026, 1, 1)
    )
    two = await budgets.create_budget(
        actor, name="Two", amount="500", period_kind="MONTHLY", start_date=date(2026, 1, 1)
    )
    shared = await budgets.create_project(actor, name="Shared")
    alone = await budgets.create_project(actor, name="Alone")
    for b, p, amount in ((one, shared, "100"), (two, shared, "50"), (one, alone, "7")):
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=amount)
    return one, two, shared, alone


@both_databases
async def test_compiled_selects_return_what_the_queryset_returns(admin) -> None:
    _, actor, _ = admin
    one, two, shared, alone = await _world(actor)
    for _ in range(2):  # the first call compiles, the second runs the kept SQL
        for project in (shared, alone):
            expected = _shape(list(await _open_allocations(project.id)))
            assert _shape(await _OPEN_ALLOCATIONS(project.id)) == expected
            assert len(expected) == (2 if project is shared else 1)
        for b in (one, two):
            expected = _shape(list(await _open_allocations(shared.id).filter(budget_id=b.id)))
            assert _shape(await _OPEN_ALLOCATION_IN(shared.id, b.id)) == expected
            assert [row[3] for row in expected] == [b.id]
    assert await _OPEN_ALLOCATIONS(10**9) == []


class _Rollback(Exception):
    pass


@both_databases
async def test_a_compiled_select_reads_through_the_open_transaction(admin) -> None:
    _, actor, _ = admin
    one, _, shared, _ = await _world(actor)
    period_id = (await _OPEN_ALLOCATIONS(shared.id))[0].period_id  # compiled outside
    late = await budgets.create_project(actor, name="Late")
    try:
        async with in_transaction():
            await Allocation.create(
                budget_id=one.id, period_id=period_id, project_id=late.id, allocated_micros=5
            )
            assert [r.allocated_micros for r in await _OPEN_ALLOCATIONS(late.id)] == [5]
            raise _Rollback
    except _Rollback:
        pass
    assert await _OPEN_ALLOCATIONS(late.id) == []


async def test_arguments_that_cannot_be_compiled_build_the_query_each_time(database) -> None:
    calls: list[object] = []

    def make(value: object):  # type: ignore[no-untyped-def]
        calls.append(value)
        return Allocation.filter(notes=value)

    compiled = CompiledSelect(Allocation, make, (int,))
    assert await compiled("text") == []  # not an int: the plain QuerySet
    assert await compiled(3) == []  # the marker is not an SQL parameter as given: not compiled
    assert await compiled(4) == []
    assert "text" in calls and 3 in calls and 4 in calls


@both_databases
async def test_a_compiled_select_with_a_day_argument_reads_that_day_only(admin) -> None:
    from datetime import timedelta

    from app import clock
    from app.models import SpendDaily
    from app.services import spending
    from app.services.authorize import spent_on

    _, actor, _ = admin
    _, _, shared, alone = await _world(actor)
    today = clock.now().date()
    for service, amount in (("aws", "1.5"), ("gcp", "2.25")):
        await spending.record_spend(
            actor, spending.SpendInput(project_id=alone.id, amount=amount, service=service)
        )
    allocation = (await _OPEN_ALLOCATIONS(alone.id))[0]
    rows = await SpendDaily.filter(allocation_id=allocation.id, day=today)
    assert len(rows) == 2
    for _ in range(2):
        assert await spent_on(allocation.id, today) == 3_750_000
        assert await spent_on(allocation.id, today - timedelta(days=1)) == 0
        other = (await _OPEN_ALLOCATIONS(shared.id))[0]
        assert await spent_on(other.id, today) == 0
