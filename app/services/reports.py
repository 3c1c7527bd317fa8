"""Grant-reporting exports: allocations, spend and the journal of one budget, streamed.

Read-only. Rows are produced by async generators that page through the tables by id
(`report_rows.CHUNK_ROWS` at a time), so an export of a million spends never sits in memory.
Money is an exact decimal string (`from_micros`, full micro precision: "0.000123", never a
float, never rounded to cents).

Who sees what is the rule of the GraphQL budget view (schema/types/budget_figures.py `Figures`):
owners and admins get the whole budget; members and viewers only the rows of their own
projects. A budget the actor may not see is reported as not found, like `budget(id)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.domain.access import Actor, can_view_budget, is_owner
from app.domain.errors import NotFound, ValidationError
from app.models import Allocation, Budget, BudgetPeriod
from app.services.report_rows import COLUMNS, ROWS, Row, Scope

REPORTS = ("allocations", "spend", "journal")


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
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 2**31 - 1:
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


# ---------------------------------------------------------------------------------------------
# Public entry points


async def open_report(
    actor: Actor, budget_id: int, report: str, period: str | int | None = None
) -> Report:
    """Validate, authorize and resolve the periods now (errors before any byte is sent);
    the returned report's `rows` stream on iteration."""
    name = str(report).strip().lower()
    if name not in ROWS:
        raise ValidationError("report", f"must be one of {', '.join(REPORTS)}, got {report!r}")
    scope = await resolve_scope(actor, budget_id, period)
    return Report(name=name, columns=COLUMNS[name], scope=scope, rows=ROWS[name](scope))


async def allocations_report(
    actor: Actor, budget_id: int, period: str | int | None = None
) -> AsyncIterator[Row]:
    """Each visible allocation of the period(s): allocated, spent, remaining, status band."""
    scope = await resolve_scope(actor, budget_id, period)
    async for row in ROWS["allocations"](scope):
        yield row


async def spend_report(
    actor: Actor, budget_id: int, period: str | int | None = None
) -> AsyncIterator[Row]:
    """Each visible spend record of the period(s), in the order it was recorded."""
    scope = await resolve_scope(actor, budget_id, period)
    async for row in ROWS["spend"](scope):
        yield row


async def journal_report(
    actor: Actor, budget_id: int, period: str | int | None = None
) -> AsyncIterator[Row]:
    """Each journal entry touching the period(s) (members: touching their envelopes)."""
    scope = await resolve_scope(actor, budget_id, period)
    async for row in ROWS["journal"](scope):
        yield row


# ---------------------------------------------------------------------------------------------
# Encodings
