"""Budgets on real calendars, end to end through the services: fiscal years from July, months
from the 15th, weeks from Monday, days; prorated first periods; early closes that fund no
period for the days they leave; anchors that change only before a budget starts; allocations
set at the close. `allot verify` is clean after every close."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import actor_of, both_databases, make_user

from app.domain.errors import (
    InsufficientFunds,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from app.models import Allocation, Budget, BudgetPeriod, JournalEntry, Spend
from app.services import allocations, budgets, periods, plans, spending
from app.services.calendars import first_period_prorated
from app.services.spending import SpendInput
from app.services.verify import verify

M = 1_000_000


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def budget_with(
    actor,
    kind: str,
    start: date,
    *,
    end: date | None = None,
    tz: str = "UTC",
    amount: str = "1000",
    allocate: str | None = "400",
    policy: str | None = "CARRY_UNSPENT",
    name: str = "Ops",
    **calendar,
):
    b = await budgets.create_budget(
        actor,
        name=name,
        amount=amount,
        period_kind=kind,
        start_date=start,
        end_date=end,
        timezone=tz,
        rollover_policy=policy,
        **calendar,
    )
    p = await budgets.create_project(actor, name=f"{name} project")
    if allocate is not None:
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=allocate)
    return b, p


async def spans(budget_id: int) -> list[tuple[date, date, str]]:
    rows = await BudgetPeriod.filter(budget_id=budget_id).order_by("seq")
    return [(r.start_date, r.end_date, r.status) for r in rows]


async def funding(budget_id: int) -> list[int]:
    """Every FUND entry of the budget, in order, in whole units."""
    return [
        a // M
        for a in await JournalEntry.filter(budget_id=budget_id, kind="FUND")
        .order_by("id")
        .values_list("amount_micros", flat=True)
    ]


async def period_of(spend: Spend) -> BudgetPeriod:
    allocation = await Allocation.get(id=spend.allocation_id)  # type: ignore[attr-defined]
    return await BudgetPeriod.get(id=allocation.period_id)  # type: ignore[attr-defined]


# --- each calendar, closed by the scheduler --------------------------------------------------


async def test_a_fiscal_year_from_july_closes_at_local_midnight_on_30_june(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    tz = "Australia/Sydney"
    b, _ = await budget_with(
        actor, "ANNUAL", date(2026, 3, 15), tz=tz, amount="50000", fiscal_year_start_month=7
    )
    assert await spans(b.id) == [(date(2026, 3, 15), date(2026, 6, 30), "OPEN")]
    midnight = local(tz, 2026, 7, 1)
    assert midnight == datetime(2026, 6, 30, 14, tzinfo=UTC)
    fixed_clock[0] = midnight - timedelta(seconds=1)
    assert await periods.close_due_periods() == []
    fixed_clock[0] = midnight
    [result] = await periods.close_due_periods()
    assert result.next is not None
    assert (result.next.start_date, result.next.end_date) == (date(2026, 7, 1), date(2027, 6, 30))
    assert result.next.funded_micros == 50_000 * M
    assert await verify() == []


async def test_a_month_from_the_15th_ends_on_the_14th_at_local_midnight(admin, fixed_clock) -> None:
    _, actor, _ = admin
    tz = "America/New_York"
    b, p = await budget_with(actor, "MONTHLY", date(2026, 3, 1), tz=tz, reset_day=15)
    fixed_clock[0] = local(tz, 2026, 3, 14, 23, 59)
    late, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="10"))
    fixed_clock[0] = local(tz, 2026, 3, 15, 0, 1)  # the scheduler has not run yet
    early, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="7"))
    assert await spans(b.id) == [
        (date(2026, 3, 1), date(2026, 3, 14), "CLOSED"),
        (date(2026, 3, 15), date(2026, 4, 14), "OPEN"),
    ]
    first, second = await BudgetPeriod.filter(budget_id=b.id).order_by("seq")
    assert (await period_of(late)).id == first.id and (await period_of(early)).id == second.id
    assert await verify() == []


async def test_weeks_from_monday_close_each_sunday_night(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b, p = await budget_with(actor, "WEEKLY", date(2026, 3, 11), amount="70", allocate="35")
    assert await spans(b.id) == [(date(2026, 3, 11), date(2026, 3, 15), "OPEN")]  # Wed–Sun
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="5"))
    for monday in (16, 23):
        fixed_clock[0] = datetime(2026, 3, monday, 0, 1, tzinfo=UTC)
        assert len(await periods.close_due_periods()) == 1
        assert await verify() == []
    assert await spans(b.id) == [
        (date(2026, 3, 11), date(2026, 3, 15), "CLOSED"),
        (date(2026, 3, 16), date(2026, 3, 22), "CLOSED"),
        (date(2026, 3, 23), date(2026, 3, 29), "OPEN"),
    ]
    week3 = await Allocation.get(period__seq=3, project_id=p.id)  # type: ignore[attr-defined]
    assert week3.allocated_micros == 100 * M  # base 35 + the 30 left of week 1 + week 2's 35


async def test_weeks_can_start_on_sunday(admin) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "WEEKLY", date(2026, 3, 11), week_start="SUNDAY")
    assert await spans(b.id) == [(date(2026, 3, 11), date(2026, 3, 14), "OPEN")]  # Wed–Sat
    assert (await Budget.get(id=b.id)).week_start == "SUNDAY"


async def test_a_daily_budget_resets_at_local_midnight_across_dst_and_catches_up(
    admin, fixed_clock
) -> None:
    """An LLM budget of 20 a day in Berlin: 29 March 2026 has 23 hours (clocks spring forward);
    after three days down, one close skips the missed days (their funding joins the pool under
    CARRY_UNSPENT)."""
    _, actor, _ = admin
    tz = "Europe/Berlin"
    fixed_clock[0] = local(tz, 2026, 3, 28, 9)
    b, p = await budget_with(
        actor, "DAILY", date(2026, 3, 28), tz=tz, amount="20", allocate="10", policy="NONE"
    )
    fixed_clock[0] = local(tz, 2026, 3, 29, 0, 0)  # 28 March 23:00 UTC
    assert fixed_clock[0] == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert len(await periods.close_due_periods()) == 1
    fixed_clock[0] = local(tz, 2026, 3, 29, 23, 59)  # 21:59 UTC, already summer time
    late, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="3"))
    fixed_clock[0] = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # 30 March 00:00 CEST
    [result] = await periods.close_due_periods()
    assert result.closed.start_date == result.closed.end_date == date(2026, 3, 29)
    assert (await period_of(late)).id == result.closed.id
    assert result.next is not None and result.next.start_date == date(2026, 3, 30)
    await budgets.update_budget(actor, b.id, rollover_policy="CARRY_UNSPENT")
    fixed_clock[0] = local(tz, 2026, 4, 2, 10)
    [catch_up] = await periods.close_due_periods()
    assert catch_up.next is not None
    assert (catch_up.next.start_date, catch_up.next.end_date) == (date(2026, 4, 2),) * 2
    assert catch_up.next.funded_micros == 60 * M  # its own 20 and 31 March's and 1 April's
    assert await funding(b.id) == [20, 20, 20, 20, 40]
    assert await verify() == []


# --- prorated first period ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "calendar", "amount", "funded"),
    [
        # 15–31 March of 31 days: 10,000 × 17 ÷ 31 = 5,483.870967 (0.74 micro unfunded).
        ("MONTHLY", date(2026, 3, 15), {}, "10000", 5_483_870_967),
        # 1–14 March of 15 Feb–14 Mar (28 days): exactly half.
        ("MONTHLY", date(2026, 3, 1), {"reset_day": 15}, "10000", 5_000 * M),
        # 15 March–30 June of the fiscal year from 1 July 2025 (365 days): 108 days.
        ("ANNUAL", date(2026, 3, 15), {"fiscal_year_start_month": 7}, "50000", 14_794_520_547),
        # Wednesday–Sunday of a week from Monday: 5 of 7.
        ("WEEKLY", date(2026, 3, 11), {}, "70", 50 * M),
        # A day is always whole.
        ("DAILY", date(2026, 3, 15), {}, "20", 20 * M),
    ],
)
async def test_a_prorated_first_period_gets_its_share_of_the_days(
    admin, fixed_clock, kind, start, calendar, amount, funded
) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(
        actor, kind, start, amount=amount, allocate=None, prorate_first_period=True, **calendar
    )
    [first] = await BudgetPeriod.filter(budget_id=b.id)
    assert first.funded_micros == funded
    row = await Budget.get(id=b.id)
    assert first_period_prorated(row, first_period_bounds(first)) == (funded != int(amount) * M)
    fixed_clock[0] = datetime.combine(first.end_date, datetime.min.time(), tzinfo=UTC) + timedelta(
        days=1, minutes=1
    )
    [result] = await periods.close_due_periods()
    assert result.next is not None and result.next.funded_micros == int(amount) * M
    assert await verify() == []


def first_period_bounds(period: BudgetPeriod):
    from app.domain.periods import PeriodBounds

    return PeriodBounds(period.start_date, period.end_date)


async def test_without_proration_a_short_first_period_is_funded_in_full(admin) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 3, 15), amount="10000", allocate=None)
    [first] = await BudgetPeriod.filter(budget_id=b.id)
    assert first.funded_micros == 10_000 * M
    assert not first_period_prorated(await Budget.get(id=b.id), first_period_bounds(first))


async def test_a_new_amount_refunds_a_prorated_first_period_by_its_share(admin) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(
        actor, "MONTHLY", date(2026, 3, 15), amount="10000", prorate_first_period=True
    )
    await budgets.update_budget(actor, b.id, amount="20000")
    [first] = await BudgetPeriod.filter(budget_id=b.id)
    assert first.funded_micros == 20_000 * M * 17 // 31  # not the whole 20,000
    assert await funding(b.id) == [5483, 5483]  # 5,483.870967 then 5,483.870968
    assert await verify() == []


async def test_proration_is_refused_for_a_grant(admin) -> None:
    _, actor, _ = admin
    with pytest.raises(ValidationError) as err:
        await budget_with(
            actor, "GRANT", date(2026, 3, 15), end=date(2026, 12, 31), prorate_first_period=True
        )
    assert err.value.field == "prorateFirstPeriod"


# --- closing early ---------------------------------------------------------------------------


async def test_closing_early_opens_the_next_regular_period_and_funds_nothing_twice(
    admin, fixed_clock
) -> None:
    """The 10,000/month budget closed on 1 December: December ends that day, January (1–31)
    opens at once with its own 10,000, and 2–31 December belong to no period: their spend is a
    late charge in January. Today's code opened a 2–31 December period with another 10,000."""
    _, actor, _ = admin
    fixed_clock[0] = datetime(2026, 11, 10, 12, tzinfo=UTC)
    b, p = await budget_with(actor, "MONTHLY", date(2026, 11, 1), amount="10000", allocate="4000")
    fixed_clock[0] = datetime(2026, 12, 1, 0, 1, tzinfo=UTC)
    await periods.close_due_periods()  # November, as scheduled
    fixed_clock[0] = datetime(2026, 12, 1, 15, tzinfo=UTC)
    result = await periods.close_period(actor, b.id)
    assert (result.closed.start_date, result.closed.end_date) == (date(2026, 12, 1),) * 2
    assert result.next is not None
    assert (result.next.start_date, result.next.end_date) == (date(2027, 1, 1), date(2027, 1, 31))
    assert result.next.funded_micros == 10_000 * M
    assert await funding(b.id) == [10_000, 10_000, 10_000]  # November, December, January

    fixed_clock[0] = datetime(2026, 12, 15, 12, tzinfo=UTC)
    charge, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="25"))
    assert (await period_of(charge)).id == result.next.id  # a late charge, in January
    assert charge.local_day == date(2026, 12, 15)

    with pytest.raises(InvalidState, match="has not started yet"):
        await periods.close_period(actor, b.id)  # January cannot close before it begins
    fixed_clock[0] = datetime(2027, 1, 1, 0, 1, tzinfo=UTC)
    assert await periods.close_due_periods() == []  # January runs its whole month
    fixed_clock[0] = datetime(2027, 2, 1, 0, 1, tzinfo=UTC)
    [february] = await periods.close_due_periods()
    assert february.next is not None and february.next.start_date == date(2027, 2, 1)
    assert await funding(b.id) == [10_000] * 4  # one per month, November to February
    assert await verify() == []


