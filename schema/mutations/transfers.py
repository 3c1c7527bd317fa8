"""requestTransfer, approveTransfer, rejectTransfer, cancelTransfer.

Success types: `TransferRequested`, and `TransferDecided` for the three decisions (each decides
a pending request and sets decidedBy/decidedAt; `transfer.status` says which).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from app.domain.errors import ValidationError
from app.services import transfers as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.transfer import Transfer


@strawberry.input(description="Name one source (an allocation or the pool) and one target.")
class RequestTransferInput:
    amount: Decimal = strawberry.field(description="The money to move (> 0, exact).")
    reason: str = strawberry.field(description="Why (required, 1–2000 characters).")
    from_allocation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The source envelope (or set fromPool)."
    )
    from_pool: bool = strawberry.field(
        default=False, description="True: the money comes from the budget's pool."
    )
    to_allocation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The target envelope (or set toPool)."
    )
    to_pool: bool = strawberry.field(
        default=False, description="True: the money goes back to the pool."
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Optional check: the budget the envelopes belong to."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Your key: a retry with the same key and content returns the first "
        "request; other content is an IdempotencyConflict.",
    )


@strawberry.input(description="Which pending request to decide, and a note for the requester.")
class DecideTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The request, e.g. trf_12.")
    note: str | None = strawberry.field(
        default=None, description="Shown to the requester (decisionNote)."
    )


@strawberry.input(description="Which of your pending requests to withdraw.")
class CancelTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="The request, e.g. trf_12.")


@strawberry.type(description="The request was made; `transfer.status` says if it applied.")
class TransferRequested:
    transfer: Transfer = strawberry.field(
        description="The request: APPLIED when it applied at once, else PENDING."
    )


@strawberry.type(
    description="The pending request was decided (approved, rejected or cancelled); "
    "`transfer.status` says which."
)
class TransferDecided:
    transfer: Transfer = strawberry.field(
        description="The request: APPLIED, REJECTED or CANCELLED."
    )


RequestTransferPayload = payload("RequestTransferPayload", TransferRequested)
ApproveTransferPayload = payload("ApproveTransferPayload", TransferDecided)
RejectTransferPayload = payload("RejectTransferPayload", TransferDecided)
CancelTransferPayload = payload("CancelTransferPayload", TransferDecided)


def _side(allocation_id: strawberry.ID | None, pool: bool, name: str) -> int | None:
    if allocation_id is not None and pool:
        raise ValidationError(f"{name}Pool", f"cannot be combined with {name}AllocationId")
    if allocation_id is None and not pool:
        raise ValidationError(f"{name}AllocationId", f"is required (or set {name}Pool: true)")
    return ids.decode_optional(allocation_id, "Allocation", f"{name}AllocationId")


@strawberry.type
class TransferMutations:
    @strawberry.mutation(
        description="Ask to move money within a budget period. It applies at once when you "
        "are an owner or admin, or when it is a gift from your own project or a request from "
        "the pool below the budget's autoApproveBelow; a request that takes from another "
        "project always waits, PENDING, for an owner. Who may: owners, and the leads and "
        "members of a project on either side. Errors: PermissionDenied, NotFound, "
        "ValidationError (both or neither side, the same envelope twice, other periods), "
        "InsufficientFunds (applied at once, the source short), InvalidState (a closed "
        "period), PeriodClosedError, IdempotencyConflict."
    )
    async def request_transfer(
        self,
        info: Info,
        input: Annotated[RequestTransferInput, strawberry.argument(description="The request.")],
    ) -> RequestTransferPayload:
        async def call() -> TransferRequested:
            row = await service.request_transfer(
                info.context.actor,
                amount=input.amount,
                reason=input.reason,
                from_allocation_id=_side(input.from_allocation_id, input.from_pool, "from"),
                to_allocation_id=_side(input.to_allocation_id, input.to_pool, "to"),
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                idempotency_key=input.idempotency_key,
            )
            return TransferRequested(transfer=Transfer.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Approve a PENDING request and move the money (the budget's owners and "
        "admins; not your own request unless the budget allows self-approval). The source must "
        "hold the funds now. Errors: PermissionDenied, NotFound, InvalidState (already decided, "
        "expired, or its period closed), InsufficientFunds (the request stays PENDING)."
    )
    async def approve_transfer(
        self,
        info: Info,
        input: Annotated[DecideTransferInput, strawberry.argument(description="The request.")],
    ) -> ApproveTransferPayload:
        async def call() -> TransferDecided:
            row = await service.approve_transfer(
                info.context.actor,
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
                note=input.note,
            )
            return TransferDecided(transfer=Transfer.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Reject a PENDING request (the budget's owners and admins); nothing moves. "
        "Errors: PermissionDenied, NotFound, InvalidState (already decided)."
    )
    async def reject_transfer(
        self,
        info: Info,
        input: Annotated[DecideTransferInput, strawberry.argument(description="The request.")],
    ) -> RejectTransferPayload:
        async def call() -> TransferDecided:
            row = await service.reject_transfer(
                info.context.actor,
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
                note=input.note,
            )
            return TransferDecided(transfer=Transfer.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Withdraw your own PENDING request (the requester, or an admin). Errors: "
        "PermissionDenied, NotFound, InvalidState (already decided)."
    )
    async def cancel_transfer(
        self,
        info: Info,
        input: Annotated[CancelTransferInput, strawberry.argument(description="The request.")],
    ) -> CancelTransferPayload:
        async def call() -> TransferDecided:
            row = await service.cancel_transfer(
                info.context.actor,
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
            )
            return TransferDecided(transfer=Transfer.from_model(row))

        return await run(call)
