"""The error tree. Every expected failure in Allot is one of these.

    AllotError                      code
    ├── ValidationError             VALIDATION       a field breaks a rule (names field and rule)
    ├── NotFound                    NOT_FOUND        an id or slug names nothing the actor can see
    ├── PermissionDenied            PERMISSION_DENIED the actor's roles do not allow the action
    ├── InsufficientFunds           INSUFFICIENT_FUNDS the source cannot cover the amount
    ├── Conflict                    CONFLICT         a unique thing exists already (slug, e-mail)
    │   └── IdempotencyConflict     IDEMPOTENCY_CONFLICT a key was reused with different content
    ├── InvalidState                INVALID_STATE    the thing is not in a state that allows this
    ├── CurrencyMismatch            CURRENCY_MISMATCH an amount in another currency, no rate set
    ├── AmbiguousReference          AMBIGUOUS        a name matches several things
    ├── PeriodClosed                PERIOD_CLOSED    the budget period no longer takes changes
    └── UnpricedUsage               UNPRICED         usage with no rate in force: refused, never $0

The GraphQL layer maps each class to a union member of the same name; anything that is not an
AllotError is a bug and is masked.
"""

from __future__ import annotations

from collections.abc import Sequence


class AllotError(Exception):
    """Root of every expected failure."""

    code = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(AllotError):
    """A field's value breaks a rule. `field` names the input field, `rule` says what is wrong."""

    code = "VALIDATION"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field} {rule}")
        self.field = field
        self.rule = rule


class NotFound(AllotError):
    """Nothing with that id exists, or the actor may not know that it does."""

    code = "NOT_FOUND"

    def __init__(self, kind: str, ref: object, field: str | None = None) -> None:
        super().__init__(f"{kind} {ref!s} not found")
        self.kind = kind
        self.ref = str(ref)
        self.field = field


class PermissionDenied(AllotError):
    """Deny by default: the actor's roles do not grant the action."""

    code = "PERMISSION_DENIED"


class InsufficientFunds(AllotError):
    """The source account cannot cover the amount; `available` is what it holds now (micros),
    or None when the caller may not see the source's figures (the message then names none).
    `rule`: another limit refused it (a hard-limited budget's pacing cap); the message names the
    rule and `available` is None."""

    code = "INSUFFICIENT_FUNDS"

    def __init__(
        self,
        source: str,
        requested: int,
        available: int | None,
        currency: str = "",
        *,
        rule: str | None = None,
    ) -> None:
        from app.domain.money import from_micros

        unit = f" {currency}" if currency else ""
        if rule is not None:
            # A rule other than the balance refused it (the pacing cap): named, with no figures.
            message = f"{source} cannot take the {from_micros(requested)}{unit} requested: {rule}"
        elif available is None:
            message = f"{source} cannot cover the {from_micros(requested)}{unit} requested"
        else:
            message = (
                f"{source} has {from_micros(available)}{unit} available, "
                f"{from_micros(requested)}{unit} requested"
            )
        super().__init__(message)
        self.source = source
        self.requested = requested
        self.available = available
        self.rule = rule


class Conflict(AllotError):
    """A thing that must be unique exists already."""

    code = "CONFLICT"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class IdempotencyConflict(Conflict):
    """The same idempotency key or external id came back with different content."""

    code = "IDEMPOTENCY_CONFLICT"


class InvalidState(AllotError):
    """The object's state does not allow the action (e.g. approving a decided transfer)."""

    code = "INVALID_STATE"


class CurrencyMismatch(AllotError):
    """An amount in a currency other than the budget's, with no exchange rate configured."""

    code = "CURRENCY_MISMATCH"


class AmbiguousReference(AllotError):
    """A name or reference matches several things; `candidates` lists them."""

    code = "AMBIGUOUS"

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


class PeriodClosed(AllotError):
    """The budget period is closed: it is read-only for spend and allocation."""

    code = "PERIOD_CLOSED"


class UnpricedUsage(AllotError):
    """Usage (a quantity of a unit of a service or model) has no rate in force when it happened.

    It is refused, never recorded as $0. `service`, `unit` and `field` say what lacked a price.
    """

    code = "UNPRICED"

    def __init__(self, service: str, unit: str, when: object = None, field: str = "usage") -> None:
        at = f" on {when}" if when is not None else ""
        super().__init__(
            f"no rate for {unit} of {service!r}{at}: add one with setRate or "
            "`allot import prices`; usage without a price is not recorded"
        )
        self.service = service
        self.unit = unit
        self.field = field


__all__ = [
    "AllotError",
    "AmbiguousReference",
    "Conflict",
    "CurrencyMismatch",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidState",
    "NotFound",
    "PeriodClosed",
    "PermissionDenied",
    "UnpricedUsage",
    "ValidationError",
]