@pytest.mark.parametrize(
    ("kind", "start", "close_at", "closed", "following"),
    [
        (  # Wednesday of a week from Monday: next Monday's week
            "WEEKLY",
            date(2026, 3, 16),
            datetime(2026, 3, 18, 9, tzinfo=UTC),
            (date(2026, 3, 16), date(2026, 3, 18)),
            (date(2026, 3, 23), date(2026, 3, 29)),
        ),
        (  # a day closed at 15:00 is its last day: tomorrow
            "DAILY",
            date(2026, 3, 15),
            datetime(2026, 3, 15, 15, tzinfo=UTC),
            (date(2026, 3, 15), date(2026, 3, 15)),
            (date(2026, 3, 16), date(2026, 3, 16)),
        ),
        (  # a fiscal year closed in March: the next fiscal year, from 1 July
            "ANNUAL",
            date(2026, 3, 1),
            datetime(2026, 3, 20, 9, tzinfo=UTC),
            (date(2026, 3, 1), date(2026, 3, 20)),
            (date(2026, 7, 1), date(2027, 6, 30)),
        ),
    ],
)
async def test_an_early_close_of_each_kind_moves_on_to_its_next_regular_period(
    admin, fixed_clock, kind, start, close_at, closed, following
) -> None:
    _, actor, _ = admin
    fixed_clock[0] = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    extra = {"fiscal_year_start_month": 7} if kind == "ANNUAL" else {}
    b, _ = await budget_with(actor, kind, start, **extra)
    fixed_clock[0] = close_at
    result = await periods.close_period(actor, b.id)
    assert (result.closed.start_date, result.closed.end_date) == closed
    assert result.next is not None
    assert (result.next.start_date, result.next.end_date) == following
    assert await funding(b.id) == [1000, 1000]
    assert await verify() == []


