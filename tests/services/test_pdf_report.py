from __future__ import annotations

import io
from datetime import UTC, date, datetime

from helpers import actor_of, make_user
from pypdf import PdfReader

from app.domain.access import ProjectRole
from app.services import actors, allocations, budgets, spending, transfers
from app.services.pdf_report import render_budget_pdf
from app.services.spending import SpendInput


def text_of(pdf: bytes) -> str:
    """The text of every page, whitespace (table cells wrap) collapsed to single spaces."""
    pages = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(pages.split())


async def grant(actor):  # type: ignore[no-untyped-def]
    """2 projects, spend on two services over two days, one transfer between envelopes."""
    b = await budgets.create_budget(
        actor,
        name="NSF Genomics Grant",
        amount="5000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    algo = await budgets.create_project(actor, name="Algorithm Development")
    study = await budgets.create_project(actor, name="Field Study")
    a = await allocations.allocate(actor, budget_id=b.id, project_id=algo.id, amount="3000")
    s = await allocations.allocate(actor, budget_id=b.id, project_id=study.id, amount="1000")
    for project, amount, service, day in [
        (algo, "1000.5", "aws-ec2", 10),
        (algo, "234.06", "aws-s3", 11),
        (study, "99.999", "gcp-bigquery", 11),
    ]:
        await spending.record_spend(
            actor,
            SpendInput(
                project_id=project.id,
                amount=amount,
                service=service,
                occurred_at=datetime(2026, 3, day, 9, tzinfo=UTC),
            ),
        )
    await transfers.request_transfer(
        actor,
        amount="250",
        reason="Extra sequencing runs",
        from_allocation_id=a.id,
        to_allocation_id=s.id,
    )
    return b, algo, study


async def test_the_pdf_shows_the_budget_its_projects_totals_and_transfers(admin) -> None:
    _, actor, _ = admin
    b, _, _ = await grant(actor)

    pdf = await render_budget_pdf(actor, b.id, "current")

    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in (
        "NSF Genomics Grant",
        "Algorithm Development",
        "Field Study",
        "Extra sequencing runs",
        "$5,000.00",  # amount
        "$4,000.00",  # allocated
        "$1,000.00",  # unallocated
        "$1,334.56",  # spent: 1000.5 + 234.06 + 99.999 rounded to cents for display
        "$3,665.44",  # remaining
        "$2,750.00",  # the algorithm envelope after the transfer
        "$1,234.56",  # its spend
        "aws-ec2",
        "2026-03-15 12:00 UTC",  # generated at, from app.clock
    ):
        assert expected in text, expected


async def test_a_members_pdf_does_not_name_the_other_project(admin) -> None:
    _, actor, _ = admin
    b, _, study = await grant(actor)
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=study.id, user_id=member.id, role=ProjectRole.VIEWER
    )

    text = text_of(await render_budget_pdf(await actor_of(member), b.id, None))

    assert "Field Study" in text and "Extra sequencing runs" in text
    assert "Algorithm Development" not in text
    assert "aws-ec2" not in text and "$1,234.56" not in text
    assert "$1,250.00" in text  # their envelope: 1000 + the 250 transferred in


async def _corrected_grant(actor):  # type: ignore[no-untyped-def]
    """The grant, with its three spends corrected: the S3 one voided, 30 of the EC2 one
    refunded, the BigQuery one moved from Field Study to Algorithm Development."""
    from app.models import Spend
    from app.services import corrections

    b, algo, study = await grant(actor)
    ec2 = await Spend.get(service="aws-ec2")
    s3 = await Spend.get(service="aws-s3")
    bigquery = await Spend.get(service="gcp-bigquery")
    await corrections.void_spend(actor, spend_id=s3.id, reason="Recorded twice")
    await corrections.refund_spend(actor, spend_id=ec2.id, amount="30", reason="Credit note 17")
    await corrections.move_spend(
        actor, spend_id=bigquery.id, to_project_id=algo.id, reason="Algo's query"
    )
    return b, algo, study, (ec2, s3, bigquery)


async def test_the_pdf_labels_corrections(admin) -> None:
    from app.services.pdf_data import load_report_data

    _, actor, _ = admin
    b, _, _, (ec2, s3, bigquery) = await _corrected_grant(actor)

    data = await load_report_data(actor, b.id, "current")
    labels = [(c.label, c.project, c.amount, c.corrects, c.other_side) for c in data.corrections]
    assert labels == [
        ("Void", "Algorithm Development", -234_060_000, s3.id, None),
        ("Refund", "Algorithm Development", -30_000_000, ec2.id, None),
        ("Moved out", "Field Study", -99_999_000, bigquery.id, "Algorithm Development"),
        ("Moved in", "Algorithm Development", 99_999_000, bigquery.id, "Field Study"),
    ]
    assert data.corrections_net == -264_060_000
    text = text_of(await render_budget_pdf(actor, b.id, "current"))
    for expected in (
        "Corrections",
        "of which corrections (4 entries, see Corrections)",
        "2026-03-15 12:00 UTC",  # recorded at, from app.clock
        "-$264.06",
        "Void",
        "Recorded twice",
        "Refund",
        "Credit note 17",
        "Moved out to Algorithm Development",
        "Moved in from Field Study",
        f"spd_{s3.id} of 2026-03-11",
        "$1,070.50",  # spent: 1334.559 - 234.06 - 30 rounded for display
    ):
        assert expected in text, expected


async def test_a_members_pdf_shows_a_move_without_naming_the_other_project(admin) -> None:
    _, actor, _ = admin
    b, _, study, _ = await _corrected_grant(actor)
    member, _ = await make_user("Mia Member")
    await actors.add_project_member(
        actor, project_id=study.id, user_id=member.id, role=ProjectRole.VIEWER
    )

    text = text_of(await render_budget_pdf(await actor_of(member), b.id, None))

    assert "Moved out to Another project" in text and "Algo's query" in text
    assert "Algorithm Development" not in text and "Recorded twice" not in text
    assert "of which corrections (1 entry, see Corrections)" in text


async def test_a_pdf_without_corrections_says_so(admin) -> None:
    _, actor, _ = admin
    b, _, _ = await grant(actor)

    text = text_of(await render_budget_pdf(actor, b.id, None))

    assert "No corrections in this period." in text
    assert "of which corrections" not in text


async def test_a_closed_periods_spend_is_corrected_in_the_open_periods_report(
    admin, fixed_clock
) -> None:
    from app.services import corrections, periods
    from app.services.pdf_data import load_report_data

    _, actor, _ = admin
    b = await budgets.create_budget(
        actor, name="Cloud", amount="1000", period_kind="MONTHLY", start_date=date(2026, 3, 1)
    )
    p = await budgets.create_project(actor, name="Atlas")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="500")
    s, _ = await spending.record_spend(actor, SpendInput(project_id=p.id, amount="80"))
    fixed_clock[0] = datetime(2026, 4, 2, 9, tzinfo=UTC)
    await periods.close_due_periods(fixed_clock[0])
    await corrections.void_spend(actor, spend_id=s.id, reason="Wrong project")

    (line,) = (await load_report_data(actor, b.id, "current")).corrections
    assert (line.label, line.amount, line.corrects_period) == ("Void", -80_000_000, 1)
    text = text_of(await render_budget_pdf(actor, b.id, "current"))
    assert f"spd_{s.id} of 2026-03-15 (period 1, closed)" in text
    # The closed period's report is as it was: no correction, the spend still there.
    closed = await load_report_data(actor, b.id, 1)
    assert closed.corrections == [] and closed.spent == 80_000_000
