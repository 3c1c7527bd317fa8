"""Client-chosen idempotency keys (Stripe's and TigerBeetle's semantics).

A replay with the same content returns the first result; the same key with different content
is an error. Call both functions inside the use case's transaction, so the record and the
change commit together.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.domain.access import Actor
from app.domain.errors import IdempotencyConflict, ValidationError
from app.domain.validation import clean_text
from app.models import IdempotencyRecord


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