async def test_an_early_close_of_a_last_period_ends_the_budget_and_an_extension_opens_the_next(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 3, 1), end=date(2026, 3, 31))
    result = await periods.close_period(actor, b.id)  # 15 March: March was the last period
    assert result.next is None
    assert await spans(b.id) == [(date(2026, 3, 1), date(2026, 3, 15), "CLOSED")]
    fixed_clock[0] = datetime(2026, 3, 20, tzinfo=UTC)
    await budgets.update_budget(actor, b.id, end_date=date(2026, 6, 30))
    assert await spans(b.id) == [
        (date(2026, 3, 1), date(2026, 3, 15), "CLOSED"),
        (date(2026, 4, 1), date(2026, 4, 30), "OPEN"),  # not a funded 16–31 March
    ]
    assert await funding(b.id) == [1000, 1000]
    assert await verify() == []


async def test_extending_a_budget_cut_short_by_its_end_date_reopens_that_period(
    admin, fixed_clock
) -> None:
    """March was funded whole and ended on the 20th (the old end date): extended, the same
    period runs to the 31st with the same money, as a grant's no-cost extension does."""
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 3, 1), end=date(2026, 3, 20))
    fixed_clock[0] = datetime(2026, 3, 21, 0, 1, tzinfo=UTC)
    [ended] = await periods.close_due_periods()
    assert ended.next is None
    await budgets.update_budget(actor, b.id, end_date=date(2026, 5, 31))
    assert await spans(b.id) == [(date(2026, 3, 1), date(2026, 3, 31), "OPEN")]
    assert await funding(b.id) == [1000]
    fixed_clock[0] = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)
    [april] = await periods.close_due_periods()
    assert april.next is not None and april.next.start_date == date(2026, 4, 1)
    assert await verify() == []


