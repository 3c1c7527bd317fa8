from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.money import from_micros
from app.models import Spend as SpendRow
from schema import ids
from schema.context import Info
from schema.types.allocation import Allocation
from schema.types.node import Node
from schema.types.user import User


@strawberry.type
class Spend(Node):
    id: strawberry.ID
    amount: Decimal
    service: str | None
    description: str | None
    occurred_at: datetime
    source: str
    external_id: str | None
    quantity: Decimal | None
    unit: str | None
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
            row=row,
        )

    @strawberry.field
    async def allocation(self, info: Info) -> Allocation:
        return Allocation.from_model(
            await info.context.loaders.allocation.load(self.row.allocation_id)  # type: ignore[attr-defined]
        )

    @strawberry.field
    async def recorded_by(self, info: Info) -> User | None:
        pk = self.row.recorded_by_id  # type: ignore[attr-defined]
        return None if pk is None else User.from_model(await info.context.loaders.user.load(pk))
