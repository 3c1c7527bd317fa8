"""Recording many spends at once (`recordSpends`, imports): one transaction per batch.

Every item gets its own result, by index: recorded, a duplicate of an earlier externalId (or
idempotency key) with the same content, or the domain error that refused it. Good items are
recorded and bad ones reported; an item is never half-written, because all writes of a batch
commit together.

Speed comes from doing per batch what `record_spend` does per item: allocations are resolved
and authorized once per (project, budget), externalIds are checked with one query per 500,
spend rows go in with one executemany, and the ledger moves once per allocation: one SPEND entry
for the batch's charges and one REFUND entry for its credits. The spend rows are the line items;
the journal holds the account movements (a bank posts a batch the same way), and `allot verify`
still replays every balance from it exactly.

The steps: checking items (`batch_items`), answering replays (`batch_dedupe`), writing rows
and moving the ledger (`batch_ledger`); resolving allocations and the transaction are here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor
from app.domain.errors import (
    AllotError,
    AmbiguousReference,
    CurrencyMismatch,
    NotFound,
    PeriodClosed,
    PermissionDenied,
    ValidationError,
)
from app.models import Allocation, Budget, Project
from app.services import batch_ledger, lookup, periods
from app.services.batch_dedupe import answer_repeats, drop_duplicates
from app.services.batch_items import ERROR, RECORDED, Item, ItemResult, validate
from app.services.spending import SpendInput, choose_allocation

MAX_ITEMS = 10_000
_LOOKUP_CHUNK = 500


async def record_spends(
    actor: Actor,
    items: Sequence[SpendInput | AllotError],
    *,
    allow_credit: bool = False,
    round_half_even: bool = False,
) -> list[ItemResult]:
    """Record up to `MAX_ITEMS` spends in one transaction; one result per item, in order.

    An item may already be an error (the caller could not even read it): it is reported as is.
    """
    if len(items) > MAX_ITEMS:
        raise ValidationError("items", f"must hold at most {MAX_ITEMS} items, got {len(items)}")
    now = clock.now()
    results: dict[int, ItemResult] = {}
    valid: list[Item] = []
    for i, raw in enumerate(items):
        if isinstance(raw, AllotError):
            results[i] = ItemResult(i, ERROR, error=raw)
            continue
        try:
            valid.append(
                validate(i, raw, now, allow_credit=allow_credit, round_half_even=round_half_even)
            )
        except AllotError as exc:
            results[i] = ItemResult(i, ERROR, error=exc, project_id=raw.project_id)
    results.update(await record_items(actor, valid))
    return [results[i] for i in range(len(items))]


async def record_items(
    actor: Actor, items: list[Item], *, dry_run: bool = False, across_projects: bool = False
) -> dict[int, ItemResult]:
    """Record validated items (see the module docstring); results keyed by item index.
    `across_projects`: externalIds are unique in the whole source (an import), not per project."""
    if not items:
        return {}
    # Periods that are over close first (as for a single spend), so rows land in the period
    # that is open now rather than in one the scheduler is about to close.
    await periods.close_due_periods(clock.now())
    results: dict[int, ItemResult] = {}
    live = await _resolve(actor, items, results)
    try:
        return await _in_transaction(actor, live, dict(results), dry_run, across_projects)
    except IntegrityError:
        # A concurrent batch recorded one of these externalIds first: run again, and the
        # duplicate check now sees its rows.
        return await _in_transaction(actor, live, dict(results), dry_run, across_projects)
    except PeriodClosed:
        # A period closed between resolving and writing: the items land in the next one.
        results = {}
        live = await _resolve(actor, items, results)
        return await _in_transaction(actor, live, dict(results), dry_run, across_projects)


async def _in_transaction(
    actor: Actor,
    items: list[Item],
    results: dict[int, ItemResult],
    dry_run: bool,
    across_projects: bool,
) -> dict[int, ItemResult]:
    async with in_transaction():
        live, repeats = await drop_duplicates(
            actor, items, results, across_projects=across_projects
        )
        allocation_ids = {i.allocation.id for i in live}  # type: ignore[union-attr]
        periods_held = {i.allocation.period_id for i in live}  # type: ignore[union-attr]
        if not dry_run and not await batch_ledger.hold_open_periods(periods_held):
            raise PeriodClosed("a budget period of this batch closed meanwhile; try again")
        balances = await batch_ledger.read_balances(allocation_ids, lock=not dry_run)
        # An import records bills the source already ran up (like a credit, refusing them only
        # leaves the ledger wrong): the hard limit applies, the pacing cap does not.
        paced = set() if across_projects else batch_ledger.paced_allocations(live)
        pacing = await batch_ledger.read_pacing(live, paced)
        live = batch_ledger.enforce_hard_limits(live, balances, results, pacing)
        if dry_run:
            for item in live:
                results[item.index] = ItemResult(
                    item.index, RECORDED, project_id=item.project_id, amount=item.amount
                )
        else:
            await batch_ledger.write(actor, live, balances, results)
        answer_repeats(repeats, results)
    return results


async def _resolve(actor: Actor, items: list[Item], results: dict[int, ItemResult]) -> list[Item]:
    """Attach each item's allocation; refuse items whose allocation is missing, ambiguous,
    not theirs to spend from, or in another currency."""
    project_ids = sorted({i.project_id for i in items})
    by_project: dict[int, list[Allocation]] = defaultdict(list)
    for start in range(0, len(project_ids), _LOOKUP_CHUNK):
        rows = await Allocation.filter(
            project_id__in=project_ids[start : start + _LOOKUP_CHUNK], period__status="OPEN"
        ).select_related("budget", "project", "period")
        for row in rows:
            by_project[row.project_id].append(row)  # type: ignore[attr-defined]
    known_projects = set(by_project)
    missing = [pid for pid in project_ids if pid not in known_projects]
    if missing:
        known_projects |= set(await Project.filter(id__in=missing).values_list("id", flat=True))
    budget_ids = {i.budget_id for i in items if i.budget_id is not None}
    known_budgets = set(await Budget.filter(id__in=budget_ids).values_list("id", flat=True))
    choice: dict[tuple[int, int | None], Allocation | str] = {}
    live = []
    for item in items:
        key = (item.project_id, item.budget_id)
        if key not in choice:
            choice[key] = choose_allocation(actor, *key, by_project[item.project_id])
        picked = choice[key]
        try:
            if isinstance(picked, str):
                raise _resolve_error(picked, item, known_projects, known_budgets)
            budget = picked.budget
            lookup.writable_budget(budget)  # archived: read-only (InvalidState)
            lookup.writable_project(picked.project)
            if item.currency is not None and item.currency != budget.currency:
                raise CurrencyMismatch(
                    f"amount is in {item.currency} but the budget is in {budget.currency};"
                    " no exchange rate is configured"
                )
        except AllotError as exc:
            results[item.index] = ItemResult(
                item.index, ERROR, error=exc, project_id=item.project_id
            )
            continue
        item.allocation = picked
        live.append(item)
    return live


def _resolve_error(
    reason: str, item: Item, known_projects: set[int], known_budgets: set[int]
) -> AllotError:
    p = f"items[{item.index}]."
    if reason == "denied":
        return PermissionDenied("you are not allowed to record spend for this project")
    if reason.startswith("ambiguous:"):
        names = reason.removeprefix("ambiguous:").split("\n")
        return AmbiguousReference(
            f"the project is funded by {len(names)} budgets; name one with budgetId", names
        )
    if item.project_id not in known_projects:
        return NotFound("Project", item.project_id, field=f"{p}projectId")
    if item.budget_id is not None:
        if item.budget_id not in known_budgets:
            return NotFound("Budget", item.budget_id, field=f"{p}budgetId")
        return NotFound(
            "Allocation",
            f"for project {item.project_id} in budget {item.budget_id}",
            field=f"{p}budgetId",
        )
    return NotFound(
        "Allocation", f"for project {item.project_id} in any open budget", field=f"{p}projectId"
    )


__all__ = ["MAX_ITEMS", "record_items", "record_spends"]
