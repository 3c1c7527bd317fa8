from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.errors import (
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from app.models import Allocation, JournalEntry, Spend, SpendDaily
from app.services import allocations, budgets
from app.services.batch import MAX_ITEMS, record_spends
from app.services.batch_items import DUPLICATE, ERROR, RECORDED
from app.services.spending import SpendInput
from app.services.verify import verify

# Like tests/conftest.py's `both_databases` (not imported: tests/bot/conftest.py may shadow it).
both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)


async def make_user(name: str):
    from app.services import actors

    email = name.lower().replace(" ", ".") + "@example.org"
    return await actors.create_user(None, name=name, email=email)


async def actor_of(user):
    from app.services import actors

    return await actors.load_actor(user)


async def _setup(actor, *, hard_limit: bool = False, amount: str = "1000"):
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


@both_databases
async def test_a_batch_records_good_items_and_reports_bad_ones_by_index(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _setup(actor)
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    results = await record_spends(
        actor,
        [
            SpendInput(
                project_id=p.id, amount="1.25", service="EC2", occurred_at=at, external_id="x-1"
            ),
            SpendInput(project_id=p.id, amount="0.1234567"),
            SpendInput(project_id=999, amount="1"),
            SpendInput(project_id=p.id, amount="2", currency="EUR"),
            SpendInput(project_id=p.id, amount="3.5", service="EC2", occurred_at=at),
            SpendInput(project_id=p.id, amount="-1"),
        ],
    )
    assert [r.status for r in results] == [RECORDED, ERROR, ERROR, ERROR, RECORDED, ERROR]
    assert isinstance(results[1].error, ValidationError)
    assert results[1].error.field == "items[1].amount"
    assert isinstance(results[2].error, NotFound) and results[2].error.field == "items[2].projectId"
    assert isinstance(results[3].error, CurrencyMismatch)
    assert isinstance(results[5].error, ValidationError)
    spends = await Spend.filter(allocation_id=a.id).order_by("id")
    assert [s.id for s in spends] == [results[0].spend_id, results[4].spend_id]
    assert [s.amount_micros for s in spends] == [1_250_000, 3_500_000]
    await a.refresh_from_db()
    assert a.spent_micros == 4_750_000
    daily = await SpendDaily.filter(allocation_id=a.id).values_list("amount_micros", "count")
    assert daily == [(4_750_000, 2)]
    assert await verify() == []


@both_databases
async def test_an_external_id_seen_before_is_a_duplicate_of_the_original_spend(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _setup(actor)
    first = await record_spends(
        actor, [SpendInput(project_id=p.id, amount="5", external_id="e1", source="test")]
    )
    again = await record_spends(
        actor,
        [
            SpendInput(project_id=p.id, amount="5", external_id="e1", source="test"),
            SpendInput(project_id=p.id, amount="6", external_id="e1", source="test"),
            SpendInput(project_id=p.id, amount="7", external_id="e2", source="test"),
            SpendInput(project_id=p.id, amount="7", external_id="e2", source="test"),
        ],
    )
    assert [r.status for r in again] == [DUPLICATE, ERROR, RECORDED, DUPLICATE]
    assert again[0].spend_id == first[0].spend_id
    assert isinstance(again[1].error, IdempotencyConflict)
    assert again[3].spend_id == again[2].spend_id
    await a.refresh_from_db()
    assert a.spent_micros == 12_000_000
    assert await verify() == []


@both_databases
async def test_in_a_hard_limit_budget_items_that_would_overdraw_are_refused(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _setup(actor, hard_limit=True, amount="10")
    results = await record_spends(
        actor,
        [
            SpendInput(project_id=p.id, amount="6"),
            SpendInput(project_id=p.id, amount="6"),
            SpendInput(project_id=p.id, amount="4"),
        ],
    )
    assert [r.status for r in results] == [RECORDED, ERROR, RECORDED]
    assert isinstance(results[1].error, InsufficientFunds)
    assert results[1].error.available == 4_000_000
    await a.refresh_from_db()
    assert a.spent_micros == 10_000_000
    assert await verify() == []


async def test_a_batch_journals_one_entry_per_allocation_and_direction(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _setup(actor)
    results = await record_spends(
        actor,
        [SpendInput(project_id=p.id, amount=str(n + 1)) for n in range(50)],
        allow_credit=True,
    )
    results += await record_spends(
        actor,
        [SpendInput(project_id=p.id, amount="-3"), SpendInput(project_id=p.id, amount="2")],
        allow_credit=True,
    )
    assert all(r.status == RECORDED for r in results)
    entries = await JournalEntry.filter(from_allocation_id=a.id).values_list(
        "kind", "amount_micros"
    )
    refunds = await JournalEntry.filter(to_allocation_id=a.id, kind="REFUND").values_list(
        "amount_micros", flat=True
    )
    assert sorted(entries) == [("SPEND", 2_000_000), ("SPEND", 1275_000_000)]
    assert refunds == [3_000_000]
    await a.refresh_from_db()
    assert a.spent_micros == 1274_000_000
    assert await verify() == []


async def test_a_member_of_another_project_cannot_record_its_spend(admin) -> None:
    _, actor, _ = admin
    _, p, _ = await _setup(actor)
    outsider, _ = await make_user("Olga Outsider")
    results = await record_spends(
        await actor_of(outsider), [SpendInput(project_id=p.id, amount="1")]
    )
    assert isinstance(results[0].error, PermissionDenied)
    assert await Spend.all().count() == 0


async def test_a_batch_over_ten_thousand_items_is_refused_whole(admin) -> None:
    _, actor, _ = admin
    _, p, _ = await _setup(actor)
    items = [SpendInput(project_id=p.id, amount="0.01")] * (MAX_ITEMS + 1)
    with pytest.raises(ValidationError) as caught:
        await record_spends(actor, items)
    assert caught.value.field == "items"
    assert await Spend.all().count() == 0


async def test_a_batch_of_ten_thousand_items_is_recorded(admin) -> None:
    _, actor, _ = admin
    _, p, a = await _setup(actor)
    items = [
        SpendInput(project_id=p.id, amount="0.01", external_id=f"id-{n}") for n in range(MAX_ITEMS)
    ]
    results = await record_spends(actor, items)
    assert {r.status for r in results} == {RECORDED}
    assert len({r.spend_id for r in results}) == MAX_ITEMS
    assert (await Allocation.get(id=a.id)).spent_micros == 100_000_000
    assert await verify() == []


async def test_an_idempotency_key_replays_across_batches(admin) -> None:
    _, actor, _ = admin
    _, p, _ = await _setup(actor)
    item = SpendInput(
        project_id=p.id,
        amount="2",
        idempotency_key="k1",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    first = await record_spends(actor, [item])
    second = await record_spends(
        actor, [item, SpendInput(project_id=p.id, amount="2", idempotency_key="k1")]
    )
    assert second[0].status == DUPLICATE and second[0].spend_id == first[0].spend_id
    assert second[1].status == ERROR
    assert await Spend.all().count() == 1
