"""Client-chosen idempotency keys (Stripe's and TigerBeetle's semantics).

A replay with the same content returns the first result; the same key with different content
is an error. Call both functions inside the use case's transaction, so the record and the
change commit together.

Concurrent requests with one key: without more, each would find no record, make the change
and then all but one would fail on the record's unique key (an IntegrityError, "Unexpected
error" to the client, seen with 8 identical requests at once on PostgreSQL). So on PostgreSQL
`replay` first takes a transaction-scoped advisory lock on (user, operation, key): the second
request waits there until the first commits (or rolls back), then reads its record and returns
the first result. SQLite needs nothing: its writers take turns (one connection per process,
transactions serialised).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.domain.access import Actor
from app.domain.errors import IdempotencyConflict, ValidationError
from app.domain.validation import clean_text
from app.models import IdempotencyRecord
from app.services.sql import fetch, is_postgres


def _lock_id(user_id: int, operation: str, key: str) -> int:
    digest = hashlib.sha256(f"{user_id}\x00{operation}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def _lock(user_id: int, operation: str, key: str) -> None:
    """Serialise requests of one key until the holder's transaction ends (PostgreSQL)."""
    if is_postgres():
        await fetch("SELECT pg_advisory_xact_lock(?) AS locked", _lock_id(user_id, operation, key))


def request_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


async def replay(
    actor: Actor, operation: str, key: str | None, request: dict[str, Any]
) -> int | None:
    """The id of the first result for this key, or None when the key is new."""
    if key is None:
        return None
    if not key.strip() or len(key) > 255:
        raise ValidationError("idempotencyKey", "must be 1 to 255 characters")
    clean_text(key, "idempotencyKey")
    await _lock(actor.user_id, operation, key)
    record = await IdempotencyRecord.get_or_none(
        user_id=actor.user_id, operation=operation, key=key
    )
    if record is None:
        return None
    if record.request_hash != request_hash(request):
        raise IdempotencyConflict(
            f"idempotencyKey {key!r} was used before with different content", field="idempotencyKey"
        )
    return record.result_id


async def remember(
    actor: Actor,
    operation: str,
    key: str | None,
    request: dict[str, Any],
    result_id: int,
    result_kind: str = "",
) -> None:
    if key is None:
        return
    await IdempotencyRecord.create(
        user_id=actor.user_id,
        operation=operation,
        key=key,
        request_hash=request_hash(request),
        result_kind=result_kind or operation,
        result_id=result_id,
    )
