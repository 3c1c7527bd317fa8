"""Sending due deliveries: claim with a lease, call the sender with a timeout, record the outcome.

- **Claim**: a conditional UPDATE (one per pass, for every row free slots allow) moves due rows
  to SENDING with `next_attempt_at` = now + lease; whoever's UPDATE matched a row owns it. A
  row still SENDING after its lease belonged to a worker that died: it is claimed again with
  `uncertain` set, and the sender reconciles first.
- **Isolation**: each row has its own attempts and error; parallel calls are bounded per kind
  (Slack, e-mail, webhooks) and per destination (one call at a time to a Slack conversation or
  an address, half the webhook slots to one endpoint), so a hanging destination holds a few
  slots of its kind for at most the timeout and nothing else.
- **Timeout** < lease: a call that times out may have gone through, so the row is retried
  with `uncertain` set (reconcile before resending) — never left to a second worker mid-call.
- **Cap**: after `delivery_max_attempts` tries or `delivery_max_age_hours`, or at once on a
  permanent error, the row is DEAD with its reason (admins: `deliveries(state: DEAD)`,
  `retryDelivery`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from app import clock
from app.services.delivery import KIND_OF, CallableSender
from app.services.sql import execute, fetch
from app.settings import Settings, get_settings

logger = logging.getLogger("allot.delivery")

#: How long a claim holds; every call's timeout is kept well below it.
LEASE = timedelta(seconds=120)
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 3600.0


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, … capped at an hour, after the n-th failed attempt."""
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


def _count(channel: str, outcome: str) -> None:
    try:
        from app.metrics import count_delivery
    except ImportError:  # pragma: no cover - metrics are optional
        return
    count_delivery(channel, outcome)