# --- changing the calendar -------------------------------------------------------------------


async def test_the_calendar_cannot_change_once_the_budget_has_started(admin) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 3, 1))
    for change, field in [
        ({"reset_day": 15}, "resetDay"),
        ({"prorate_first_period": True}, "prorateFirstPeriod"),
    ]:
        with pytest.raises(ValidationError) as err:
            await budgets.update_budget(actor, b.id, **change)
        assert err.value.field == field
        assert "cannot change once the budget has started (on 2026-03-01)" in err.value.rule
    await budgets.update_budget(actor, b.id, reset_day=1)  # no change: fine
    with pytest.raises(ValidationError) as err:
        await budgets.update_budget(actor, b.id, week_start="SUNDAY")
    assert (err.value.field, err.value.rule) == ("weekStart", "applies only to WEEKLY budgets")


async def test_before_it_starts_a_new_calendar_cuts_and_funds_the_first_period_again(
    admin,
) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 4, 1), amount="1000", allocate="400")
    await budgets.update_budget(actor, b.id, reset_day=15, prorate_first_period=True)
    [first] = await BudgetPeriod.filter(budget_id=b.id)
    assert (first.start_date, first.end_date) == (date(2026, 4, 1), date(2026, 4, 14))
    assert first.funded_micros == 1000 * M * 14 // 31  # 1–14 April of 15 March–14 April
    assert first.allocated_micros == 400 * M
    row = await Budget.get(id=b.id)
    assert (row.reset_day, row.prorate_first_period) == (15, True)
    with pytest.raises(InsufficientFunds):  # the pool cannot give back what is allocated
        await budgets.update_budget(actor, b.id, reset_day=2)  # 1 April: a 1-day sliver
    assert (await Budget.get(id=b.id)).reset_day == 15  # all or nothing
    assert await verify() == []


