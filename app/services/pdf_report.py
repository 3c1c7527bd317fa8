"""The PDF grant report of one budget: what a PI hands to a grants office.

Read-only. `render_budget_pdf(actor, budget_id, period)` reads the figures under the export
access rule (app/services/pdf_data.py: owners and admins the whole budget, members and viewers
their own projects and the pool) and lays them out with reportlab's platypus: a title block,
the summary figures, a bar chart of allocated vs spent per project, cumulative spend against the
straight-line ideal, the allocations, the spend by service, the transfers and the corrections
(voids, refunds and moves: new entries reversing earlier spend, each labelled with the spend it
corrects and why) of the period(s). Money is rounded to cents here, for display only
(`format_money`).
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.domain.access import Actor
from app.domain.money import format_money
from app.services import pdf_charts
from app.services.pdf_data import ReportData, load_report_data

MEDIA_TYPE = "application/pdf"
HEADER_BG = colors.HexColor("#1f4e79")
STRIPE_BG = colors.HexColor("#f2f5f9")
RULE = colors.HexColor("#c8d3e0")
CONTENT_WIDTH = A4[0] - 4 * cm

_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("AllotTitle", parent=_styles["Title"], alignment=0, fontSize=20)
H2 = ParagraphStyle("AllotH2", parent=_styles["Heading2"], textColor=HEADER_BG, spaceBefore=10)
BODY = ParagraphStyle("AllotBody", parent=_styles["BodyText"], fontSize=9, leading=12)
CELL = ParagraphStyle("AllotCell", parent=BODY, fontSize=8, leading=10)
NUM = ParagraphStyle("AllotNum", parent=CELL, alignment=TA_RIGHT)
HEAD = ParagraphStyle("AllotHead", parent=CELL, textColor=colors.white, fontName="Helvetica-Bold")
MUTED = ParagraphStyle("AllotMuted", parent=BODY, textColor=colors.HexColor("#666666"))


def filename(data: ReportData) -> str:
    scope = data.scope
    return f"allot-budget-{scope.budget.id}-summary-period-{scope.period_label}.pdf"


async def render_budget_pdf(actor: Actor, budget_id: int, period: str | int | None) -> bytes:
    """The report as PDF bytes. Raises NotFound / ValidationError like the CSV exports."""
    return (await render_budget_report(actor, budget_id, period))[1]


async def render_budget_report(
    actor: Actor, budget_id: int, period: str | int | None
) -> tuple[str, bytes]:
    """(file name, PDF bytes): the name says the period actually covered."""
    data = await load_report_data(actor, budget_id, period)
    # Charts and layout are CPU work: off the event loop.
    return filename(data), await asyncio.to_thread(build_pdf, data)


def build_pdf(data: ReportData) -> bytes:
    budget = data.scope.budget
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"{budget.name} — grant report",
        author="Allot",
        subject=f"Budget report, period {data.scope.period_label}",
    )
    story: list[Any] = []
    story += _title_block(data)
    story += _summary(data)
    story += _charts(data)
    story += _allocations(data)
    story += _services(data)
    story += _transfers(data)
    story += _corrections(data)
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _money(data: ReportData, micros: int) -> str:
    return format_money(micros, data.scope.budget.currency)


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _escape(value: object) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: object, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(_escape(value), style)


def _title_block(data: ReportData) -> list[Any]:
    budget = data.scope.budget
    periods = ", ".join(
        f"{p.seq} ({p.start_date.isoformat()} to {p.end_date.isoformat()}, {p.status.lower()})"
        for p in data.scope.periods
    )
    scope_note = (
        "Whole budget"
        if data.scope.projects is None
        else "Your projects only (plus the shared unallocated pool)"
    )
    return [
        _text("Grant budget report", MUTED),
        _text(budget.name, TITLE),
        _text(f"Currency: {budget.currency}", BODY),
        _text(f"Period{'s' if len(data.scope.periods) > 1 else ''}: {periods}", BODY),
        _text(f"Scope: {scope_note}", BODY),
        _text(f"Generated at: {_when(data.generated_at)}", BODY),
        Spacer(1, 0.3 * cm),
    ]


def _table(
    header: list[str], rows: list[list[Any]], widths: list[float], numeric: set[int]
) -> Table:
    def cell(i: int, value: Any) -> Any:
        return (
            value if isinstance(value, Paragraph) else _text(value, NUM if i in numeric else CELL)
        )

    head_num = ParagraphStyle("AllotHeadNum", parent=HEAD, alignment=TA_RIGHT)
    body = [[_text(h, head_num if i in numeric else HEAD) for i, h in enumerate(header)]]
    body += [[cell(i, v) for i, v in enumerate(row)] for row in rows]
    table = Table(body, colWidths=[w * CONTENT_WIDTH for w in widths], repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), STRIPE_BG) for r in range(2, len(body), 2)]
    table.setStyle(TableStyle(style))
    return table


def _summary(data: ReportData) -> list[Any]:
    figures = [
        ("Amount", _money(data, data.funded)),
        ("Allocated", _money(data, data.allocated)),
        ("Unallocated", _money(data, data.unallocated)),
        ("Spent", _money(data, data.spent)),
        ("Remaining", _money(data, data.remaining)),
        ("Status", data.status.title()),
    ]
    if data.corrections:
        count = len(data.corrections)
        figures.insert(
            4,
            (
                f"… of which corrections ({count} entr{'y' if count == 1 else 'ies'}, "
                "see Corrections)",
                _money(data, data.corrections_net),
            ),
        )
    return [
        _text("Summary", H2),
        _table(["Figure", "Value"], [list(f) for f in figures], [0.5, 0.5], {1}),
    ]


def _image(png: bytes, width: float = CONTENT_WIDTH) -> Image:
    image = Image(io.BytesIO(png))
    image.drawHeight = width * image.imageHeight / image.imageWidth
    image.drawWidth = width
    return image


def _charts(data: ReportData) -> list[Any]:
    currency = data.scope.budget.currency
    story: list[Any] = []
    if data.projects:
        bars = _project_totals(data)
        png = pdf_charts.allocated_vs_spent(
            [b[0] for b in bars], [b[1] for b in bars], [b[2] for b in bars], currency
        )
        story.append(KeepTogether([_text("Allocated vs spent per project", H2), _image(png)]))
    if data.timeline:
        png = pdf_charts.cumulative_vs_ideal(
            [t[0] for t in data.timeline],
            [t[1] for t in data.timeline],
            [t[2] for t in data.timeline],
            currency,
        )
        title = _text("Cumulative spend vs ideal", H2)
        story.append(KeepTogether([title, _image(png)]))
    return story


def _project_totals(data: ReportData) -> list[tuple[str, int, int]]:
    """Per project across the covered periods, in the table's order."""
    totals: dict[str, tuple[int, int]] = {}
    for line in data.projects:
        allocated, spent = totals.get(line.name, (0, 0))
        totals[line.name] = (allocated + line.allocated, spent + line.spent)
    return [(name, a, s) for name, (a, s) in totals.items()]


