"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): which media type an answer
is written in, and which status code it gets. app.server's AllotGraphQL applies these rules
around Strawberry; graphql-http's audit suite checks them (tests/e2e/test_graphql_http_audit.py).

- The `Accept` header picks `application/graphql-response+json` or `application/json` (the
  default, for a missing header and for `*/*`). A request that accepts neither gets 406 before
  anything runs: the spec's recommended choice, over answering in a type the client refused.
- A *request error* -- the document does not parse or validate, the variables do not coerce,
  a limit of schema/limits.py refuses it -- means nothing was executed: the answer has no
  `data` entry, and its status is 400 under `application/graphql-response+json`, 200 under
  `application/json` (where legacy clients expect 200 for every GraphQL answer).
- A result of execution (data, possibly with field errors) is always 200.
- GET runs queries only (405 for a mutation, with `Allow: POST`); subscriptions are served over
  the WebSocket at the same path (graphql-transport-ws), never over plain HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
#: What /graphql can answer in, the default first.
SUPPORTED = (JSON, GRAPHQL_RESPONSE_JSON)


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    index: int

    def specificity(self, media: str) -> int:
        """2 for an exact match, 1 for `type/*`, 0 for `*/*`, -1 when it does not match."""
        wanted_type, _, wanted_subtype = media.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != wanted_type:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == wanted_subtype else -1


def _ranges(accept: str) -> list[_Range]:
    ranges = []
    for index, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(_Range(kind, sub, q, index))
    return ranges


def negotiate(accept: str | None, supported: Sequence[str] = SUPPORTED) -> str | None:
    """The media type to answer in, or None when the client accepts none we can write.

    Per RFC 9110 §12.5.1 the most specific range that matches a type gives its quality; among
    equal qualities an exact mention beats a wildcard, then the one listed first wins, then the
    order of `supported` (so `*/*` alone means application/json)."""
    if accept is None or not accept.strip():
        return supported[0]
    ranges = _ranges(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for rank, media in enumerate(supported):
        matches = [(r.specificity(media), r) for r in ranges]
        matches = [(s, r) for s, r in matches if s >= 0]
        if not matches:
            continue
        specificity, winner = max(matches, key=lambda m: (m[0], -m[1].index))
        if winner.q <= 0:
            continue
        key = (winner.q, specificity, -winner.index, -rank)
        if best is None or key > best:
            best, chosen = key, media
    return chosen


def is_request_error(result: Any) -> bool:
    """True when nothing was executed: no data, and no error points at a field (field errors
    always carry a `path`; parse, validation, coercion and limit errors never do)."""
    errors = getattr(result, "errors", None)
    if getattr(result, "data", None) is not None or not errors:
        return False
    return all(getattr(error, "path", None) is None for error in errors)


def status_for(media: str, request_error: bool) -> int:
    return 400 if request_error and media == GRAPHQL_RESPONSE_JSON else 200


def content_type(media: str) -> str:
    return f"{media}; charset=utf-8"
