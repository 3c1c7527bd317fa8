"""`allot export`: a budget's allocations, spend or journal as CSV, a JSON array or NDJSON."""

from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path
from typing import IO

import typer


class ReportName(str, Enum):
    allocations = "allocations"
    spend = "spend"
    journal = "journal"
    summary = "summary"


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    pdf = "pdf"


def parse_budget_id(value: str) -> int:
    """`bud_3` or `3`."""
    text = value.strip().lower()
    if text.startswith("bud_"):
        text = text[4:]
    if not text.isdigit():
        raise typer.BadParameter(f"must be a budget id such as bud_3 or 3, got {value!r}")
    return int(text)


def export(
    budget_id: str = typer.Argument(..., metavar="BUDGET_ID", help="The budget: bud_3 or 3."),
    report: ReportName = typer.Option(
        ...,
        "--report",
        help="allocations (one row per project envelope and period), spend (one row per spend"
        " record), journal (one row per ledger entry) or summary (the PDF grant report).",
    ),
    fmt: ExportFormat = typer.Option(
        ExportFormat.csv,
        "--format",
        help="csv (header row, RFC 4180), json (ONE JSON array of objects, streamed) or ndjson"
        " (one JSON object per line). Money is an exact decimal string in every format."
        " pdf: only with --report summary (needs --output).",
    ),
    period: str = typer.Option(
        "current", "--period", help="current (the open period), all, or a period number (1, 2…)."
    ),
    user: str = typer.Option(
        None,
        "--user",
        help="Export as this user (e-mail): members get only their projects' rows."
        " Default: the first admin.",
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write to FILE (default: stdout)."),
) -> None:
    """Export a budget's allocations, spend or journal for grant reporting (streamed).

    --format json writes ONE JSON array of objects; --format ndjson one JSON object per line.
    """
    from app.cli import fail, run_db
    from app.domain.errors import AllotError
    from app.models import User
    from app.services import actors, report_formats, reports

    try:
        pk = parse_budget_id(budget_id)
    except typer.BadParameter as exc:
        fail(f"error: BUDGET_ID {exc}")
        return
    if fmt is ExportFormat.pdf and report is not ReportName.summary:
        fail(
            f"error: --format pdf is only valid with --report summary, got --report {report.value}"
        )
        return
    if report is ReportName.summary and fmt is not ExportFormat.pdf:
        fail(f"error: --report summary is only available as --format pdf, got --format {fmt.value}")
        return
    if fmt is ExportFormat.pdf and output is None:
        fail("error: --output FILE is required with --format pdf")
        return

    async def main() -> str | None:
        if user:
            who = await User.get_or_none(email=user.strip().lower())
            if who is None:
                return f"no user with e-mail {user}"
        else:
            who = await User.filter(is_admin=True).order_by("id").first()
            if who is None:
                return "no admin user exists: pass --user EMAIL"
        actor = await actors.load_actor(who)
        if fmt is ExportFormat.pdf:
            from app.services.pdf_report import render_budget_pdf

            try:
                pdf = await render_budget_pdf(actor, pk, period)
            except AllotError as exc:
                return f"error: {exc.message}"
            output.write_bytes(pdf)  # type: ignore[union-attr]
            return None
        try:
            # Resolved before the file is opened: a bad budget or period leaves no file behind.
            opened = await reports.open_report(actor, pk, report.value, period)
        except AllotError as exc:
            return f"error: {exc.message}"
        with _target(output) as out:
            async for text in report_formats.encode(opened, fmt.value):
                out.write(text)
        return None

    problem = run_db(main)
    if problem:
        fail(problem)


@contextlib.contextmanager
def _target(output: Path | None):  # type: ignore[no-untyped-def]
    if output is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    # newline="": the CSV writer already ends rows with CRLF.
    with output.open("w", encoding="utf-8", newline="") as handle:
        stream: IO[str] = handle
        yield stream
