"""Figure 5 of issue #9: with hardLimit and enforcePacing, the pacing cap that authorizeSpend
applies holds for recorded spend too (recordSpend, recordSpends, reserveSpend); imports and
credits are not paced; the refusal is InsufficientFunds naming the rule, not the figures.

The world: a monthly budget from 1 March 2026, the clock on 15 March (17 days left, today
included); Algo holds 1,700, so its drip is 100 a day and today's pacing cap 200.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from helpers import both_databases

from app.domain.errors import InsufficientFunds
from app.ingest import read_focus
from app.models import Allocation, Spend
from app.services import (
    allocations,
    authorize,
    batch,
    budgets,
    imports,
    reservations,
    routing,
    spending,
)
from app.services.batch_items import ERROR, RECORDED
from app.services.spending import SpendInput
from app.services.verify import verify
from schema import ids

M = 1_000_000


async def _world(admin_actor, *, hard_limit: bool = True, enforce_pacing: bool = True):
    b = await budgets.create_budget(
        admin_actor,
        name="Paced",
        amount="3100",
        period_kind="MONTHLY",
        start_date=date(2026, 3, 1),
        hard_limit=hard_limit,
        enforce_pacing=enforce_pacing,
    )
    p = await budgets.create_project(admin_actor, name="Algo")
    a = await allocations.allocate(admin_actor, budget_id=b.id, project_id=p.id, amount="1700")
    return b, p, a


async def _spent(allocation_id: int) -> int:
    return (await Allocation.get(id=allocation_id)).spent_micros


def _assert_pace_refusal(exc: InsufficientFunds) -> None:
    assert "pacing cap" in exc.message
    assert exc.available is None
    # The cap (200) and the drip (100) are derived from the balance: neither is named.
    assert "200" not in exc.message and "100" not in exc.message


@both_databases
async def test_record_spend_over_the_pacing_cap_is_refused(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    decision = await authorize.authorize_spend(actor, project_id=p.id, amount="500")
    assert not decision.allowed and "pacing cap" in decision.reason
    with pytest.raises(InsufficientFunds) as refused:
        await spending.record_spend(actor, SpendInput(project_id=p.id, amount="500"))
    _assert_pace_refusal(refused.value)
    assert await _spent(a.id) == 0
    assert await Spend.filter(allocation_id=a.id).count() == 0
    # Within the cap: 150, then 60 would make 210 > 200, 50 makes exactly 200.
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="150"))
    with pytest.raises(InsufficientFunds):
        await spending.record_spend(actor, SpendInput(project_id=p.id, amount="60"))
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="50"))
    assert await _spent(a.id) == 200 * M
    # The answer agrees with authorizeSpend: nothing more fits today.
    assert not (await authorize.authorize_spend(actor, project_id=p.id, amount="0.01")).allowed
    # A credit is never paced, and gives its room back today.
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="-100"), credits=True)
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="100"))
    assert await _spent(a.id) == 200 * M
    assert await verify() == []


async def test_tomorrow_has_a_new_cap(admin, fixed_clock) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="200"))
    fixed_clock[0] = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    # 1,500 left over 16 days: drip 93.75, cap 187.50.
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="187.5"))
    with pytest.raises(InsufficientFunds):
        await spending.record_spend(actor, SpendInput(project_id=p.id, amount="0.01"))
    assert await _spent(a.id) == 387_500_000
    assert await verify() == []


@pytest.mark.parametrize(
    ("hard_limit", "enforce_pacing"), [(True, False), (False, True), (False, False)]
)
async def test_without_both_rules_recorded_spend_is_not_paced(
    admin, hard_limit: bool, enforce_pacing: bool
) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor, hard_limit=hard_limit, enforce_pacing=enforce_pacing)
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="500"))
    assert await _spent(a.id) == 500 * M


async def test_the_hard_limit_still_names_its_own_figures(admin) -> None:
    _, actor, _ = admin
    _, p, _ = await _world(actor)
    with pytest.raises(InsufficientFunds) as refused:
        await spending.record_spend(actor, SpendInput(project_id=p.id, amount="1700.01"))
    assert refused.value.available == 1700 * M
    assert "pacing" not in refused.value.message


@both_databases
async def test_record_spends_applies_the_cap_in_item_order(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    results = await batch.record_spends(
        actor,
        [
            SpendInput(project_id=p.id, amount="150"),
            SpendInput(project_id=p.id, amount="60"),
            SpendInput(project_id=p.id, amount="50"),
            SpendInput(project_id=p.id, amount="0.01"),
        ],
    )
    assert [r.status for r in results] == [RECORDED, ERROR, RECORDED, ERROR]
    for refused in (results[1].error, results[3].error):
        assert isinstance(refused, InsufficientFunds)
        _assert_pace_refusal(refused)
    assert await _spent(a.id) == 200 * M
    # Yesterday's spend counts against yesterday's cap, not today's.
    yesterday = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    results = await batch.record_spends(
        actor, [SpendInput(project_id=p.id, amount="90", occurred_at=yesterday)]
    )
    assert results[0].status == RECORDED
    assert await verify() == []


async def test_a_backdated_single_spend_is_paced_on_its_own_day(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="200"))
    yesterday = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    await spending.record_spend(
        actor, SpendInput(project_id=p.id, amount="150", occurred_at=yesterday)
    )
    assert await _spent(a.id) == 350 * M


async def test_reserve_spend_holds_at_most_the_cap(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    await reservations.reserve_spend(actor, project_id=p.id, amount="150")
    with pytest.raises(InsufficientFunds) as refused:
        await reservations.reserve_spend(actor, project_id=p.id, amount="60")
    _assert_pace_refusal(refused.value)
    await reservations.reserve_spend(actor, project_id=p.id, amount="50")
    assert (await Allocation.get(id=a.id)).held_micros == 200 * M


async def test_record_spend_through_graphql_is_a_typed_refusal(admin, gql) -> None:
    admin_user, actor, _ = admin
    _, p, a = await _world(actor)
    data = await gql(
        admin_user,
        """mutation($p: ID!) { recordSpend(input: {projectId: $p, amount: "500"}) {
             __typename ... on Error { code message }
             ... on InsufficientFunds { source requested available } } }""",
        p=ids.encode("Project", p.id),
    )
    refused = data["recordSpend"]
    assert refused["__typename"] == "InsufficientFunds"
    assert refused["code"] == "INSUFFICIENT_FUNDS"
    assert refused["available"] is None and refused["requested"] == "500"
    assert "pacing cap" in refused["message"]
    assert await _spent(a.id) == 0


async def test_settling_a_paced_hold_is_not_paced_again(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    hold, _ = await reservations.reserve_spend(actor, project_id=p.id, amount="200")
    # 210 is over today's cap of 200, but the hold was paced when it was taken; the hard
    # limit alone applies to the settlement.
    await reservations.settle_reservation(actor, reservation_id=hold.id, amount="210")
    assert await _spent(a.id) == 210 * M
    assert (await Allocation.get(id=a.id)).held_micros == 0
    assert await verify() == []


async def test_an_import_is_held_to_the_hard_limit_but_not_paced(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _world(actor)
    await routing.create_rule(actor, match="tag", key="team", value="algo", project_id=p.id)
    focus = (
        "BilledCost,ChargePeriodStart,BillingCurrency,ServiceName,Tags\n"
        '500.00,2026-03-15T00:00:00Z,USD,svc,"{""team"": ""algo""}"\n'
    )
    summary = await imports.import_rows(actor, read_focus(io.StringIO(focus)), source="focus")
    assert summary.recorded == 1
    assert await _spent(a.id) == 500 * M
    assert await verify() == []
