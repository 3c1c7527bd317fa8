"""Imports: routing rules and the cost rows no rule claimed (unassigned spend)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.money import from_micros
from app.models import RoutingRule as RoutingRuleRow
from app.models import UnassignedSpend as UnassignedSpendRow
from app.services import routing, unassigned
from schema import ids
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.project import Project


@strawberry.type
class Tag:
    key: str
    value: str


@strawberry.type(description="Sends imported cost rows to a project: lowest priority first.")
class RoutingRule:
    id: strawberry.ID
    priority: int
    match: str = strawberry.field(description="tag, sub_account or service")
    key: str | None
    value: str
    budget_id: strawberry.ID | None
    row: strawberry.Private[RoutingRuleRow]

    @classmethod
    def from_model(cls, row: RoutingRuleRow) -> RoutingRule:
        budget_id = row.budget_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(ids.encode("RoutingRule", row.id)),
            priority=row.priority,
            match=row.match,
            key=row.key,
            value=row.value,
            row=row,
            budget_id=None if budget_id is None else strawberry.ID(ids.encode("Budget", budget_id)),
        )

    @strawberry.field
    async def project(self, info: Info) -> Project:
        return Project.from_model(
            await info.context.loaders.project.load(self.row.project_id)  # type: ignore[attr-defined]
        )


@strawberry.type(description="A cost row an import read but no routing rule claimed.")
class UnassignedSpend:
    id: strawberry.ID
    source: str
    external_id: str
    occurred_at: datetime
    amount: Decimal
    amount_text: str = strawberry.field(description="The amount as the export wrote it.")
    currency: str
    service: str | None
    sub_account_id: str | None
    sub_account_name: str | None
    tags: list[Tag]
    charge_category: str | None
    description: str | None
    quantity: Decimal | None
    unit: str | None
    provider: str | None
    line: int

    @classmethod
    def from_model(cls, row: UnassignedSpendRow) -> UnassignedSpend:
        return cls(
            id=strawberry.ID(ids.encode("UnassignedSpend", row.id)),
            source=row.source,
            external_id=row.external_id,
            occurred_at=row.occurred_at,
            amount=from_micros(row.amount_micros),
            amount_text=row.amount_text,
            currency=row.currency,
            service=row.service,
            sub_account_id=row.sub_account_id,
            sub_account_name=row.sub_account_name,
            tags=[Tag(key=k, value=v) for k, v in (row.tags or {}).items()],
            charge_category=row.charge_category,
            description=row.description,
            quantity=None if row.quantity is None else Decimal(row.quantity),
            unit=row.unit,
            provider=row.provider,
            line=row.line,
        )


@strawberry.type
class ImportQueries:
    @strawberry.field(description="Routing rules you may manage (lower priority: tried first).")
    async def routing_rules(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RoutingRule]:
        query = await routing.visible_rules(info.context.actor)
        return await paginate(query, first, after, RoutingRule.from_model)

    @strawberry.field(
        description="Imported cost rows no rule claimed (admins and the owners "
        "of the budget they were imported into)."
    )
    async def unassigned_spends(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[UnassignedSpend]:
        query = unassigned.visible_unassigned(info.context.actor)
        return await paginate(query, first, after, UnassignedSpend.from_model)
