"""Slack accounts and messages: linking a Slack user to their Allot user, remembering where
a transfer request was posted so its messages can be updated when it is decided, and
remembering which signed Slack requests already arrived so a replay does nothing.

Linking by e-mail trusts the e-mail Slack reports for the user (`users.info`, read with the
bot's token). Only the bot may call it: the GraphQL layer checks that the request came through
the bot (a context built from a verified Slack request), never from an API client.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from app import clock
from app.domain.access import Actor
from app.domain.errors import Conflict, NotFound, ValidationError
from app.models import (
    Alert,
    SlackLinkCode,
    SlackMessage,
    SlackRequestSeen,
    SlackThread,
    TransferRequest,
    User,
)
from app.services.sql import fetch

#: How long a one-time link code stays valid.
LINK_CODE_TTL = timedelta(minutes=15)
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: people type these

#: Slack's signature window: a signed request passes 5 minutes either side of its timestamp.
SIGNATURE_WINDOW = timedelta(minutes=5)
#: How long a seen request is remembered. The window reaches 5 minutes into the future too, so
#: a request that arrived with a timestamp 5 minutes ahead still verifies 10 minutes after it
#: arrived; remembering it for less would let a replay through in the last 5 of them. One
#: minute more covers the clocks of different server hosts disagreeing a little.
REMEMBER_FOR = 2 * SIGNATURE_WINDOW + timedelta(minutes=1)
#: Pruning is one indexed DELETE, run at most this often per process (not on every request).
PRUNE_EVERY = timedelta(minutes=1)
_last_prune: list[datetime | None] = [None]


def _digest(code: str) -> str:
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()


async def _link(user: User, slack_user_id: str, team_id: str | None) -> User:
    """Point `user` at this Slack user; a Slack user belongs to one Allot user only."""
    slack_user_id = slack_user_id.strip()
    if not slack_user_id:
        raise ValidationError("slackUserId", "must not be empty")
    other = await User.filter(slack_user_id=slack_user_id).exclude(id=user.id).first()
    if other is not None:
        raise Conflict("this Slack user is linked to another Allot account", field="slackUserId")
    if user.slack_user_id and user.slack_user_id != slack_user_id:
        raise Conflict(
            "that Allot account is linked to another Slack user; ask an admin to relink it",
            field="slackUserId",
        )
    user.slack_user_id = slack_user_id
    user.slack_team_id = team_id
    try:
        await user.save(update_fields=["slack_user_id", "slack_team_id"])
    except IntegrityError:  # a concurrent link of the same Slack user won
        raise Conflict(
            "this Slack user is linked to another Allot account", field="slackUserId"
        ) from None
    return user


async def link_by_email(*, slack_user_id: str, team_id: str | None, email: str | None) -> User:
    """Link the Slack user to the Allot user with the e-mail Slack verified for them."""
    if not email or "@" not in email:
        raise ValidationError(
            "email", "Slack reports no e-mail for you; link with a one-time code instead"
        )
    user = await User.filter(email=email.strip().lower()).first()
    if user is None:
        raise NotFound("User", email, field="email")
    return await _link(user, slack_user_id, team_id)


async def create_link_code(actor: Actor) -> str:
    """A one-time code for the actor to redeem in Slack with `/allot link CODE`."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    await SlackLinkCode.create(
        user_id=actor.user_id, code_hash=_digest(raw), expires_at=clock.now() + LINK_CODE_TTL
    )
    return f"{raw[:4]}-{raw[4:]}"


async def redeem_link_code(*, slack_user_id: str, team_id: str | None, code: str) -> User:
    """Use a code once: the conditional UPDATE lets exactly one of two racing redemptions win."""
    rows = await fetch(
        "UPDATE slack_link_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL"
        " AND expires_at > ? RETURNING user_id",
        clock.now(),
        _digest(code),
        clock.now(),
    )
    if not rows:
        raise NotFound("link code", code, field="code")
    user = await User.get(id=rows[0]["user_id"])
    return await _link(user, slack_user_id, team_id)


async def record_message(*, transfer_id: int, channel: str, ts: str) -> SlackMessage:
    if not await TransferRequest.exists(id=transfer_id):
        raise NotFound("Transfer", transfer_id, field="transferId")
    message, _ = await SlackMessage.get_or_create(
        channel=channel, ts=ts, defaults={"transfer_id": transfer_id}
    )
    return message


def thread_key(alert: Alert) -> str:
    """The thread an alert belongs in: its envelope (an allocation is one project's envelope in
    one period) or, for a budget-level alert, its budget period."""
    allocation_id = alert.allocation_id  # type: ignore[attr-defined]
    if allocation_id is not None:
        return f"alloc:{allocation_id}"
    return f"period:{alert.period_id}"  # type: ignore[attr-defined]


async def record_alert_thread(*, alert_id: int, channel: str, ts: str) -> SlackThread:
    """Remember the first alert message of the alert's envelope in `channel` (the first one
    recorded stays the thread's start)."""
    alert = await Alert.get_or_none(id=alert_id)
    if alert is None:
        raise NotFound("Alert", alert_id, field="alertId")
    thread, _ = await SlackThread.get_or_create(
        key=thread_key(alert), channel=channel, defaults={"ts": ts}
    )
    return thread


async def alert_threads(alert: Alert) -> list[SlackThread]:
    """Where the alert's envelope already has a thread, one per channel."""
    return await SlackThread.filter(key=thread_key(alert)).order_by("id")


async def messages_for(transfer_id: int) -> list[SlackMessage]:
    return await SlackMessage.filter(transfer_id=transfer_id).order_by("id")


def sighting_digest(key: str) -> str:
    """What is stored for a request key: its SHA-256, so the table holds no signature."""
    return hashlib.sha256(key.encode()).hexdigest()


async def first_sighting(key: str) -> bool:
    """Remember `key` for `REMEMBER_FOR`: True the first time, False if it was already seen.

    One `INSERT … ON CONFLICT DO NOTHING` on the unique digest decides it, so of two server
    processes receiving the same request at the same moment exactly one gets True.
    """
    now = clock.now()
    await _prune(now)
    rows = await fetch(
        "INSERT INTO slack_request_seen (digest, seen_at) VALUES (?, ?)"
        " ON CONFLICT (digest) DO NOTHING RETURNING id",
        sighting_digest(key),
        now,
    )
    return bool(rows)


async def forget_sighting(key: str) -> None:
    """Let `key` through again: its request was not handled (Slack retries it)."""
    await SlackRequestSeen.filter(digest=sighting_digest(key)).delete()


async def _prune(now: datetime) -> None:
    """Drop what no signature window can reach any more, now and then."""
    last = _last_prune[0]
    if last is not None and last <= now < last + PRUNE_EVERY:
        return
    _last_prune[0] = now
    await SlackRequestSeen.filter(seen_at__lt=now - REMEMBER_FOR).delete()