def as_datetime(value: Any) -> datetime | None:
    """A timestamp read with raw SQL (SQLite hands back text)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_event(row: dict[str, Any]) -> dict[str, Any]:
    payload = row["payload"]
    if isinstance(payload, (str, bytes)):
        payload = json.loads(payload)
    audience = row.get("audience")
    if isinstance(audience, (str, bytes)):
        audience = json.loads(audience)
    created = row["created_at"]
    return {
        "id": int(row["id"]),
        "kind": row["kind"],
        "budgetId": row["budget_id"],
        "payload": payload,
        "audience": audience,
        "createdAt": created.isoformat() if hasattr(created, "isoformat") else str(created),
    }


class Dispatcher:
    """Sends due deliveries through `senders`; one per worker, kept across passes."""

    def __init__(self, senders: list[Any], settings: Settings | None = None) -> None:
        settings = settings or get_settings()
        self.timeout = min(settings.delivery_timeout_seconds, LEASE.total_seconds() / 4)
        self.max_attempts = settings.delivery_max_attempts
        self.max_age = timedelta(hours=settings.delivery_max_age_hours)
        self.limits = {
            "slack": settings.delivery_slack_concurrency,
            "email": settings.delivery_email_concurrency,
            "webhook": settings.delivery_webhook_concurrency,
            "sink": 4,
        }
        self.by_channel: dict[str, Any] = {}
        self.sinks: dict[str, Any] = {}
        for sender in senders:
            if isinstance(sender, CallableSender):
                self.sinks[sender.name] = sender
            else:
                for channel in sender.channels:
                    self.by_channel[channel] = sender
        #: Calls in flight to one destination at a time: one to a Slack conversation (its
        #: messages stay in order, within Slack's per-channel rate) or an e-mail address; a
        #: webhook endpoint takes several (half its kind's slots), else one endpoint answering
        #: in 50 ms could never take more than 20 events a second. A hanging destination holds
        #: at most these slots of its kind, for at most the timeout.
        self.per_target = {
            "slack": 1,
            "email": 1,
            "webhook": max(1, settings.delivery_webhook_concurrency // 2),
            "sink": 1,
        }
        self.inflight: Counter[str] = Counter()
        self.targets: Counter[tuple[str, str]] = Counter()
        self.tasks: set[asyncio.Task[bool]] = set()
        #: Set whenever a send ends: a slot is free again.
        self.wakeup = asyncio.Event()

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self.by_channel) | (frozenset({"SINK"}) if self.sinks else frozenset())

    def _sender(self, channel: str, target: str) -> Any:
        return self.sinks.get(target) if channel == "SINK" else self.by_channel.get(channel)

    def _scope(self) -> tuple[str, list[Any]]:
        """SQL limiting rows to what this dispatcher can send."""
        parts, params = [], []
        channels = sorted(self.by_channel)
        if channels:
            parts.append(f"channel IN ({', '.join('?' * len(channels))})")
            params += channels
        if self.sinks:
            names = sorted(self.sinks)
            parts.append(f"(channel = 'SINK' AND target IN ({', '.join('?' * len(names))}))")
            params += names
        return "(" + " OR ".join(parts) + ")", params

    async def _claim(self, ids: list[int], now: datetime) -> list[dict[str, Any]]:
        """Claim these rows if they are still due, in one statement: those returned are ours
        (another worker's claim moved the others' `next_attempt_at` past now)."""
        if not ids:
            return []
        rows = await fetch(
            "UPDATE delivery SET state = 'SENDING', attempts = attempts + 1,"
            " next_attempt_at = ?,"
            " uncertain = CASE WHEN state = 'SENDING' THEN TRUE ELSE uncertain END"
            f" WHERE id IN ({', '.join('?' * len(ids))})"
            " AND state IN ('PENDING', 'SENDING') AND next_attempt_at <= ?"
            " RETURNING id, event_id, channel, target, user_id, attempts, uncertain, created_at",
            now + LEASE,
            *ids,
            now,
        )
        return sorted(rows, key=lambda r: int(r["id"]))

    async def start_due(self, limit: int = 100) -> int:
        """Claim what is due and free slots allow; start a task for each. Returns how many."""
        if not (self.by_channel or self.sinks):
            return 0
        now = clock.now()
        where, params = self._scope()
        due = await fetch(
            "SELECT id, channel, target FROM delivery WHERE state IN ('PENDING', 'SENDING')"
            f" AND next_attempt_at <= ? AND {where} ORDER BY next_attempt_at, id LIMIT ?",
            now,
            *params,
            limit,
        )
        picked: list[dict[str, Any]] = []
        for row in due:
            kind = KIND_OF.get(row["channel"], "sink")
            key = (row["channel"], row["target"])
            if (
                self.inflight[kind] >= self.limits[kind]
                or self.targets[key] >= self.per_target[kind]
            ):
                continue  # its kind is busy, or this destination has its calls in flight
            self.inflight[kind] += 1  # held for it while it is claimed
            self.targets[key] += 1
            picked.append(row)
        claimed = {int(r["id"]): r for r in await self._claim([int(r["id"]) for r in picked], now)}
        started = 0
        for row in picked:
            kind = KIND_OF.get(row["channel"], "sink")
            key = (row["channel"], row["target"])
            mine = claimed.get(int(row["id"]))
            if mine is None:  # another worker took it: give its slot back
                self._release(kind, key)
                continue
            task = asyncio.ensure_future(self._run(mine, kind, key))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            started += 1
        return started

    def _release(self, kind: str, key: tuple[str, str]) -> None:
        self.inflight[kind] -= 1
        self.targets[key] -= 1
        if self.targets[key] <= 0:
            del self.targets[key]

    async def _run(self, row: dict[str, Any], kind: str, key: tuple[str, str]) -> bool:
        try:
            return await self._deliver(row)
        except Exception:  # bookkeeping failed (database trouble): the lease brings it back
            logger.exception("delivery %s: recording the outcome failed", row["id"])
            return False
        finally:
            self._release(kind, key)
            self.wakeup.set()

    async def _deliver(self, row: dict[str, Any]) -> bool:
        events = await fetch(
            "SELECT id, kind, budget_id, payload, audience, created_at FROM outbox_event"
            " WHERE id = ?",
            row["event_id"],
        )
        sender = self._sender(row["channel"], row["target"])
        if not events or sender is None:
            await self._fail(row, "the event or its sender is gone", permanent=True)
            return False
        event = as_event(events[0])
        created = row["created_at"]
        destination = {
            "id": int(row["id"]),
            "channel": row["channel"],
            "target": row["target"],
            "userId": row["user_id"],
            "attempts": int(row["attempts"]),
            "createdAt": created.isoformat() if hasattr(created, "isoformat") else str(created),
        }
        try:
            receipt = None
            if row["uncertain"] and hasattr(sender, "reconcile"):
                receipt = await asyncio.wait_for(sender.reconcile(event, destination), self.timeout)
                if receipt is not None:
                    await self._done(row, receipt, "reconciled")
                    return True
            receipt = await asyncio.wait_for(sender.send(event, destination), self.timeout)
        except TimeoutError:
            await self._fail(row, f"timed out after {self.timeout:g} s", uncertain=True)
            return False
        except Exception as exc:
            permanent = bool(getattr(exc, "permanent", False))
            await self._fail(row, f"{type(exc).__name__}: {exc}", permanent=permanent)
            return False
        await self._done(row, receipt, "delivered")
        return True

    async def _done(self, row: dict[str, Any], receipt: str | None, outcome: str) -> None:
        await execute(
            "UPDATE delivery SET state = 'DELIVERED', delivered_at = ?, receipt = ?,"
            " last_error = NULL, uncertain = FALSE WHERE id = ? AND state <> 'DELIVERED'",
            clock.now(),
            None if receipt is None else str(receipt)[:200],
            row["id"],
        )
        _count(row["channel"], outcome)

    async def _fail(
        self, row: dict[str, Any], error: str, *, permanent: bool = False, uncertain: bool = False
    ) -> None:
        now = clock.now()
        attempts = int(row["attempts"])
        created = as_datetime(row["created_at"])
        too_old = created is not None and now - created >= self.max_age
        error = error[:2000]
        if permanent or attempts >= self.max_attempts or too_old:
            why = "permanent error" if permanent else f"gave up after {attempts} attempts"
            logger.warning("delivery %s DEAD (%s): %s", row["id"], why, error)
            await execute(
                "UPDATE delivery SET state = 'DEAD', last_error = ?, dead_reason = ?,"
                " uncertain = ? WHERE id = ? AND state = 'SENDING' AND attempts = ?",
                error,
                f"{why}: {error}"[:2000],
                uncertain,
                row["id"],
                attempts,
            )
            _count(row["channel"], "dead")
            return
        logger.info("delivery %s failed, attempt %s: %s", row["id"], attempts, error)
        await execute(
            "UPDATE delivery SET state = 'PENDING', next_attempt_at = ?, last_error = ?,"
            " uncertain = ? WHERE id = ? AND state = 'SENDING' AND attempts = ?",
            now + backoff(attempts),
            error,
            uncertain,
            row["id"],
            attempts,
        )
        _count(row["channel"], "failed")

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the calls in flight (each ends within the per-call timeout)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)

    async def run_once(self, limit: int = 100) -> int:
        """Send everything due now and wait for it (one target's rows one after another):
        how many were delivered. For tests and one-shot runs; the worker uses start_due."""
        delivered = handled = 0
        while handled < limit:
            before = set(self.tasks)
            if not await self.start_due(limit - handled):
                break
            mine = [t for t in self.tasks if t not in before]
            handled += len(mine)
            results = await asyncio.gather(*mine, return_exceptions=True)
            delivered += sum(1 for r in results if r is True)
        return delivered
