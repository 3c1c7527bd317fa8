"""Grant-reporting exports: allocations, spend and the journal of one budget, streamed.

Read-only. Rows are produced by async generators that page through the tables by id
(`CHUNK_ROWS` at a time), so an export of a million spends never sits in memory. Money is an
exact decimal string (`from_micros`, full micro precision: "0.000123", never a float, never
rounded to cents).

Who sees what is the rule of the GraphQL budget view (schema/types/budget_figures.py `Figures`):
owners and admins get the whole budget; members and viewers only the rows of their own
projects. A budget the actor may not see is reported as not found, like `budget(id)`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from app.domain.access import Actor, can_view_budget, is_owner
from app.domain.errors import NotFound, ValidationError
from app.domain.money import from_micros
from app.domain.status import status_band
from app.models import Allocation, Budget, BudgetPeriod, JournalEntry, Spend

#: Rows fetched per query.
CHUNK_ROWS = 500

REPORTS = ("allocations", "spend", "journal")
FORMATS = ("csv", "json", "ndjson")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
}

Row = dict[str, Any]

ALLOCATION_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "period_status",
    "project_slug",
    "project_name",
    "allocated",
    "spent",
    "remaining",
    "status",
)
SPEND_COLUMNS = (
    "spend_id",
    "period",
    "occurred_at",
    "local_day",
    "project_slug",
    "project_name",
    "service",
    "description",
    "amount",
    "currency",
    "source",
    "external_id",
    "quantity",
    "unit",
    "recorded_by",
)
JOURNAL_COLUMNS = (
    "entry_id",
    "created_at",
    "kind",
    "from_account",
    "to_account",
    "amount",
    "memo",
    "transfer_id",
    "spend_id",
)
COLUMNS = {"allocations": ALLOCATION_COLUMNS, "spend": SPEND_COLUMNS, "journal": JOURNAL_COLUMNS}


@dataclass(frozen=True)
class Scope:
    """What one export covers: a budget, some of its periods, and (for members) some projects."""

    budget: Budget
    #: The periods covered, oldest first.
    periods: tuple[BudgetPeriod, ...]
    #: None: every project; otherwise the projects whose rows the actor may see.
    projects: tuple[int, ...] | None
    #: "all", or the period's seq as text: for file names.
    period_label: str

    @property
    def period_ids(self) -> list[int]:
        return [p.id for p in self.periods]


@dataclass(frozen=True)
class Report:
    name: str
    columns: tuple[str, ...]
    scope: Scope
    rows: AsyncIterator[Row]

    def filename(self, fmt: str) -> str:
        scope = self.scope
        return f"allot-budget-{scope.budget.id}-{self.name}-period-{scope.period_label}.{fmt}"


def parse_period(value: str | int | None) -> str | int:
    """ "current" (also None or ""), "all", or a period number (its seq, 1 = the first)."""
    if value is None:
        return "current"
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        text = str(value).strip().lower()
    if text in ("", "current"):
        return "current"
    if text == "all":
        return "all"
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValidationError(
        "period", f"must be 'current', 'all' or a period number such as 1, got {value!r}"
    )


async def resolve_scope(actor: Actor, budget_id: int, period: str | int | None = None) -> Scope:
    """Check the budget is visible and the period exists; raises before any row is produced."""
    wanted = parse_period(period)
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise NotFound("Budget", budget_id, field="budgetId")
    projects: tuple[int, ...] | None = None
    if not is_owner(actor, budget.id):
        funded = await Allocation.filter(
            budget_id=budget.id, project_id__in=list(actor.project_roles)
        ).values_list("project_id", flat=True)
        if not can_view_budget(actor, budget.id, funded):  # type: ignore[arg-type]
            raise NotFound("Budget", budget_id, field="budgetId")  # invisible: not revealed
        projects = tuple(sorted({int(p) for p in funded}))  # type: ignore[call-overload]
    query = BudgetPeriod.filter(budget_id=budget.id).order_by("seq")
    if wanted == "all":
        periods = tuple(await query)
        label = "all"
    elif wanted == "current":
        # The open period, else the last one (an ended grant): the GraphQL budget's rule.
        current = await query.filter(status="OPEN").order_by("-seq").first()
        current = current or await query.order_by("-seq").first()
        if current is None:  # pragma: no cover - every budget opens its first period
            raise ValidationError("period", "the budget has no period yet")
        periods = (current,)
        label = str(current.seq)
    else:
        found = await query.filter(seq=wanted).first()
        if found is None:
            last = await query.order_by("-seq").first()
            raise ValidationError(
                "period",
                f"budget {budget.id} has no period {wanted}"
                f" (its periods are 1 to {last.seq if last else 0})",
            )
        periods = (found,)
        label = str(found.seq)
    return Scope(budget=budget, periods=periods, projects=projects, period_label=label)


def money(micros: int | None) -> str | None:
    return None if micros is None else format(from_micros(int(micros)), "f")


def utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _chunks(query_for: Callable[[int], Any]) -> AsyncIterator[list[Row]]:
    """Keyset pages: `query_for(last_id)` returns the rows with id > last_id, ordered by id."""
    last = 0
    while True:
        rows = await query_for(last)
        if not rows:
            return
        yield rows
        if len(rows) < CHUNK_ROWS:
            return
        last = int(rows[-1]["id"])


# ---------------------------------------------------------------------------------------------
# Rows


async def _allocation_rows(scope: Scope) -> AsyncIterator[Row]:
    base = Allocation.filter(budget_id=scope.budget.id)
    if scope.projects is not None:
        base = base.filter(project_id__in=list(scope.projects))

    # Oldest period first, then by id: a period's allocations are contiguous in the file.
    for period in scope.periods:
        period_page = base.filter(period_id=period.id)

        def page_of(last: int, q: Any = period_page) -> Any:
            return (
                q.filter(id__gt=last)
                .order_by("id")
                .limit(CHUNK_ROWS)
                .values(
                    "id",
                    "allocated_micros",
                    "spent_micros",
                    "project__slug",
                    "project__name",
                )
            )

        async for chunk in _chunks(page_of):
            for r in chunk:
                allocated, spent = int(r["allocated_micros"]), int(r["spent_micros"])
                yield {
                    "period": period.seq,
                    "period_start": period.start_date.isoformat(),
                    "period_end": period.end_date.isoformat(),
                    "period_status": period.status,
                    "project_slug": r["project__slug"],
                    "project_name": r["project__name"],
                    "allocated": money(allocated),
                    "spent": money(spent),
                    "remaining": money(allocated - spent),
                    "status": status_band(allocated, allocated - spent).value,
                }


async def _spend_rows(scope: Scope) -> AsyncIterator[Row]:
    seq = {p.id: p.seq for p in scope.periods}
    base = Spend.filter(budget_id=scope.budget.id, allocation__period_id__in=list(seq))
    if scope.projects is not None:
        base = base.filter(project_id__in=list(scope.projects))

    def page(last: int) -> Any:
        return (
            base.filter(id__gt=last)
            .order_by("id")
            .limit(CHUNK_ROWS)
            .values(
                "id",
                "allocation__period_id",
                "occurred_at",
                "local_day",
                "project__slug",
                "project__name",
                "service",
                "description",
                "amount_micros",
                "source",
                "external_id",
                "quantity",
                "unit",
                "recorded_by__email",
            )
        )

    async for chunk in _chunks(page):
        for r in chunk:
            yield {
                "spend_id": int(r["id"]),
                "period": seq.get(r["allocation__period_id"]),
                "occurred_at": utc_iso(r["occurred_at"]),
                "local_day": r["local_day"].isoformat() if r["local_day"] else None,
                "project_slug": r["project__slug"],
                "project_name": r["project__name"],
                "service": r["service"],
                "description": r["description"],
                "amount": money(r["amount_micros"]),
                "currency": scope.budget.currency,
                "source": r["source"],
                "external_id": r["external_id"],
                "quantity": r["quantity"],
                "unit": r["unit"],
                "recorded_by": r["recorded_by__email"],
            }


def _account(kind: str, seq: int | None, slug: str | None) -> str:
    """FUNDING/1, POOL/1, ALLOCATION/1/genomics, SPENT/1: kind / period number / project."""
    parts = [kind]
    if seq is not None:
        parts.append(str(seq))
    if slug:
        parts.append(slug)
    return "/".join(parts)


async def _journal_rows(scope: Scope) -> AsyncIterator[Row]:
    period_ids = scope.period_ids
    base = JournalEntry.filter(budget_id=scope.budget.id).filter(
        Q(from_period_id__in=period_ids) | Q(to_period_id__in=period_ids)
    )
    if scope.projects is not None:
        # A member's rows: the entries that move money into or out of their own envelopes.
        mine = list(
            await Allocation.filter(
                budget_id=scope.budget.id, project_id__in=list(scope.projects)
            ).values_list("id", flat=True)
        )
        base = base.filter(Q(from_allocation_id__in=mine) | Q(to_allocation_id__in=mine))

    def page(last: int) -> Any:
        return (
            base.filter(id__gt=last)
            .order_by("id")
            .limit(CHUNK_ROWS)
            .values(
                "id",
                "created_at",
                "kind",
                "from_kind",
                "from_period__seq",
                "from_allocation__project__slug",
                "to_kind",
                "to_period__seq",
                "to_allocation__project__slug",
                "amount_micros",
                "memo",
                "transfer_id",
                "spend_id",
            )
        )

    async for chunk in _chunks(page):
        for r in chunk:
            yield {
                "entry_id": int(r["id"]),
                "created_at": utc_iso(r["created_at"]),
                "kind": r["kind"],
                "from_account": _account(
                    r["from_kind"], r["from_period__seq"], r["from_allocation__project__slug"]
                ),
                "to_account": _account(
                    r["to_kind"], r["to_period__seq"], r["to_allocation__project__slug"]
                ),
                "amount": money(r["amount_micros"]),
                "memo": r["memo"],
                "transfer_id": r["transfer_id"],
                "spend_id": r["spend_id"],
            }


_ROWS = {"allocations": _allocation_rows, "spend": _spend_rows, "journal": _journal_rows}


# ---------------------------------------------------------------------------------------------
# Public entry points


async def open_report(
    actor: Actor, budget_id: int, report: str, period: str | int | None = None
) -> Report:
    """Validate, authorize and resolve the periods now (errors before any byte is sent);
    the returned report's `rows` stream on iteration."""
    name = str(report).strip().lower()
    if name not in _ROWS:
        raise ValidationError("report", f"must be one of {', '.join(REPORTS)}, got {report!r}")
    scope = await resolve_scope(actor, budget_id, period)
    return Report(name=name, columns=COLUMNS[name], scope=scope, rows=_ROWS[name](scope))


