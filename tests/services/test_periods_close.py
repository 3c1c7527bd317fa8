"""Closing budget periods: boundaries in local time, catch-up, exactly once, racing spend,
grants that end and reopen, planned amounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import actor_of, both_databases, make_user

from app.domain.errors import PeriodClosed, PermissionDenied, ValidationError
from app.models import Allocation, BudgetPeriod, JournalEntry, Spend, TransferRequest
from app.services import allocations, budgets, periods, plans, spending, transfers
from app.services.lookup import with_open_spent
from app.services.spending import SpendInput
from app.services.verify import verify

M = 1_000_000


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def setup_budget(
    actor,
    *,
    kind="MONTHLY",
    start=date(2026, 3, 1),
    end=None,
    tz="UTC",
    amount="1000",
    policy=None,
    allocate="400",
    name="Ops",
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
    )
    p = await budgets.create_project(actor, name=f"{name} project")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=allocate)
    return b, p


async def periods_of(budget_id: int) -> list[BudgetPeriod]:
    """With an open period's spent filled in (it is the sum of its allocations)."""
    return list(
        await with_open_spent(await BudgetPeriod.filter(budget_id=budget_id).order_by("seq"))
    )


async def period_of_spend(spend: Spend) -> BudgetPeriod:
    allocation = await Allocation.get(id=spend.allocation_id)  # type: ignore[attr-defined]
    return (await with_open_spent([await BudgetPeriod.get(id=allocation.period_id)]))[0]  # type: ignore[attr-defined]


BOUNDARIES = [
    # (time zone, kind, first day, last day of the first period, UTC instant of its end)
    ("UTC", "MONTHLY", date(2026, 1, 1), date(2026, 1, 31), datetime(2026, 2, 1, tzinfo=UTC)),
    ("UTC", "MONTHLY", date(2026, 2, 1), date(2026, 2, 28), datetime(2026, 3, 1, tzinfo=UTC)),
    ("UTC", "MONTHLY", date(2028, 2, 1), date(2028, 2, 29), datetime(2028, 3, 1, tzinfo=UTC)),
    (
        "America/New_York",
        "QUARTERLY",
        date(2026, 1, 1),
        date(2026, 3, 31),
        datetime(2026, 4, 1, 4, tzinfo=UTC),
    ),  # EDT since March 8
    (
        "America/New_York",
        "MONTHLY",
        date(2026, 10, 1),
        date(2026, 10, 31),
        datetime(2026, 11, 1, 4, tzinfo=UTC),
    ),  # midnight still EDT, clocks fall back at 02:00
    (
        "America/New_York",
        "ANNUAL",
        date(2026, 1, 1),
        date(2026, 12, 31),
        datetime(2027, 1, 1, 5, tzinfo=UTC),
    ),
    (
        "Europe/Berlin",
        "MONTHLY",
        date(2026, 3, 1),
        date(2026, 3, 31),
        datetime(2026, 3, 31, 22, tzinfo=UTC),
    ),  # CEST since March 29
    (
        "Europe/Berlin",
        "MONTHLY",
        date(2026, 10, 1),
        date(2026, 10, 31),
        datetime(2026, 10, 31, 23, tzinfo=UTC),
    ),  # CET since October 25
]


@pytest.mark.parametrize(
    ("tz", "kind", "first", "last", "boundary"),
    BOUNDARIES,
    ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in BOUNDARIES],
)
async def test_a_spend_at_23_59_local_lands_in_the_ending_period_and_at_00_01_in_the_next(
    admin, fixed_clock, tz, kind, first, last, boundary
) -> None:
    _, actor, _ = admin
    b, p = await setup_budget(actor, kind=kind, start=first, tz=tz)
    assert local(tz, last.year, last.month, last.day) + timedelta(days=1) == boundary

    fixed_clock[0] = local(tz, last.year, last.month, last.day, 23, 59)
    late, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="10"))
    assert late.local_day == last
    fixed_clock[0] = boundary - timedelta(seconds=1)
    assert await periods.close_due_periods() == []

    fixed_clock[0] = boundary + timedelta(minutes=1)  # the scheduler has not run yet
    early, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="7"))

    first_period, second = await periods_of(b.id)
    assert (await period_of_spend(late)).id == first_period.id
    assert (await period_of_spend(early)).id == second.id
    assert early.local_day == last + timedelta(days=1) == second.start_date
    assert first_period.status == "CLOSED" and first_period.end_date == last
    assert first_period.spent_micros == 10 * M and second.spent_micros == 7 * M
    assert await verify() == []


