"""Errors in the words of the command line: one line on stderr, and the exit code.

Exit codes: 0 ok, 1 refused or failed (every AllotError, a missing database, a taken port), 2
the command line itself is wrong (a malformed amount, id or date; click's own usage errors).
A service error names its input field (`periodKind`); here it is named as the option or
argument that carried it (`--period`), so the person knows what to retype.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NoReturn

import typer

from app.domain.errors import (
    AllotError,
    AmbiguousReference,
    Conflict,
    NotFound,
    ValidationError,
)

FAILED = 1
USAGE = 2


class CliError(Exception):
    """A failure already worded for the person at the terminal."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = FAILED) -> NoReturn:
    """Print one line on stderr and exit: 1 refused or failed, 2 a usage error."""
    text = message if message.startswith("error:") else f"error: {message}"
    typer.secho(text, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def usage(message: str) -> NoReturn:
    fail(message, USAGE)


# --- errors of the services, in the words of the command line ---------------------------------

#: Service and GraphQL input fields, as the options and arguments that carry them are named.
FIELDS = {
    "budgetId": "BUDGET",
    "projectId": "PROJECT",
    "transferId": "TRANSFER",
    "userId": "EMAIL",
    "amount": "AMOUNT",
    "periodKind": "--period",
    "startDate": "--start",
    "endDate": "--end",
    "alertThresholds": "--thresholds",
    "alertThreshold": "--alert-threshold",
    "rolloverPolicy": "--rollover",
    "rolloverCap": "--rollover-cap",
    "ownerIds": "--owner",
    "occurredAt": "--at",
    "fromAllocationId": "--from",
    "toAllocationId": "--to",
    "to": "--to",
    "file": "FILE",
}
_IDENTIFIER = re.compile(r"^[a-z][a-zA-Z]*$")


def option_name(field: str, names: Mapping[str, str] | None = None) -> str:
    """`periodKind` → `--period`; an unknown camelCase field → `--kebab-case`."""
    if names and field in names:
        return names[field]
    if field in FIELDS:
        return FIELDS[field]
    if _IDENTIFIER.match(field):
        return "--" + re.sub(r"([A-Z])", lambda m: "-" + m[1].lower(), field)
    return field


def describe(exc: AllotError, names: Mapping[str, str] | None = None) -> str:
    """An AllotError as one line: its message, naming the option or argument at fault."""
    field = getattr(exc, "field", None)
    if isinstance(exc, ValidationError):
        return f"{option_name(exc.field, names)} {exc.rule}"
    if isinstance(exc, AmbiguousReference):
        shown = ", ".join(exc.candidates[:10])
        return f"{exc.message}: {shown}" if shown else exc.message
    if isinstance(exc, NotFound | Conflict) and field:
        return f"{exc.message} ({option_name(field, names)})"
    return exc.message