def _allocations(data: ReportData) -> list[Any]:
    if not data.projects:
        return [_text("Allocations", H2), _text("No allocations.", MUTED)]
    rows = [
        [
            line.period,
            line.name,
            _money(data, line.allocated),
            _money(data, line.spent),
            _money(data, line.remaining),
            line.status.title(),
        ]
        for line in data.projects
    ]
    header = ["Period", "Project", "Allocated", "Spent", "Remaining", "Status"]
    widths = [0.08, 0.3, 0.16, 0.16, 0.16, 0.14]
    return [_text("Allocations", H2), _table(header, rows, widths, {0, 2, 3, 4})]


def _services(data: ReportData) -> list[Any]:
    if not data.services:
        return [_text("Spend by service", H2), _text("No spend recorded.", MUTED)]
    rows = [[name, count, _money(data, amount)] for name, amount, count in data.services]
    table = _table(["Service", "Records", "Spent"], rows, [0.6, 0.15, 0.25], {1, 2})
    return [_text("Spend by service", H2), table]


def _transfers(data: ReportData) -> list[Any]:
    if not data.transfers:
        return [_text("Transfers", H2), _text("No transfers in this period.", MUTED)]
    rows = [
        [
            t.source,
            t.target,
            _money(data, t.amount),
            t.reason,
            t.status.title(),
            t.requested_by,
            _decided(t.decided_by, t.decided_at),
        ]
        for t in data.transfers
    ]
    header = ["From", "To", "Amount", "Reason", "Status", "Requested by", "Decided by / at"]
    widths = [0.14, 0.14, 0.11, 0.17, 0.10, 0.17, 0.17]
    return [_text("Transfers", H2), _table(header, rows, widths, {2})]


def _corrections(data: ReportData) -> list[Any]:
    """Voids, refunds and moves of the period(s), labelled: the report's figures include them,
    the spend they correct keeps its amount (nothing is rewritten)."""
    title = _text("Corrections", H2)
    if not data.corrections:
        return [title, _text("No corrections in this period.", MUTED)]
    note = _text(
        "Corrections are new entries that reverse (part of) an earlier spend; nothing is "
        "rewritten. A spend of a closed period is corrected in the open one, so a closed "
        "period's figures never change. Negative amounts gave money back.",
        MUTED,
    )
    rows = [
        [
            _when(c.recorded_at),
            c.project,
            _correction_label(c.label, c.other_side),
            _money(data, c.amount),
            _corrected(c.corrects, c.corrects_day, c.corrects_period),
            c.reason,
            c.by or "—",
        ]
        for c in data.corrections
    ]
    header = ["Recorded", "Project", "Correction", "Amount", "Corrects", "Reason", "By"]
    widths = [0.12, 0.15, 0.14, 0.10, 0.13, 0.16, 0.20]
    return [title, note, Spacer(1, 0.15 * cm), _table(header, rows, widths, {3})]


def _correction_label(label: str, other_side: str | None) -> Paragraph:
    text = f"<b>{_escape(label)}</b>"
    if other_side is not None:
        direction = "to" if label == "Moved out" else "from"
        text += f"<br/>{direction} {_escape(other_side)}"
    return Paragraph(text, CELL)


def _corrected(spend_id: int, day: Any, period: int | None) -> Paragraph:
    text = f"spd_{spend_id}"
    if day is not None:
        text += f"<br/>of {day.isoformat()}"
    if period is not None:
        text += f" (period {period}, closed)"
    return Paragraph(text, CELL)


def _decided(who: str | None, when: datetime | None) -> Paragraph | str:
    if who is None and when is None:
        return "—"
    return Paragraph(f"{_escape(who or '—')}<br/>{_when(when)}", CELL)


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.setFillColor(colors.HexColor("#666666"))
    canvas.drawString(2 * cm, 1.2 * cm, f"Allot — {doc.title}")
    canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
    canvas.restoreState()
