"""The figures /metrics reads from the database at each scrape (app.metrics.exposition).

They are the state of the shared database, not of one process: read when asked, they are the
same whichever worker answers the scrape, and nothing has to keep them up to date.
"""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.metrics import Gauge
from app.models import Budget, OutboxEvent, Spend, TransferRequest


async def gauges(now: datetime | None = None) -> list[Gauge]:
    now = now or clock.now()
    oldest = (
        await OutboxEvent.filter(delivered_at=None)
        .order_by("created_at")
        .first()
        .values_list("created_at", flat=True)
    )
    age = max((now - oldest).total_seconds(), 0.0) if isinstance(oldest, datetime) else 0.0
    return [
        Gauge("allot_budgets", "Budgets.", await Budget.all().count()),
        Gauge("allot_spend_records", "Spend records.", await Spend.all().count()),
        Gauge(
            "allot_transfers_pending",
            "Transfer requests waiting for an owner.",
            await TransferRequest.filter(status="PENDING").count(),
        ),
        Gauge(
            "allot_outbox_undelivered",
            "Outbox events not yet delivered (Slack posts, live events): the backlog.",
            await OutboxEvent.filter(delivered_at=None).count(),
        ),
        Gauge(
            "allot_outbox_oldest_undelivered_age_seconds",
            "Age of the oldest outbox event not yet delivered (0 when there is none): a"
            " delivery that is stuck or failing shows here before anyone misses a message.",
            age,
        ),
    ]
