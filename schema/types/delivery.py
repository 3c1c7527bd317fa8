"""Where alerts go: deliveries (admins), webhooks, a person's alert subscriptions and a budget's
thresholds, and the queries that list them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from app.domain.money import from_micros
from app.models import AlertRule as AlertRuleRow
from app.models import AlertSubscription as SubscriptionRow
from app.models import Delivery as DeliveryRow
from app.models import Webhook as WebhookRow
from app.services import alert_prefs, alert_rules
from app.services.delivery import admin
from schema import ids
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.common import After, First, describe_values


@strawberry.enum(description="Where a delivery is.")
class DeliveryState(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"


describe_values(
    DeliveryState,
    {
        "PENDING": "Waiting for its next attempt (nextAttemptAt).",
        "SENDING": "A worker is calling the destination now.",
        "DELIVERED": "The destination took it (receipt says where).",
        "DEAD": "Given up: a permanent error, or too many attempts or too old (deadReason); "
        "retryDelivery puts it back in line.",
    },
)


@strawberry.type(description="One event to one destination (id `dlv_…`), with its own tries.")
class Delivery:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `dlv_9`.")
    event_id: strawberry.ID = strawberry.field(description="The outbox event (`evt_…`).")
    channel: str = strawberry.field(
        description="SLACK_DM, SLACK_CHANNEL, SLACK_UPDATE, SLACK_HOME (App Home refreshed), "
        "EMAIL, WEBHOOK or SINK."
    )
    target: str = strawberry.field(
        description="Slack user or channel id, e-mail address, webhook id."
    )
    state: DeliveryState = strawberry.field(description="PENDING, SENDING, DELIVERED or DEAD.")
    attempts: int = strawberry.field(description="Tries so far.")
    last_error: str | None = strawberry.field(description="The last try's error.")
    dead_reason: str | None = strawberry.field(description="Why it was given up.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next.")
    receipt: str | None = strawberry.field(
        description="Slack channel and ts, Message-ID, HTTP status."
    )
    created_at: datetime = strawberry.field(description="When it was planned.")
    delivered_at: datetime | None = strawberry.field(description="When it was delivered.")

    @classmethod
    def from_model(cls, row: DeliveryRow) -> Delivery:
        return cls(
            id=strawberry.ID(ids.encode("Delivery", row.id)),
            event_id=strawberry.ID(f"evt_{row.event_id}"),  # type: ignore[attr-defined]
            channel=row.channel,
            target=row.target,
            state=DeliveryState(row.state),
            attempts=row.attempts,
            last_error=row.last_error,
            dead_reason=row.dead_reason,
            next_attempt_at=row.next_attempt_at,
            receipt=row.receipt,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )


@strawberry.type(
    description="An endpoint receiving signed JSON events (id `whk_…`, docs/webhooks.md)."
)
class Webhook:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `whk_2`.")
    url: str = strawberry.field(description="Where events are POSTed.")
    budget_id: strawberry.ID | None = strawberry.field(
        description="Its budget; null: global (every budget) or personal."
    )
    personal: bool = strawberry.field(
        description="Receives only the alerts its person subscribed to (channel WEBHOOK)."
    )
    kinds: list[str] = strawberry.field(description="Event kinds it receives; empty: all.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: WebhookRow) -> Webhook:
        budget = row.budget_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(ids.encode("Webhook", row.id)),
            url=row.url,
            budget_id=None if budget is None else strawberry.ID(ids.encode("Budget", budget)),
            personal=row.user_id is not None,  # type: ignore[attr-defined]
            kinds=list(row.kinds or []),
            created_at=row.created_at,
        )


@strawberry.type(description="Your choice of alerts for one budget, or for all (id `asb_…`).")
class AlertSubscription:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `asb_1`.")
    budget_id: strawberry.ID | None = strawberry.field(
        description="The budget; null: every budget you may see (a budget's own row wins)."
    )
    kinds: list[str] = strawberry.field(description="Alert kinds (AlertKind); empty: all.")
    scopes: list[str] = strawberry.field(description="BUDGET, ALLOCATION; empty: both.")
    channels: list[str] = strawberry.field(
        description="SLACK_DM, SLACK_CHANNEL, EMAIL, WEBHOOK (your personal webhooks); "
        "empty: nothing."
    )
    slack_channel: str | None = strawberry.field(description="For SLACK_CHANNEL.")
    frequency: str = strawberry.field(
        description="IMMEDIATE, or DAILY / WEEKLY digests (e-mail and Slack DM)."
    )

    @classmethod
    def from_model(cls, row: SubscriptionRow) -> AlertSubscription:
        budget = row.budget_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(ids.encode("AlertSubscription", row.id)),
            budget_id=None if budget is None else strawberry.ID(ids.encode("Budget", budget)),
            kinds=list(row.kinds or []),
            scopes=list(row.scopes or []),
            channels=list(row.channels or []),
            slack_channel=row.slack_channel,
            frequency=row.frequency,
        )


@strawberry.type(description="One extra threshold of a budget (id `arl_…`).")
class AlertThreshold:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `arl_4`.")
    scope: str = strawberry.field(description="BUDGET (the whole period) or ALLOCATION.")
    project_id: strawberry.ID | None = strawberry.field(
        description="ALLOCATION: this project's envelopes only; null: every envelope."
    )
    percent_used: int | None = strawberry.field(description="A percent-used level.")
    amount_remaining: Decimal | None = strawberry.field(description="An amount-remaining level.")

    @classmethod
    def from_model(cls, row: AlertRuleRow) -> AlertThreshold:
        project = row.project_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(ids.encode("AlertRule", row.id)),
            scope=row.scope,
            project_id=None if project is None else strawberry.ID(ids.encode("Project", project)),
            percent_used=row.percent_used,
            amount_remaining=None
            if row.remaining_micros is None
            else from_micros(row.remaining_micros),
        )


@strawberry.type
class DeliveryQueries:
    @strawberry.field(
        description="Deliveries, in id order (admins only): `state: DEAD` lists what was given "
        "up on, with the reason."
    )
    async def deliveries(
        self,
        info: Info,
        state: Annotated[
            DeliveryState | None, strawberry.argument(description="Only in this state.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Delivery]:
        query = admin.visible_deliveries(info.context.actor, None if state is None else state.value)
        return await paginate(query, first, after, Delivery.from_model)  # type: ignore[arg-type]

    @strawberry.field(
        description="Webhooks you manage (admins: all; owners: their budgets'; your own)."
    )
    async def webhooks(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Webhook]:
        query = admin.visible_webhooks(info.context.actor)
        return await paginate(query, first, after, Webhook.from_model)  # type: ignore[arg-type]

    @strawberry.field(description="Your alert subscriptions (yours only).")
    async def alert_subscriptions(self, info: Info) -> list[AlertSubscription]:
        rows = await alert_prefs.subscriptions(info.context.actor)
        return [AlertSubscription.from_model(r) for r in rows]

    @strawberry.field(
        description="A budget's extra thresholds (its owners); alertThresholds stay the "
        "default percent levels of both scopes."
    )
    async def alert_thresholds(
        self,
        info: Info,
        budget_id: Annotated[strawberry.ID, strawberry.argument(description="The budget.")],
    ) -> list[AlertThreshold]:
        rows = await alert_rules.list_thresholds(
            info.context.actor, ids.decode(budget_id, "Budget", "budgetId")
        )
        return [AlertThreshold.from_model(r) for r in rows]
