"""The period totals per day and per service (app.services.period_totals) are kept with the
`spend_daily` roll-up by every writer: one spend, a batch, corrections (void, refund, move);
`allot verify` reports a total that disagrees; the dashboard reads them for the whole budget.
On both databases (PostgreSQL posts a spend in one statement with the totals inside it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from helpers import both_databases

from app.models import SpendDaily, SpendPeriodDay, SpendPeriodService
from app.models.ledger import TOTAL_SHARDS
from app.services import allocations, budgets, corrections
from app.services.batch import record_spends
from app.services.spending import SpendInput, record_spend
from app.services.sql import fetch
from app.services.verify import verify
from schema import ids


async def _sums(model, key: str) -> dict[tuple[int, object], tuple[int, int]]:  # type: ignore[no-untyped-def]
    out: dict[tuple[int, object], list[int]] = defaultdict(lambda: [0, 0])
    for period_id, k, amount, count in await model.all().values_list(
        "period_id", key, "amount_micros", "count"
    ):
        out[(period_id, k)][0] += amount
        out[(period_id, k)][1] += count
    return {k: (v[0], v[1]) for k, v in out.items() if v != [0, 0]}


async def _assert_kept() -> None:
    """Every day's and service's total equals the roll-up's sum, amount and count."""
    for model, key in ((SpendPeriodDay, "day"), (SpendPeriodService, "service")):
        assert await _sums(model, key) == await _sums(SpendDaily, key)
    assert await verify() == []


async def _world(actor):  # type: ignore[no-untyped-def]
    budget = await budgets.create_budget(
        actor, name="Lab", amount="1000", period_kind="ANNUAL", start_date=date(2026, 1, 1)
    )
    projects = [await budgets.create_project(actor, name=f"P{i}") for i in range(3)]
    envelopes = [
        await allocations.allocate(actor, budget_id=budget.id, project_id=p.id, amount="200")
        for p in projects
    ]
    return budget, projects, envelopes


def _at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


@both_databases
async def test_every_writer_keeps_the_totals_with_the_roll_up(admin) -> None:
    _, actor, _ = admin
    budget, projects, _ = await _world(actor)
    singles = []
    for i, (day, service) in enumerate([(1, "EC2"), (1, "S3"), (2, "EC2"), (2, None)]):
        spend, _ = await record_spend(
            actor,
            SpendInput(
                project_id=projects[i % 3].id,
                amount=f"{i + 1}.5",
                service=service,
                occurred_at=_at(day),
            ),
        )
        singles.append(spend)
    await _assert_kept()
    # A replayed externalId writes nothing, the totals included.
    for _ in range(2):
        await record_spend(
            actor,
            SpendInput(project_id=projects[0].id, amount="4", external_id="x", occurred_at=_at(3)),
        )
    await record_spends(
        actor,
        [
            SpendInput(project_id=p.id, amount="0.25", service=s, occurred_at=_at(d))
            for p in projects
            for d in (1, 4)
            for s in ("EC2", "GPU")
        ],
    )
    await _assert_kept()
    await corrections.void_spend(actor, spend_id=singles[0].id, reason="wrong project")
    await corrections.refund_spend(actor, spend_id=singles[1].id, amount="0.5", reason="credit")
    await corrections.move_spend(
        actor, spend_id=singles[2].id, to_project_id=projects[0].id, reason="belongs there"
    )
    await _assert_kept()
    # Summed over days, the totals are what the budget's allocations spent.
    spent = sum(a for (_, _), (a, _) in (await _sums(SpendPeriodDay, "day")).items())
    rows = await fetch(
        "SELECT SUM(spent_micros) AS s FROM allocation WHERE budget_id = ?", budget.id
    )
    assert spent == int(rows[0]["s"]) > 0


@both_databases
async def test_spends_into_one_budget_on_one_day_spread_over_shards(admin) -> None:
    _, actor, _ = admin
    _, projects, envelopes = await _world(actor)
    for p in projects:
        await record_spend(
            actor, SpendInput(project_id=p.id, amount="1", service="llm", occurred_at=_at(5))
        )
    rows = (
        await SpendPeriodDay.filter(day=date(2026, 3, 5))
        .order_by("shard")
        .values_list("shard", "amount_micros")
    )
    assert rows == sorted((a.id % TOTAL_SHARDS, 1_000_000) for a in envelopes)
    assert len(rows) == 3  # three envelopes, three rows: nobody waits for another's row


@both_databases
async def test_verify_reports_a_total_that_disagrees_with_the_roll_up(admin) -> None:
    _, actor, _ = admin
    _, projects, _ = await _world(actor)
    await record_spend(
        actor, SpendInput(project_id=projects[0].id, amount="3", service="EC2", occurred_at=_at(7))
    )
    assert await verify() == []
    await fetch("UPDATE spend_period_day SET amount_micros = amount_micros + 1 RETURNING id")
    await fetch("DELETE FROM spend_period_service RETURNING id")
    drifts = [str(d) for d in await verify()]
    assert len(drifts) == 2, drifts
    assert "day '2026-03-07' total" in drifts[0] and "cached 3000001, journal 3000000" in drifts[0]
    assert "service 'EC2' total" in drifts[1] and "cached 0, journal 3000000" in drifts[1]


@both_databases
async def test_a_total_without_roll_up_rows_is_drift(admin) -> None:
    _, actor, _ = admin
    budget, _, _ = await _world(actor)
    period = await fetch("SELECT id FROM budget_period WHERE budget_id = ?", budget.id)
    await fetch(
        "INSERT INTO spend_period_service (period_id, service, shard, amount_micros, count)"
        " VALUES (?, 'ghost', 0, 5, 1) RETURNING id",
        period[0]["id"],
    )
    drifts = [str(d) for d in await verify()]
    assert drifts == [
        f"period {period[0]['id']} service 'ghost' total (journal: the spend_daily roll-up):"
        " cached 5, journal 0"
    ]


@both_databases
async def test_the_dashboard_reads_the_totals_for_the_whole_budget(admin, gql) -> None:
    user, actor, _ = admin
    budget, projects, _ = await _world(actor)
    await record_spend(
        actor, SpendInput(project_id=projects[0].id, amount="2", service="EC2", occurred_at=_at(2))
    )
    query = (
        "query($id: ID!) { budget(id: $id) { timeline { date spent }"
        " serviceBreakdown { service amount count } } }"
    )
    before = await gql(user, query, id=ids.encode("Budget", budget.id))
    # The totals are what an owner's page shows: change one and the page follows it.
    await fetch("UPDATE spend_period_day SET amount_micros = 7000000 RETURNING id")
    await fetch("UPDATE spend_period_service SET amount_micros = 7000000, count = 9 RETURNING id")
    after = await gql(user, query, id=ids.encode("Budget", budget.id))
    point = [p for p in before["budget"]["timeline"] if p["date"] == "2026-03-02"]
    assert point == [{"date": "2026-03-02", "spent": "2"}]
    point = [p for p in after["budget"]["timeline"] if p["date"] == "2026-03-02"]
    assert point == [{"date": "2026-03-02", "spent": "7"}]
    assert before["budget"]["serviceBreakdown"] == [{"service": "EC2", "amount": "2", "count": 1}]
    assert after["budget"]["serviceBreakdown"] == [{"service": "EC2", "amount": "7", "count": 9}]
