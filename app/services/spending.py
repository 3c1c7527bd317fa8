"""Recording spend against a project's allocation, exactly and at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import (
    Actor,
    can_credit_beyond_spent,
    can_record_spend,
    can_view_project,
)
from app.domain.errors import (
    AmbiguousReference,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PeriodClosed,
    PermissionDenied,
    ValidationError,
)
from app.domain.money import from_micros, parse_decimal, to_micros
from app.domain.pacing import PACE_RULE
from app.domain.periods import PeriodBounds, local_date
from app.models import Allocation, Budget, Spend
from app.models.compiled import CompiledSelect
from app.services import alerts, idempotency, lookup, periods
from app.services.events import for_projects
from app.services.spend_post import Posted, SpendRow, lock_for_pacing, post_spend


@dataclass(frozen=True)
class SpendInput:
    project_id: int
    #: Give either amount or usage (priced by app.services.pricing from the rate in force).
    amount: Decimal | str | int | None = None
    budget_id: int | None = None
    service: str | None = None
    description: str | None = None
    occurred_at: datetime | None = None
    external_id: str | None = None
    quantity: Decimal | str | None = None
    unit: str | None = None
    currency: str | None = None
    idempotency_key: str | None = None
    source: str = "api"
    usage: tuple[Any, ...] | None = None  # pricing.UsagePart items
    model: str | None = None  # the rate key for usage (default: service)
    card: str | None = None  # price from this rate card only


#: How a spend may be placed: `can_record_spend` to spend, `can_view_allocation` to ask.
Allowed = Callable[[Actor, int, int], bool]


def choose_allocation(
    actor: Actor,
    project_id: int,
    budget_id: int | None,
    rows: list[Allocation],
    allowed: Allowed = can_record_spend,
) -> Allocation | str:
    """Pick the project's open allocation the actor may use, or say why not: "denied",
    "none" or "ambiguous:<budget names>".

    The permission check comes first and ambiguity is judged among the usable budgets only,
    so a caller learns nothing about budgets they may not use (not even how many fund it).
    """
    if budget_id is not None:
        rows = [r for r in rows if r.budget_id == budget_id]  # type: ignore[attr-defined]
    usable = [r for r in rows if allowed(actor, r.budget_id, project_id)]  # type: ignore[attr-defined]
    if not usable:
        # No right over the project at all: the same answer whether it has allocations or not.
        if rows or not can_view_project(actor, project_id):
            return "denied"
        return "none"
    if len(usable) > 1:
        return "ambiguous:" + "\n".join(sorted(r.budget.name for r in usable))
    return usable[0]


def _open_allocations(project_id: int) -> QuerySet[Allocation]:
    return Allocation.filter(project_id=project_id, period__status="OPEN").select_related(
        "budget", "project", "period"
    )


#: The project's allocations in open periods (in one budget): every spend, authorization and
#: reservation starts here, so the SQL is built once (app.models.compiled).
_OPEN_ALLOCATIONS = CompiledSelect(Allocation, _open_allocations, (int,))
_OPEN_ALLOCATION_IN = CompiledSelect(
    Allocation,
    lambda project_id, budget_id: _open_allocations(project_id).filter(budget_id=budget_id),
    (int, int),
)


async def resolve_allocation(
    actor: Actor, project_id: int, budget_id: int | None, allowed: Allowed = can_record_spend
) -> tuple[Allocation, Budget]:
    """The project's allocation in the open period of the named budget (or of the only budget
    the actor may use it in)."""
    if budget_id is None:
        rows = await _OPEN_ALLOCATIONS(project_id)
    else:
        rows = await _OPEN_ALLOCATION_IN(project_id, budget_id)
    if not rows:
        await lookup.project(project_id)
    picked = choose_allocation(actor, project_id, budget_id, rows, allowed)
    if picked == "denied":
        raise PermissionDenied("you are not allowed to record spend for this project")
    if picked == "none":
        if budget_id is not None:
            await lookup.open_period(await lookup.budget(budget_id))  # PeriodClosed when ended
            raise NotFound(
                "Allocation", f"for project {project_id} in budget {budget_id}", field="budgetId"
            )
        raise NotFound(
            "Allocation", f"for project {project_id} in any open budget", field="projectId"
        )
    if isinstance(picked, str):
        names = picked.removeprefix("ambiguous:").split("\n")
        raise AmbiguousReference(
            f"the project is funded by {len(names)} budgets; name one with budgetId", names
        )
    lookup.writable_budget(picked.budget)
    lookup.writable_project(picked.project)
    return picked, picked.budget


def _content(
    item: SpendInput,
    amount: int,
    occurred_at: datetime | None,
    metadata: dict[str, str] | None = None,
) -> dict[str, object]:
    content: dict[str, object] = {
        "projectId": item.project_id,
        "amount": amount,
        "service": item.service,
        "description": item.description,
        "occurredAt": occurred_at.isoformat() if occurred_at else None,
        "quantity": str(item.quantity) if item.quantity is not None else None,
        "unit": item.unit,
    }
    if metadata is not None:  # keys made before metadata existed still replay
        content["metadata"] = metadata
    return content


def _same_spend(row: Spend, item: SpendInput, amount: int) -> bool:
    """A replay of an externalId must say the same thing: amount, project, and every optional
    field the caller gave (one left out is not a difference)."""
    if row.amount_micros != amount or row.project_id != item.project_id:  # type: ignore[attr-defined]
        return False
    given = {
        "service": (item.service, row.service),
        "description": (item.description, row.description),
        "unit": (item.unit, row.unit),
        "quantity": (None if item.quantity is None else str(item.quantity), row.quantity),
    }
    if any(new is not None and new.strip() != (old or "") for new, old in given.values()):
        return False
    return item.occurred_at is None or row.occurred_at == item.occurred_at


async def record_spend(
    actor: Actor,
    item: SpendInput,
    *,
    allow_credit: bool = False,
    round_half_even: bool = False,
    allow_zero: bool = False,
    credits: bool = False,
    paced: bool = True,
) -> tuple[Spend, bool]:
    """Record one spend. Returns (spend, created); a replay returns the first spend.

    `allow_credit`: a negative amount is recorded as the source reports it (imports).
    `credits` (recordSpend): a negative amount is a credit, at most what the allocation spent
    unless an owner records it (app.domain.access.can_credit_beyond_spent).
    `paced` False: settling a reservation, whose hold was paced when it was taken
    (app.services.reservations); otherwise a hardLimit + enforcePacing budget holds a charge to
    its day's pacing cap (app.services.spend_post)."""
    if item.usage is not None or item.amount is None:
        from app.services import pricing  # pricing builds on this module

        return await pricing.record_usage(actor, item, allow_credit=allow_credit, paced=paced)
    amount = to_micros(item.amount, field="amount", round_half_even=round_half_even)
    if (amount == 0 and not allow_zero) or (amount < 0 and not (allow_credit or credits)):
        raise ValidationError("amount", "must be greater than zero")
    limit_credit = amount < 0 and not allow_credit
    now = clock.now()
    occurred_at = item.occurred_at
    if occurred_at is not None:
        if occurred_at.tzinfo is None:
            raise ValidationError("occurredAt", "must include a time zone offset, e.g. Z")
        if occurred_at > now + timedelta(days=1):
            raise ValidationError("occurredAt", "must not be in the future")
    if item.quantity is not None:
        parse_decimal(item.quantity, field="quantity")
    service = rules.text(item.service, "service", 200)
    description = rules.text(item.description, "description")
    external_id = rules.text(item.external_id, "externalId", 255)
    metadata = rules.metadata(getattr(item, "metadata", None))
    allocation, budget = await resolve_allocation(actor, item.project_id, item.budget_id)
    if item.currency is not None and rules.currency(item.currency) != budget.currency:
        raise CurrencyMismatch(
            f"amount is in {item.currency.upper()} but the budget is in {budget.currency};"
            " no exchange rate is configured"
        )
    content = _content(item, amount, occurred_at, metadata)
    # A period that is over closes before a spend dated after it (app.services.periods).
    if await periods.settle_before_spend(allocation, budget, occurred_at or now, now):
        allocation, budget = await resolve_allocation(actor, item.project_id, item.budget_id)
    for attempt in range(3):
        try:
            async with in_transaction():
                if limit_credit:
                    await _check_credit(actor, budget, allocation, amount)
                return await _record(
                    actor,
                    item,
                    budget,
                    allocation,
                    amount,
                    occurred_at or now,
                    service,
                    description,
                    external_id,
                    content,
                    paced=paced,
                    metadata=metadata,
                )
        except IntegrityError:
            # A concurrent writer recorded the same externalId or key first: the next attempt
            # finds it and returns it as a replay.
            if attempt == 2:
                raise
        except PeriodClosed:
            # The period closed after we read the allocation: land in the next one instead.
            if attempt == 2:
                raise
            allocation, budget = await resolve_allocation(actor, item.project_id, item.budget_id)
        except Exception as exc:
            # PostgreSQL chose this transaction as a deadlock's victim (two spends on one envelope
            # can lock its row in opposite order inside the one-statement post): it was rolled
            # back whole, so it is safe to run again, as PostgreSQL's documentation advises.
            if attempt == 2 or not _deadlock(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _deadlock(exc: BaseException | None) -> bool:
    """Is `exc` (or what it wraps) PostgreSQL's deadlock_detected (SQLSTATE 40P01)?"""
    for _ in range(3):
        if exc is None:
            return False
        if getattr(exc, "sqlstate", None) == "40P01":
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def _check_credit(actor: Actor, budget: Budget, allocation: Allocation, amount: int) -> None:
    """A credit by a member gives back at most what the allocation spent (owners: any)."""
    if can_credit_beyond_spent(actor, budget.id):
        return
    spent = await Allocation.get(id=allocation.id).values_list("spent_micros", flat=True)
    if -amount > int(spent):  # type: ignore[call-overload]
        raise ValidationError(
            "amount",
            f"a credit (negative amount) must be at most what this allocation spent "
            f"({from_micros(max(0, int(spent)))} {budget.currency}); "  # type: ignore[call-overload]
            "only the budget's owners may credit more",
        )


async def _record(
    actor: Actor,
    item: SpendInput,
    budget: Budget,
    allocation: Allocation,
    amount: int,
    occurred_at: datetime,
    service: str | None,
    description: str | None,
    external_id: str | None,
    content: dict[str, object],
    *,
    paced: bool = True,
    metadata: dict[str, str] | None = None,
) -> tuple[Spend, bool]:
    """Post one spend (app.services.spend_post: one statement on PostgreSQL); a replayed
    externalId is found by the insert itself, not by a read before it."""
    replay = await idempotency.replay(actor, "recordSpend", item.idempotency_key, content)
    if replay is not None:
        return await Spend.get(id=replay), False
    row = SpendRow(
        budget_id=budget.id,
        period_id=allocation.period_id,  # type: ignore[attr-defined]
        allocation_id=allocation.id,
        project_id=item.project_id,
        amount=amount,
        service=service,
        description=description,
        occurred_at=occurred_at,
        local_day=local_date(occurred_at, budget.timezone),
        source=item.source,
        external_id=external_id,
        quantity=None if item.quantity is None else str(item.quantity),
        unit=rules.text(item.unit, "unit", 64),
        actor_id=actor.user_id,
        created_at=clock.now(),
        audience=for_projects(item.project_id).to_json(),
    )
    pace_days_left = paced_days_left(budget, allocation, row.local_day, amount) if paced else None
    if pace_days_left is not None:
        await lock_for_pacing(allocation.id)
    posted = await post_spend(row, hard_limit=budget.hard_limit, pace_days_left=pace_days_left)
    if posted.spend_id is None:
        return await _not_posted(posted, item, allocation, budget, amount, external_id), False
    spend = _spend(posted.spend_id, row)
    if metadata is not None:  # only then a statement more, in the same transaction
        await Spend.filter(id=spend.id).update(metadata=metadata)
        spend.metadata = metadata
    before = posted.spent_after - amount
    await alerts.after_spend(
        budget, allocation.period, allocation, posted.allocated, before, posted.spent_after
    )
    await idempotency.remember(actor, "recordSpend", item.idempotency_key, content, spend.id)
    return spend, True


def paced_days_left(budget: Budget, allocation: Allocation, day: date, amount: int) -> int | None:
    """The drip's divisor for a charge on `day` when the budget paces its hard limit (hardLimit
    and enforcePacing): the days left in the period from that day, today included. None when no
    pacing cap applies (no hard limit, pacing off, or a credit: those are never paced)."""
    if not (budget.hard_limit and budget.enforce_pacing) or amount <= 0:
        return None
    period = allocation.period
    return PeriodBounds(period.start_date, period.end_date).days_left(day)


def pace_refusal(project_name: str, amount: int, currency: str) -> InsufficientFunds:
    """The pacing cap refused a charge: the hard-limit error type, naming the rule but no
    figures (the cap is derived from the allocation's balance)."""
    return InsufficientFunds(
        f"project {project_name!r}",
        amount,
        None,
        currency,
        rule=PACE_RULE,
    )


async def _not_posted(
    posted: Posted,
    item: SpendInput,
    allocation: Allocation,
    budget: Budget,
    amount: int,
    external_id: str | None,
) -> Spend:
    """Why nothing was written: the period closed meanwhile (the caller retries in the next
    one), a hard limit, or the externalId was recorded before (a replay, or a conflict)."""
    if not posted.period_open:
        raise PeriodClosed("the budget period closed meanwhile; try again")
    if not posted.within_pace:
        raise pace_refusal(allocation.project.name, amount, budget.currency)
    if not posted.within_limit:
        a = await Allocation.get(id=allocation.id)
        raise InsufficientFunds(
            f"project {allocation.project.name!r}",
            amount,
            max(0, a.allocated_micros - a.spent_micros - a.held_micros),
            budget.currency,
        )
    existing = await Spend.get(
        source=item.source, project_id=item.project_id, external_id=external_id
    )
    if not _same_spend(existing, item, amount):
        raise IdempotencyConflict(
            f"externalId {external_id!r} was recorded before with different content",
            field="externalId",
        )
    return existing


def _spend(spend_id: int, row: SpendRow) -> Spend:
    """The recorded spend as a model instance, without reading back what was just written."""
    spend = Spend(
        id=spend_id,
        budget_id=row.budget_id,
        allocation_id=row.allocation_id,
        project_id=row.project_id,
        amount_micros=row.amount,
        service=row.service,
        description=row.description,
        occurred_at=row.occurred_at,
        local_day=row.local_day,
        source=row.source,
        external_id=row.external_id,
        quantity=row.quantity,
        unit=row.unit,
        recorded_by_id=row.actor_id,
        created_at=row.created_at,
    )
    spend._saved_in_db = True
    return spend
