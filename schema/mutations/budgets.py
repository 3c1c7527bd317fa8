from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from app.services import budgets as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.budget import Budget
from schema.types.common import PeriodKind, RolloverPolicy, SlackPrivacy
from schema.types.project import Project


@strawberry.input
class CreateProjectInput:
    name: str
    slug: str | None = None
    slack_channel: str | None = None


@strawberry.type
class ProjectCreated:
    project: Project


@strawberry.input
class CreateBudgetInput:
    name: str
    amount: Decimal
    period_kind: PeriodKind
    start_date: date
    end_date: date | None = None
    description: str | None = None
    currency: str | None = None
    timezone: str | None = None
    alert_thresholds: list[int] | None = None
    rollover_policy: RolloverPolicy | None = None
    owner_ids: list[strawberry.ID] | None = None
    hard_limit: bool = False
    enforce_pacing: bool = False
    slack_channel: str | None = None
    slack_privacy: SlackPrivacy | None = None


@strawberry.type
class BudgetCreated:
    budget: Budget


@strawberry.input
class UpdateBudgetInput:
    budget_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    amount: Decimal | None = None
    end_date: date | None = None
    timezone: str | None = None
    alert_thresholds: list[int] | None = None
    rollover_policy: RolloverPolicy | None = None
    hard_limit: bool | None = None
    enforce_pacing: bool | None = None
    auto_approve_below: Decimal | None = None
    allow_self_approval: bool | None = None
    transfer_expiry_days: int | None = None
    slack_channel: str | None = None
    slack_privacy: SlackPrivacy | None = None
    rollover_cap: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="The most one envelope carries into the next period; null removes the cap.",
    )


@strawberry.type
class BudgetUpdated:
    budget: Budget


CreateProjectPayload = payload("CreateProjectPayload", ProjectCreated)
CreateBudgetPayload = payload("CreateBudgetPayload", BudgetCreated)
UpdateBudgetPayload = payload("UpdateBudgetPayload", BudgetUpdated)


@strawberry.type
class BudgetMutations:
    @strawberry.mutation
    async def create_project(self, info: Info, input: CreateProjectInput) -> CreateProjectPayload:
        async def call() -> ProjectCreated:
            row = await service.create_project(
                info.context.actor,
                name=input.name,
                slug=input.slug,
                slack_channel=input.slack_channel,
            )
            return ProjectCreated(project=Project.from_model(row))

        return await run(call)

    @strawberry.mutation
    async def create_budget(self, info: Info, input: CreateBudgetInput) -> CreateBudgetPayload:
        async def call() -> BudgetCreated:
            row = await service.create_budget(
                info.context.actor,
                name=input.name,
                amount=input.amount,
                period_kind=input.period_kind.value,
                start_date=input.start_date,
                end_date=input.end_date,
                description=input.description,
                currency=input.currency,
                timezone=input.timezone,
                alert_thresholds=input.alert_thresholds,
                rollover_policy=input.rollover_policy.value if input.rollover_policy else None,
                owner_ids=[ids.decode(o, "User", "ownerIds") for o in input.owner_ids or []],
                hard_limit=input.hard_limit,
                enforce_pacing=input.enforce_pacing,
                slack_channel=input.slack_channel,
                slack_privacy=input.slack_privacy.value if input.slack_privacy else None,
            )
            return BudgetCreated(budget=Budget.from_model(row))

        return await run(call)

    @strawberry.mutation
    async def update_budget(self, info: Info, input: UpdateBudgetInput) -> UpdateBudgetPayload:
        async def call() -> BudgetUpdated:
            changes = {
                k: v
                for k, v in vars(input).items()
                if k != "budget_id" and v is not strawberry.UNSET and v is not None
            }
            if input.rollover_cap is None:  # an explicit null clears the cap
                changes["rollover_cap"] = None
            for key in ("rollover_policy", "slack_privacy"):
                if key in changes:
                    changes[key] = changes[key].value
            row = await service.update_budget(
                info.context.actor, ids.decode(input.budget_id, "Budget", "budgetId"), **changes
            )
            return BudgetUpdated(budget=Budget.from_model(row))

        return await run(call)
