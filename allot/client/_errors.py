"""The exceptions the client raises: one root, one class per error member of the API.

    AllotError                  code
    ├── AllotUnavailable        UNAVAILABLE         no answer: network, timeout, 5xx (after retries)
    ├── AuthenticationError     UNAUTHENTICATED     the token authenticates nobody (HTTP 401)
    ├── RequestError            (server's code)     a refusal outside the payload unions: a bad
    │                                               document, a query limit, a masked INTERNAL
    ├── ValidationError         VALIDATION          an input field breaks a rule (`field`, `rule`)
    ├── NotFound                NOT_FOUND           an id names nothing the token may see
    ├── PermissionDenied        PERMISSION_DENIED   the token's roles do not allow it
    ├── InsufficientFunds       INSUFFICIENT_FUNDS  `requested`, `available` (None: not visible)
    ├── Conflict                CONFLICT            something unique exists already
    │   └── IdempotencyConflict IDEMPOTENCY_CONFLICT  a key or externalId reused, other content
    ├── InvalidState            INVALID_STATE       e.g. settling a released reservation
    ├── CurrencyMismatch        CURRENCY_MISMATCH
    ├── AmbiguousReference      AMBIGUOUS           `candidates`: pass a budgetId
    ├── PeriodClosed            PERIOD_CLOSED
    └── UnpricedUsage           UNPRICED            usage with no rate in force (`service`, `unit`)

Mutations answer with a union whose error members implement `Error { code message }`; queries
answer with top-level errors carrying `extensions.code`. Both map onto the same classes by
`code`, so `except NotFound` works whichever way the server said it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class AllotError(Exception):
    """Root of everything the client raises on purpose."""

    code = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        #: Every field the server sent with the error, as sent.
        self.details: Mapping[str, Any] = dict(details or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class AllotUnavailable(AllotError):
    """Allot gave no usable answer: connection refused, timeout, or a 5xx after the retries.
    Whether the operation happened is unknown; every operation of the client may be repeated."""

    code = "UNAVAILABLE"


class AuthenticationError(AllotError):
    """The server refused the token (HTTP 401). Retrying cannot help."""

    code = "UNAUTHENTICATED"


class RequestError(AllotError):
    """A top-level GraphQL error with no more specific class (the document, a limit, INTERNAL)."""


class ValidationError(AllotError):
    code = "VALIDATION"

    def __init__(self, message: str, *, rule: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.rule = rule


class NotFound(AllotError):
    code = "NOT_FOUND"


class PermissionDenied(AllotError):
    code = "PERMISSION_DENIED"


class InsufficientFunds(AllotError):
    code = "INSUFFICIENT_FUNDS"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        requested: Decimal | None = None,
        available: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.source = source
        self.requested = requested
        #: None when the token may not see the source's figures.
        self.available = available


class Conflict(AllotError):
    code = "CONFLICT"


class IdempotencyConflict(Conflict):
    code = "IDEMPOTENCY_CONFLICT"


class InvalidState(AllotError):
    code = "INVALID_STATE"


class CurrencyMismatch(AllotError):
    code = "CURRENCY_MISMATCH"


class AmbiguousReference(AllotError):
    code = "AMBIGUOUS"

    def __init__(self, message: str, *, candidates: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.candidates = candidates


class PeriodClosed(AllotError):
    code = "PERIOD_CLOSED"


class UnpricedUsage(AllotError):
    code = "UNPRICED"

    def __init__(
        self, message: str, *, service: str | None = None, unit: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.service = service
        self.unit = unit


_BY_CODE: dict[str, type[AllotError]] = {
    cls.code: cls
    for cls in (
        AuthenticationError,
        ValidationError,
        NotFound,
        PermissionDenied,
        InsufficientFunds,
        Conflict,
        IdempotencyConflict,
        InvalidState,
        CurrencyMismatch,
        AmbiguousReference,
        PeriodClosed,
        UnpricedUsage,
    )
}


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def error_from_member(member: Mapping[str, Any]) -> AllotError:
    """An error member of a payload union (queried with the `ErrorFields` fragment)."""
    code = str(member.get("code") or "ERROR")
    message = str(member.get("message") or code)
    cls = _BY_CODE.get(code, RequestError)
    field = member.get("validationField") or member.get("field")
    common: dict[str, Any] = {"code": code, "field": field, "details": member}
    if cls is ValidationError:
        return ValidationError(message, rule=member.get("rule"), **common)
    if cls is InsufficientFunds:
        return InsufficientFunds(
            message,
            source=member.get("source"),
            requested=_decimal(member.get("requested")),
            available=_decimal(member.get("available")),
            **common,
        )
    if cls is AmbiguousReference:
        return AmbiguousReference(
            message, candidates=tuple(member.get("candidates") or ()), **common
        )
    if cls is UnpricedUsage:
        return UnpricedUsage(
            message, service=member.get("service"), unit=member.get("unit"), **common
        )
    return cls(message, **common)


def error_from_response(errors: list[Mapping[str, Any]]) -> AllotError:
    """The first top-level GraphQL error (the server codes expected ones in `extensions`)."""
    first = errors[0] if errors else {}
    extensions = first.get("extensions") or {}
    return error_from_member(
        {
            "code": extensions.get("code") or "GRAPHQL_ERROR",
            "message": first.get("message") or "the server sent an error without a message",
            "field": extensions.get("field"),
            **{k: v for k, v in extensions.items() if k not in ("code", "field")},
        }
    )


__all__ = [
    "AllotError",
    "AllotUnavailable",
    "AmbiguousReference",
    "AuthenticationError",
    "Conflict",
    "CurrencyMismatch",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidState",
    "NotFound",
    "PeriodClosed",
    "PermissionDenied",
    "RequestError",
    "UnpricedUsage",
    "ValidationError",
    "error_from_member",
    "error_from_response",
]
