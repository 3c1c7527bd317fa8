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
