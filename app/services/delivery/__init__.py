"""Delivering outbox events to where people work: Slack, e-mail, webhooks.

The outbox worker (app.services.outbox) fans each event out to one `Delivery` row per
destination (`plan.destinations`) and to the live broadcast; `dispatch.Dispatcher` then sends
each row on its own: its own attempts, error, backoff and cap, a per-call timeout shorter than
the claim lease, and bounded parallelism per destination kind, so a failing or hanging
destination never resends or delays another.

A sender is any object with `channels` (the Delivery channels it serves) and
`async send(event, destination) -> receipt`; optionally `async reconcile(event, destination)
-> receipt | None`, asked first when the previous try may have reached the destination (the
process died or the call timed out after it went out), so a message already there is not sent
again. A sender raises an exception with `permanent = True` for an error no retry can fix
(Slack's channel_not_found): the row is DEAD at once, with the reason.

`event` is the outbox's plain dict ({"id", "kind", "budgetId", "payload", "audience",
"createdAt"}); `destination` is {"id", "channel", "target", "userId", "attempts",
"createdAt"}: the Slack notifier lives in bot/ and sees no ORM rows.
"""

from __future__ import annotations

from typing import Any, Protocol

SLACK_CHANNELS = frozenset({"SLACK_DM", "SLACK_CHANNEL", "SLACK_UPDATE", "SLACK_HOME"})
CHANNELS = (*sorted(SLACK_CHANNELS), "EMAIL", "WEBHOOK", "SINK")
#: Which parallelism budget a channel draws from.
KIND_OF = {
    "SLACK_DM": "slack",
    "SLACK_CHANNEL": "slack",
    "SLACK_UPDATE": "slack",
    "SLACK_HOME": "slack",
    "EMAIL": "email",
    "WEBHOOK": "webhook",
    "SINK": "sink",
}


class Sender(Protocol):
    channels: frozenset[str]

    async def send(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None: ...


class PermanentFailure(Exception):
    """No retry can fix this (a webhook that is gone, an address refused for good)."""

    permanent = True


class CallableSender:
    """A plain `async def sink(event)` (the tests' and older callers' sinks): one delivery
    per event, named after the callable."""

    channels = frozenset({"SINK"})

    def __init__(self, sink: Any, name: str | None = None) -> None:
        self.sink = sink
        self.name = name or getattr(sink, "__qualname__", None) or type(sink).__name__

    async def send(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        await self.sink(event)
        return None


def as_senders(sinks: Any) -> list[Any]:
    """Senders as given, plain callables wrapped (CallableSender)."""
    return [s if hasattr(s, "channels") else CallableSender(s) for s in sinks or ()]