async def test_planned_amounts_pin_the_calendar(admin) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 4, 1))
    await plans.set_planned_amount(actor, budget_id=b.id, period_start=date(2026, 5, 1), amount="5")
    with pytest.raises(ValidationError, match="planned amounts"):
        await budgets.update_budget(actor, b.id, reset_day=15)


# --- allocations set at the close ------------------------------------------------------------


async def three_projects(actor):
    b, a = await budget_with(actor, "MONTHLY", date(2026, 3, 1), allocate="400")
    p_b = await budgets.create_project(actor, name="Beta")
    p_c = await budgets.create_project(actor, name="Gamma")
    await allocations.allocate(actor, budget_id=b.id, project_id=p_b.id, amount="200")
    await spending.record_spend(actor, SpendInput(project_id=a.id, amount="100"))
    return b, a, p_b, p_c


async def test_a_close_can_set_the_next_periods_allocations_in_the_same_transaction(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, a, p_b, p_c = await three_projects(actor)
    fixed_clock[0] = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    result = await periods.close_period(actor, b.id, allocations=[(a.id, "500"), (p_c.id, "100")])
    assert result.next is not None
    rows = dict(
        await Allocation.filter(period_id=result.next.id).values_list(
            "project_id", "allocated_micros"
        )
    )
    # A: its chosen 500 + the 300 it carries; Beta keeps its base 200 + 200 carried; Gamma new.
    assert rows == {a.id: 800 * M, p_b.id: 400 * M, p_c.id: 100 * M}
    assert result.next.unallocated_micros == (1000 + 400 - 800) * M
    memos = await JournalEntry.filter(kind="ALLOCATE", to_period_id=result.next.id).values_list(
        "memo", flat=True
    )
    assert sorted(memos) == ["carried over", "set at the close", "set at the close"]
    assert await verify() == []
    # The chosen base is the envelope's base from now on.
    fixed_clock[0] = datetime(2026, 5, 1, 0, 5, tzinfo=UTC)
    [may] = await periods.close_due_periods()
    assert may.next is not None
    a_may = await Allocation.get(period_id=may.next.id, project_id=a.id)
    assert a_may.allocated_micros == (500 + 800) * M  # base 500 + the 800 unspent
    assert await verify() == []


async def test_allocations_beyond_the_next_pool_leave_the_period_open(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b, a, _, _ = await three_projects(actor)
    fixed_clock[0] = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    with pytest.raises(InsufficientFunds) as err:
        await periods.close_period(actor, b.id, allocations=[(a.id, "1400.000001")])
    assert err.value.available == 1400 * M  # April's 1,000 + March's pool of 400
    assert await spans(b.id) == [(date(2026, 3, 1), date(2026, 3, 31), "OPEN")]
    assert await JournalEntry.filter(kind="FUND").count() == 1
    await periods.close_period(actor, b.id, allocations=[(a.id, "1400")])  # exactly fits
    assert await verify() == []


@pytest.mark.parametrize(
    ("items", "error", "field"),
    [
        (lambda a, c: [(a, "1"), (a, "2")], ValidationError, "allocations"),
        (lambda a, c: [(a, "1"), (c, "-1")], ValidationError, "allocations[1].amount"),
        (lambda a, c: [(a, "1.0000001")], ValidationError, "allocations[0].amount"),
        (lambda a, c: [(a, "1"), (99_999, "1")], NotFound, "allocations[1].projectId"),
    ],
)
async def test_allocations_at_the_close_follow_the_explicit_split_rules(
    admin, items, error, field
) -> None:
    _, actor, _ = admin
    b, a, _, p_c = await three_projects(actor)
    with pytest.raises(error) as err:
        await periods.close_period(actor, b.id, allocations=items(a.id, p_c.id))
    assert err.value.field == field
    assert [s[2] for s in await spans(b.id)] == ["OPEN"]


async def test_allocations_are_refused_when_the_budget_ends_with_the_close(admin) -> None:
    _, actor, _ = admin
    b, p = await budget_with(actor, "GRANT", date(2026, 1, 1), end=date(2026, 12, 31))
    with pytest.raises(ValidationError) as err:
        await periods.close_period(actor, b.id, allocations=[(p.id, "10")])
    assert err.value.field == "allocations"
    assert [s[2] for s in await spans(b.id)] == ["OPEN"]  # rolled back: the grant runs on


async def test_only_owners_close_with_allocations_and_learn_nothing_first(admin) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "MONTHLY", date(2026, 3, 1))
    other, _ = await make_user("Olga Other")
    with pytest.raises(PermissionDenied):
        await periods.close_period(await actor_of(other), b.id, allocations=[(99_999, "1")])


# --- the preview is what the close does ------------------------------------------------------


@pytest.mark.parametrize("when", ["early", "due"])
async def test_the_rollover_preview_is_exactly_what_the_close_then_does(
    admin, fixed_clock, when
) -> None:
    _, actor, _ = admin
    b, a, p_b, _ = await three_projects(actor)
    await budgets.update_budget(actor, b.id, rollover_cap="250")
    await spending.record_spend(actor, SpendInput(project_id=p_b.id, amount="250"))  # overspent
    if when == "due":
        fixed_clock[0] = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    preview = await periods.preview_close(await Budget.get(id=b.id))
    assert preview is not None and preview.plan is not None
    assert preview.early is (when == "early")
    plan = preview.plan.rollover
    result = await periods.close_period(actor, b.id)
    assert result.next is not None
    assert (preview.next.start, preview.next.end) == (  # type: ignore[union-attr]
        result.next.start_date,
        result.next.end_date,
    )
    after = dict(
        await Allocation.filter(period_id=result.next.id).values_list(
            "project_id", "allocated_micros"
        )
    )
    planned = {
        e.project_id: base + carry
        for e, base, carry in zip(preview.envelopes, plan.bases, plan.carries, strict=True)
    }
    assert after == planned == {a.id: (400 + 250) * M, p_b.id: 200 * M}  # capped; debt lapses
    assert result.next.unallocated_micros == plan.unallocated
    assert plan.pool_carry == 250 * M  # the pool of 400, capped
    assert await verify() == []


async def test_the_preview_writes_nothing_and_is_none_once_the_budget_ended(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, _ = await budget_with(actor, "GRANT", date(2026, 1, 1), end=date(2026, 3, 31))
    before = await JournalEntry.all().count()
    preview = await periods.preview_close(await Budget.get(id=b.id))
    assert preview is not None and preview.next is None and preview.plan is None
    assert await JournalEntry.all().count() == before
    fixed_clock[0] = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)
    await periods.close_due_periods()
    assert await periods.preview_close(await Budget.get(id=b.id)) is None


# --- concurrency -----------------------------------------------------------------------------


@both_databases
async def test_concurrent_schedulers_close_each_calendar_exactly_once(admin, fixed_clock) -> None:
    _, actor, _ = admin
    calendars = [
        ("WEEKLY", date(2026, 3, 9), {}),
        ("DAILY", date(2026, 3, 15), {}),
        ("MONTHLY", date(2026, 3, 1), {"reset_day": 15}),
        ("QUARTERLY", date(2026, 2, 1), {"fiscal_year_start_month": 2}),
    ]
    ids = [
        (await budget_with(actor, kind, start, name=f"B{n}", **extra))[0].id
        for n, (kind, start, extra) in enumerate(calendars)
    ]
    fixed_clock[0] = datetime(2026, 5, 1, 0, 5, tzinfo=UTC)
    runs = await asyncio.gather(*(periods.close_due_periods() for _ in range(4)))
    closed = [r.closed.id for run in runs for r in run]
    assert len(closed) == len(set(closed)) == len(ids)  # one catch-up close per budget
    starts = [(await spans(i))[-1][:2] for i in ids]
    assert starts == [
        (date(2026, 4, 27), date(2026, 5, 3)),
        (date(2026, 5, 1), date(2026, 5, 1)),
        (date(2026, 4, 15), date(2026, 5, 14)),
        (date(2026, 5, 1), date(2026, 7, 31)),
    ]
    assert await verify() == []


@both_databases
async def test_an_early_close_with_allocations_racing_spend_keeps_every_spend_once(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, p = await budget_with(actor, "WEEKLY", date(2026, 3, 9), amount="100", allocate="60")
    spends = [
        spending.record_spend(actor, SpendInput(project_id=p.id, amount="2")) for _ in range(10)
    ]
    close = periods.close_period(actor, b.id, allocations=[(p.id, "50")])
    results = await asyncio.gather(*spends[:5], close, *spends[5:])
    week, following = await BudgetPeriod.filter(budget_id=b.id).order_by("seq")
    assert results[5].next.id == following.id
    assert (following.start_date, following.end_date) == (date(2026, 3, 16), date(2026, 3, 22))
    rows = await Spend.all()
    assert len(rows) == 10
    by_period = {week.id: 0, following.id: 0}
    for s in rows:
        by_period[(await period_of(s)).id] += s.amount_micros
    old = await Allocation.get(period_id=week.id)
    new = await Allocation.get(period_id=following.id)
    assert by_period[week.id] == old.spent_micros and by_period[following.id] == new.spent_micros
    # The carry saw exactly the spends that landed in the closed week.
    assert new.allocated_micros == 50 * M + (60 * M - old.spent_micros)
    assert await verify() == []
