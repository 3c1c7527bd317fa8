"""Imports: routing rules and the cost rows no rule claimed (unassigned spend)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.money import from_micros
from app.models import RoutingRule as RoutingRuleRow
from app.models import UnassignedSpend as UnassignedSpendRow
from app.services import routing, unassigned
from app.services.imports import UNROUTED
from schema import ids
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.common import After, First
from schema.types.project import Project


@strawberry.type(description="One tag of a cost row, as the export wrote it.")
class Tag:
    key: str = strawberry.field(description="Tag name, e.g. project.")
    value: str = strawberry.field(description="Tag value, e.g. genomics.")


@strawberry.type(
    description="Sends imported cost rows to a project (id `rul_…`): rules are tried by "
    "priority, lowest number first, and the first match wins; comparisons ignore case and "
    "surrounding spaces. Managed by admins and by owners of a budget that funds the project."
)
class RoutingRule:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `rul_2`.")
    priority: int = strawberry.field(description="Order of trial: lower numbers first.")
    match: str = strawberry.field(
        description="What is compared: tag (the tag `key` has value `value`), sub_account (the "
        "row's sub-account id or name, e.g. an AWS account) or service (the whole service name)."
    )
    key: str | None = strawberry.field(description="The tag name, for tag rules; else null.")
    value: str = strawberry.field(description="The value that must match.")
    budget_id: strawberry.ID | None = strawberry.field(
        description="Rows it claims become spend in this budget (unless the import names its "
        "own budget); null: the project's only budget, else the row fails as ambiguous."
    )
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

    @strawberry.field(description="The project a matching row becomes spend of.")
    async def project(self, info: Info) -> Project:
        return Project.from_model(
            await info.context.loaders.project.load(self.row.project_id)  # type: ignore[attr-defined]
        )


@strawberry.type(
    description="A cost row an import read but could not record (id `uns_…`): no routing rule "
    "claimed it, or the rule's project cannot take it (see `reason`). Kept, not lost, until "
    "assignSpend or applyRoutingRules records it as a project's spend (then it leaves this "
    "list). Visible to admins and to the owners of the budget it was imported into (or, when "
    "the import named none, of the rule's budget)."
)
class UnassignedSpend:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `uns_5`.")
    source: str = strawberry.field(description='The import\'s source name, e.g. "focus".')
    external_id: str = strawberry.field(
        description="The row's id in the export (or a hash of its identifying fields); "
        "re-importing the file counts it once."
    )
    occurred_at: datetime = strawberry.field(description="When the cost was incurred (UTC).")
    amount: Decimal = strawberry.field(
        description="The cost rounded half-even to micros; negative for a credit."
    )
    amount_text: str = strawberry.field(
        description="The amount as the export wrote it (e.g. 11 decimals)."
    )
    currency: str = strawberry.field(description="ISO 4217 code of the row.")
    service: str | None = strawberry.field(description="Service name, e.g. Amazon EC2.")
    sub_account_id: str | None = strawberry.field(
        description="AWS account, Azure subscription or GCP project id."
    )
    sub_account_name: str | None = strawberry.field(description="Its display name.")
    tags: list[Tag] = strawberry.field(description="The row's tags.")
    charge_category: str | None = strawberry.field(
        description="The export's charge category (e.g. Usage, Credit, Tax)."
    )
    description: str | None = strawberry.field(description="The row's description.")
    quantity: Decimal | None = strawberry.field(description="Usage quantity, if exported.")
    unit: str | None = strawberry.field(description="Unit of quantity, if exported.")
    provider: str | None = strawberry.field(description="The cloud or vendor, if exported.")
    line: int = strawberry.field(description="Line number in the imported file.")
    reason: str = strawberry.field(
        description='Why it is held: "no routing rule matches it", or why the rule\'s project '
        'cannot take it ("project genomics has no allocation in budget CS Lab"). Brought up '
        "to date by applyRoutingRules and by importing the row again."
    )

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
            reason=row.reason or UNROUTED,
        )


@strawberry.type
class ImportQueries:
    @strawberry.field(
        description="Routing rules you may manage (admins: all; owners: those of projects their "
        "budgets fund), in id order; lower priority numbers are tried first."
    )
    async def routing_rules(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[RoutingRule]:
        query = await routing.visible_rules(info.context.actor)
        return await paginate(query, first, after, RoutingRule.from_model)

    @strawberry.field(
        description="Imported cost rows held unrecorded: no rule claimed them, or the rule's "
        "project could not take them (`reason` says which). Admins, and the owners of the "
        "budget they were imported into."
    )
    async def unassigned_spends(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[UnassignedSpend]:
        query = unassigned.visible_unassigned(info.context.actor)
        return await paginate(query, first, after, UnassignedSpend.from_model)
