"""The HTTP door of the Slack bot: `POST /slack/events`, checked here, then handed to Bolt.

What happens to a request, in order:

1. **Signed, or 401.** `X-Slack-Request-Timestamp` must be Unix seconds (digits only) and
   `X-Slack-Signature` `v0=` and 64 lowercase hex digits; slack_sdk's `SignatureVerifier` then
   checks the HMAC of `v0:{timestamp}:{body}` and the 5-minute window. A missing, malformed,
   stale or wrong header gets 401 with a JSON body naming the problem (never a 500), and
   nothing is stored: unsigned junk cannot fill the table below.
2. **Not seen before, or 401.** The request's key `v0:{timestamp}:{signature}` is remembered
   (as a SHA-256 digest) in the database table `slack_request_seen`
   (`app.services.slack.first_sighting`), so every server process sees it. A second arrival of
   the same request is refused with 401 and does nothing. Why timestamp + signature and not
   timestamp + body hash: a verified signature *is* a keyed hash of the timestamp and the
   body, so the pair names the exact request as well as a body hash would, and nobody
   without the secret can make another spelling of it (the header patterns in step 1 leave
   one). Rows are kept for twice the window (plus a minute for clock skew), because the
   window reaches 5 minutes into the future as well; they are pruned now and then (at most
   once a minute per process) by one indexed DELETE.
3. **Slack's own retries.** Slack retries an Events API delivery that got no 2xx within
   3 seconds (up to three times: at once, after 1 and after 5 minutes), adding
   `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`. Slack does not document whether a retry is
   re-signed; one sent 5 minutes later could only pass the 5-minute check with a fresh
   timestamp, and bolt-python keeps no retry state of its own, so both cases are handled:

   - A retry with a fresh timestamp is a new request key, but it carries the same `event_id`:
     the event's key `event:{team_id}:{event_id}` was remembered on the first arrival, so the
     retry is answered 200 and not processed again.
   - A byte-for-byte identical retry is refused like a replay (401): its original was handled.
   - When the first arrival was *not* handled (Bolt raised or answered 5xx), both keys are
     forgotten again, so Slack's retry is handled: a legitimate retry is never lost. (A retry
     that arrives while the first arrival is still running and that then fails is skipped;
     Slack's next retry is handled.)

   The retry headers are not signed, so they are only logged, never trusted. Slash commands
   and interactive payloads are never retried by Slack (the user sees an error and tries
   again, which is a new, newly signed request), so for them a second arrival is a replay.
4. **Bolt.** The request goes to Bolt's `AsyncSlackRequestHandler`; Bolt verifies the
   signature once more (its own verification stays on: a second HMAC costs microseconds and
   keeps the Bolt app safe wherever it is dispatched to without this door).

Slack's SSL check of the URL (a form body with `ssl_check=1`) is answered 200 before anything
else, unsigned and unremembered, as Bolt itself answers it before verifying: nothing runs for it.

Socket Mode does not come through here: its events arrive over a WebSocket the server opened
with the app token, not as signed HTTP requests.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.services import slack as slack_service

logger = logging.getLogger("allot.slack.http")

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """Not a verified Slack request; the message says why (it goes into the 401 body)."""


@dataclass(frozen=True)
class Signed:
    """A request whose signature verified: what it is remembered by."""

    timestamp: str
    signature: str

    @property
    def key(self) -> str:
        return f"v0:{self.timestamp}:{self.signature}"


def verify(verifier: SignatureVerifier, headers: Headers, body: bytes) -> Signed:
    """The request's signature headers, checked; `Refused` says what is wrong."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise Refused("missing X-Slack-Request-Timestamp or X-Slack-Signature header")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused("X-Slack-Request-Timestamp is not a Unix time in seconds")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused("X-Slack-Signature is not a v0 signature")
    window = slack_service.SIGNATURE_WINDOW.total_seconds()
    if abs(verifier.clock.now() - int(timestamp)) > window:
        raise Refused("X-Slack-Request-Timestamp is outside the 5-minute window")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the body is not UTF-8") from None
    if not verifier.is_valid(text, timestamp, signature):
        raise Refused("invalid signature")
    return Signed(timestamp, signature)


def event_key(body: bytes) -> str | None:
    """`event:{team}:{event_id}` for an Events API delivery (the same on Slack's retries)."""
    if not body.lstrip().startswith(b"{"):
        return None  # slash commands and interactivity are form bodies, and never retried
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "event_callback":
        return None
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return None
    return f"event:{payload.get('team_id') or ''}:{event_id}"


def is_ssl_check(body: bytes) -> bool:
    """Slack checking the URL's certificate: Bolt answers it 200 and runs no listener."""
    if body.lstrip().startswith(b"{"):
        return False
    return ("ssl_check", "1") in parse_qsl(body.decode("latin-1"))  # any bytes decode as latin-1


def refused(reason: str) -> Response:
    return JSONResponse({"error": "invalid_request", "message": reason}, status_code=401)


class SlackDoor:
    """Verify, remember, then hand to Bolt; see the module docstring for the rules."""

    def __init__(self, handler: Any, verifier: SignatureVerifier) -> None:
        self.handler = handler
        self.verifier = verifier

    async def handle(self, request: Request) -> Response:
        body = await request.body()  # Starlette keeps it: Bolt's handler reads it again
        if is_ssl_check(body):
            return Response(status_code=200)
        try:
            signed = verify(self.verifier, request.headers, body)
        except Refused as exc:
            logger.info("refused a Slack request: %s", exc)
            return refused(str(exc))
        if not await slack_service.first_sighting(signed.key):
            logger.warning("refused a replayed Slack request (timestamp %s)", signed.timestamp)
            return refused("this request was already received; a replay is refused")
        keys = [signed.key]
        event = event_key(body)
        if event is not None:
            if not await slack_service.first_sighting(event):
                return _already_had(request, event)
            keys.append(event)
        return await self._hand_to_bolt(request, keys)

    async def _hand_to_bolt(self, request: Request, keys: list[str]) -> Response:
        """Bolt's answer; if Bolt did not handle the request, Slack's retry must be let in."""
        try:
            response: Response = await self.handler.handle(request)
        except Exception:
            await _forget(keys)
            raise
        if response.status_code >= 500:
            await _forget(keys)
        return response


def _already_had(request: Request, event: str) -> Response:
    """A retry of an event that was handed to Bolt already: 2xx, so Slack stops retrying."""
    logger.info(
        "Slack event %s arrived again (retry %s, %s); not processed twice",
        event,
        request.headers.get("x-slack-retry-num"),
        request.headers.get("x-slack-retry-reason"),
    )
    return Response(status_code=200)


async def _forget(keys: list[str]) -> None:
    for key in keys:
        await slack_service.forget_sighting(key)


def slack_routes(slack_app: Any, *, signing_secret: str) -> list[Route]:
    """`POST /slack/events`: checked by `SlackDoor`, then handled by Bolt."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

    if not signing_secret.strip():
        raise RuntimeError("the Slack events route needs ALLOT_SLACK_SIGNING_SECRET")
    verifier = SignatureVerifier(signing_secret)
    door = SlackDoor(AsyncSlackRequestHandler(slack_app), verifier)
    return [Route("/slack/events", door.handle, methods=["POST"])]
