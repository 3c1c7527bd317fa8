"""Counts for /metrics (Prometheus text format)."""

from __future__ import annotations

from app.models import Budget, OutboxEvent, Spend, TransferRequest


async def gauges() -> list[tuple[str, int, str]]:
    return [
        ("allot_budgets", await Budget.all().count(), "Budgets."),
        ("allot_spend_records", await Spend.all().count(), "Spend records."),
        (
            "allot_transfers_pending",
            await TransferRequest.filter(status="PENDING").count(),
            "Transfer requests waiting for an owner.",
        ),
        (
            "allot_outbox_undelivered",
            await OutboxEvent.filter(delivered_at=None).count(),
            "Outbox events not yet delivered.",
        ),
    ]
