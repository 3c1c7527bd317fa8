"""The transfer request's life: PENDING until decided; APPLIED, REJECTED, CANCELLED, EXPIRED or
FAILED are final. Only a PENDING request changes state, which is what makes a second click on
Approve a harmless no-op."""

from __future__ import annotations

from enum import Enum

from app.domain.errors import InvalidState, PermissionDenied, ValidationError


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


def applies_at_once(*, actor_is_owner: bool, amount: int, auto_approve_below: int | None) -> bool:
    """Owners' own requests apply at once, as do requests under the budget's auto-approve line."""
    if actor_is_owner:
        return True
    return auto_approve_below is not None and amount < auto_approve_below


def check_decider(
    *, decider_is_owner: bool, decider_id: int, requester_id: int, allow_self_approval: bool
) -> None:
    if not decider_is_owner:
        raise PermissionDenied("only the budget's owners and admins may decide transfers")
    if decider_id == requester_id and not allow_self_approval:
        raise PermissionDenied(
            "you requested this transfer; another owner must decide it "
            "(the budget does not allow self-approval)"
        )
