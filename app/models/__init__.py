"""Tortoise models. Money columns are BIGINT micros; every cached balance is derivable from
`JournalEntry` rows (see `allot verify`)."""

from app.models.access import ApiToken, BudgetOwner, ProjectMember, User
from app.models.budgets import Allocation, Budget, BudgetPeriod, Project
from app.models.ledger import IdempotencyRecord, JournalEntry, Spend, SpendDaily, TransferRequest
from app.models.events import Alert, OutboxEvent

__all__ = [
    "Alert",
    "Allocation",
    "ApiToken",
    "Budget",
    "BudgetOwner",
    "BudgetPeriod",
    "IdempotencyRecord",
    "JournalEntry",
    "OutboxEvent",
    "Project",
    "ProjectMember",
    "Spend",
    "SpendDaily",
    "TransferRequest",
    "User",
]
