from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from tortoise.queryset import QuerySet

from app.domain.access import can_view_allocation
from app.domain.money import from_micros
from app.models import Allocation as AllocationRow
from app.models import TransferRequest
from schema import ids, scopes
from schema.context import Info
from schema.types.allocation import Allocation, allocation_for
from schema.types.common import TransferStatus
from schema.types.node import Node
from schema.types.transfer_preview import TransferPreview, preview
from schema.types.user import User


def visible_transfers(info: Info) -> QuerySet[TransferRequest]:
    """Owners see their budgets' transfers; others those they asked for or that touch their
    projects (app.domain.access.transfer_scope)."""
    return scopes.transfers(info.context.actor)


@strawberry.type(
    description="A request to move money within one budget period (id `trf_…`): between two "
    "envelopes, from the pool to an envelope, or back to the pool. Visible to the budget's "
    "owners, its requester and the people of either side's project; a side you may not see "
    "shows as null (with fromPool/toPool false), never with figures."
)
class Transfer(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `trf_12`.")
    amount: Decimal = strawberry.field(
        description="The money to move (exact decimal string, greater than 0)."
    )
    reason: str = strawberry.field(description="Why, as the requester wrote it (required).")
    status: TransferStatus = strawberry.field(
        description="PENDING until decided; then APPLIED, REJECTED, CANCELLED or EXPIRED."
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved, rejected, cancelled or applied at once (UTC)."
    )
    decision_note: str | None = strawberry.field(
        description="The decider's note (approveTransfer / rejectTransfer)."
    )
    created_at: datetime = strawberry.field(description="When it was requested (UTC).")
    expires_at: datetime | None = strawberry.field(
        description="When a PENDING request expires (the budget's transferExpiryDays); null: never."
    )
    row: strawberry.Private[TransferRequest]

    @classmethod
    def from_model(cls, row: TransferRequest) -> Transfer:
        return cls(
            id=strawberry.ID(ids.encode("Transfer", row.id)),
            amount=from_micros(row.amount_micros),
            reason=row.reason,
            status=TransferStatus(row.status),
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            created_at=row.created_at,
            expires_at=row.expires_at,
            row=row,
        )

    async def _side(self, info: Info, pk: int | None) -> Allocation | None:
        if pk is None:
            return None
        row: AllocationRow = await info.context.loaders.allocation.load(pk)
        actor = info.context.actor
        if not can_view_allocation(actor, row.budget_id, row.project_id):  # type: ignore[attr-defined]
            return None
        return await allocation_for(info, row)

    @strawberry.field(
        name="from",
        description="The source envelope; null when the source is the pool (fromPool) or a "
        "project you may not see.",
    )
    async def from_(self, info: Info) -> Allocation | None:
        return await self._side(info, self.row.from_allocation_id)  # type: ignore[attr-defined]

    @strawberry.field(
        description="The target envelope; null when the target is the pool (toPool) or a "
        "project you may not see."
    )
    async def to(self, info: Info) -> Allocation | None:
        return await self._side(info, self.row.to_allocation_id)  # type: ignore[attr-defined]

    @strawberry.field(description="True when the money comes from the budget's pool.")
    def from_pool(self) -> bool:
        return self.row.from_allocation_id is None  # type: ignore[attr-defined]

    @strawberry.field(description="True when the money goes back to the budget's pool.")
    def to_pool(self) -> bool:
        return self.row.to_allocation_id is None  # type: ignore[attr-defined]

    @strawberry.field(description="The budget both sides belong to.")
    async def budget_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("Budget", self.row.budget_id))  # type: ignore[attr-defined]

    @strawberry.field(description="Who asked.")
    async def requested_by(self, info: Info) -> User:
        return User.from_model(await info.context.loaders.user.load(self.row.requested_by_id))  # type: ignore[attr-defined]

    @strawberry.field(
        description="Who approved, rejected or cancelled it (the requester, when it applied at "
        "once); null while PENDING or once EXPIRED."
    )
    async def decided_by(self, info: Info) -> User | None:
        pk = self.row.decided_by_id  # type: ignore[attr-defined]
        return None if pk is None else User.from_model(await info.context.loaders.user.load(pk))

    @strawberry.field(
        description="May you approve or reject it now: it is PENDING, you are an owner (or "
        "admin), and it is not your own request unless the budget allows self-approval?"
    )
    async def viewer_can_decide(self, info: Info) -> bool:
        from app.domain.access import check_decider, is_owner
        from app.domain.errors import AllotError

        actor = info.context.actor
        if self.row.status != "PENDING":
            return False
        budget = await info.context.loaders.budget.load(self.row.budget_id)  # type: ignore[attr-defined]
        try:
            check_decider(
                decider_is_owner=is_owner(actor, budget.id),
                decider_id=actor.user_id,
                requester_id=self.row.requested_by_id,  # type: ignore[attr-defined]
                allow_self_approval=budget.allow_self_approval or actor.is_admin,
            )
        except AllotError:
            return False
        return True

    @strawberry.field(
        description="Before/after figures of both sides if it applied now; null unless PENDING."
    )
    async def preview(self, info: Info) -> TransferPreview | None:
        return await preview(info, self.row)

    @strawberry.field(
        description="Where the Slack notifier posted this request (to update those messages "
        "when it is decided)."
    )
    async def slack_messages(self, info: Info) -> list[SlackMessage]:
        from app.models import SlackMessage as SlackMessageRow

        rows = await SlackMessageRow.filter(transfer_id=self.row.id).order_by("id")
        return [SlackMessage(channel=r.channel, ts=r.ts) for r in rows]


@strawberry.type(description="A Slack message, by channel and timestamp.")
class SlackMessage:
    channel: str = strawberry.field(description="Slack channel (or DM) id.")
    ts: str = strawberry.field(description="Slack message timestamp, its id within the channel.")
