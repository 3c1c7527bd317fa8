"""Tortoise models. Money columns are BIGINT micros; every cached balance is derivable from
`JournalEntry` rows (see `allot verify`)."""

from app.models.access import ApiToken, BudgetOwner, ProjectMember, User
from app.models.alerting import AlertRule, AlertSubscription, DigestItem
from app.models.budgets import Allocation, Budget, BudgetPeriod, Project
from app.models.delivery import Delivery, Webhook
from app.models.events import Alert, AlertEvent, OutboxEvent
from app.models.ingest import RoutingRule, UnassignedSpend
from app.models.ledger import (
    IdempotencyRecord,
    JournalEntry,
    Spend,
    SpendDaily,
    SpendPeriodDay,
    SpendPeriodService,
    TransferRequest,
)
from app.models.plans import BudgetPlan
from app.models.pricing import Rate, RateCard, SpendUsage
from app.models.reservations import Reservation
from app.models.slack import SlackLinkCode, SlackMessage, SlackRequestSeen, SlackThread

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertSubscription",
    "Allocation",
    "ApiToken",
    "Budget",
    "BudgetOwner",
    "BudgetPeriod",
    "BudgetPlan",
    "Delivery",
    "DigestItem",
    "IdempotencyRecord",
    "JournalEntry",
    "OutboxEvent",
    "Project",
    "ProjectMember",
    "Rate",
    "RateCard",
    "Reservation",
    "RoutingRule",
    "SlackLinkCode",
    "SlackMessage",
    "SlackRequestSeen",
    "SlackThread",
    "Spend",
    "SpendDaily",
    "SpendPeriodDay",
    "SpendPeriodService",
    "SpendUsage",
    "TransferRequest",
    "UnassignedSpend",
    "User",
    "Webhook",
]
