"""Real cost exports imported end to end, totals checked against sums computed here from the
CSV with the csv module and Decimal (rounded half-even to micros per row)."""

from __future__ import annotations

import ast
import csv
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from data_files import DATA as DATA_DIR

from app.ingest import PRESETS, read_focus, read_mapped
from app.models import Allocation, Spend, UnassignedSpend
from app.services import allocations, budgets, imports, routing, unassigned
from app.services.verify import verify

# Like tests/conftest.py's `both_databases` (not imported: tests/bot/conftest.py may shadow it).
both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)


DATA = DATA_DIR
MICRO = Decimal("0.000001")


def micros(text: str) -> int:
    return int(Decimal(text).quantize(MICRO, rounding=ROUND_HALF_EVEN) * 1_000_000)


def _credit_amounts(cell: str) -> list[str]:
    """GCP's `credits` cell (a Python-repr list), amounts as text, read with the standard
    library only (the float repr of these amounts is the text the export wrote)."""
    return [repr(c["amount"]) for c in ast.literal_eval(cell or "[]")]


def expected(
    path: Path,
    amount_column: str,
    project_of: Callable[[dict], str | None],
    credits_column: str | None = None,
):
    """(micros per project, unassigned rows, zero rows), read straight from the file; with
    `credits_column`, each credit in it is one more row (GCP)."""
    totals: dict[str, int] = defaultdict(int)
    unassigned = zero = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            texts = [row[amount_column]]
            if credits_column:
                texts += _credit_amounts(row[credits_column])
            for text in texts:
                amount = micros(text)
                if amount == 0:
                    zero += 1
                    continue
                project = project_of(row)
                if project is None:
                    unassigned += 1
                else:
                    totals[project] += amount
    return dict(totals), unassigned, zero


async def _world(actor, currency: str = "USD"):
    b = await budgets.create_budget(
        actor,
        name="Cloud",
        amount="10000000",
        period_kind="GRANT",
        start_date=date(2018, 1, 1),
        end_date=date(2027, 12, 31),
        currency=currency,
    )
    projects = {}
    for slug in ("atlas", "bright", "zenith", "ec2", "research", "subacm", "billing", "saas"):
        p = await budgets.create_project(actor, name=slug.title(), slug=slug)
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="100000")
        projects[slug] = p
    return b, projects


async def _spent(project_id: int) -> int:
    return (await Allocation.get(project_id=project_id)).spent_micros


def _focus_project(row: dict) -> str | None:
    tags = json.loads(row["Tags"]) if row["Tags"] not in ("", "NULL") else {}
    if tags.get("application") == "BrightPathMatrix":
        return "bright"
    if row["SubAccountName"] == "Atlas Orion":
        return "atlas"
    return None


@both_databases
async def test_the_focus_1_0_sample_imports_with_exact_totals_per_project(admin) -> None:
    _, actor, _ = admin
    _, p = await _world(actor)
    await routing.create_rule(
        actor, match="sub_account", value="Atlas Orion", project_id=p["atlas"].id, priority=20
    )
    await routing.create_rule(
        actor,
        match="tag",
        key="application",
        value="BrightPathMatrix",
        project_id=p["bright"].id,
        priority=10,
    )
    path = DATA / "focus1.0_sample_1000rows.csv"
    want, want_unassigned, want_zero = expected(path, "BilledCost", _focus_project)

    summary = await imports.import_rows(actor, read_focus(path), source="focus", chunk_size=300)

    assert summary.read == 1000 and summary.rejected == 0
    assert summary.totals == want
    assert summary.unassigned == want_unassigned and summary.skipped_zero == want_zero
    assert summary.recorded == 1000 - want_unassigned - want_zero
    assert await _spent(p["atlas"].id) == want["atlas"]
    assert await _spent(p["bright"].id) == want["bright"]
    assert await UnassignedSpend.all().count() == want_unassigned
    assert await verify() == []

    again = await imports.import_rows(actor, read_focus(path), source="focus")

    assert again.recorded == 0 and again.unassigned == 0
    assert again.duplicates == summary.recorded
    assert again.already_unassigned == want_unassigned
    assert await _spent(p["atlas"].id) == want["atlas"]
    assert await Spend.all().count() == summary.recorded
    assert await verify() == []


async def test_unassigned_rows_are_assigned_by_rules_applied_later_and_by_hand(admin) -> None:
    _, actor, _ = admin
    _, p = await _world(actor)
    path = DATA / "focus1.0_sample_1000rows.csv"
    first = await imports.import_rows(actor, read_focus(path), source="focus")
    assert first.recorded == 0 and first.unassigned > 0

    await routing.create_rule(
        actor, match="sub_account", value="orion zenith", project_id=p["zenith"].id
    )
    applied = await unassigned.apply_rules(actor)

    zenith, _, _ = expected(
        path, "BilledCost", lambda r: "zenith" if r["SubAccountName"] == "Orion Zenith" else None
    )
    zenith_rows = sum(
        1
        for r in csv.DictReader(path.open(encoding="utf-8-sig"))
        if r["SubAccountName"] == "Orion Zenith" and micros(r["BilledCost"])
    )
    assert applied.assigned == zenith_rows > 0
    assert await _spent(p["zenith"].id) == zenith["zenith"]
    assert await UnassignedSpend.all().count() == first.unassigned - applied.assigned

    held = await UnassignedSpend.all().order_by("id").limit(3)
    results = await unassigned.assign(actor, [r.id for r in held], project_id=p["atlas"].id)
    assert [r.status for _, r in results] == ["recorded"] * 3
    assert await _spent(p["atlas"].id) == sum(r.amount_micros for r in held)
    assert not await UnassignedSpend.filter(id__in=[r.id for r in held]).exists()

    again = await imports.import_rows(actor, read_focus(path), source="focus")
    assert again.recorded == 0 and again.unassigned == 0
    assert again.duplicates == applied.assigned + 3
    assert await verify() == []


