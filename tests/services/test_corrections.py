"""Corrections (issue #9): void, refund, credits, move; closed periods stay as they were;
archive / restore / delete of budgets and projects; releaseAllocation leaves the lists."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from helpers import actor_of, both_databases, make_user

from app.domain.access import ProjectRole
from app.domain.errors import (
    CurrencyMismatch,
    InvalidState,
    PermissionDenied,
    ValidationError,
)
from app.ingest import read_focus
from app.models import Allocation, Budget, BudgetPeriod, JournalEntry, Project, Spend
from app.services import (
    actors,
    allocations,
    archiving,
    budgets,
    corrections,
    imports,
    periods,
    routing,
    spending,
)
from app.services.spending import SpendInput
from app.services.verify import verify

M = 1_000_000


async def _world(admin_actor, *, kind="ANNUAL", currency=None, name="Grant"):
    b = await budgets.create_budget(
        admin_actor,
        name=name,
        amount="1000",
        period_kind=kind,
        start_date=date(2026, 1, 1) if kind == "ANNUAL" else date(2026, 3, 1),
        currency=currency,
    )
    p1 = await budgets.create_project(admin_actor, name=f"{name} P1")
    p2 = await budgets.create_project(admin_actor, name=f"{name} P2")
    a1 = await allocations.allocate(admin_actor, budget_id=b.id, project_id=p1.id, amount="500")
    a2 = await allocations.allocate(admin_actor, budget_id=b.id, project_id=p2.id, amount="200")
    return b, p1, p2, a1, a2


async def _member(admin_actor, project_id: int, name: str = "Mia Member", role=ProjectRole.MEMBER):
    user, _ = await make_user(name)
    await actors.add_project_member(admin_actor, project_id=project_id, user_id=user.id, role=role)
    return await actor_of(user)


async def _spent(allocation_id: int) -> int:
    return (await Allocation.get(id=allocation_id)).spent_micros


@both_databases
async def test_void_reverses_in_full_and_marks_the_spend(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, _, a1, _ = await _world(admin_actor)
    member = await _member(admin_actor, p1.id)
    s, _ = await spending.record_spend(member, SpendInput(project_id=p1.id, amount="120.5"))
    assert await _spent(a1.id) == 120_500_000
    row = await corrections.void_spend(member, spend_id=s.id, reason="recorded twice")
    assert row.voided_at is not None and row.voided_by_id == member.user_id  # type: ignore[attr-defined]
    assert row.void_reason == "recorded twice"
    assert row.amount_micros == 120_500_000  # the row itself is not rewritten
    assert row.reversed_micros == 120_500_000
    assert await _spent(a1.id) == 0
    reversal = await Spend.get(corrects_id=s.id)
    assert (reversal.amount_micros, reversal.correction_kind) == (-120_500_000, "VOID")
    entry = await JournalEntry.get(spend_id=reversal.id)
    assert entry.kind == "REVERSAL" and entry.amount_micros == 120_500_000
    assert entry.from_kind == "SPENT" and entry.to_allocation_id == a1.id  # type: ignore[attr-defined]
    assert "spend" in (entry.memo or "") and "recorded twice" in (entry.memo or "")
    with pytest.raises(InvalidState, match="already voided"):
        await corrections.void_spend(member, spend_id=s.id, reason="again")
    with pytest.raises(InvalidState, match="correction"):
        await corrections.void_spend(member, spend_id=reversal.id, reason="undo the undo")
    assert await verify() == []


async def test_void_needs_the_right_to_record_spend_and_a_reason(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, p2, _, _ = await _world(admin_actor)
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="10"))
    viewer = await _member(admin_actor, p1.id, "Vic Viewer", ProjectRole.VIEWER)
    other = await _member(admin_actor, p2.id, "Otto Other")
    for who in (viewer, other):
        with pytest.raises(PermissionDenied):
            await corrections.void_spend(who, spend_id=s.id, reason="nope")
    with pytest.raises(ValidationError) as info:
        await corrections.void_spend(admin_actor, spend_id=s.id, reason="  ")
    assert info.value.field == "reason"
    assert (await Spend.get(id=s.id)).voided_at is None


FOCUS = (
    "BilledCost,ChargePeriodStart,BillingCurrency,ServiceName,Tags\n"
    '7.00,2026-03-02T00:00:00Z,USD,svc,"{""team"": ""atlas""}"\n'
)


async def _import(actor):
    return await imports.import_rows(actor, read_focus(io.StringIO(FOCUS)), source="focus")


async def test_an_import_rerun_does_not_resurrect_a_voided_spend(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, _, a1, _ = await _world(admin_actor)
    await routing.create_rule(admin_actor, match="tag", key="team", value="atlas", project_id=p1.id)
    assert (await _import(admin_actor)).recorded == 1
    s = await Spend.get(project_id=p1.id)
    await corrections.void_spend(admin_actor, spend_id=s.id, reason="not ours")
    again = await _import(admin_actor)
    assert (again.recorded, again.duplicates) == (0, 1)
    assert await _spent(a1.id) == 0
    assert await Spend.filter(source="focus").count() == 1
    assert await verify() == []


async def test_a_moved_import_row_is_a_duplicate_wherever_it_is_routed(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, p2, a1, a2 = await _world(admin_actor)
    rule = await routing.create_rule(
        admin_actor, match="tag", key="team", value="atlas", project_id=p1.id
    )
    await _import(admin_actor)
    s = await Spend.get(project_id=p1.id)
    moved = await corrections.move_spend(
        admin_actor, spend_id=s.id, to_project_id=p2.id, reason="routed to the wrong project"
    )
    assert (moved.spend.source, moved.spend.external_id) == (s.source, s.external_id)
    # The same file again, with the old rule and with a corrected one: nothing new either way.
    again = await _import(admin_actor)
    assert (again.recorded, again.duplicates) == (0, 1)
    await routing.delete_rule(admin_actor, rule.id)
    await routing.create_rule(admin_actor, match="tag", key="team", value="atlas", project_id=p2.id)
    rerouted = await _import(admin_actor)
    assert (rerouted.recorded, rerouted.duplicates) == (0, 1)
    assert (await _spent(a1.id), await _spent(a2.id)) == (0, 7 * M)
    assert await verify() == []


async def test_refund_gives_back_at_most_what_remains(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, _, a1, _ = await _world(admin_actor)
    member = await _member(admin_actor, p1.id)
    s, _ = await spending.record_spend(member, SpendInput(project_id=p1.id, amount="100"))
    row, credit = await corrections.refund_spend(
        member, spend_id=s.id, amount="30", reason="partial credit"
    )
    assert credit.amount_micros == -30 * M and credit.correction_kind == "REFUND"
    assert row.reversed_micros == 30 * M and row.voided_at is None
    assert await _spent(a1.id) == 70 * M
    with pytest.raises(ValidationError) as info:
        await corrections.refund_spend(member, spend_id=s.id, amount="70.000001", reason="x")
    assert info.value.field == "amount" and "at most what remains" in str(info.value)
    for bad in ("0", "-1"):
        with pytest.raises(ValidationError):
            await corrections.refund_spend(member, spend_id=s.id, amount=bad, reason="x")
    # A void after a refund reverses the rest.
    await corrections.void_spend(member, spend_id=s.id, reason="all of it")
    assert await _spent(a1.id) == 0
    with pytest.raises(InvalidState):
        await corrections.refund_spend(member, spend_id=s.id, amount="1", reason="x")
    assert await verify() == []


async def test_negative_record_spend_is_a_credit_limited_for_members(admin) -> None:
    _, admin_actor, _ = admin
    b, p1, _, a1, _ = await _world(admin_actor)
    member = await _member(admin_actor, p1.id)
    owner_user, _ = await make_user("Olga Owner")
    await actors.add_budget_owner(admin_actor, budget_id=b.id, user_id=owner_user.id)
    owner = await actor_of(owner_user)
    await spending.record_spend(member, SpendInput(project_id=p1.id, amount="40"))
    credit, _ = await spending.record_spend(
        member, SpendInput(project_id=p1.id, amount="-15"), credits=True
    )
    assert credit.amount_micros == -15 * M
    assert await _spent(a1.id) == 25 * M
    with pytest.raises(ValidationError) as info:
        await spending.record_spend(
            member, SpendInput(project_id=p1.id, amount="-25.000001"), credits=True
        )
    assert info.value.field == "amount" and "at most what this allocation spent" in str(info.value)
    # An owner may credit beyond what was spent.
    await spending.record_spend(owner, SpendInput(project_id=p1.id, amount="-100"), credits=True)
    assert await _spent(a1.id) == -75 * M
    # Without `credits` (the old callers) a negative amount is still refused.
    with pytest.raises(ValidationError):
        await spending.record_spend(member, SpendInput(project_id=p1.id, amount="-1"))
    assert await verify() == []


@both_databases
async def test_a_correction_of_a_closed_period_lands_in_the_open_one(admin, fixed_clock) -> None:
    _, admin_actor, _ = admin
    b, p1, _, a1, _ = await _world(admin_actor, kind="MONTHLY")
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="80"))
    t, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="20"))
    fixed_clock[0] = datetime(2026, 4, 2, 9, tzinfo=UTC)
    await periods.close_due_periods(fixed_clock[0])
    march = await BudgetPeriod.get(budget_id=b.id, seq=1)
    assert march.status == "CLOSED"
    frozen = (march.spent_micros, march.allocated_micros, march.unallocated_micros)
    frozen_alloc = await Allocation.get(id=a1.id)
    await allocations.allocate(admin_actor, budget_id=b.id, project_id=p1.id, amount="300")
    await corrections.void_spend(admin_actor, spend_id=s.id, reason="wrong project")
    await corrections.refund_spend(admin_actor, spend_id=t.id, amount="5", reason="credit")
    march = await BudgetPeriod.get(id=march.id)
    assert (march.spent_micros, march.allocated_micros, march.unallocated_micros) == frozen
    assert (await Allocation.get(id=a1.id)).spent_micros == frozen_alloc.spent_micros
    april = await Allocation.get(budget_id=b.id, project_id=p1.id, period__seq=2)
    assert april.spent_micros == -85 * M
    reversal = await Spend.get(corrects_id=s.id)
    assert reversal.allocation_id == april.id  # type: ignore[attr-defined]
    assert await verify() == []


@both_databases
async def test_move_spend_to_another_project_and_budget(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, p2, a1, a2 = await _world(admin_actor)
    other, _, _, c1, _ = await _world(admin_actor, name="Other")
    s, _ = await spending.record_spend(
        admin_actor,
        SpendInput(project_id=p1.id, amount="50", service="gpu", external_id="x1", source="api"),
    )
    moved = await corrections.move_spend(
        admin_actor, spend_id=s.id, to_project_id=p2.id, reason="wrong project"
    )
    assert moved.original.voided_at is not None and moved.original.void_reason == "wrong project"
    assert moved.reversal.allocation_id == a1.id and moved.reversal.amount_micros == -50 * M  # type: ignore[attr-defined]
    assert moved.spend.allocation_id == a2.id and moved.spend.amount_micros == 50 * M  # type: ignore[attr-defined]
    assert moved.spend.service == "gpu" and moved.spend.external_id == "x1"
    assert (await _spent(a1.id), await _spent(a2.id)) == (0, 50 * M)
    # The moved spend moves on, to another budget by allocation.
    again = await corrections.move_spend(
        admin_actor, spend_id=moved.spend.id, to_allocation_id=c1.id, reason="other grant"
    )
    assert again.spend.budget_id == other.id  # type: ignore[attr-defined]
    assert (await _spent(a2.id), await _spent(c1.id)) == (0, 50 * M)
    with pytest.raises(InvalidState):
        await corrections.move_spend(
            admin_actor, spend_id=s.id, to_project_id=p2.id, reason="twice"
        )
    with pytest.raises(ValidationError):
        await corrections.move_spend(admin_actor, spend_id=again.spend.id, reason="nowhere")
    assert await verify() == []


async def test_move_needs_the_right_to_write_on_both_sides(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, p2, a1, a2 = await _world(admin_actor)
    member = await _member(admin_actor, p1.id)
    s, _ = await spending.record_spend(member, SpendInput(project_id=p1.id, amount="10"))
    with pytest.raises(PermissionDenied):
        await corrections.move_spend(member, spend_id=s.id, to_project_id=p2.id, reason="x")
    assert (await _spent(a1.id), await _spent(a2.id)) == (10 * M, 0)
    await actors.add_project_member(
        admin_actor, project_id=p2.id, user_id=member.user_id, role=ProjectRole.MEMBER
    )
    member = await actors.load_actor(await actors.User.get(id=member.user_id))  # type: ignore[attr-defined]
    await corrections.move_spend(member, spend_id=s.id, to_project_id=p2.id, reason="x")
    assert (await _spent(a1.id), await _spent(a2.id)) == (0, 10 * M)


async def test_move_refuses_another_currency(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, _, _, _ = await _world(admin_actor)
    _, _, _, e1, _ = await _world(admin_actor, name="Euro", currency="EUR")
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="10"))
    with pytest.raises(CurrencyMismatch):
        await corrections.move_spend(admin_actor, spend_id=s.id, to_allocation_id=e1.id, reason="x")
    assert (await Spend.get(id=s.id)).voided_at is None  # one transaction: nothing happened


async def test_move_spends_by_filter_all_or_nothing(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, p2, a1, a2 = await _world(admin_actor)
    for n in range(3):
        await spending.record_spend(
            admin_actor, SpendInput(project_id=p1.id, amount=str(n + 1), service="s3")
        )
    await spending.record_spend(
        admin_actor, SpendInput(project_id=p1.id, amount="9", service="ec2")
    )
    moved = await corrections.move_spends(
        admin_actor,
        spend_filter=corrections.SpendFilter(allocation_id=a1.id, service="s3"),
        to_project_id=p2.id,
        reason="s3 is P2's",
    )
    assert len(moved) == 3
    assert (await _spent(a1.id), await _spent(a2.id)) == (9 * M, 6 * M)
    again = await corrections.move_spends(
        admin_actor,
        spend_filter=corrections.SpendFilter(allocation_id=a1.id, service="s3"),
        to_project_id=p2.id,
        reason="nothing left",
    )
    assert again == []
    with pytest.raises(ValidationError) as info:
        await corrections.move_spends(
            admin_actor, spend_filter=corrections.SpendFilter(), to_project_id=p2.id, reason="x"
        )
    assert info.value.field == "filter"
    assert await verify() == []


@both_databases
async def test_archive_makes_read_only_and_restore_undoes_it(admin) -> None:
    _, admin_actor, _ = admin
    b, p1, p2, a1, _ = await _world(admin_actor)
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="10"))
    await archiving.archive_budget(admin_actor, budget_id=b.id)
    with pytest.raises(InvalidState, match="archived"):
        await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="1"))
    with pytest.raises(InvalidState, match="archived"):
        await allocations.allocate(admin_actor, budget_id=b.id, project_id=p2.id, amount="1")
    with pytest.raises(InvalidState, match="archived"):
        await corrections.void_spend(admin_actor, spend_id=s.id, reason="x")
    with pytest.raises(InvalidState):
        await archiving.archive_budget(admin_actor, budget_id=b.id)
    from app.services import batch

    results = await batch.record_spends(admin_actor, [SpendInput(project_id=p1.id, amount="1")])
    assert isinstance(results[0].error, InvalidState)
    await archiving.restore_budget(admin_actor, budget_id=b.id)
    await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="1"))
    await archiving.archive_project(admin_actor, project_id=p1.id)
    with pytest.raises(InvalidState, match="archived"):
        await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="1"))
    with pytest.raises(InvalidState, match="archived"):
        await allocations.allocate(admin_actor, budget_id=b.id, project_id=p1.id, amount="1")
    await archiving.restore_project(admin_actor, project_id=p1.id)
    with pytest.raises(InvalidState):
        await archiving.restore_project(admin_actor, project_id=p1.id)
    assert await _spent(a1.id) == 11 * M


async def test_archive_rights(admin) -> None:
    _, admin_actor, _ = admin
    b, p1, _, _, _ = await _world(admin_actor)
    member = await _member(admin_actor, p1.id)
    lead = await _member(admin_actor, p1.id, "Lea Lead", ProjectRole.LEAD)
    with pytest.raises(PermissionDenied):
        await archiving.archive_budget(member, budget_id=b.id)
    with pytest.raises(PermissionDenied):
        await archiving.archive_project(member, project_id=p1.id)
    await archiving.archive_project(lead, project_id=p1.id)
    with pytest.raises(PermissionDenied):
        await archiving.delete_project(member, project_id=p1.id)


@both_databases
async def test_delete_only_what_never_moved_money(admin) -> None:
    _, admin_actor, _ = admin
    b, p1, _, _, _ = await _world(admin_actor)
    with pytest.raises(InvalidState, match="archive"):
        await archiving.delete_budget(admin_actor, budget_id=b.id)
    with pytest.raises(InvalidState, match="archive"):
        await archiving.delete_project(admin_actor, project_id=p1.id)
    empty = await budgets.create_budget(
        admin_actor, name="Typo", amount="10", period_kind="ANNUAL", start_date=date(2026, 1, 1)
    )
    lone = await budgets.create_project(admin_actor, name="Typo project")
    await allocations.allocate(admin_actor, budget_id=empty.id, project_id=lone.id, amount="0")
    assert await archiving.delete_project(admin_actor, project_id=lone.id) == lone.id
    assert await archiving.delete_budget(admin_actor, budget_id=empty.id) == empty.id
    assert not await Budget.exists(id=empty.id) and not await Project.exists(id=lone.id)
    assert await Budget.exists(id=b.id)
    assert await verify() == []


async def test_release_marks_a_spendless_allocation_released(admin) -> None:
    _, admin_actor, _ = admin
    b, p1, p2, a1, a2 = await _world(admin_actor)
    await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="5"))
    r2 = await allocations.release_allocation(admin_actor, allocation_id=a2.id)
    r1 = await allocations.release_allocation(admin_actor, allocation_id=a1.id)
    assert r2.released_at is not None and r2.allocated_micros == 0
    assert r1.released_at is None  # it has spend: it stays listed
    again = await allocations.allocate(admin_actor, budget_id=b.id, project_id=p2.id, amount="3")
    assert again.id == a2.id and again.released_at is None
    assert await verify() == []


async def test_verify_sees_a_tampered_reversed_amount(admin) -> None:
    _, admin_actor, _ = admin
    _, p1, _, _, _ = await _world(admin_actor)
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="10"))
    await corrections.refund_spend(admin_actor, spend_id=s.id, amount="4", reason="credit")
    assert await verify() == []
    await Spend.filter(id=s.id).update(reversed_micros=3 * M)
    drifts = [str(d) for d in await verify()]
    assert drifts == [f"spend {s.id} reversed: cached {3 * M}, journal {4 * M}"]


async def test_corrections_appear_in_the_spend_and_journal_exports(admin) -> None:
    from app.services import reports

    _, admin_actor, _ = admin
    b, p1, p2, _, _ = await _world(admin_actor)
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="10"))
    t, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="6"))
    await corrections.void_spend(admin_actor, spend_id=s.id, reason="twice")
    await corrections.move_spend(admin_actor, spend_id=t.id, to_project_id=p2.id, reason="P2's")
    rows = [r async for r in reports.spend_report(admin_actor, b.id, "all")]
    shown = [
        (r["amount"], r["correction_kind"], r["corrects_spend_id"], bool(r["voided_at"]))
        for r in rows
    ]
    assert shown == [
        ("10", None, None, True),
        ("6", None, None, True),
        ("-10", "VOID", s.id, False),
        ("-6", "MOVE", t.id, False),
        ("6", "MOVE", t.id, False),
    ]
    journal = [r async for r in reports.journal_report(admin_actor, b.id, "all")]
    assert [r["kind"] for r in journal if r["kind"] == "REVERSAL"] == ["REVERSAL", "REVERSAL"]


@both_databases
async def test_concurrent_corrections_never_give_back_twice(admin) -> None:
    import asyncio

    _, admin_actor, _ = admin
    _, p1, _, a1, _ = await _world(admin_actor)
    s, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="100"))
    voids = await asyncio.gather(
        *(corrections.void_spend(admin_actor, spend_id=s.id, reason="race") for _ in range(3)),
        return_exceptions=True,
    )
    assert sum(not isinstance(v, Exception) for v in voids) == 1
    assert all(isinstance(v, InvalidState) for v in voids if isinstance(v, Exception))
    t, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="100"))
    refunds = await asyncio.gather(
        *(
            corrections.refund_spend(admin_actor, spend_id=t.id, amount="60", reason="race")
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in refunds) == 1
    assert await _spent(a1.id) == 40 * M
    assert await verify() == []
