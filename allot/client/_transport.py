"""Where to send, how long to wait, when to try again, and how to read what came back.

Retries are for failures that say nothing about the request's fate (a refused connection, a
timeout, 429/502/503/504). They repeat a request only when repeating it is harmless: a read,
or a mutation that carries an idempotency key (the client generates one per call for
recordSpend and reserveSpend; settle and release replay by themselves). A connection that
never opened is retried for anything, since nothing was sent.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from allot.client._errors import (
    AllotUnavailable,
    AuthenticationError,
    RequestError,
    error_from_response,
)

#: Connect quickly or give up; a GraphQL answer may take longer.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "allot-python/0.1"

_MUTATION = re.compile(r"(?:^|[\s};])mutation\b")
#: Nothing left the machine: always safe to try again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str
    token: str
    timeout: httpx.Timeout
    retries: int
    backoff: float
    max_backoff: float

    @classmethod
    def resolve(
        cls,
        url: str | None,
        token: str | None,
        *,
        timeout: float | httpx.Timeout | None,
        retries: int,
        backoff: float,
        max_backoff: float = 5.0,
    ) -> Endpoint:
        """Arguments first, then ALLOT_URL / ALLOT_TOKEN. The base URL may or may not end
        with /graphql."""
        url = url or os.environ.get("ALLOT_URL")
        token = token or os.environ.get("ALLOT_TOKEN")
        if not url:
            raise ValueError("no Allot URL: pass url=… or set ALLOT_URL")
        if not token:
            raise ValueError("no Allot API token: pass token=… or set ALLOT_TOKEN")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        base = url.rstrip("/")
        return cls(
            url=base if base.endswith("/graphql") else f"{base}/graphql",
            token=token,
            timeout=timeout
            if isinstance(timeout, httpx.Timeout)
            else DEFAULT_TIMEOUT
            if timeout is None
            else httpx.Timeout(timeout),
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
        )

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def body(self, query: str, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"query": query, "variables": dict(variables or {})}

    def retry_after(
        self,
        attempt: int,
        *,
        idempotent: bool,
        error: httpx.TransportError | None = None,
        response: httpx.Response | None = None,
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None: do not retry."""
        if attempt >= self.retries:
            return None
        if error is not None:
            if not (idempotent or isinstance(error, _NOT_SENT)):
                return None
        elif response is None or response.status_code not in RETRY_STATUSES or not idempotent:
            return None
        delay = self.backoff * 2**attempt * (0.5 + random.random() / 2)  # jitter: no herds
        hinted = response.headers.get("Retry-After") if response is not None else None
        if hinted is not None and hinted.isdigit():
            delay = max(delay, float(hinted))
        return min(delay, self.max_backoff)

    def unavailable(self, error: httpx.TransportError) -> AllotUnavailable:
        return AllotUnavailable(f"Allot at {self.url} did not answer: {type(error).__name__}")


def is_mutation(query: str) -> bool:
    return _MUTATION.search(query) is not None


def decode(response: httpx.Response) -> dict[str, Any]:
    """The `data` of a GraphQL answer, or the typed error it stands for."""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code == 401:
        message = errors[0].get("message") if errors else "the token was refused"
        raise AuthenticationError(str(message))
    if response.status_code >= 500 or response.status_code in RETRY_STATUSES:
        raise AllotUnavailable(f"Allot answered HTTP {response.status_code}")
    if errors:
        raise error_from_response(errors)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise RequestError(f"Allot answered HTTP {response.status_code} without GraphQL data")
    data: dict[str, Any] = body["data"]
    return data