@both_databases
async def test_the_focus_1_2_examples_import_and_a_purchase_is_assigned_by_hand(admin) -> None:
    _, actor, _ = admin
    _, p = await _world(actor)
    await routing.create_rule(
        actor, match="service", value="ACMECORP SERVICE", project_id=p["saas"].id
    )
    tokens = await imports.import_rows(
        actor,
        read_focus(DATA / "focus1.2_spec_virtual_currency_pricing_model_a2.csv"),
        source="focus",
    )
    assert (tokens.read, tokens.skipped_zero, tokens.recorded) == (3, 3, 0)

    path = DATA / "focus1.2_spec_saas_spend_agreements_b2.csv"
    _, want_unassigned, want_zero = expected(path, "BilledCost", lambda r: None)
    summary = await imports.import_rows(actor, read_focus(path), source="focus")
    assert (summary.read, summary.unassigned, summary.skipped_zero) == (
        14,
        want_unassigned,
        want_zero,
    )
    held = await UnassignedSpend.all()
    assert [h.amount_micros for h in held] == [1200_000_000]
    results = await unassigned.assign(actor, [held[0].id], project_id=p["saas"].id)
    assert results[0][1].status == "recorded"
    assert await _spent(p["saas"].id) == 1200_000_000
    assert await verify() == []


@both_databases
async def test_cloud_exports_import_through_presets_with_exact_totals(admin) -> None:
    _, actor, _ = admin
    _, p = await _world(actor)
    rule = routing.create_rule
    await rule(actor, match="sub_account", value="6838635603105", project_id=p["ec2"].id)
    await rule(
        actor, match="tag", key="CostCenter", value="SubACM", project_id=p["subacm"].id, priority=1
    )
    await rule(
        actor, match="sub_account", value="Cost Management Research", project_id=p["research"].id
    )
    await rule(
        actor, match="sub_account", value="billing-example-00000", project_id=p["billing"].id
    )

    def azure_project(row: dict) -> str | None:
        tags = json.loads("{" + row["Tags"] + "}") if row["Tags"] else {}
        if tags.get("CostCenter") == "SubACM":
            return "subacm"
        return "research" if row["SubscriptionName"] == "Cost Management Research" else None

    cases = [
        ("aws_cur_legacy_koku_test_cur.csv", "aws-cur", "lineItem/UnblendedCost", lambda r: "ec2"),
        ("azure_ea_actualcost_small_finops_toolkit.csv", "azure-ea", "Cost", azure_project),
        # GCP's `cost` is before credits: its FreeTrial credits net it to 0 (issue #9).
        ("gcp_billing_export_koku_202011.csv", "gcp-billing", "cost", lambda r: "billing"),
    ]
    for name, preset, column, project_of in cases:
        credits = "credits" if preset == "gcp-billing" else None
        want, want_unassigned, _ = expected(DATA / name, column, project_of, credits)
        summary = await imports.import_rows(
            actor, read_mapped(DATA / name, PRESETS[preset]), source=f"csv:{preset}"
        )
        assert summary.rejected == 0, summary.rejections
        assert summary.totals == want, name
        assert summary.unassigned == want_unassigned, name
        for slug, amount in want.items():
            assert await _spent(p[slug].id) >= amount
    assert (
        await _spent(p["research"].id)
        == expected(DATA / "azure_ea_actualcost_small_finops_toolkit.csv", "Cost", azure_project)[
            0
        ]["research"]
    )
    assert await verify() == []


async def test_rows_in_another_currency_are_rejected_with_the_reason(admin) -> None:
    _, actor, _ = admin
    _, p = await _world(actor)
    await routing.create_rule(
        actor, match="sub_account", value="0099999999999", project_id=p["ec2"].id
    )
    path = DATA / "aws_cur_koku_2023-06-01_savingsplan.csv"
    summary = await imports.import_rows(
        actor, read_mapped(path, PRESETS["aws-cur"]), source="csv:aws-cur"
    )
    nonzero = sum(
        1
        for r in csv.DictReader(path.open(encoding="utf-8-sig"))
        if micros(r["lineItem/UnblendedCost"]) != 0
    )
    assert summary.recorded == 0 and summary.rejected == nonzero > 0
    assert all("NOK" in reason and "USD" in reason for _, reason in summary.rejections)
    assert await Spend.all().count() == 0


async def test_unreadable_rows_are_rejected_with_line_and_reason(admin) -> None:
    import io

    _, actor, _ = admin
    _, p = await _world(actor)
    await routing.create_rule(actor, match="service", value="svc", project_id=p["ec2"].id)
    text = (
        "BilledCost,ChargePeriodStart,BillingCurrency,ServiceName\n"
        "1.5,2024-09-01T00:00:00Z,USD,svc\nabc,2024-09-01T00:00:00Z,USD,svc\n"
        "-0.25,2024-09-02T00:00:00Z,USD,svc\n"
    )
    summary = await imports.import_rows(actor, read_focus(io.StringIO(text)), source="focus")
    assert summary.recorded == 2 and summary.rejected == 1
    assert summary.rejections[0][0] == 2 and "BilledCost" in summary.rejections[0][1]
    assert summary.totals == {"ec2": 1_250_000}
    assert await verify() == []
