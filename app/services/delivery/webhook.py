"""Webhooks: events as signed JSON over HTTP(S) (docs/webhooks.md).

The body is the event ({"id": "evt_12", "type": "alert.raised", "createdAt", "budgetId",
"data"}, ids as the API spells them, money as decimal strings). Headers:

- `Allot-Signature: t=<unix time>,v1=<hex>` — HMAC-SHA256 with the webhook's secret over
  `<t>.<body>`; during a rotation's grace period a second `v1=` signs with the previous secret.
- `Idempotency-Key: dlv_<delivery id>` — the same on every retry of this delivery, and
  `Allot-Event-Id: evt_<event id>`: a receiver that records either sees a retry as a repeat.

2xx is delivered; 408, 425, 429 and 5xx (and timeouts) are retried with backoff; any other
status is permanent (DEAD at once: the endpoint says the request is wrong).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from app import clock
from app.domain.errors import ValidationError
from app.models import Webhook
from app.services.delivery import PermanentFailure

#: The API's id prefixes (schema.ids) for the ids an event payload holds.
_ID_PREFIX = {
    "alertId": "alr",
    "allocationId": "alc",
    "budgetId": "bud",
    "spendId": "spd",
    "transferId": "trf",
    "periodId": "per",
    "nextPeriodId": "per",
    "reservationId": "rsv",
}
_MONEY = frozenset({"amount", "held"})
RETRY_STATUSES = frozenset({408, 425, 429})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> str:
    """HTTPS, or plain HTTP to this machine only (a local receiver); nothing else."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > 2000 or not parts.hostname:
        raise ValidationError("url", "must be an absolute http(s) URL of at most 2000 characters")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return url
    raise ValidationError("url", "must use https (plain http only to 127.0.0.1 or localhost)")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secrets_: list[str], header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (docs/webhooks.md): the timestamp is recent and one v1 matches."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if not stamps or not stamps[0].isdigit() or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    given = [v for k, v in parts if k == "v1"]
    return any(
        hmac.compare_digest(signature(s, int(stamps[0]), body), g) for s in secrets_ for g in given
    )


def public_data(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _ID_PREFIX and isinstance(value, int) and not isinstance(value, bool):
            out[key] = f"{_ID_PREFIX[key]}_{value}"
        elif key in _MONEY and isinstance(value, int) and not isinstance(value, bool):
            out[key] = str(Decimal(value).scaleb(-6).normalize())
        else:
            out[key] = value
    return out


def body_of(event: dict[str, Any], delivery_id: int) -> bytes:
    budget = event.get("budgetId")
    document = {
        "id": f"evt_{event['id']}",
        "type": event["kind"],
        "createdAt": event.get("createdAt"),
        "budgetId": None if budget is None else f"bud_{budget}",
        "deliveryId": f"dlv_{delivery_id}",
        "data": public_data(event.get("payload") or {}),
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()


class WebhookSender:
    channels = frozenset({"WEBHOOK"})

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self.client = client or httpx.AsyncClient(follow_redirects=False)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        hook = await Webhook.get_or_none(id=int(destination["target"]))
        if hook is None or hook.disabled_at is not None:
            raise PermanentFailure("the webhook was deleted")
        body = body_of(event, destination["id"])
        stamp = int(time.time())
        signs = [signature(hook.secret, stamp, body)]
        expires = hook.previous_secret_expires_at
        if hook.previous_secret and expires is not None and expires > clock.now():
            signs.append(signature(hook.previous_secret, stamp, body))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Allot-Webhooks/1",
            "Allot-Signature": ",".join([f"t={stamp}", *(f"v1={s}" for s in signs)]),
            "Allot-Event-Id": f"evt_{event['id']}",
            "Idempotency-Key": f"dlv_{destination['id']}",
        }
        response = await self.client.post(hook.url, content=body, headers=headers)
        status = response.status_code
        if 200 <= status < 300:
            return f"HTTP {status}"
        if status in RETRY_STATUSES or status >= 500:
            raise RuntimeError(f"webhook answered HTTP {status}")
        raise PermanentFailure(f"webhook answered HTTP {status}")