async def allocations_report(
    actor: Actor, budget_id: int, period: str | int | None = None
) -> AsyncIterator[Row]:
    """Each visible allocation of the period(s): allocated, spent, remaining, status band."""
    scope = await resolve_scope(actor, budget_id, period)
    async for row in _allocation_rows(scope):
        yield row


async def spend_report(
    actor: Actor, budget_id: int, period: str | int | None = None
) -> AsyncIterator[Row]:
    """Each visible spend record of the period(s), in the order it was recorded."""
    scope = await resolve_scope(actor, budget_id, period)
    async for row in _spend_rows(scope):
        yield row


async def journal_report(
    actor: Actor, budget_id: int, period: str | int | None = None
) -> AsyncIterator[Row]:
    """Each journal entry touching the period(s) (members: touching their envelopes)."""
    scope = await resolve_scope(actor, budget_id, period)
    async for row in _journal_rows(scope):
        yield row


# ---------------------------------------------------------------------------------------------
# Encodings

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _csv_cell(value: Any) -> str:
    """Text for a CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @ …) gets
    a leading apostrophe; numbers (negative amounts included) are left exact."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _NUMBER.match(text):
        return "'" + text
    return text


async def encode(report: Report, fmt: str) -> AsyncIterator[str]:
    """The report as text chunks: CSV with a header row, a JSON array of objects (streamed
    `[`, rows with commas, `]`), or NDJSON (one object a line)."""
    if fmt not in FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(report.columns)
        async for chunk in _batched(report.rows):
            for row in chunk:
                writer.writerow([_csv_cell(row[c]) for c in report.columns])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()
        return
    if fmt == "ndjson":
        async for chunk in _batched(report.rows):
            yield "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in chunk)
        return
    yield "["
    first = True
    async for chunk in _batched(report.rows):
        parts = []
        for row in chunk:
            parts.append(("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False))
            first = False
        yield "".join(parts)
    yield "\n]\n" if not first else "]\n"


async def _batched(rows: AsyncIterator[Row], size: int = 200) -> AsyncIterator[list[Row]]:
    batch: list[Row] = []
    async for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
