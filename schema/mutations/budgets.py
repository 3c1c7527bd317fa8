"""createProject, createBudget, updateBudget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import budgets as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.budget import Budget
from schema.types.calendar import Weekday
from schema.types.common import PeriodKind, RolloverPolicy, SlackPrivacy
from schema.types.project import Project


@strawberry.input(description="A new project; you become its LEAD (admins do not need to).")
class CreateProjectInput:
    name: str = strawberry.field(description="Display name (1–200 characters).")
    slug: str | None = strawberry.field(
        default=None,
        description="Unique short name (lowercase letters, digits, dashes; 1–100); omitted: "
        "derived from the name.",
    )
    slack_channel: str | None = strawberry.field(
        default=None, description="The project's Slack channel id."
    )


@strawberry.type(description="The project exists, with you as its LEAD (unless you are an admin).")
class ProjectCreated:
    project: Project = strawberry.field(description="The new project.")


@strawberry.input(
    description="A new budget; you become an OWNER. Amounts are exact decimal strings "
    '("50000", not 50000.0).'
)
class CreateBudgetInput:
    name: str = strawberry.field(description="Display name (1–200 characters).")
    amount: Decimal = strawberry.field(
        description='The pool of each period (> 0), e.g. "50000": the first period is '
        "funded with it at once."
    )
    period_kind: PeriodKind = strawberry.field(
        description="MONTHLY, QUARTERLY, ANNUAL, WEEKLY, DAILY (recurring) or GRANT, CUSTOM "
        "(one period)."
    )
    start_date: date = strawberry.field(
        description="First day (local); a recurring budget may start at most 10 years back."
    )
    end_date: date | None = strawberry.field(
        default=None,
        description="Last day (local): required for GRANT and CUSTOM; optional end of a "
        "recurring budget.",
    )
    description: str | None = strawberry.field(default=None, description="Free text.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code (default USD)."
    )
    timezone: str | None = strawberry.field(
        default=None, description="IANA time zone of period boundaries (default UTC)."
    )
    alert_thresholds: list[int] | None = strawberry.field(
        default=None, description="Percent-used alert levels, 1–1000 (default [50, 80, 100])."
    )
    rollover_policy: RolloverPolicy | None = strawberry.field(
        default=None, description="What carries over at a close (default NONE)."
    )
    owner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="More owners besides you (user ids)."
    )
    hard_limit: bool = strawberry.field(
        default=False, description="Refuse spend that would overdraw an envelope."
    )
    enforce_pacing: bool = strawberry.field(
        default=False,
        description="authorizeSpend refuses more than twice the daily drip a day; with "
        "hardLimit, recorded spend is held to the same cap.",
    )
    slack_channel: str | None = strawberry.field(
        default=None, description="Slack channel id for requests and alerts."
    )
    slack_privacy: SlackPrivacy | None = strawberry.field(
        default=None, description="What channel posts show of money (default AMOUNTS)."
    )
    fiscal_year_start_month: int | None = strawberry.field(
        default=None,
        description="QUARTERLY and ANNUAL: the month (1–12) periods begin in, e.g. 7 for a "
        "fiscal year from 1 July (default 1). Refused for other kinds.",
    )
    reset_day: int | None = strawberry.field(
        default=None,
        description="MONTHLY, QUARTERLY and ANNUAL: the day of the month (1–28) periods begin "
        "on, e.g. 15 for months from the 15th to the 14th (default 1). Refused for other kinds.",
    )
    week_start: Weekday | None = strawberry.field(
        default=None,
        description="WEEKLY: the first day of each week (default MONDAY). Refused for other kinds.",
    )
    prorate_first_period: bool = strawberry.field(
        default=False,
        description="Recurring budgets: fund a first period that starts inside a calendar "
        "period with amount × its days ÷ the whole period's days (rounded down to the micro) "
        "instead of the whole amount. Refused for GRANT and CUSTOM.",
    )


@strawberry.type(description="The budget exists and its first period is funded.")
class BudgetCreated:
    budget: Budget = strawberry.field(description="The new budget.")


@strawberry.input(
    description="Change a budget's settings: give only what changes. Omitted or null leaves a "
    "setting as it is, except rolloverCap (null removes the cap)."
)
class UpdateBudgetInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_1.")
    name: str | None = strawberry.field(default=None, description="New display name.")
    description: str | None = strawberry.field(default=None, description="New description.")
    amount: Decimal | None = strawberry.field(
        default=None,
        description="New amount of each period: the current period's pool is funded (or "
        "defunded) by the difference at once; the pool cannot go negative.",
    )
    end_date: date | None = strawberry.field(
        default=None,
        description="New last day. Extending an ended GRANT or CUSTOM budget reopens it; "
        "moving a recurring budget's end clips its open period.",
    )
    timezone: str | None = strawberry.field(default=None, description="New IANA time zone.")
    alert_thresholds: list[int] | None = strawberry.field(
        default=None, description="New percent-used alert levels (1–1000)."
    )
    rollover_policy: RolloverPolicy | None = strawberry.field(
        default=None, description="New rollover policy."
    )
    hard_limit: bool | None = strawberry.field(
        default=None, description="Refuse (true) or allow (false) overdrawing spend."
    )
    enforce_pacing: bool | None = strawberry.field(
        default=None, description="Enforce (true) or stop enforcing (false) the daily cap."
    )
    auto_approve_below: Decimal | None = strawberry.field(
        default=None,
        description="Gifts and requests from the pool below this amount apply without an "
        "owner (> 0).",
    )
    allow_self_approval: bool | None = strawberry.field(
        default=None, description="May an owner approve their own transfer request?"
    )
    transfer_expiry_days: int | None = strawberry.field(
        default=None, description="Pending requests expire after this many days (1–365)."
    )
    slack_channel: str | None = strawberry.field(default=None, description="New Slack channel id.")
    slack_privacy: SlackPrivacy | None = strawberry.field(
        default=None, description="New channel privacy (FULL, AMOUNTS, NONE)."
    )
    rollover_cap: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="The most one envelope carries into the next period; null removes the cap.",
    )
    fiscal_year_start_month: int | None = strawberry.field(
        default=None,
        description="New fiscal year start month (QUARTERLY, ANNUAL). The calendar can change "
        "only until the budget starts (its first period is cut and funded again); after "
        "that, a ValidationError.",
    )
    reset_day: int | None = strawberry.field(
        default=None,
        description="New reset day (MONTHLY, QUARTERLY, ANNUAL), until the budget starts.",
    )
    week_start: Weekday | None = strawberry.field(
        default=None, description="New first day of the week (WEEKLY), until the budget starts."
    )
    prorate_first_period: bool | None = strawberry.field(
        default=None,
        description="Prorate the first period (true) or fund it whole (false), until the "
        "budget starts.",
    )


@strawberry.type(description="The budget's settings are changed.")
class BudgetUpdated:
    budget: Budget = strawberry.field(description="The budget, as now set.")


CreateProjectPayload = payload("CreateProjectPayload", ProjectCreated)
CreateBudgetPayload = payload("CreateBudgetPayload", BudgetCreated)
UpdateBudgetPayload = payload("UpdateBudgetPayload", BudgetUpdated)


@strawberry.type
class BudgetMutations:
    @strawberry.mutation(
        description="Create a project (admins and budget creators; a budget creator becomes "
        "its LEAD). "
        "Errors: PermissionDenied, ValidationError (name, slug), Conflict (slug taken)."
    )
    async def create_project(
        self,
        info: Info,
        input: Annotated[CreateProjectInput, strawberry.argument(description="The project.")],
    ) -> CreateProjectPayload:
        async def call() -> ProjectCreated:
            row = await service.create_project(
                info.context.actor,
                name=input.name,
                slug=input.slug,
                slack_channel=input.slack_channel,
            )
            return ProjectCreated(project=Project.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Create a budget and fund its first period, with you as an OWNER (admins "
        "and budget creators). Errors: PermissionDenied, ValidationError (amount, dates, "
        "currency, timezone, thresholds, an anchor the kind does not use, prorateFirstPeriod "
        "for a GRANT or CUSTOM budget), NotFound (ownerIds)."
    )
    async def create_budget(
        self,
        info: Info,
        input: Annotated[CreateBudgetInput, strawberry.argument(description="The budget.")],
    ) -> CreateBudgetPayload:
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
                fiscal_year_start_month=input.fiscal_year_start_month,
                reset_day=input.reset_day,
                week_start=input.week_start.value if input.week_start else None,
                prorate_first_period=input.prorate_first_period,
            )
            return BudgetCreated(budget=Budget.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Change a budget's settings (owners and admins). Errors: PermissionDenied, "
        "NotFound, ValidationError (among others: a calendar setting changed once the budget "
        "has started), InsufficientFunds (a lower amount than the pool can give back), "
        "PeriodClosedError (a new amount for a budget that has ended)."
    )
    async def update_budget(
        self,
        info: Info,
        input: Annotated[
            UpdateBudgetInput, strawberry.argument(description="The budget and its changes.")
        ],
    ) -> UpdateBudgetPayload:
        async def call() -> BudgetUpdated:
            changes = {
                k: v
                for k, v in vars(input).items()
                if k != "budget_id" and v is not strawberry.UNSET and v is not None
            }
            if input.rollover_cap is None:  # an explicit null clears the cap
                changes["rollover_cap"] = None
            for key in ("rollover_policy", "slack_privacy", "week_start"):
                if key in changes:
                    changes[key] = changes[key].value
            row = await service.update_budget(
                info.context.actor, ids.decode(input.budget_id, "Budget", "budgetId"), **changes
            )
            return BudgetUpdated(budget=Budget.from_model(row))

        return await run(call)
