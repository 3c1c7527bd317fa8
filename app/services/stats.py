"""The figures /metrics reads from the database at each scrape (app.metrics.exposition).

They are the state of the shared database, not of one process: read when asked, they are the
same whichever worker answers the scrape, and nothing has to keep them up to date.
"""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.metrics import Gauge
from app.models import Budget, OutboxEvent, Spend, TransferRequest
from app.services.delivery import CHANNELS
from app.services.delivery.dispatch import as_datetime
from app.services.sql import fetch


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
        *await delivery_gauges(now),
    ]


#: Delivery states a scrape counts (DELIVERED rows only grow: counters count those).
OPEN_STATES = ("PENDING", "SENDING", "DEAD")


async def delivery_gauges(now: datetime) -> list[Gauge]:
    """Per-destination deliveries not delivered, by state and channel (every pair, zeros
    included, so an alert on `allot_deliveries_open{state="DEAD"} > 0` has a series to watch), how
    many are dead, and how long the oldest waiting one has waited."""
    rows = await fetch(
        "SELECT state, channel, COUNT(*) AS n, MIN(created_at) AS oldest FROM delivery"
        " WHERE state IN ('PENDING', 'SENDING', 'DEAD') GROUP BY state, channel"
    )
    counts = {(r["state"], r["channel"]): int(r["n"]) for r in rows}
    waiting = [as_datetime(r["oldest"]) for r in rows if r["state"] in ("PENDING", "SENDING")]
    oldest = min((w for w in waiting if w is not None), default=None)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    help_ = (
        "Deliveries (one per event and destination) not delivered, by state: PENDING (due or"
        " backing off), SENDING (a call in flight), DEAD (given up: `deliveries(state: DEAD)`,"
        " `retryDelivery`)."
    )
    out = [
        Gauge(
            "allot_deliveries_open",
            help_,
            counts.get((state, channel), 0),
            (("state", state), ("channel", channel)),
        )
        for state in OPEN_STATES
        for channel in CHANNELS
    ]
    out.append(
        Gauge(
            "allot_deliveries_dead",
            "Deliveries given up on (DEAD), waiting for an admin's retry or nothing.",
            sum(n for (state, _), n in counts.items() if state == "DEAD"),
        )
    )
    out.append(
        Gauge(
            "allot_delivery_oldest_waiting_age_seconds",
            "Age of the oldest delivery still PENDING or SENDING (0 when there is none).",
            max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
        )
    )
    return out
