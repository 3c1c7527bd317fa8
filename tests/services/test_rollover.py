"""Rollover at period close: every policy with exact figures, overrides, cap, scaling, and a
journal that replays to the cached balances after any number of closes."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.errors import InvalidState
from app.models import Allocation, BudgetPeriod, JournalEntry
from app.services import allocations, budgets, periods, plans, spending
from app.services.spending import SpendInput
from app.services.verify import verify

M = 1_000_000
APRIL = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)


async def march_budget(actor, policy, *, cap=None, amount="1000"):
    b = await budgets.create_budget(
        actor,
        name="Ops",
        amount=amount,
        period_kind="MONTHLY",
        start_date=date(2026, 3, 1),
        rollover_policy=policy,
    )
    if cap is not None:
        await budgets.update_budget(actor, b.id, rollover_cap=cap)
    return b


async def envelope(actor, b, name, allocated, spent):
    p = await budgets.create_project(actor, name=name)
    a = await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=allocated)
    if spent != "0":
        await spending.record_spend(
            actor, SpendInput(project_id=p.id, amount=spent, budget_id=b.id)
        )
    return p, a


async def close(fixed_clock, when=APRIL):
    fixed_clock[0] = when
    return await periods.close_due_periods()


async def figures(period_seq: int, budget_id: int):
    p = await BudgetPeriod.get(budget_id=budget_id, seq=period_seq)
    allocs = (
        await Allocation.filter(period_id=p.id)
        .order_by("project_id")
        .values_list("allocated_micros", "spent_micros")
    )
    return (
        p.funded_micros // M,
        p.unallocated_micros // M,
        p.allocated_micros // M,
        [(a // M, s // M) for a, s in allocs],
    )


# (policy, cap, allocated, spent) -> March after close, April after open
CASES = [
    ("NONE", None, "400", "100", (1000, 600, 400, [(400, 100)]), (1000, 600, 400, [(400, 0)])),
    (
        "CARRY_UNSPENT",
        None,
        "400",
        "100",
        (1000, 0, 100, [(100, 100)]),
        (1000, 1200, 700, [(700, 0)]),
    ),
    (
        "CARRY_UNSPENT",
        "50",
        "400",
        "100",
        (1000, 550, 350, [(350, 100)]),
        (1000, 650, 450, [(450, 0)]),
    ),
    (
        "CARRY_UNSPENT",
        None,
        "400",
        "500",  # overspent: nothing carries, the debt lapses
        (1000, 0, 400, [(400, 500)]),
        (1000, 1200, 400, [(400, 0)]),
    ),
    (
        "CARRY_ALL",
        None,
        "400",
        "500",  # the overspend carries: next envelope starts 100 lower
        (1000, 0, 500, [(500, 500)]),
        (1000, 1200, 300, [(300, 0)]),
    ),
    (
        "CARRY_ALL",
        None,
        "100",
        "700",  # ... and may start negative
        (1000, 0, 700, [(700, 700)]),
        (1000, 1800, -500, [(-500, 0)]),
    ),
    (
        "CARRY_ALL",
        "50",
        "400",
        "500",  # the cap limits money carried, not debt
        (1000, 550, 500, [(500, 500)]),
        (1000, 650, 300, [(300, 0)]),
    ),
]


@pytest.mark.parametrize(
    ("policy", "cap", "allocated", "spent", "march", "april"),
    CASES,
    ids=[f"{c[0]}-cap{c[1]}-{c[2]}-spent{c[3]}" for c in CASES],
)
async def test_each_rollover_policy_moves_exactly_what_it_says(
    admin, fixed_clock, policy, cap, allocated, spent, march, april
) -> None:
    _, actor, _ = admin
    b = await march_budget(actor, policy, cap=cap)
    await envelope(actor, b, "Algo", allocated, spent)
    await close(fixed_clock)
    assert await figures(1, b.id) == march
    assert await figures(2, b.id) == april
    assert await verify() == []


async def test_every_carried_amount_is_a_rollover_entry_in_the_journal(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b = await march_budget(actor, "CARRY_ALL")
    await envelope(actor, b, "Under", "400", "100")
    await envelope(actor, b, "Over", "100", "250")
    await close(fixed_clock)
    march, april = await BudgetPeriod.filter(budget_id=b.id).order_by("seq")
    rows = (
        await JournalEntry.filter(kind="ROLLOVER")
        .order_by("id")
        .values_list("from_kind", "from_period_id", "to_kind", "to_period_id", "amount_micros")
    )
    assert sorted(rows, key=lambda r: r[4]) == [
        ("ALLOCATION", april.id, "ALLOCATION", march.id, 150 * M),  # over: the debt, backwards
        ("ALLOCATION", march.id, "ALLOCATION", april.id, 300 * M),  # under: 300 forward
        ("POOL", march.id, "POOL", april.id, 500 * M),
    ]


async def test_an_allocation_override_beats_the_budget_policy(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b = await march_budget(actor, "NONE")
    _, keeps = await envelope(actor, b, "Keeps", "400", "100")
    await envelope(actor, b, "Loses", "200", "50")
    await plans.set_allocation_rollover(actor, allocation_id=keeps.id, policy="CARRY_UNSPENT")
    await close(fixed_clock)
    assert await figures(2, b.id) == (1000, 400, 900, [(700, 0), (200, 0)])
    april_keeps = await Allocation.get(period__seq=2, project_id=keeps.project_id)  # type: ignore[attr-defined]
    assert april_keeps.rollover_policy == "CARRY_UNSPENT"  # the override carries on
    assert await verify() == []


async def test_carried_money_does_not_compound_into_the_base_amount(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b = await march_budget(actor, "CARRY_UNSPENT", amount="400")
    await envelope(actor, b, "Algo", "400", "0")
    await close(fixed_clock)
    # Base 400 each month plus everything unspent so far.
    assert await figures(2, b.id) == (400, 0, 800, [(800, 0)])
    await close(fixed_clock, datetime(2026, 5, 1, 0, 1, tzinfo=UTC))
    assert await figures(3, b.id) == (400, 0, 1200, [(1200, 0)])
    bases = await JournalEntry.filter(kind="ALLOCATE", memo="carried over").values_list(
        "amount_micros", flat=True
    )
    assert bases == [400 * M, 400 * M]
    assert await verify() == []


async def test_a_carried_debt_does_not_shrink_the_next_base(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b = await march_budget(actor, "CARRY_ALL")
    await envelope(actor, b, "Algo", "400", "500")
    await close(fixed_clock)
    await close(fixed_clock, datetime(2026, 5, 1, 0, 1, tzinfo=UTC))
    assert await figures(3, b.id) == (1000, 1800, 700, [(700, 0)])  # base 400 + 300 unspent
    assert await verify() == []


async def test_a_smaller_next_pool_scales_the_carried_allocations_down(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b = await march_budget(actor, "NONE")
    await envelope(actor, b, "Big", "400", "0")
    await envelope(actor, b, "Small", "200", "0")
    await plans.set_planned_amount(
        actor, budget_id=b.id, period_start=date(2026, 4, 1), amount="300"
    )
    await close(fixed_clock)
    assert await figures(2, b.id) == (300, 0, 300, [(200, 0), (100, 0)])
    assert await verify() == []


#: The calendars the walk runs on, one per seed (and round again): every recurring kind.
WALK_CALENDARS = [
    ("MONTHLY", {}),
    ("WEEKLY", {"week_start": "THURSDAY"}),
    ("DAILY", {}),
    ("MONTHLY", {"reset_day": 15, "prorate_first_period": True}),
    ("QUARTERLY", {"fiscal_year_start_month": 2}),
    ("ANNUAL", {"fiscal_year_start_month": 7, "prorate_first_period": True}),
]


async def test_spends_allocations_and_closes_in_any_order_keep_the_ledger_exact(
    admin, fixed_clock
) -> None:
    """A seeded random walk (several seeds, each on another calendar) over spend, refunds,
    allocation, policy changes and closes, early ones included, with verify() after every
    close."""
    _, actor, _ = admin
    for seed in range(len(WALK_CALENDARS)):
        rng = random.Random(seed)
        kind, calendar = WALK_CALENDARS[seed]
        fixed_clock[0] = datetime(2026, 1, 1, 12, tzinfo=UTC)
        b = await budgets.create_budget(
            actor,
            name=f"Walk {seed}",
            amount=str(rng.randint(500, 3000)),
            period_kind=kind,
            start_date=date(2026, 1, 1),
            rollover_policy=rng.choice(["NONE", "CARRY_UNSPENT", "CARRY_ALL"]),
            **calendar,
        )
        if rng.random() < 0.5:
            await budgets.update_budget(actor, b.id, rollover_cap=str(rng.randint(0, 200)))
        projects = [await budgets.create_project(actor, name=f"W{seed}-{i}") for i in range(3)]
        now = datetime(2026, 1, 1, 12, tzinfo=UTC)
        for _step in range(40):
            fixed_clock[0] = now
            op = rng.random()
            p = rng.choice(projects)
            if op < 0.4:
                try:
                    await spending.record_spend(
                        actor,
                        SpendInput(
                            project_id=p.id, budget_id=b.id, amount=str(rng.randint(-20, 300) or 1)
                        ),
                        allow_credit=True,
                    )
                except Exception as exc:
                    assert type(exc).__name__ == "NotFound", exc
            elif op < 0.6:
                try:
                    await allocations.allocate(
                        actor, budget_id=b.id, project_id=p.id, amount=str(rng.randint(0, 800))
                    )
                except Exception as exc:
                    assert type(exc).__name__ in {"InsufficientFunds", "ValidationError"}, exc
            elif op < 0.65:
                a = await Allocation.filter(budget_id=b.id, period__status="OPEN").first()
                if a is not None:
                    await plans.set_allocation_rollover(
                        actor,
                        allocation_id=a.id,
                        policy=rng.choice([None, "NONE", "CARRY_UNSPENT", "CARRY_ALL"]),
                    )
            elif op < 0.8:
                try:
                    await periods.close_period(actor, b.id)
                except InvalidState as exc:  # an early close already opened the next period
                    assert "has not started yet" in str(exc), exc
                assert await verify() == []
            now += timedelta(days=rng.randint(0, 20))
        fixed_clock[0] = now
        await periods.close_due_periods()
        assert await verify() == []
        pools = await BudgetPeriod.filter(budget_id=b.id).values_list(
            "unallocated_micros", flat=True
        )
        assert min(pools) >= 0
