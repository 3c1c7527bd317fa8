from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.errors import ValidationError
from app.services import transfers as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.transfer import Transfer


@strawberry.input(description="Name one source (an allocation or the pool) and one target.")
class RequestTransferInput:
    amount: Decimal
    reason: str
    from_allocation_id: strawberry.ID | None = None
    from_pool: bool = False
    to_allocation_id: strawberry.ID | None = None
    to_pool: bool = False
    budget_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input
class DecideTransferInput:
    transfer_id: strawberry.ID
    note: str | None = None


@strawberry.input
class CancelTransferInput:
    transfer_id: strawberry.ID


@strawberry.type(description="The request was made; `transfer.status` says if it applied.")
class TransferRequested:
    transfer: Transfer


@strawberry.type
class TransferDecided:
    transfer: Transfer


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
    @strawberry.mutation
    async def request_transfer(
        self, info: Info, input: RequestTransferInput
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

    @strawberry.mutation
    async def approve_transfer(
        self, info: Info, input: DecideTransferInput
    ) -> ApproveTransferPayload:
        async def call() -> TransferDecided:
            row = await service.approve_transfer(
                info.context.actor,
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
                note=input.note,
            )
            return TransferDecided(transfer=Transfer.from_model(row))

        return await run(call)

    @strawberry.mutation
    async def reject_transfer(
        self, info: Info, input: DecideTransferInput
    ) -> RejectTransferPayload:
        async def call() -> TransferDecided:
            row = await service.reject_transfer(
                info.context.actor,
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
                note=input.note,
            )
            return TransferDecided(transfer=Transfer.from_model(row))

        return await run(call)

    @strawberry.mutation
    async def cancel_transfer(
        self, info: Info, input: CancelTransferInput
    ) -> CancelTransferPayload:
        async def call() -> TransferDecided:
            row = await service.cancel_transfer(
                info.context.actor,
                transfer_id=ids.decode(input.transfer_id, "Transfer", "transferId"),
            )
            return TransferDecided(transfer=Transfer.from_model(row))

        return await run(call)