async def test_the_scheduler_closes_a_period_exactly_at_local_midnight(admin, fixed_clock) -> None:
    _, actor, _ = admin
    _b, _ = await setup_budget(actor, tz="Europe/Berlin")
    fixed_clock[0] = datetime(2026, 3, 31, 22, tzinfo=UTC)  # April 1st, 00:00 CEST
    [result] = await periods.close_due_periods()
    assert result.closed.end_date == date(2026, 3, 31)
    assert result.next is not None
    assert (result.next.start_date, result.next.end_date) == (date(2026, 4, 1), date(2026, 4, 30))
    assert result.closed.closed_at == fixed_clock[0]


async def test_a_budget_several_periods_behind_catches_up_in_one_close(admin, fixed_clock) -> None:
    """Down from January to May 10: one close, straight into May. February to April, in which
    nothing could happen, are skipped; under CARRY_UNSPENT their funding joins May's pool, so the
    money is what replaying them with nothing spent would have left."""
    _, actor, _ = admin
    b, _ = await setup_budget(actor, start=date(2026, 1, 1), policy="CARRY_UNSPENT")
    fixed_clock[0] = datetime(2026, 5, 10, tzinfo=UTC)
    results = await periods.close_due_periods()
    assert [r.closed.start_date.month for r in results] == [1]
    rows = await periods_of(b.id)
    assert [(r.seq, r.start_date, r.end_date, r.status) for r in rows] == [
        (1, date(2026, 1, 1), date(2026, 1, 31), "CLOSED"),
        (2, date(2026, 5, 1), date(2026, 5, 31), "OPEN"),
    ]
    assert rows[-1].unallocated_micros + rows[-1].allocated_micros == 5000 * M
    assert rows[-1].funded_micros == 4000 * M  # May's own 1,000 and the skipped 3,000
    memo = await JournalEntry.filter(kind="FUND", to_period_id=rows[-1].id).values_list(
        "memo", flat=True
    )
    assert "funding of 3 skipped period(s), 2026-02-01 to 2026-04-30" in memo
    assert await periods.close_due_periods() == []
    assert await verify() == []


