"""The HTTP and WebSocket doors of a real server (uvicorn in a subprocess): oversized and
unreadable bodies are refused before they are parsed, credentials that authenticate nobody get
401, a WebSocket authenticates only through `connection_init`, the pages carry their security
headers, and /metrics needs its own token."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live import LiveServer, allot
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.server import create_app
from app.services.actor_cache import TTL_SECONDS
from app.settings import Settings
from schema.limits import RequestLimits, variable_errors

MiB = 1024 * 1024
LIMIT = Settings().max_body_bytes
JSON = {"content-type": "application/json"}


def post(server: LiveServer, body: bytes | Iterator[bytes], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/graphql", content=body, headers={**JSON, **headers}, timeout=60
    )


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body without Content-Length: httpx sends it chunked."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code, error
    return dict(error)


# --- body size ------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413_before_it_is_parsed(live_server: LiveServer) -> None:
    # Not even JSON: a parser would have answered 400.
    too_big = b"{" + b" " * (LIMIT + 1)
    for body in (too_big, chunks(too_big)):  # declared by Content-Length, and streamed
        error = refused(post(live_server, body), 413, "PAYLOAD_TOO_LARGE")
        assert error["extensions"]["limit"] == LIMIT
        assert f"{LIMIT:,} bytes" in error["message"] and "ALLOT_MAX_BODY_BYTES" in error["message"]
    twenty = json.dumps({"query": "{ __typename }", "variables": {"x": "a" * 20 * MiB}}).encode()
    refused(post(live_server, twenty), 413, "PAYLOAD_TOO_LARGE")
    # Just under the limit, declared or streamed, goes through.
    within = b'{"query": "{ __typename }"' + b" " * (LIMIT - 100) + b"}"
    for body in (within, chunks(within)):
        response = post(live_server, body)
        assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}


def test_a_realistic_batch_of_ten_thousand_spends_fits_every_limit() -> None:
    items = [
        {
            "projectId": "prj_1234",
            "budgetId": "bud_56",
            "amount": "1234.567891",
            "currency": "USD",
            "service": "aws-ec2",
            "description": f"g5.2xlarge on-demand, us-east-1, training run {n} of the ablation",
            "occurredAt": "2026-03-15T12:34:56Z",
            "externalId": f"cur-2026-03-{n:08d}",
            "idempotencyKey": f"nightly-import-2026-03-15-{n:08d}",
            "usage": [{"unit": "hour", "quantity": "2.5"}],
        }
        for n in range(10_000)
    ]
    mutation = "mutation($input: RecordSpendsInput!) { recordSpends(input: $input) { __typename } }"
    body = json.dumps({"query": mutation, "variables": {"input": {"items": items}}}).encode()
    assert 2 * MiB < len(body) < LIMIT, len(body)
    assert (
        variable_errors({"input": {"items": items}}, RequestLimits.from_settings(Settings())) == []
    )


# --- unreadable bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            b'{"query": "{ __typename }", "variables": {"a": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            "nested too deeply",
        ),
        (b'{"query": "{ __typename }", "variables": {"a": ' + b"9" * 5000 + b"}}", "digits"),
    ],
    ids=["nested-body", "nested-variables", "huge-number"],
)
def test_json_the_parser_gives_up_on_is_a_400_not_a_500(
    live_server: LiveServer, body: bytes, reason: str
) -> None:
    error = refused(post(live_server, body), 400, "BAD_REQUEST")
    assert reason in error["message"]


def test_variables_nested_deep_but_parseable_are_a_graphql_error(live_server: LiveServer) -> None:
    query = "query($a: Decimal) { __typename }"
    body = json.dumps({"query": query, "variables": {"a": json.loads("[" * 500 + "]" * 500)}})
    response = post(live_server, body.encode())
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "VARIABLES_TOO_DEEP"


# --- authentication -------------------------------------------------------------------------

VIEWER = {"query": "{ viewer { name } }"}


def test_credentials_that_authenticate_nobody_get_401(live_server: LiveServer) -> None:
    url = f"{live_server.url}/graphql"
    for header in ("Bearer allot_not-a-real-token", "Basic YWRhOnNlY3JldA==", "Bearer"):
        response = httpx.post(url, json=VIEWER, headers={"Authorization": header})
        error = refused(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"].startswith("Bearer"), header
        assert "invalid token" in error["message"]  # what the dashboard recognises

    anonymous = httpx.post(url, json=VIEWER)
    assert anonymous.status_code == 200
    assert "authentication required" in anonymous.json()["errors"][0]["message"]

    made = live_server.graphql(
        """mutation { createUser(input: {name: "Bob", email: "bob@example.org"}) {
        ... on UserCreated { token } } }"""
    )
    bob = made["createUser"]["token"]
    assert live_server.graphql("{ viewer { name } }", token=bob) == {"viewer": {"name": "Bob"}}
    assert allot(live_server.env, "tokens", "revoke", "--email", "bob@example.org").returncode == 0
    # Revoked in another process (the CLI): the server's token cache lets it go within its TTL
    # (app.services.actor_cache; a revoke through the API itself takes effect at once).
    revoked_at = time.monotonic()
    while True:
        revoked = httpx.post(url, json=VIEWER, headers={"Authorization": f"Bearer {bob}"})
        if revoked.status_code == 401 or time.monotonic() - revoked_at > TTL_SECONDS + 1:
            break
        time.sleep(0.1)
    refused(revoked, 401, "UNAUTHENTICATED")


def ws_url(server: LiveServer, query: str = "") -> str:
    return server.url.replace("http://", "ws://") + "/graphql" + query


def ws_operation(url: str, init: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """One operation over graphql-transport-ws: its first `next` (or `error`) message."""
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        return dict(json.loads(ws.recv(timeout=10)))


def test_a_websocket_authenticates_only_through_connection_init(live_server: LiveServer) -> None:
    in_url = ws_operation(ws_url(live_server, f"?token={live_server.token}"), {}, VIEWER)
    assert in_url["type"] == "next"
    assert "authentication required" in in_url["payload"]["errors"][0]["message"]
    in_init = ws_operation(
        ws_url(live_server), {"Authorization": f"Bearer {live_server.token}"}, VIEWER
    )
    assert in_init["payload"] == {"data": {"viewer": {"name": "Ada Admin"}}}


def test_a_websocket_message_over_the_limit_closes_the_connection(
    live_server: LiveServer,
) -> None:
    # live_server runs plain `uvicorn` (its ws_max_size is 16 MiB): the app refuses it.
    payload = {"query": "{ __typename }", "variables": {"x": "a" * (LIMIT + 1)}}
    with pytest.raises(ConnectionClosed) as closed:
        ws_operation(ws_url(live_server), {}, payload)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    small = ws_operation(ws_url(live_server), {}, {"query": "{ __typename }"})
    assert small["payload"] == {"data": {"__typename": "Query"}}


# --- headers --------------------------------------------------------------------------------


def _policy(response: httpx.Response) -> dict[str, str]:
    directives = (d.strip() for d in response.headers["content-security-policy"].split(";"))
    return dict(d.split(" ", 1) if " " in d else (d, "") for d in directives if d)


def test_the_pages_carry_a_content_security_policy_and_every_response_nosniff(
    live_server: LiveServer,
) -> None:
    page = httpx.get(f"{live_server.url}/")
    policy = _policy(page)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"

    graphiql = httpx.get(f"{live_server.url}/graphql", headers={"accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    policy = _policy(graphiql)
    assert policy["default-src"] == "'none'"
    assert graphiql.headers["x-frame-options"] == "DENY"
    assert graphiql.headers["referrer-policy"] == "no-referrer"
    # Exactly what the page loads: its scripts are all Allot's own (app/graphiql, no CDN),
    # and it has no inline script for a hash or 'unsafe-inline' to allow.
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', graphiql.text)
    assert sources and all(s.startswith("graphiql/") for s in sources)
    assert re.findall(r"<script>(.*?)</script>", graphiql.text, re.S) == []
    assert policy["script-src"] == "'self'"
    assert "unsafe" not in graphiql.headers["content-security-policy"]

    for response in (
        page,
        graphiql,
        httpx.get(f"{live_server.url}/healthz"),
        httpx.get(f"{live_server.url}/dashboard/app.js"),
        httpx.post(f"{live_server.url}/graphql", json={"query": "{ __typename }"}),
        httpx.get(f"{live_server.url}/nowhere"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url


# --- /metrics -------------------------------------------------------------------------------


def test_metrics_are_off_without_their_token(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/metrics")
    error = refused(response, 404, "NOT_FOUND")
    assert "ALLOT_METRICS_TOKEN" in error["message"]


async def test_metrics_need_their_bearer_token(database: str) -> None:
    app = create_app(Settings(metrics_token="m3trics"), init_database=False, workers=[])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://allot.test") as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "m3trics"}):
            response = await client.get("/metrics", headers=headers)
            refused(response, 401, "UNAUTHENTICATED")
            assert response.headers["www-authenticate"].startswith("Bearer")
        ok = await client.get("/metrics", headers={"Authorization": "Bearer m3trics"})
        assert ok.status_code == 200 and "# TYPE" in ok.text
