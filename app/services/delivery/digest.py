"""Daily and weekly digests: alerts a person asked to get in one message.

The fan-out writes a `DigestItem` per alert, person and channel instead of a delivery. After
each digest boundary (ALLOT_DIGEST_HOUR_UTC every day; Mondays for weekly ones) this makes one
`alert.digest` outbox event per person and channel holding every item from before the boundary
— with a dedupe key per boundary, in one transaction with marking the items, so a digest is
made once however many processes run the pass — and it is delivered like any event (its own
delivery row, retries, DEAD).

Budget channel digests (ALLOT_SLACK_CHANNEL_DIGEST: DAILY or WEEKLY) come from the same pass:
after each boundary, one `budget.digest` event per budget with a Slack channel (not
archived), naming the envelopes that spent most since the previous boundary
(the top movers, from the per-day spend rows), dedupe key per budget and boundary. The Slack
notifier reads the rest (spent, pace, pending requests) when it posts, within the budget's
slackPrivacy.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import EventAudience
from app.models import Alert, Budget, DigestItem, OutboxEvent, SpendDaily
from app.services.events import emit
from app.settings import get_settings

#: How many envelopes a budget channel digest names as its top movers.
TOP_MOVERS = 3
_SPAN = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(days=7)}


def boundary(now: datetime, frequency: str, hour: int) -> datetime:
    """The latest digest time at or before `now` (UTC)."""
    mark = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if mark > now:
        mark -= timedelta(days=1)
    if frequency == "WEEKLY":
        mark -= timedelta(days=mark.weekday())  # back to Monday
    return mark


async def send_due(now: datetime | None = None) -> int:
    """Make the digests whose boundary has passed; returns how many were made."""
    now = now or clock.now()
    hour = get_settings().digest_hour_utc
    made = 0
    for frequency in ("DAILY", "WEEKLY"):
        until = boundary(now, frequency, hour)
        items = await DigestItem.filter(
            frequency=frequency, batched_at=None, created_at__lt=until
        ).order_by("id")
        groups: dict[tuple[int, str], list[DigestItem]] = defaultdict(list)
        for item in items:
            groups[(item.user_id, item.channel)].append(item)
        for (user_id, channel), group in groups.items():
            # One line per alert (an escalated alert has an item per event; its message is the
            # latest), in the order they were first raised.
            alert_ids = list(dict.fromkeys(i.alert_id for i in group))  # type: ignore[attr-defined]
            alerts = {a.id: a for a in await Alert.filter(id__in=alert_ids)}
            async with in_transaction():
                claimed = await DigestItem.filter(
                    id__in=[i.id for i in group], batched_at=None
                ).update(batched_at=now)
                if not claimed:
                    continue  # another process made this digest
                await emit(
                    "alert.digest",
                    {
                        "userId": user_id,
                        "channel": channel,
                        "frequency": frequency,
                        "alertIds": alert_ids,
                        "lines": [alerts[a].message for a in alert_ids if a in alerts],
                        "until": until.isoformat(),
                    },
                    dedupe_key=f"digest:{user_id}:{channel}:{frequency}:{until.isoformat()}",
                )
                made += 1
    made += await channel_digests_due(now)
    return made


async def channel_digests_due(
    now: datetime | None = None, frequency: str | None = None, hour: int | None = None
) -> int:
    """The budget channel digests whose boundary has passed: one `budget.digest` event per
    budget with a Slack channel and boundary; returns how many were made."""
    settings = get_settings()
    now = now or clock.now()
    frequency = (frequency if frequency is not None else settings.slack_channel_digest).upper()
    if frequency not in _SPAN:
        return 0
    until = boundary(now, frequency, settings.digest_hour_utc if hour is None else hour)
    since = until - _SPAN[frequency]
    made = 0
    budgets = await Budget.filter(slack_channel__isnull=False, archived_at=None).exclude(
        slack_channel=""
    )
    for budget in budgets:
        key = f"channel-digest:{budget.id}:{frequency}:{until.isoformat()}"
        if await OutboxEvent.exists(dedupe_key=key):
            continue  # made already (this process or another)
        movers = await (
            SpendDaily.filter(
                allocation__budget_id=budget.id, day__gte=since.date(), day__lt=until.date()
            )
            .annotate(total=Sum("amount_micros"))
            .group_by("allocation_id")
            .order_by("-total")
            .limit(TOP_MOVERS * 2)
            .values("allocation_id", "total")
        )
        event = await emit(
            "budget.digest",
            {
                "frequency": frequency,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "movers": [
                    {"allocationId": m["allocation_id"], "spentMicros": int(m["total"] or 0)}
                    for m in movers
                    if int(m["total"] or 0) > 0
                ][:TOP_MOVERS],
            },
            budget_id=budget.id,
            dedupe_key=key,
            audience=EventAudience(owners_only=True),
        )
        made += event is not None
    return made
