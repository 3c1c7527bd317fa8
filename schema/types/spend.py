from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from app.domain.money import from_micros
from app.models import Spend as SpendRow
from schema import ids
from schema.context import Info
from schema.types.allocation import Allocation, allocation_for
from schema.types.node import Node
from schema.types.user import User


@strawberry.type(
    description="One recorded cost on an allocation (id `spd_…`), immutable: a correction "
    "(voidSpend, refundSpend, moveSpend) is a new record that names it (`corrects`). Visible to "
    "the budget's owners and the project's people."
)
class Spend(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id of the spend record.")
    amount: Decimal = strawberry.field(
        description='The cost, exact to the micro ("0.000123"), in the budget\'s currency; '
        "negative for a credit: an import's, a negative recordSpend, or a correction "
        "(correctionKind)."
    )
    service: str | None = strawberry.field(
        description='What it was spent on, e.g. "aws-ec2" or "gpt-4o".'
    )
    description: str | None = strawberry.field(description="Free text.")
    occurred_at: datetime = strawberry.field(
        description="When the cost was incurred (the time of recording if not given); it "
        "decides the period the spend lands in."
    )
    source: str = strawberry.field(
        description='Where it came from: "api" (recordSpend), "time" (logTime), "reservation" '
        '(settleReservation), or an import\'s source name such as "focus".'
    )
    external_id: str | None = strawberry.field(
        description="The caller's or the export's id for the cost, unique per source and "
        "project: recording it again returns this spend (duplicate: true)."
    )
    quantity: Decimal | None = strawberry.field(
        description="How much was used (tokens, hours, …), when known; priced spend records "
        "the quantity it was priced from."
    )
    unit: str | None = strawberry.field(description="The unit of quantity, e.g. input_token, hour.")
    tags: JSON | None = strawberry.field(
        description='The tags of the imported cost row, a JSON object of strings ({"project": '
        '"genomics"}); null for spend not imported.'
    )
    amount_text: str | None = strawberry.field(
        description='The amount as the export wrote it ("0.00165303109242778", "5e-06"): '
        "`amount` is it rounded half-even to the micro. Null for spend not imported."
    )
    metadata: JSON | None = strawberry.field(
        description="Your own key/values given with the spend (recordSpend, recordSpends): a "
        "JSON object of strings; null when none were given."
    )
    row: strawberry.Private[SpendRow]

    @classmethod
    def from_model(cls, row: SpendRow) -> Spend:
        return cls(
            id=strawberry.ID(ids.encode("Spend", row.id)),
            amount=from_micros(row.amount_micros),
            service=row.service,
            description=row.description,
            occurred_at=row.occurred_at,
            source=row.source,
            external_id=row.external_id,
            quantity=None if row.quantity is None else Decimal(row.quantity),
            unit=row.unit,
            tags=row.tags,
            amount_text=row.amount_text,
            metadata=row.metadata,
            row=row,
        )

    @strawberry.field(
        description="True when the spend was voided (voidSpend) or moved away (moveSpend): a "
        "reversing record gave back what remained of it; the row itself is never changed."
    )
    def voided(self) -> bool:
        return self.row.voided_at is not None

    @strawberry.field(description="When it was voided or moved away; null if it was not.")
    def voided_at(self) -> datetime | None:
        return self.row.voided_at

    @strawberry.field(description="Why it was voided or moved away (the reason given).")
    def void_reason(self) -> str | None:
        return self.row.void_reason

    @strawberry.field(description="Who voided or moved it; null if nobody did (or they are gone).")
    async def voided_by(self, info: Info) -> User | None:
        pk = self.row.voided_by_id  # type: ignore[attr-defined]
        return None if pk is None else User.from_model(await info.context.loaders.user.load(pk))

    @strawberry.field(
        description="How much of the spend corrections gave back (refunds, a void, a move), "
        '"0" when none did.'
    )
    def reversed_amount(self) -> Decimal:
        return from_micros(self.row.reversed_micros)

    @strawberry.field(
        description="What is left of the spend after its corrections (amount − reversedAmount)."
    )
    def net_amount(self) -> Decimal:
        return from_micros(self.row.amount_micros - self.row.reversed_micros)

    @strawberry.field(
        description="For a correction record: VOID, REFUND or MOVE (a move's reversal, and the "
        "moved spend on its new allocation); null for an ordinary spend."
    )
    def correction_kind(self) -> str | None:
        return self.row.correction_kind

    @strawberry.field(description="For a correction record: the reason given for it.")
    def correction_reason(self) -> str | None:
        return self.row.correction_reason

    @strawberry.field(
        description="For a correction record: the spend it corrects (null when you may not "
        "see that spend's allocation)."
    )
    async def corrects(self, info: Info) -> Spend | None:
        from app.domain.access import can_view_allocation

        pk = self.row.corrects_id
        if pk is None:
            return None
        row = await SpendRow.get_or_none(id=pk)
        actor = info.context.actor
        ok = row is not None and can_view_allocation(actor, row.budget_id, row.project_id)  # type: ignore[attr-defined]
        return Spend.from_model(row) if ok and row is not None else None

    @strawberry.field(description="The envelope the spend was recorded on.")
    async def allocation(self, info: Info) -> Allocation:
        row = await info.context.loaders.allocation.load(self.row.allocation_id)  # type: ignore[attr-defined]
        return await allocation_for(info, row)

    @strawberry.field(
        description="The user who recorded it (or ran the import); null if that user is gone."
    )
    async def recorded_by(self, info: Info) -> User | None:
        pk = self.row.recorded_by_id  # type: ignore[attr-defined]
        return None if pk is None else User.from_model(await info.context.loaders.user.load(pk))
