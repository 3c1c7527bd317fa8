from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from helpers import actor_of, both_databases, make_user

from app.domain.access import ProjectRole
from app.domain.errors import NotFound, ValidationError
from app.domain.money import to_micros
from app.models import Allocation
from app.services import (
    actors,
    allocations,
    budgets,
    report_formats,
    report_rows,
    reports,
    spending,
)
from app.services.periods import close_period
from app.services.spending import SpendInput


async def collect(rows) -> list[dict]:  # type: ignore[no-untyped-def]
    return [row async for row in rows]


async def text_of(report: reports.Report, fmt: str) -> str:
    return "".join([chunk async for chunk in report_formats.encode(report, fmt)])


async def grant(actor, amount: str = "1000"):  # type: ignore[no-untyped-def]
    b = await budgets.create_budget(
        actor,
        name="Grant",
        amount=amount,
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    algo = await budgets.create_project(actor, name="Algo")
    study = await budgets.create_project(actor, name="Study")
    await allocations.allocate(actor, budget_id=b.id, project_id=algo.id, amount="600")
    await allocations.allocate(actor, budget_id=b.id, project_id=study.id, amount="300")
    return b, algo, study


SPENDS = {
    "algo": ["12.345678", "0.000123", "100", "0.000001", "480"],
    "study": ["7.5", "0.000999"],
}


async def record(actor, project, amounts: list[str], service: str = "aws") -> None:  # type: ignore[no-untyped-def]
    for i, amount in enumerate(amounts):
        await spending.record_spend(
            actor,
            SpendInput(
                project_id=project.id,
                amount=amount,
                service=service,
                description=f"run {i}",
                occurred_at=datetime(2026, 3, 10, 9, i, tzinfo=UTC),
            ),
        )


@both_databases
async def test_the_spend_report_adds_up_exactly_to_what_each_allocation_spent(admin) -> None:
    _, actor, _ = admin
    b, algo, study = await grant(actor)
    await record(actor, algo, SPENDS["algo"])
    await record(actor, study, SPENDS["study"])

    rows = await collect(reports.spend_report(actor, b.id))

    assert len(rows) == 7
    for project, amounts in ((algo, SPENDS["algo"]), (study, SPENDS["study"])):
        mine = [r for r in rows if r["project_slug"] == project.slug]
        total = sum(to_micros(r["amount"]) for r in mine)
        expected = sum(to_micros(a) for a in amounts)
        allocation = await Allocation.get(budget_id=b.id, project_id=project.id)
        assert total == expected == allocation.spent_micros
        assert [r["amount"] for r in mine] == [str(Decimal(a)) for a in amounts]
    assert "0.000123" in [r["amount"] for r in rows]
    assert "0.000001" in [r["amount"] for r in rows]


async def test_spend_rows_carry_utc_time_local_day_currency_and_who_recorded_them(admin) -> None:
    user, actor, _ = admin
    b, algo, _ = await grant(actor)
    await spending.record_spend(
        actor,
        SpendInput(
            project_id=algo.id,
            amount="2.5",
            service="gpu",
            description="=HYPERLINK(evil)",
            external_id="inv-1",
            quantity="3",
            unit="hour",
            occurred_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
        ),
    )

    (row,) = await collect(reports.spend_report(actor, b.id))

    assert row["occurred_at"] == "2026-03-10T23:30:00Z"
    assert row["local_day"] == "2026-03-10"
    assert (row["service"], row["amount"], row["currency"]) == ("gpu", "2.5", "USD")
    assert (row["external_id"], row["quantity"], row["unit"]) == ("inv-1", "3", "hour")
    assert row["recorded_by"] == user.email
    assert row["source"] == "api"


async def test_the_allocations_report_shows_each_envelope_with_its_status_band(admin) -> None:
    _, actor, _ = admin
    b, algo, study = await grant(actor)
    await record(actor, algo, ["550"])
    await record(actor, study, ["1.25"])

    rows = await collect(reports.allocations_report(actor, b.id))

    by_slug = {r["project_slug"]: r for r in rows}
    assert by_slug[algo.slug] == {
        "period": 1,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "period_status": "OPEN",
        "project_slug": algo.slug,
        "project_name": "Algo",
        "allocated": "600",
        "spent": "550",
        "remaining": "50",
        "status": "CRITICAL",
    }
    assert (by_slug[study.slug]["remaining"], by_slug[study.slug]["status"]) == (
        "298.75",
        "HEALTHY",
    )


@both_databases
async def test_the_journal_report_lists_every_entry_with_its_accounts(admin) -> None:
    _, actor, _ = admin
    b, algo, _ = await grant(actor)
    await record(actor, algo, ["0.000123"])

    rows = await collect(reports.journal_report(actor, b.id))

    assert [r["kind"] for r in rows] == ["FUND", "ALLOCATE", "ALLOCATE", "SPEND"]
    spend = rows[-1]
    assert spend["from_account"] == f"ALLOCATION/1/{algo.slug}"
    assert spend["to_account"] == "SPENT/1"
    assert spend["amount"] == "0.000123"
    assert isinstance(spend["spend_id"], int)
    assert rows[0]["from_account"] == "FUNDING/1" and rows[0]["to_account"] == "POOL/1"
    assert rows[0]["amount"] == "1000"
    assert [r["entry_id"] for r in rows] == sorted(r["entry_id"] for r in rows)


@both_databases
async def test_a_member_gets_only_their_own_projects_rows(admin) -> None:
    _, actor, _ = admin
    b, algo, study = await grant(actor)
    await record(actor, algo, ["10", "20"])
    await record(actor, study, ["5"])
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=study.id, user_id=member.id, role=ProjectRole.VIEWER
    )
    mia = await actor_of(member)

    spend = await collect(reports.spend_report(mia, b.id))
    allocs = await collect(reports.allocations_report(mia, b.id))
    journal = await collect(reports.journal_report(mia, b.id))

    assert [(r["project_slug"], r["amount"]) for r in spend] == [(study.slug, "5")]
    assert [r["project_slug"] for r in allocs] == [study.slug]
    assert [r["kind"] for r in journal] == ["ALLOCATE", "SPEND"]
    assert all(algo.slug not in r["from_account"] + r["to_account"] for r in journal)


