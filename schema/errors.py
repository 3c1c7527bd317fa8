"""Typed errors: every AllotError becomes a union member implementing `Error { code message }`.

One mapping, here. Anything else is a bug: it is masked and logged with a request id.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain import errors as domain
from app.domain.money import from_micros


@strawberry.interface(
    description="What went wrong, for a person (message) and a program (code). Every mutation "
    "payload is a union of its success type and the types implementing Error; select "
    "`... on Error { code message }` to handle them all. Errors speak only of what you may see."
)
class Error:
    code: str = strawberry.field(
        description="Stable machine code: VALIDATION, NOT_FOUND, PERMISSION_DENIED, "
        "INSUFFICIENT_FUNDS, CONFLICT, IDEMPOTENCY_CONFLICT, INVALID_STATE, CURRENCY_MISMATCH, "
        "AMBIGUOUS, PERIOD_CLOSED or UNPRICED."
    )
    message: str = strawberry.field(
        description='A sentence for a person, e.g. "amount must not be negative".'
    )


@strawberry.type(
    description="An input field breaks a rule (code VALIDATION), e.g. an amount with more "
    "than 6 decimals, a float, a date out of range."
)
class ValidationError(Error):
    field: str = strawberry.field(
        description="The input field, as named in the API (e.g. amount, items[2].percent)."
    )
    rule: str = strawberry.field(description="What is wrong with it (e.g. must not be negative).")


@strawberry.type(
    description="An id or name refers to nothing you can see (code NOT_FOUND): whether it "
    "exists elsewhere is not told."
)
class NotFound(Error):
    field: str | None = strawberry.field(description="The input field holding the reference.")


@strawberry.type(
    description="Your roles do not allow this (code PERMISSION_DENIED); the message says what "
    'you tried (README, "Who may do what").'
)
class PermissionDenied(Error):
    pass


@strawberry.type(
    description="The source lacks the funds (code INSUFFICIENT_FUNDS); `available` is what it "
    "holds now, or null when you may not see the source's figures."
)
class InsufficientFunds(Error):
    source: str = strawberry.field(
        description='What could not pay, e.g. "the pool", "project \'User Study\'" or "the '
        'source project" (when you may not see it).'
    )
    requested: Decimal = strawberry.field(description="The amount asked for.")
    available: Decimal | None = strawberry.field(
        description="What the source holds now; null when you may not see its figures."
    )


@strawberry.type(
    description="Something that must be unique exists already (code CONFLICT), e.g. a slug or "
    "an e-mail; or a concurrent change won (try again)."
)
class Conflict(Error):
    field: str | None = strawberry.field(description="The input field that conflicts.")


@strawberry.type(
    description="An idempotency key or externalId was reused with other content (code "
    "IDEMPOTENCY_CONFLICT). The same key with the same content is a replay, not an error."
)
class IdempotencyConflict(Error):
    field: str | None = strawberry.field(description="idempotencyKey or externalId.")


@strawberry.type(
    description="The object's state does not allow this (code INVALID_STATE), e.g. a transfer "
    "already decided, a reservation already settled, a budget's last owner."
)
class InvalidState(Error):
    pass


@strawberry.type(
    description="The amount's currency differs from the budget's (or the rate card's) and no "
    "exchange rate is configured (code CURRENCY_MISMATCH)."
)
class CurrencyMismatch(Error):
    pass


@strawberry.type(
    description="A reference matches several things (code AMBIGUOUS), e.g. a project funded "
    "by several budgets: pick one of the candidates (give budgetId). Answered only among what "
    "you may use."
)
class AmbiguousReference(Error):
    candidates: list[str] = strawberry.field(description="What it could mean, by name.")


@strawberry.type(
    description="The budget period is closed to spend and allocation (code PERIOD_CLOSED), or "
    "the budget has ended."
)
class PeriodClosedError(Error):
    pass


@strawberry.type(
    description="Usage with no rate in force (code UNPRICED): refused, never recorded as $0. "
    "Add a rate with setRate or `allot import prices`."
)
class UnpricedUsage(Error):
    service: str = strawberry.field(description="The rate key that had no price.")
    unit: str = strawberry.field(description="The unit that had no price.")
    field: str | None = strawberry.field(description="The input field holding the usage.")


ERROR_TYPES = (
    ValidationError,
    NotFound,
    PermissionDenied,
    InsufficientFunds,
    Conflict,
    IdempotencyConflict,
    InvalidState,
    CurrencyMismatch,
    AmbiguousReference,
    PeriodClosedError,
    UnpricedUsage,
)


def to_error(exc: domain.AllotError) -> Error:
    code, message = exc.code, exc.message
    if isinstance(exc, domain.ValidationError):
        return ValidationError(code=code, message=message, field=exc.field, rule=exc.rule)
    if isinstance(exc, domain.NotFound):
        return NotFound(code=code, message=message, field=exc.field)
    if isinstance(exc, domain.PermissionDenied):
        return PermissionDenied(code=code, message=message)
    if isinstance(exc, domain.InsufficientFunds):
        return InsufficientFunds(
            code=code,
            message=message,
            source=exc.source,
            requested=from_micros(exc.requested),
            available=None if exc.available is None else from_micros(exc.available),
        )
    if isinstance(exc, domain.IdempotencyConflict):
        return IdempotencyConflict(code=code, message=message, field=exc.field)
    if isinstance(exc, domain.Conflict):
        return Conflict(code=code, message=message, field=exc.field)
    if isinstance(exc, domain.InvalidState):
        return InvalidState(code=code, message=message)
    if isinstance(exc, domain.CurrencyMismatch):
        return CurrencyMismatch(code=code, message=message)
    if isinstance(exc, domain.AmbiguousReference):
        return AmbiguousReference(code=code, message=message, candidates=exc.candidates)
    if isinstance(exc, domain.PeriodClosed):
        return PeriodClosedError(code=code, message=message)
    if isinstance(exc, domain.UnpricedUsage):
        return UnpricedUsage(
            code=code, message=message, service=exc.service, unit=exc.unit, field=exc.field
        )
    raise exc  # pragma: no cover - a new AllotError subclass without a GraphQL type
