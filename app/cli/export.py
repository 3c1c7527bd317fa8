"""`allot export`: a budget's allocations, spend or journal as CSV, a JSON array or NDJSON."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import AsyncIterator, Iterator
from enum import Enum
from pathlib import Path
from typing import IO, Any

import typer

from app.cli import _refs
from app.cli._common import CliError, Session, run, usage
from app.cli._output import progress


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
        " Default: --as, else the first admin.",
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write to FILE (default: stdout)."),
) -> None:
    """Export a budget's allocations, spend or journal for grant reporting (streamed).

    --format json writes ONE JSON array of objects; --format ndjson one JSON object per line.
    """
    from app.services import report_formats, reports

    pk = _refs.required_pk(budget_id, "Budget", "BUDGET_ID")
    if fmt is ExportFormat.pdf and report is not ReportName.summary:
        usage(f"--format pdf is only valid with --report summary, got --report {report.value}")
    if report is ReportName.summary and fmt is not ExportFormat.pdf:
        usage(f"--report summary is only available as --format pdf, got --format {fmt.value}")
    if fmt is ExportFormat.pdf and output is None:
        usage("--output FILE is required with --format pdf")

    async def main(s: Session) -> None:
        if fmt is ExportFormat.pdf:
            from app.services.pdf_report import render_budget_pdf

            pdf = await render_budget_pdf(s.actor, pk, period)
            assert output is not None
            try:
                output.write_bytes(pdf)
            except OSError as exc:
                raise CliError(f"cannot write {output}: {exc.strerror} (--output)") from None
            return
        # Resolved before the file is opened: a bad budget or period leaves no file behind.
        opened = await reports.open_report(s.actor, pk, report.value, period)
        bar = progress(label="exporting") if output is not None else None
        with _target(output) as out, bar or contextlib.nullcontext():
            if bar is not None:
                task = bar.add_task("export", total=await _row_count(opened))
                opened = dataclasses.replace(
                    opened, rows=_counted(opened.rows, lambda: bar.advance(task))
                )
            async for text in report_formats.encode(opened, fmt.value):
                out.write(text)

    run(main, user=user, names={"budgetId": "BUDGET_ID", "period": "--period"})


async def _counted(rows: AsyncIterator[Any], tick: Any) -> AsyncIterator[Any]:
    async for row in rows:
        tick()
        yield row


async def _row_count(opened: Any) -> int | None:
    """How many rows the export will write, where one COUNT says it (the bar's 100%)."""
    from app.models import Allocation, Spend

    scope = opened.scope
    query: Any
    if opened.name == "spend":
        query = Spend.filter(budget_id=scope.budget.id, allocation__period_id__in=scope.period_ids)
    elif opened.name == "allocations":
        query = Allocation.filter(budget_id=scope.budget.id, period_id__in=scope.period_ids)
    else:
        return None  # the journal's scope is a join of several conditions: rows only
    if scope.projects is not None:
        query = query.filter(project_id__in=list(scope.projects))
    return await query.count()


@contextlib.contextmanager
def _target(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    # newline="": the CSV writer already ends rows with CRLF.
    try:
        handle = output.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror} (--output)") from None
    with handle:
        yield handle
