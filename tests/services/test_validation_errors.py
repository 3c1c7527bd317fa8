"""Bad input gets a typed error naming the field and the rule, and leaves nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from helpers import make_user

from app import clock
from app.domain.access import Actor
from app.domain.errors import (
    AllotError,
    Conflict,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from app.models import (
    Allocation,
    Budget,
    BudgetOwner,
    BudgetPeriod,
    IdempotencyRecord,
    JournalEntry,
    OutboxEvent,
    Project,
    ProjectMember,
    Spend,
    SpendDaily,
    TransferRequest,
)
from app.services import actors, allocations, budgets, spending, transfers
from app.services.allocations import Split, SplitItem
from app.services.spending import SpendInput
from app.services.verify import verify

UNIT = 1_000_000
TABLES = (
    Budget,
    BudgetPeriod,
    BudgetOwner,
    Project,
    ProjectMember,
    Allocation,
    Spend,
    SpendDaily,
    JournalEntry,
    TransferRequest,
    IdempotencyRecord,
    OutboxEvent,
)


async def _counts() -> dict[str, int]:
    return {t.__name__: await t.all().count() for t in TABLES}


async def _balances() -> list[tuple]:
    periods = (
        await BudgetPeriod.all()
        .order_by("id")
        .values_list(
            "id", "funded_micros", "unallocated_micros", "allocated_micros", "spent_micros"
        )
    )
    allocs = (
        await Allocation.all().order_by("id").values_list("id", "allocated_micros", "spent_micros")
    )
    return [*periods, *allocs]


@dataclass
class Scene:
    owner: Actor
    budget_id: int
    project_id: int
    other_project_id: int
    allocation_id: int
    other_allocation_id: int


@pytest.fixture
async def scene(admin) -> Scene:
    """A $1,000 USD grant: Algo has $300 (with $10 spent), Study has $100."""
    _, actor, _ = admin
    budget = await budgets.create_budget(
        actor,
        name="Grant",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    algo = await budgets.create_project(actor, name="Algo")
    study = await budgets.create_project(actor, name="Study")
    a = await allocations.allocate(actor, budget_id=budget.id, project_id=algo.id, amount="300")
    b = await allocations.allocate(actor, budget_id=budget.id, project_id=study.id, amount="100")
    await spending.record_spend(actor, SpendInput(project_id=algo.id, amount="10"))
    return Scene(actor, budget.id, algo.id, study.id, a.id, b.id)


@pytest.fixture
async def unchanged(scene: Scene) -> AsyncIterator[None]:
    """Asserts that the test body wrote nothing: same row counts, same balances, no drift."""
    counts, balances = await _counts(), await _balances()
    yield
    assert await _counts() == counts
    assert await _balances() == balances
    assert await verify() == []


async def _refused(
    call: Any,
    error: type[AllotError] = ValidationError,
    field: str | None = None,
    rule: str | None = None,
) -> AllotError:
    with pytest.raises(error) as info:
        await call
    exc = info.value
    if field is not None:
        assert exc.field == field  # type: ignore[attr-defined]
    if rule is not None:
        assert rule in exc.rule  # type: ignore[attr-defined]
    return exc


BAD_AMOUNTS = [
    pytest.param("-5", "must", id="negative"),
    pytest.param("1.0000001", "more than 6 decimal places", id="seven-decimals"),
    pytest.param("NaN", "plain decimal", id="nan-text"),
    pytest.param("Infinity", "plain decimal", id="infinity-text"),
    pytest.param(Decimal("NaN"), "finite", id="nan-decimal"),
    pytest.param(Decimal("-Infinity"), "finite", id="infinity-decimal"),
    pytest.param(12.5, "float", id="float"),
    pytest.param(True, "boolean", id="boolean"),
    pytest.param("12,50", "plain decimal", id="comma"),
]


# --- allocate -------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "rule"), BAD_AMOUNTS)
@pytest.mark.usefixtures("unchanged")
async def test_allocate_refuses_a_bad_amount(scene: Scene, amount: object, rule: str) -> None:
    await _refused(
        allocations.allocate(
            scene.owner, budget_id=scene.budget_id, project_id=scene.project_id, amount=amount
        ),
        field="amount",
        rule=rule,
    )


@pytest.mark.usefixtures("unchanged")
async def test_allocate_refuses_unknown_budget_and_project_ids(scene: Scene) -> None:
    exc = await _refused(
        allocations.allocate(scene.owner, budget_id=999, project_id=scene.project_id, amount="1"),
        NotFound,
        field="budgetId",
    )
    assert "999" in exc.message
    await _refused(
        allocations.allocate(scene.owner, budget_id=scene.budget_id, project_id=999, amount="1"),
        NotFound,
        field="projectId",
    )


@pytest.mark.parametrize("threshold", [0, -5, 1001])
@pytest.mark.usefixtures("unchanged")
async def test_allocate_refuses_an_alert_threshold_out_of_range(
    scene: Scene, threshold: int
) -> None:
    await _refused(
        allocations.allocate(
            scene.owner,
            budget_id=scene.budget_id,
            project_id=scene.project_id,
            amount="300",
            alert_threshold=threshold,
        ),
        field="alertThreshold",
        rule="between 1 and 1000",
    )


@pytest.mark.usefixtures("unchanged")
async def test_allocate_refuses_more_than_the_pool_holds_and_names_what_is_available(
    scene: Scene,
) -> None:
    exc = await _refused(
        allocations.allocate(
            scene.owner, budget_id=scene.budget_id, project_id=scene.project_id, amount="1000.01"
        ),
        InsufficientFunds,
    )
    assert exc.available == 600 * UNIT  # type: ignore[attr-defined]
    assert "600 USD available" in exc.message


@pytest.mark.usefixtures("unchanged")
async def test_allocate_refuses_to_cut_below_what_was_spent(scene: Scene) -> None:
    await _refused(
        allocations.allocate(
            scene.owner, budget_id=scene.budget_id, project_id=scene.project_id, amount="9.99"
        ),
        field="amount",
        rule="already spent",
    )


async def test_an_overdrawn_allocation_can_be_topped_up_but_not_cut(scene: Scene) -> None:
    await spending.record_spend(
        scene.owner, SpendInput(project_id=scene.other_project_id, amount="150")
    )  # $100 allocated
    raised = await allocations.allocate(
        scene.owner, budget_id=scene.budget_id, project_id=scene.other_project_id, amount="120"
    )
    assert raised.allocated_micros == 120 * UNIT
    await _refused(
        allocations.allocate(
            scene.owner, budget_id=scene.budget_id, project_id=scene.other_project_id, amount="110"
        ),
        field="amount",
        rule="already spent",
    )
    assert await verify() == []


@pytest.mark.usefixtures("unchanged")
async def test_allocate_many_is_all_or_nothing_when_a_later_item_does_not_fit(
    scene: Scene,
) -> None:
    third = await Project.create(name="Third", slug="third")
    await _refused(
        allocations.allocate_many(
            scene.owner,
            budget_id=scene.budget_id,
            split=Split.EXPLICIT,
            items=[
                SplitItem(scene.project_id, amount="350"),
                SplitItem(scene.other_project_id, amount="200"),
                SplitItem(third.id, amount="500"),
            ],
        ),
        InsufficientFunds,
    )
    await third.delete()


@pytest.mark.parametrize(
    ("split", "items", "total", "field"),
    [
        pytest.param(Split.EXPLICIT, [], None, "items", id="no-items"),
        pytest.param(Split.EQUAL, "both", None, "total", id="equal-without-total"),
        pytest.param(Split.EQUAL, "both", "-1", "total", id="negative-total"),
        pytest.param(Split.PERCENT, "percent-over-100", "100", "items", id="percent-over-100"),
        pytest.param(Split.EXPLICIT, "duplicate", None, "items", id="duplicate-project"),
        pytest.param(Split.EXPLICIT, "negative", None, "items[0].amount", id="negative-item"),
    ],
)
@pytest.mark.usefixtures("unchanged")
async def test_allocate_many_refuses_bad_splits(
    scene: Scene, split: Split, items: Any, total: str | None, field: str
) -> None:
    a, b = scene.project_id, scene.other_project_id
    items = (
        {
            "both": [SplitItem(a), SplitItem(b)],
            "percent-over-100": [SplitItem(a, percent="60"), SplitItem(b, percent="40.000001")],
            "duplicate": [SplitItem(a, amount="1"), SplitItem(a, amount="2")],
            "negative": [SplitItem(a, amount="-1")],
        }.get(items, items)
        if isinstance(items, str)
        else items
    )
    await _refused(
        allocations.allocate_many(
            scene.owner, budget_id=scene.budget_id, split=split, items=items, total=total
        ),
        field=field,
    )


# --- recordSpend ----------------------------------------------------------------------------


def _spend(scene: Scene, **changes: Any) -> SpendInput:
    values: dict[str, Any] = {"project_id": scene.project_id, "amount": "12.5", "service": "aws"}
    values.update(changes)
    return SpendInput(**values)


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        *BAD_AMOUNTS,
        pytest.param("0", "greater than zero", id="zero"),
        pytest.param("0.0000000", "greater than zero", id="zero-with-trailing-zeros"),
    ],
)
@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_a_bad_amount(scene: Scene, amount: object, rule: str) -> None:
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, amount=amount)), field="amount", rule=rule
    )


@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_a_negative_amount_unless_a_credit_is_allowed(
    scene: Scene,
) -> None:
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, amount="-1")),
        field="amount",
        rule="greater than zero",
    )


@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_an_amount_in_another_currency(scene: Scene) -> None:
    exc = await _refused(
        spending.record_spend(scene.owner, _spend(scene, currency="EUR")), CurrencyMismatch
    )
    assert exc.code == "CURRENCY_MISMATCH"
    assert "EUR" in exc.message and "USD" in exc.message


@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_a_malformed_currency(scene: Scene) -> None:
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, currency="dollars")),
        field="currency",
        rule="ISO 4217",
    )


@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_unknown_projects_and_budgets(scene: Scene) -> None:
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, project_id=999)),
        NotFound,
        field="projectId",
    )
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, budget_id=999)), NotFound, field="budgetId"
    )


@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_future_and_naive_times(scene: Scene) -> None:
    later = clock.now() + timedelta(days=2)
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, occurred_at=later)),
        field="occurredAt",
        rule="future",
    )
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, occurred_at=datetime(2026, 3, 1, 12))),
        field="occurredAt",
        rule="time zone",
    )


@pytest.mark.usefixtures("unchanged")
async def test_record_spend_refuses_a_bad_quantity(scene: Scene) -> None:
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, quantity="lots")), field="quantity"
    )


@pytest.mark.usefixtures("unchanged")
async def test_hard_limit_spend_over_the_remaining_rolls_back_the_spend_row(scene: Scene) -> None:
    await Budget.filter(id=scene.budget_id).update(hard_limit=True)
    exc = await _refused(
        spending.record_spend(scene.owner, _spend(scene, amount="290.000001")), InsufficientFunds
    )
    assert exc.available == 290 * UNIT  # type: ignore[attr-defined]
    await Budget.filter(id=scene.budget_id).update(hard_limit=False)


# --- idempotency ----------------------------------------------------------------------------


async def test_record_spend_with_the_same_idempotency_key_counts_once(scene: Scene) -> None:
    first, created = await spending.record_spend(scene.owner, _spend(scene, idempotency_key="k-1"))
    assert created
    counts, balances = await _counts(), await _balances()
    again, created_again = await spending.record_spend(
        scene.owner, _spend(scene, idempotency_key="k-1")
    )
    assert not created_again and again.id == first.id
    assert await _counts() == counts and await _balances() == balances
    allocation = await Allocation.get(id=scene.allocation_id)
    assert allocation.spent_micros == 22_500_000
    assert await verify() == []


@pytest.mark.parametrize(
    "change", [{"amount": "12.51"}, {"service": "gcp"}, {"description": "other"}]
)
async def test_record_spend_with_a_reused_key_and_other_content_is_a_conflict(
    scene: Scene, change: dict[str, str]
) -> None:
    await spending.record_spend(scene.owner, _spend(scene, idempotency_key="k-2"))
    counts, balances = await _counts(), await _balances()
    exc = await _refused(
        spending.record_spend(scene.owner, _spend(scene, idempotency_key="k-2", **change)),
        IdempotencyConflict,
    )
    assert exc.field == "idempotencyKey" and exc.code == "IDEMPOTENCY_CONFLICT"  # type: ignore[attr-defined]
    assert await _counts() == counts and await _balances() == balances


async def test_idempotency_keys_belong_to_their_user(scene: Scene) -> None:
    """Another user's identical key is a different request, not a replay of someone else's."""
    user, _ = await make_user("Mia Member")
    await actors.add_project_member(scene.owner, project_id=scene.project_id, user_id=user.id)
    member = await actors.load_actor(user)
    first, _ = await spending.record_spend(scene.owner, _spend(scene, idempotency_key="shared"))
    second, created = await spending.record_spend(member, _spend(scene, idempotency_key="shared"))
    assert created and second.id != first.id


@pytest.mark.usefixtures("unchanged")
async def test_a_blank_idempotency_key_is_refused(scene: Scene) -> None:
    await _refused(
        spending.record_spend(scene.owner, _spend(scene, idempotency_key="  ")),
        field="idempotencyKey",
    )


async def test_record_spend_with_the_same_external_id_counts_once(scene: Scene) -> None:
    first, created = await spending.record_spend(
        scene.owner, _spend(scene, external_id="inv-1/line-7")
    )
    assert created
    counts, balances = await _counts(), await _balances()
    again, created_again = await spending.record_spend(
        scene.owner, _spend(scene, external_id="inv-1/line-7")
    )
    assert not created_again and again.id == first.id
    assert await _counts() == counts and await _balances() == balances


async def test_record_spend_with_a_reused_external_id_and_another_amount_is_a_conflict(
    scene: Scene,
) -> None:
    await spending.record_spend(scene.owner, _spend(scene, external_id="inv-2"))
    counts, balances = await _counts(), await _balances()
    exc = await _refused(
        spending.record_spend(scene.owner, _spend(scene, external_id="inv-2", amount="13")),
        IdempotencyConflict,
    )
    assert exc.field == "externalId"  # type: ignore[attr-defined]
    assert await _counts() == counts and await _balances() == balances


async def test_allocate_with_the_same_idempotency_key_is_a_replay(scene: Scene) -> None:
    first = await allocations.allocate(
        scene.owner,
        budget_id=scene.budget_id,
        project_id=scene.project_id,
        amount="400",
        idempotency_key="alloc-1",
    )
    counts, balances = await _counts(), await _balances()
    again = await allocations.allocate(
        scene.owner,
        budget_id=scene.budget_id,
        project_id=scene.project_id,
        amount="400",
        idempotency_key="alloc-1",
    )
    assert again.id == first.id and again.allocated_micros == 400 * UNIT
    assert await _counts() == counts and await _balances() == balances
    await _refused(
        allocations.allocate(
            scene.owner,
            budget_id=scene.budget_id,
            project_id=scene.project_id,
            amount="450",
            idempotency_key="alloc-1",
        ),
        IdempotencyConflict,
        field="idempotencyKey",
    )
    assert await _counts() == counts and await _balances() == balances


async def test_a_replayed_allocate_does_not_undo_a_later_change(scene: Scene) -> None:
    await allocations.allocate(
        scene.owner,
        budget_id=scene.budget_id,
        project_id=scene.project_id,
        amount="400",
        idempotency_key="alloc-2",
    )
    await allocations.allocate(
        scene.owner, budget_id=scene.budget_id, project_id=scene.project_id, amount="350"
    )
    replay = await allocations.allocate(
        scene.owner,
        budget_id=scene.budget_id,
        project_id=scene.project_id,
        amount="400",
        idempotency_key="alloc-2",
    )
    assert replay.allocated_micros == 350 * UNIT
    assert await verify() == []


async def test_request_transfer_with_the_same_idempotency_key_moves_money_once(
    scene: Scene,
) -> None:
    def call(amount: str = "25") -> Any:
        return transfers.request_transfer(
            scene.owner,
            amount=amount,
            reason="rebalance",
            from_allocation_id=scene.allocation_id,
            to_allocation_id=scene.other_allocation_id,
            idempotency_key="trf-1",
        )

    first = await call()
    counts, balances = await _counts(), await _balances()
    again = await call()
    assert again.id == first.id and again.status == "APPLIED"
    assert await _counts() == counts and await _balances() == balances
    await _refused(call("26"), IdempotencyConflict, field="idempotencyKey")


# --- requestTransfer, approve, release ------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        *BAD_AMOUNTS,
        pytest.param("0", "greater than zero", id="zero"),
    ],
)
@pytest.mark.usefixtures("unchanged")
async def test_request_transfer_refuses_a_bad_amount(
    scene: Scene, amount: object, rule: str
) -> None:
    rule = "greater than zero" if amount == "-5" else rule
    await _refused(
        transfers.request_transfer(
            scene.owner, amount=amount, reason="r", from_allocation_id=scene.allocation_id
        ),
        field="amount",
        rule=rule,
    )


@pytest.mark.usefixtures("unchanged")
async def test_request_transfer_refuses_unknown_allocations(scene: Scene) -> None:
    await _refused(
        transfers.request_transfer(scene.owner, amount="1", reason="r", from_allocation_id=999),
        NotFound,
        field="fromAllocationId",
    )
    await _refused(
        transfers.request_transfer(
            scene.owner,
            amount="1",
            reason="r",
            from_allocation_id=scene.allocation_id,
            to_allocation_id=999,
        ),
        NotFound,
        field="toAllocationId",
    )


@pytest.mark.usefixtures("unchanged")
async def test_request_transfer_refuses_same_endpoints_empty_reasons_and_other_budgets(
    scene: Scene,
) -> None:
    await _refused(transfers.request_transfer(scene.owner, amount="1", reason="r"), field="to")
    await _refused(
        transfers.request_transfer(
            scene.owner,
            amount="1",
            reason="r",
            from_allocation_id=scene.allocation_id,
            to_allocation_id=scene.allocation_id,
        ),
        field="toAllocationId",
    )
    await _refused(
        transfers.request_transfer(
            scene.owner, amount="1", reason="  ", from_allocation_id=scene.allocation_id
        ),
        field="reason",
        rule="must not be empty",
    )
    await _refused(
        transfers.request_transfer(
            scene.owner,
            amount="1",
            reason="r",
            from_allocation_id=scene.allocation_id,
            budget_id=scene.budget_id + 1,
        ),
        field="budgetId",
    )


@pytest.mark.usefixtures("unchanged")
async def test_a_transfer_the_source_cannot_fund_leaves_no_request_behind(scene: Scene) -> None:
    exc = await _refused(
        transfers.request_transfer(
            scene.owner,
            amount="290.000001",
            reason="r",
            from_allocation_id=scene.allocation_id,
            to_allocation_id=scene.other_allocation_id,
        ),
        InsufficientFunds,
    )
    assert exc.available == 290 * UNIT  # type: ignore[attr-defined]
    assert "'Algo' has 290 USD available" in exc.message


@pytest.mark.usefixtures("unchanged")
async def test_deciding_an_unknown_transfer_or_releasing_an_unknown_allocation_is_not_found(
    scene: Scene,
) -> None:
    await _refused(
        transfers.approve_transfer(scene.owner, transfer_id=999), NotFound, field="transferId"
    )
    await _refused(
        transfers.reject_transfer(scene.owner, transfer_id=999), NotFound, field="transferId"
    )
    await _refused(
        transfers.cancel_transfer(scene.owner, transfer_id=999), NotFound, field="transferId"
    )
    await _refused(
        allocations.release_allocation(scene.owner, allocation_id=999),
        NotFound,
        field="allocationId",
    )


# --- createBudget / createProject -----------------------------------------------------------


def _budget(scene: Scene, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "name": "Lab",
        "amount": "100",
        "period_kind": "GRANT",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 6, 30),
    }
    values.update(changes)
    return budgets.create_budget(scene.owner, **values)


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        *[
            pytest.param({"amount": p.values[0]}, "amount", p.values[1], id=f"amount-{p.id}")
            for p in BAD_AMOUNTS
            if p.id != "negative"
        ],
        pytest.param({"amount": "-5"}, "amount", "greater than zero", id="amount-negative"),
        pytest.param({"amount": "0"}, "amount", "greater than zero", id="amount-zero"),
        pytest.param(
            {"end_date": date(2025, 12, 31)}, "endDate", "before startDate", id="end-before-start"
        ),
        pytest.param({"end_date": None}, "endDate", "required", id="grant-without-end"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", "", id="bad-timezone"),
        pytest.param({"timezone": "EST5EDT_nope"}, "timezone", "", id="junk-timezone"),
        pytest.param(
            {"period_kind": "FORTNIGHTLY"}, "periodKind", "must be one of", id="bad-period"
        ),
        pytest.param({"currency": "US"}, "currency", "ISO 4217", id="bad-currency"),
        pytest.param(
            {"alert_thresholds": [50, 0]},
            "alertThresholds",
            "between 1 and 1000",
            id="threshold-zero",
        ),
        pytest.param(
            {"alert_thresholds": [1001]},
            "alertThresholds",
            "between 1 and 1000",
            id="threshold-too-high",
        ),
        pytest.param({"name": "  "}, "name", "must not be empty", id="blank-name"),
        pytest.param({"rollover_policy": "SOMETIMES"}, "rolloverPolicy", "", id="bad-rollover"),
    ],
)
@pytest.mark.usefixtures("unchanged")
async def test_create_budget_refuses_bad_input(
    scene: Scene, changes: dict[str, Any], field: str, rule: str
) -> None:
    await _refused(_budget(scene, **changes), field=field, rule=rule)


@pytest.mark.usefixtures("unchanged")
async def test_create_budget_refuses_unknown_owners(scene: Scene) -> None:
    await _refused(_budget(scene, owner_ids=[999]), NotFound, field="ownerIds")


@pytest.mark.usefixtures("unchanged")
async def test_a_duplicate_slug_is_a_conflict_that_names_the_slug(scene: Scene) -> None:
    exc = await _refused(budgets.create_project(scene.owner, name="Algo"), Conflict, field="slug")
    assert "'algo'" in exc.message
    await _refused(
        budgets.create_project(scene.owner, name="Something", slug="algo"), Conflict, field="slug"
    )


@pytest.mark.parametrize("slug", ["Has Caps", "-dash-first", "under_score", "x" * 101])
@pytest.mark.usefixtures("unchanged")
async def test_create_project_refuses_a_malformed_slug(scene: Scene, slug: str) -> None:
    await _refused(budgets.create_project(scene.owner, name="P", slug=slug), field="slug")


@pytest.mark.usefixtures("unchanged")
async def test_a_duplicate_slug_by_a_budget_creator_leaves_no_lead_behind(scene: Scene) -> None:
    user, _ = await make_user("Nico Newcomer", creator=True)
    counts = await _counts()
    creator = await actors.load_actor(user)
    await _refused(budgets.create_project(creator, name="Study"), Conflict, field="slug")
    assert await _counts() == counts