async def test_a_stranger_cannot_tell_the_budget_exists(admin) -> None:
    _, actor, _ = admin
    b, _, _ = await grant(actor)
    stranger, _ = await make_user("Sam Stranger")

    with pytest.raises(NotFound):
        await reports.open_report(await actor_of(stranger), b.id, "spend")
    with pytest.raises(NotFound):
        await collect(reports.spend_report(actor, b.id + 100))


@both_databases
async def test_period_all_spans_both_periods_after_a_close(admin, fixed_clock) -> None:
    _, actor, _ = admin
    b = await budgets.create_budget(
        actor, name="Lab", amount="100", period_kind="MONTHLY", start_date=date(2026, 3, 1)
    )
    p = await budgets.create_project(actor, name="Genomics")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="40")
    await record(actor, p, ["1.000001"])
    fixed_clock[0] = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
    await close_period(actor, b.id)
    await spending.record_spend(
        actor,
        SpendInput(project_id=p.id, amount="2", occurred_at=datetime(2026, 4, 2, 9, tzinfo=UTC)),
    )

    every = await collect(reports.spend_report(actor, b.id, "all"))
    current = await collect(reports.spend_report(actor, b.id))
    first = await collect(reports.spend_report(actor, b.id, 1))
    envelopes = await collect(reports.allocations_report(actor, b.id, "all"))
    journal = await collect(reports.journal_report(actor, b.id, "all"))

    assert [(r["period"], r["amount"]) for r in every] == [(1, "1.000001"), (2, "2")]
    assert [r["amount"] for r in current] == ["2"]
    assert [r["amount"] for r in first] == ["1.000001"]
    assert [(r["period"], r["period_status"]) for r in envelopes] == [(1, "CLOSED"), (2, "OPEN")]
    assert {r["kind"] for r in journal} >= {"FUND", "ALLOCATE", "SPEND"}
    assert any(r["from_account"].startswith(("ALLOCATION/1", "POOL/1")) for r in journal)
    assert any(r["to_account"].startswith("SPENT/2") for r in journal)


async def test_a_bad_or_unknown_period_is_refused_naming_the_parameter(admin) -> None:
    _, actor, _ = admin
    b, _, _ = await grant(actor)

    for bad in ("last", "0", "-1", "1.5"):
        with pytest.raises(ValidationError) as info:
            await reports.open_report(actor, b.id, "spend", bad)
        assert info.value.field == "period"
    with pytest.raises(ValidationError) as unknown:
        await reports.open_report(actor, b.id, "spend", "7")
    assert unknown.value.field == "period" and "no period 7" in unknown.value.message
    with pytest.raises(ValidationError) as report:
        await reports.open_report(actor, b.id, "payroll")
    assert report.value.field == "report"


async def test_rows_stream_in_chunks_by_id_without_losing_or_repeating_any(
    admin, monkeypatch
) -> None:
    _, actor, _ = admin
    b, algo, _ = await grant(actor)
    amounts = [f"0.{i:06d}" for i in range(1, 12)]
    await record(actor, algo, amounts)
    monkeypatch.setattr(report_rows, "CHUNK_ROWS", 4)

    rows = await collect(reports.spend_report(actor, b.id))

    assert [to_micros(r["amount"]) for r in rows] == [to_micros(a) for a in amounts]
    assert len({r["spend_id"] for r in rows}) == 11


async def test_csv_json_and_ndjson_encode_the_same_rows(admin) -> None:
    _, actor, _ = admin
    b, algo, _ = await grant(actor)
    await record(actor, algo, ["0.000123", "5"])
    await spending.record_spend(
        actor, SpendInput(project_id=algo.id, amount="1", description='=SUM(A1:A9), "quoted"')
    )

    as_csv = await text_of(await reports.open_report(actor, b.id, "spend"), "csv")
    as_json = await text_of(await reports.open_report(actor, b.id, "spend"), "json")
    as_ndjson = await text_of(await reports.open_report(actor, b.id, "spend"), "ndjson")

    parsed = list(csv.DictReader(io.StringIO(as_csv)))
    array = json.loads(as_json)
    lines = [json.loads(line) for line in as_ndjson.splitlines()]
    assert list(parsed[0]) == list(report_rows.SPEND_COLUMNS)
    assert [r["amount"] for r in parsed] == [r["amount"] for r in array] == ["0.000123", "5", "1"]
    assert lines == array
    assert parsed[2]["description"] == '\'=SUM(A1:A9), "quoted"'  # not run as a formula
    assert array[2]["description"] == '=SUM(A1:A9), "quoted"'


async def test_an_empty_report_is_a_header_or_an_empty_array(admin) -> None:
    _, actor, _ = admin
    b, _, _ = await grant(actor)

    as_csv = await text_of(await reports.open_report(actor, b.id, "spend"), "csv")
    as_json = await text_of(await reports.open_report(actor, b.id, "spend"), "json")

    assert as_csv.strip() == ",".join(report_rows.SPEND_COLUMNS)
    assert json.loads(as_json) == []
