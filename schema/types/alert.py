"""Alerts as objects with a lifecycle: what raised them, the figures at the time, who
acknowledged them, when they resolved, and their history.

Visibility follows the read rules (app.domain.access.can_view_alert): an allocation's alerts
like the allocation, budget-level alerts (whole-budget figures) to owners only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader

from app.domain.money import from_micros
from app.models import Alert as AlertRow
from app.models import AlertEvent
from app.services import alerts as service
from schema import ids, refs
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.common import After, First, describe_values
from schema.types.node import Node
from schema.types.transfer import SlackMessage
from schema.types.user import User


@strawberry.enum(description="What an alert is about.")
class AlertKind(Enum):
    THRESHOLD = "THRESHOLD"
    FORECAST_OVERRUN = "FORECAST_OVERRUN"
    EXHAUSTION_SOON = "EXHAUSTION_SOON"
    PACE = "PACE"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    TRANSFER_PENDING_TOO_LONG = "TRANSFER_PENDING_TOO_LONG"


describe_values(
    AlertKind,
    {
        "THRESHOLD": "Spend crossed a threshold (percent used or amount remaining); several "
        "crossed at once raise one alert naming the highest.",
        "FORECAST_OVERRUN": "The period-end projection exceeds the envelope by more than "
        "ALLOT_ALERT_FORECAST_MARGIN_PERCENT.",
        "EXHAUSTION_SOON": "The money is projected to run out before the period ends.",
        "PACE": "Spending is ahead of time elapsed by more than ALLOT_ALERT_PACE_MARGIN_POINTS.",
        "PERIOD_CLOSED": "A period closed (its final figures); resolved when acknowledged.",
        "TRANSFER_PENDING_TOO_LONG": "A transfer request has waited longer than "
        "ALLOT_ALERT_TRANSFER_PENDING_HOURS for an owner.",
    },
)


@strawberry.enum(description="Where an alert is in its life.")
class AlertState(Enum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


describe_values(
    AlertState,
    {
        "OPEN": "Raised (or escalated) and not yet acknowledged.",
        "ACKNOWLEDGED": "Someone saw it (acknowledgedBy, note); the condition still holds.",
        "RESOLVED": "The condition cleared (a transfer in, a new period, the forecast back "
        "under): resolvedReason says which. If it comes back, a new alert is raised.",
    },
)


@strawberry.enum(description="What an alert's figures cover.")
class AlertScope(Enum):
    BUDGET = "BUDGET"
    ALLOCATION = "ALLOCATION"


describe_values(
    AlertScope,
    {
        "BUDGET": "The whole budget period (owners only).",
        "ALLOCATION": "One project's envelope (its people and the budget's owners).",
    },
)


@strawberry.type(description="One step of an alert's life.")
class AlertHistoryEntry:
    action: str = strawberry.field(description="RAISED, ESCALATED, ACKNOWLEDGED or RESOLVED.")
    at: datetime = strawberry.field(description="When (UTC).")
    note: str | None = strawberry.field(
        description="The acknowledgement's note, the level escalated to, or why it resolved."
    )
    by: strawberry.ID | None = strawberry.field(description="Who acted (`usr_…`); null: Allot.")


def _money(micros: int | None) -> Decimal | None:
    return None if micros is None else from_micros(micros)


@strawberry.type(
    description="An alert (id `alr_…`): raised once per condition and scope, acknowledged "
    "by someone, resolved automatically when its condition clears."
)
class Alert(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `alr_3`.")
    kind: AlertKind = strawberry.field(description="What it is about.")
    scope: AlertScope = strawberry.field(description="A whole budget period, or one envelope.")
    state: AlertState = strawberry.field(description="OPEN, ACKNOWLEDGED or RESOLVED.")
    message: str = strawberry.field(description="For a person, with the figures.")
    budget_id: strawberry.ID = strawberry.field(description="The budget (`bud_…`).")
    allocation_id: strawberry.ID | None = strawberry.field(
        description="The envelope (`alc_…`); null for a budget-level alert."
    )
    transfer_id: strawberry.ID | None = strawberry.field(
        description="The waiting transfer (TRANSFER_PENDING_TOO_LONG)."
    )
    threshold: int | None = strawberry.field(
        description="THRESHOLD: the highest percent-used level crossed; null for others."
    )
    remaining_threshold: Decimal | None = strawberry.field(
        description="THRESHOLD: the amount-remaining level crossed, if that was the highest."
    )
    crossed: list[str] = strawberry.field(
        description='Every threshold this alert stands for, lowest first (e.g. ["50%", "80%"]).'
    )
    allocated: Decimal | None = strawberry.field(
        description="What the scope held when raised (or last escalated)."
    )
    spent: Decimal | None = strawberry.field(description="What it had spent then.")
    remaining: Decimal | None = strawberry.field(description="allocated − spent, then.")
    percent_used: float | None = strawberry.field(description="spent ÷ allocated × 100, then.")
    projected_spend: Decimal | None = strawberry.field(
        description="Forecast alerts: the projected spend at period end, then."
    )
    exhaustion_date: date | None = strawberry.field(
        description="Forecast alerts: the projected day the money runs out."
    )
    acknowledged_at: datetime | None = strawberry.field(description="When acknowledged.")
    note: str | None = strawberry.field(description="The acknowledgement's note.")
    resolved_at: datetime | None = strawberry.field(description="When it resolved.")
    resolved_reason: str | None = strawberry.field(description="Why it resolved.")
    created_at: datetime = strawberry.field(description="When it was raised (UTC).")
    row: strawberry.Private[AlertRow]

    @classmethod
    def from_model(cls, row: AlertRow) -> Alert:
        allocated, spent = row.allocated_micros, row.spent_micros
        percent = None
        if allocated and spent is not None:
            percent = round(spent * 100 / allocated, 2)
        return cls(
            id=strawberry.ID(ids.encode("Alert", row.id)),
            kind=AlertKind(row.kind),
            scope=AlertScope(row.scope or "ALLOCATION"),
            state=AlertState(row.state),
            message=row.message,
            budget_id=strawberry.ID(ids.encode("Budget", row.budget_id)),  # type: ignore[attr-defined]
            allocation_id=None
            if row.allocation_id is None  # type: ignore[attr-defined]
            else strawberry.ID(ids.encode("Allocation", row.allocation_id)),  # type: ignore[attr-defined]
            transfer_id=None
            if row.transfer_id is None
            else strawberry.ID(ids.encode("Transfer", row.transfer_id)),
            threshold=row.threshold,
            remaining_threshold=_money(row.remaining_threshold_micros),
            crossed=list(row.crossed or []),
            allocated=_money(allocated),
            spent=_money(spent),
            remaining=None if allocated is None or spent is None else _money(allocated - spent),
            percent_used=percent,
            projected_spend=_money(row.projected_micros),
            exhaustion_date=row.exhaustion_date,
            acknowledged_at=row.acknowledged_at,
            note=row.note,
            resolved_at=row.resolved_at,
            resolved_reason=row.resolved_reason,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Who acknowledged it; null until someone did.")
    async def acknowledged_by(self, info: Info) -> User | None:
        user_id = self.row.acknowledged_by_id  # type: ignore[attr-defined]
        if user_id is None:
            return None
        user = await info.context.loaders.user.load(user_id)
        return None if user is None else User.from_model(user)

    @strawberry.field(
        description="Where the Slack notifier started the alert thread of this alert's "
        "envelope (or budget period), one message per channel: later alerts reply in it."
    )
    async def slack_threads(self, info: Info) -> list[SlackMessage]:
        from app.services import slack

        rows = await slack.alert_threads(self.row)
        return [SlackMessage(channel=r.channel, ts=r.ts) for r in rows]

    @strawberry.field(description="Its life so far, oldest first.")
    async def history(self, info: Info) -> list[AlertHistoryEntry]:
        rows = await _history_loader(info).load(self.row.id)
        return [
            AlertHistoryEntry(
                action=r.action,
                at=r.at,
                note=r.note,
                by=None if r.user_id is None else strawberry.ID(ids.encode("User", r.user_id)),
            )
            for r in rows
        ]


def _history_loader(info: Info) -> DataLoader[int, list[AlertEvent]]:
    """One query for the history of every alert of a page (kept on the request's context)."""
    context: Any = info.context
    loader = getattr(context, "_alert_history", None)
    if loader is None:

        async def load(keys: list[int]) -> list[list[AlertEvent]]:
            rows = await AlertEvent.filter(alert_id__in=set(keys)).order_by("id")
            out: dict[int, list[AlertEvent]] = {k: [] for k in keys}
            for r in rows:
                out.setdefault(r.alert_id, []).append(r)  # type: ignore[attr-defined]
            return [out[k] for k in keys]

        loader = DataLoader(load_fn=load)
        context._alert_history = loader
    return loader


@strawberry.type
class AlertQueries:
    @strawberry.field(
        description="Alerts you may see, in id order (owners: every alert of their budgets; a "
        "project's people: its allocation alerts). A budget you may not see is NOT_FOUND."
    )
    async def alerts(
        self,
        info: Info,
        budget_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this budget's.")
        ] = None,
        project_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this project's envelopes.")
        ] = None,
        state: Annotated[
            AlertState | None, strawberry.argument(description="Only alerts in this state.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Alert]:
        query = await service.filtered(
            info.context.actor,
            budget_id=ids.decode_optional(budget_id, "Budget", "budgetId"),
            project_id=await refs.optional_project_pk(info.context.actor, project_id, "projectId"),
            state=None if state is None else state.value,
        )
        return await paginate(query, first, after, Alert.from_model)  # type: ignore[arg-type]
