"""Alert settings and delivery: thresholds, subscriptions, webhooks, retrying a DEAD delivery."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import alert_prefs, alert_rules
from app.services.delivery import admin
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.delivery import AlertSubscription, AlertThreshold, Delivery, Webhook


@strawberry.input(description="The thresholds of one scope of a budget (replacing its old ones).")
class SetAlertThresholdsInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_1.")
    scope: str = strawberry.field(description="BUDGET (the whole period) or ALLOCATION.")
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="ALLOCATION: only this project's envelopes; omitted: all."
    )
    percent_used: list[int] | None = strawberry.field(
        default=None, description="Percent-used levels, 1–1000."
    )
    amount_remaining: list[Decimal] | None = strawberry.field(
        default=None, description="Amount-remaining levels (the alert fires at or below)."
    )


@strawberry.type(description="The budget's extra thresholds, as now set.")
class AlertThresholdsSet:
    thresholds: list[AlertThreshold] = strawberry.field(description="Every extra threshold.")


@strawberry.input(description="Your alerts of one budget (or of all budgets).")
class SetAlertSubscriptionInput:
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="The budget; omitted: every budget you may see."
    )
    kinds: list[str] | None = strawberry.field(
        default=None, description="AlertKind values; omitted: all."
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description="BUDGET, ALLOCATION; omitted: both."
    )
    channels: list[str] = strawberry.field(
        description="SLACK_DM, SLACK_CHANNEL, EMAIL, WEBHOOK; empty: hear nothing."
    )
    slack_channel: str | None = strawberry.field(default=None, description="For SLACK_CHANNEL.")
    frequency: str = strawberry.field(
        default="IMMEDIATE", description="IMMEDIATE, DAILY or WEEKLY (digests)."
    )


@strawberry.type(description="Your subscription, as now set.")
class AlertSubscriptionSet:
    subscription: AlertSubscription = strawberry.field(description="The subscription.")


@strawberry.input(description="A webhook: of a budget (owners), personal, or global (admins).")
class CreateWebhookInput:
    url: str = strawberry.field(description="https:// (or http:// to 127.0.0.1 / localhost).")
    budget_id: strawberry.ID | None = strawberry.field(default=None, description="Its budget.")
    personal: bool = strawberry.field(
        default=False, description="For your own alert subscriptions (channel WEBHOOK)."
    )
    kinds: list[str] | None = strawberry.field(
        default=None, description="Event kinds; omitted: all."
    )


@strawberry.type(description="The webhook and its signing secret, shown this once.")
class WebhookCreated:
    webhook: Webhook = strawberry.field(description="The webhook.")
    secret: str = strawberry.field(description="Signs each request (docs/webhooks.md); shown once.")


@strawberry.input(description="Which webhook.")
class WebhookInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook, e.g. whk_2.")


@strawberry.type(description="A new secret, shown once; the old one signs too for a grace period.")
class WebhookSecretRotated:
    webhook: Webhook = strawberry.field(description="The webhook.")
    secret: str = strawberry.field(description="The new secret.")


@strawberry.type(description="The webhook receives nothing more.")
class WebhookDeleted:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")


@strawberry.input(description="Which DEAD delivery to try again.")
class RetryDeliveryInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery, e.g. dlv_9.")


@strawberry.type(description="The delivery is PENDING again, due now.")
class DeliveryRetried:
    delivery: Delivery = strawberry.field(description="The delivery.")


SetAlertThresholdsPayload = payload("SetAlertThresholdsPayload", AlertThresholdsSet)
SetAlertSubscriptionPayload = payload("SetAlertSubscriptionPayload", AlertSubscriptionSet)
CreateWebhookPayload = payload("CreateWebhookPayload", WebhookCreated)
RotateWebhookSecretPayload = payload("RotateWebhookSecretPayload", WebhookSecretRotated)
DeleteWebhookPayload = payload("DeleteWebhookPayload", WebhookDeleted)
RetryDeliveryPayload = payload("RetryDeliveryPayload", DeliveryRetried)


@strawberry.type
class AlertingMutations:
    @strawberry.mutation(
        description="Set a budget's thresholds of one scope (owners). Errors: NotFound, "
        "PermissionDenied, ValidationError."
    )
    async def set_alert_thresholds(
        self,
        info: Info,
        input: Annotated[
            SetAlertThresholdsInput, strawberry.argument(description="The thresholds.")
        ],
    ) -> SetAlertThresholdsPayload:
        async def call() -> AlertThresholdsSet:
            rows = await alert_rules.set_thresholds(
                info.context.actor,
                ids.decode(input.budget_id, "Budget", "budgetId"),
                input.scope,
                await refs.optional_project_pk(info.context.actor, input.project_id, "projectId"),
                input.percent_used,
                None
                if input.amount_remaining is None
                else [str(a) for a in input.amount_remaining],
            )
            return AlertThresholdsSet(thresholds=[AlertThreshold.from_model(r) for r in rows])

        return await run(call)

    @strawberry.mutation(
        description="Choose which alerts reach you, where and how often (anyone who may see "
        "the budget; each alert still reaches you only if you may see it). Errors: NotFound, "
        "PermissionDenied, ValidationError."
    )
    async def set_alert_subscription(
        self,
        info: Info,
        input: Annotated[
            SetAlertSubscriptionInput, strawberry.argument(description="Your choice.")
        ],
    ) -> SetAlertSubscriptionPayload:
        async def call() -> AlertSubscriptionSet:
            row = await alert_prefs.set_subscription(
                info.context.actor,
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                kinds=input.kinds,
                scopes=input.scopes,
                channels=input.channels,
                frequency=input.frequency,
                slack_channel=input.slack_channel,
            )
            return AlertSubscriptionSet(subscription=AlertSubscription.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Create a webhook; its secret is shown once. Errors: NotFound, "
        "PermissionDenied, ValidationError."
    )
    async def create_webhook(
        self,
        info: Info,
        input: Annotated[CreateWebhookInput, strawberry.argument(description="The webhook.")],
    ) -> CreateWebhookPayload:
        async def call() -> WebhookCreated:
            hook, secret = await admin.create_webhook(
                info.context.actor,
                input.url,
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                personal=input.personal,
                kinds=input.kinds,
            )
            return WebhookCreated(webhook=Webhook.from_model(hook), secret=secret)

        return await run(call)

    @strawberry.mutation(description="Rotate a webhook's secret. Errors: NotFound.")
    async def rotate_webhook_secret(
        self,
        info: Info,
        input: Annotated[WebhookInput, strawberry.argument(description="The webhook.")],
    ) -> RotateWebhookSecretPayload:
        async def call() -> WebhookSecretRotated:
            hook, secret = await admin.rotate_secret(
                info.context.actor, ids.decode(input.webhook_id, "Webhook", "webhookId")
            )
            return WebhookSecretRotated(webhook=Webhook.from_model(hook), secret=secret)

        return await run(call)

    @strawberry.mutation(description="Delete a webhook. Errors: NotFound.")
    async def delete_webhook(
        self,
        info: Info,
        input: Annotated[WebhookInput, strawberry.argument(description="The webhook.")],
    ) -> DeleteWebhookPayload:
        async def call() -> WebhookDeleted:
            pk = ids.decode(input.webhook_id, "Webhook", "webhookId")
            await admin.delete_webhook(info.context.actor, pk)
            return WebhookDeleted(webhook_id=strawberry.ID(ids.encode("Webhook", pk)))

        return await run(call)

    @strawberry.mutation(
        description="Put a DEAD delivery back in line (admins). Errors: NotFound, "
        "PermissionDenied, InvalidState."
    )
    async def retry_delivery(
        self,
        info: Info,
        input: Annotated[RetryDeliveryInput, strawberry.argument(description="The delivery.")],
    ) -> RetryDeliveryPayload:
        async def call() -> DeliveryRetried:
            row = await admin.retry(
                info.context.actor, ids.decode(input.delivery_id, "Delivery", "deliveryId")
            )
            return DeliveryRetried(delivery=Delivery.from_model(row))

        return await run(call)
