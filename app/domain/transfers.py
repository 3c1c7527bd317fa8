"""The transfer request's life: PENDING until decided; APPLIED, REJECTED, CANCELLED, EXPIRED or
FAILED are final. Only a PENDING request changes state, which is what makes a second click on
Approve a harmless no-op."""

from __future__ import annotations

from enum import Enum

from app.domain.errors import InvalidState, ValidationError


class TransferStatus(str, Enum):
    PENDING = "PENDING"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


def require_pending(status: TransferStatus | str, action: str) -> None:
    status = TransferStatus(status)
    if status is not TransferStatus.PENDING:
        raise InvalidState(f"cannot {action} a transfer that is already {status.value}")


def validate_endpoints(from_allocation: int | None, to_allocation: int | None) -> None:
    """A transfer names two different accounts; None stands for the budget's pool."""
    if from_allocation is None and to_allocation is None:
        raise ValidationError("to", "must differ from the source: both sides are the pool")
    if from_allocation is not None and from_allocation == to_allocation:
        raise ValidationError("toAllocationId", "must differ from fromAllocationId")