async def test_skipped_periods_lapse_under_no_rollover(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b, _ = await setup_budget(actor, start=date(2026, 1, 1), policy="NONE")
    fixed_clock[0] = datetime(2026, 5, 10, tzinfo=UTC)
    await periods.close_due_periods()
    rows = await periods_of(b.id)
    assert [r.start_date.month for r in rows] == [1, 5]
    assert rows[-1].funded_micros == 1000 * M
    assert await verify() == []


async def test_catching_up_ten_years_is_one_close(admin, fixed_clock) -> None:
    """The cost of a catch-up does not grow with the periods missed: one close, two periods."""
    _, actor, _ = admin
    b, _ = await setup_budget(actor, start=date(2026, 1, 1), policy="CARRY_UNSPENT")
    fixed_clock[0] = datetime(2035, 12, 20, tzinfo=UTC)
    results = await periods.close_due_periods()
    assert len(results) == 1
    rows = await periods_of(b.id)
    assert [(r.seq, r.start_date) for r in rows] == [(1, date(2026, 1, 1)), (2, date(2035, 12, 1))]
    assert rows[-1].unallocated_micros + rows[-1].allocated_micros == 120 * 1000 * M
    assert await verify() == []


async def test_running_the_scheduler_again_closes_nothing_twice(admin, fixed_clock) -> None:
    _, actor, _ = admin
    await setup_budget(actor)
    fixed_clock[0] = datetime(2026, 4, 2, tzinfo=UTC)
    assert len(await periods.close_due_periods()) == 1
    assert await periods.close_due_periods() == []
    assert await JournalEntry.filter(kind="FUND").count() == 2


@both_databases
async def test_concurrent_schedulers_close_each_period_exactly_once(admin, fixed_clock) -> None:
    _, actor, _ = admin
    ids = [
        (await setup_budget(actor, name=f"B{i}", policy="CARRY_UNSPENT"))[0].id for i in range(4)
    ]
    fixed_clock[0] = datetime(2026, 5, 2, tzinfo=UTC)  # March due, April skipped
    runs = await asyncio.gather(*(periods.close_due_periods() for _ in range(4)))
    closed = [r.closed.id for run in runs for r in run]
    assert len(closed) == len(set(closed)) == 4
    for budget_id in ids:
        rows = await periods_of(budget_id)
        assert [(r.status, r.start_date.month) for r in rows] == [("CLOSED", 3), ("OPEN", 5)]
    # Each budget: March's funding, May's, and the skipped April's (CARRY_UNSPENT), once each.
    assert await JournalEntry.filter(kind="FUND").count() == 12
    assert await verify() == []


@both_databases
async def test_a_close_racing_with_spend_puts_each_spend_in_exactly_one_period(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, p = await setup_budget(actor, policy="CARRY_UNSPENT")
    fixed_clock[0] = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    dated_march = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    spends = [
        spending.record_spend(
            actor, SpendInput(project_id=p.id, amount="3", occurred_at=dated_march)
        )
        for _ in range(12)
    ]
    results = await asyncio.gather(*spends[:6], periods.close_due_periods(), *spends[6:])
    assert len(results[6]) == 1
    march, april = await periods_of(b.id)
    rows = await Spend.all()
    assert len(rows) == 12
    by_period = {march.id: 0, april.id: 0}
    for s in rows:
        by_period[(await period_of_spend(s)).id] += s.amount_micros
    assert by_period[march.id] == march.spent_micros
    assert by_period[april.id] == april.spent_micros
    assert march.spent_micros + april.spent_micros == 36 * M
    # The carry saw every spend that landed in March: nothing is left behind in it.
    old = await Allocation.get(period_id=march.id)
    assert old.allocated_micros - old.spent_micros == 0
    assert await verify() == []


async def test_a_spend_that_read_the_old_allocation_before_the_close_lands_in_the_next_period(
    admin, fixed_clock, monkeypatch
) -> None:
    _, actor, _ = admin
    b, p = await setup_budget(actor, policy="CARRY_UNSPENT")
    stale = await spending.resolve_allocation(actor, p.id, None)
    fixed_clock[0] = datetime(2026, 4, 1, 0, 5, tzinfo=UTC)
    await periods.close_due_periods()
    real = spending.resolve_allocation
    calls = []

    async def stale_first(actor, project_id, budget_id):
        calls.append(project_id)
        return stale if len(calls) == 1 else await real(actor, project_id, budget_id)

    monkeypatch.setattr(spending, "resolve_allocation", stale_first)
    monkeypatch.setattr(periods, "settle_before_spend", lambda *a: asyncio.sleep(0, False))
    s, created = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="5"))
    march, april = await periods_of(b.id)
    assert created and len(calls) == 2
    assert (await period_of_spend(s)).id == april.id
    assert march.spent_micros == 0 and april.spent_micros == 5 * M
    assert await verify() == []


