"""Credits from every export format are recorded as credits (negative spend, booked as REFUND
entries), checked on the real samples. Issue #9: the GCP sample's `credits` were ignored and
its 0.000032 of FreeTrial-covered cost was recorded as spend."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from data_files import DATA

from app.ingest import PRESETS, read_focus, read_mapped
from app.models import Allocation, JournalEntry, Spend, UnassignedSpend
from app.services import allocations, budgets, imports, routing, unassigned
from app.services.verify import verify

both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)

GCP = DATA / "gcp_billing_export_koku_202011.csv"


async def _project(actor, slug: str = "billing"):
    b = await budgets.create_budget(
        actor,
        name="Cloud",
        amount="1000000",
        period_kind="GRANT",
        start_date=date(2018, 1, 1),
        end_date=date(2027, 12, 31),
    )
    p = await budgets.create_project(actor, name=slug.title(), slug=slug)
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="100000")
    return b, p


async def _journal(project_id: int) -> dict[str, int]:
    """SPEND and REFUND totals of the project's allocation (journal amounts are positive)."""
    allocation = await Allocation.get(project_id=project_id)
    out: dict[str, int] = {}
    for entry in await JournalEntry.filter(kind__in=["SPEND", "REFUND"]):
        if allocation.id in (entry.from_allocation_id, entry.to_allocation_id):  # type: ignore[attr-defined]
            out[entry.kind] = out.get(entry.kind, 0) + entry.amount_micros
    return out


@both_databases
async def test_the_gcp_samples_free_trial_credits_net_its_cost_to_zero(admin) -> None:
    _, actor, _ = admin
    _, p = await _project(actor)
    await routing.create_rule(
        actor, match="sub_account", value="billing-example-00000", project_id=p.id
    )
    source = "csv:gcp-billing"

    summary = await imports.import_rows(
        actor, read_mapped(GCP, PRESETS["gcp-billing"]), source=source
    )

    # Before: {"billing": 32} (0.000032 recorded, the credits ignored).
    assert summary.totals == {"billing": 0}
    assert (summary.read, summary.credits, summary.skipped_zero) == (25, 8, 17)
    assert summary.recorded == 16 and summary.rejected == 0  # 8 charges and their 8 credits
    assert (await Allocation.get(project_id=p.id)).spent_micros == 0
    assert await _journal(p.id) == {"SPEND": 32, "REFUND": 32}
    credits = await Spend.filter(amount_micros__lt=0).order_by("id")
    assert len(credits) == 8 and {c.amount_text for c in credits} == {"-5e-06", "-1e-06"}
    assert all(c.external_id.endswith("/credit/1") for c in credits)
    assert await verify() == []

    again = await imports.import_rows(
        actor, read_mapped(GCP, PRESETS["gcp-billing"]), source=source
    )

    assert (again.recorded, again.duplicates, again.totals) == (0, 16, {})
    assert await Spend.all().count() == 16
    assert await verify() == []


async def test_unrouted_gcp_credits_are_held_and_assigned_with_their_charges(admin) -> None:
    _, actor, _ = admin
    _, p = await _project(actor)
    first = await imports.import_rows(
        actor, read_mapped(GCP, PRESETS["gcp-billing"]), source="csv:gcp-billing"
    )
    assert first.unassigned == 16 and first.recorded == 0
    held = await UnassignedSpend.all()
    assert sum(h.amount_micros for h in held) == 0
    assert {h.charge_category for h in held if h.amount_micros < 0} == {"Credit"}

    await routing.create_rule(actor, match="sub_account", value="cloud-billing", project_id=p.id)
    applied = await unassigned.apply_rules(actor)

    assert applied.assigned == 16 and applied.still_unassigned == 0
    assert (await Allocation.get(project_id=p.id)).spent_micros == 0
    assert await verify() == []


async def test_the_focus_samples_credit_row_is_recorded_as_a_credit(admin) -> None:
    _, actor, _ = admin
    _, p = await _project(actor, "atlas")
    await routing.create_rule(actor, match="sub_account", value="Atlas Orion", project_id=p.id)
    path = DATA / "focus1.0_sample_1000rows.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        credit_rows = [r for r in csv.DictReader(handle) if r["ChargeCategory"] == "Credit"]
    assert [r["BilledCost"] for r in credit_rows] == ["-2.61370000000"]

    await imports.import_rows(actor, read_focus(path), source="focus")

    spend = await Spend.get(amount_text="-2.61370000000")
    assert spend.amount_micros == -2_613_700 and spend.project_id == p.id  # type: ignore[attr-defined]
    assert (await _journal(p.id))["REFUND"] >= 2_613_700
    assert await verify() == []


def _edited(path: Path, changes: list[dict[str, str]]) -> io.StringIO:
    """The real file's header and first data row, once per change with those cells replaced."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        first = next(reader)
    first += [""] * (len(header) - len(first))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for change in changes:
        row = list(first)
        for column, value in change.items():
            row[header.index(column)] = value
        writer.writerow(row)
    out.seek(0)
    return out


async def test_aws_cur_credit_and_refund_line_items_are_recorded_as_credits(admin) -> None:
    _, actor, _ = admin
    _, p = await _project(actor, "ec2")
    await routing.create_rule(actor, match="sub_account", value="6838635603105", project_id=p.id)
    lines = _edited(
        DATA / "aws_cur_legacy_koku_test_cur.csv",
        [
            {"identity/LineItemId": "usage-1", "lineItem/UnblendedCost": "3.25"},
            {
                "identity/LineItemId": "credit-1",
                "lineItem/LineItemType": "Credit",
                "lineItem/UnblendedCost": "-1.0000005",
                "lineItem/LineItemDescription": "AWS Activate credits",
            },
            {
                "identity/LineItemId": "refund-1",
                "lineItem/LineItemType": "Refund",
                "lineItem/UnblendedCost": "-0.25",
            },
        ],
    )

    summary = await imports.import_rows(
        actor, read_mapped(lines, PRESETS["aws-cur"]), source="csv:aws-cur"
    )

    assert summary.recorded == 3 and summary.totals == {"ec2": 3_250_000 - 1_000_000 - 250_000}
    credit = await Spend.get(external_id__startswith="credit-1")
    assert (credit.amount_micros, credit.amount_text) == (-1_000_000, "-1.0000005")  # half-even
    assert await _journal(p.id) == {"SPEND": 3_250_000, "REFUND": 1_250_000}
    assert await verify() == []


async def test_an_azure_ea_refund_is_recorded_as_a_credit(admin) -> None:
    _, actor, _ = admin
    _, p = await _project(actor, "research")
    await routing.create_rule(
        actor, match="sub_account", value="Cost Management Research", project_id=p.id
    )
    lines = _edited(
        DATA / "azure_ea_actualcost_small_finops_toolkit.csv",
        [
            {"Cost": "12.5", "ChargeType": "Purchase"},
            {"Cost": "-12.5", "ChargeType": "Refund"},
        ],
    )

    summary = await imports.import_rows(
        actor, read_mapped(lines, PRESETS["azure-ea"]), source="csv:azure-ea"
    )

    assert summary.recorded == 2 and summary.totals == {"research": 0}
    assert await _journal(p.id) == {"SPEND": 12_500_000, "REFUND": 12_500_000}
    assert await verify() == []
