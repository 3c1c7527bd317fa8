"""Typed errors: every AllotError becomes a union member implementing `Error { code message }`.

One mapping, here. Anything else is a bug: it is masked and logged with a request id.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain import errors as domain
from app.domain.money import from_micros


@strawberry.interface(description="What went wrong, for a person (message) and a program (code).")
class Error:
    code: str
    message: str


@strawberry.type(description="An input field breaks a rule.")
class ValidationError(Error):
    field: str
    rule: str


@strawberry.type(description="An id or name refers to nothing you can see.")
class NotFound(Error):
    field: str | None


@strawberry.type(description="Your roles do not allow this.")
class PermissionDenied(Error):
    pass


@strawberry.type(
    description="The source lacks the funds; `available` is what it holds now, or null when "
    "you may not see the source's figures."
)
class InsufficientFunds(Error):
    source: str
    requested: Decimal
    available: Decimal | None


@strawberry.type(description="Something that must be unique exists already.")
class Conflict(Error):
    field: str | None


@strawberry.type(description="An idempotency key or externalId was reused with other content.")
class IdempotencyConflict(Error):
    field: str | None


@strawberry.type(description="The object's state does not allow this (e.g. already decided).")
class InvalidState(Error):
    pass


@strawberry.type(description="The amount's currency differs from the budget's.")
class CurrencyMismatch(Error):
    pass


@strawberry.type(description="A name matches several things; pick one of the candidates.")
class AmbiguousReference(Error):
    candidates: list[str]


@strawberry.type(description="The budget period is closed to spend and allocation.")
class PeriodClosedError(Error):
    pass


@strawberry.type(description="Usage with no rate in force: refused, never recorded as $0.")
class UnpricedUsage(Error):
    service: str
    unit: str
    field: str | None


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