async def test_closing_on_demand_ends_the_period_today_and_opens_the_next_regular_period(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, _p = await setup_budget(actor)
    result = await periods.close_period(actor, b.id)  # 2026-03-15
    assert (result.closed.start_date, result.closed.end_date) == (
        date(2026, 3, 1),
        date(2026, 3, 15),
    )
    assert result.next is not None
    # The next regular period opens at once: no period is funded for 16-31 March.
    assert (result.next.start_date, result.next.end_date) == (date(2026, 4, 1), date(2026, 4, 30))
    fixed_clock[0] = datetime(2026, 5, 1, 0, 1, tzinfo=UTC)
    [again] = await periods.close_due_periods()
    assert again.next is not None and again.next.start_date == date(2026, 5, 1)
    assert await verify() == []


async def test_only_owners_and_admins_close_a_period(admin) -> None:
    _, actor, _ = admin
    b, _ = await setup_budget(actor)
    user, _ = await make_user("Mia Member")
    with pytest.raises(PermissionDenied):
        await periods.close_period(await actor_of(user), b.id)


async def test_a_grant_ends_at_its_end_date_and_an_extension_reopens_it(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b, p = await setup_budget(
        actor, kind="GRANT", start=date(2026, 1, 1), end=date(2026, 3, 31), tz="America/New_York"
    )
    fixed_clock[0] = local("America/New_York", 2026, 4, 1, 0, 1)
    [result] = await periods.close_due_periods()
    assert result.next is None and result.closed.status == "CLOSED"
    with pytest.raises(PeriodClosed):
        await spending.record_spend(actor, SpendInput(project_id=p.id, amount="1", budget_id=b.id))
    with pytest.raises(PeriodClosed):
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="500")

    await budgets.update_budget(actor, b.id, end_date=date(2026, 6, 30))
    [period] = await periods_of(b.id)
    assert (period.status, period.end_date, period.closed_at) == ("OPEN", date(2026, 6, 30), None)
    assert period.funded_micros == 1000 * M  # a no-cost extension
    s, _ = await spending.record_spend(
        actor, SpendInput(project_id=p.id, amount="1", budget_id=b.id)
    )
    assert (await period_of_spend(s)).id == period.id
    fixed_clock[0] = datetime(2026, 7, 2, tzinfo=UTC)
    [ended] = await periods.close_due_periods()
    assert ended.next is None
    assert await verify() == []


async def test_an_extension_into_the_past_keeps_a_grant_closed(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b, _ = await setup_budget(actor, kind="GRANT", start=date(2026, 1, 1), end=date(2026, 1, 31))
    await periods.close_due_periods()
    await budgets.update_budget(actor, b.id, end_date=date(2026, 2, 28))
    [period] = await periods_of(b.id)
    assert (period.status, period.end_date) == ("CLOSED", date(2026, 2, 28))


async def test_a_planned_amount_funds_its_period_and_the_next_falls_back_to_the_amount(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    b, _ = await setup_budget(actor)
    await plans.set_planned_amount(
        actor, budget_id=b.id, period_start=date(2026, 4, 1), amount="2500"
    )
    for month in (4, 5):
        fixed_clock[0] = datetime(2026, month, 1, 1, tzinfo=UTC)
        await periods.close_due_periods()
    _march, april, may = await periods_of(b.id)
    assert (april.funded_micros, may.funded_micros) == (2500 * M, 1000 * M)
    assert await verify() == []


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (date(2026, 4, 2), "must be the first day"),
        (date(2026, 3, 1), "must be a future period"),
    ],
)
async def test_a_planned_amount_needs_the_first_day_of_a_future_period(admin, start, why) -> None:
    _, actor, _ = admin
    b, _ = await setup_budget(actor)
    with pytest.raises(ValidationError, match=why):
        await plans.set_planned_amount(actor, budget_id=b.id, period_start=start, amount="1")


async def test_pending_transfer_requests_expire_when_their_period_closes(
    admin, fixed_clock
) -> None:
    _, actor, _ = admin
    _b, p = await setup_budget(actor)
    member, _ = await make_user("Max Member")
    from app.domain.access import ProjectRole
    from app.models import ProjectMember

    await ProjectMember.create(project_id=p.id, user_id=member.id, role=ProjectRole.MEMBER.value)
    alloc = await Allocation.get(project_id=p.id)
    t = await transfers.request_transfer(
        await actor_of(member), amount="5", reason="more", to_allocation_id=alloc.id
    )
    assert t.status == "PENDING"
    fixed_clock[0] = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)
    await periods.close_due_periods()
    await t.refresh_from_db()
    assert (t.status, t.failure_reason) == ("EXPIRED", "the budget period closed")
    assert await TransferRequest.filter(status="PENDING").count() == 0


async def test_the_scheduler_worker_closes_due_periods_until_stopped(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b, _ = await setup_budget(actor)
    fixed_clock[0] = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)
    stop = asyncio.Event()
    task = asyncio.create_task(periods.run_scheduler(stop, interval=0.01))
    for _ in range(200):
        if len(await periods_of(b.id)) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert [r.status for r in await periods_of(b.id)] == ["CLOSED", "OPEN"]
