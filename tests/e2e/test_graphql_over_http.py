"""/graphql by the GraphQL-over-HTTP spec, for what graphql-http's audit suite does not check
(tests/e2e/test_graphql_http_audit.py does the rest): 405 with `Allow` for a mutation by GET,
406 before anything runs, 415 for a body that is not JSON, subscriptions only over WebSocket,
no `data` entry when nothing ran. Over ASGI against the real app; no Node.js needed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.models import Project
from app.server import create_app
from app.settings import Settings

GQL_RESPONSE = "application/graphql-response+json"
CREATE_PROJECT = 'mutation { createProject(input: {name: "Via HTTP"}) { __typename } }'


@pytest.fixture
async def client(admin: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), init_database=False, workers=[])
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {admin[2]}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://allot.test", headers=headers
    ) as c:
        yield c


def post(client: httpx.AsyncClient, body: dict[str, Any], accept: str | None = None) -> Any:
    headers = {"accept": accept} if accept else {}
    return client.post("/graphql", json=body, headers=headers)


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code, error
    return str(error["message"])


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{"},  # does not parse
        {"query": "{ noSuchField }"},  # does not validate
        {"query": "query($n: Int!) { __typename }", "variables": {"n": "x"}},  # no coercion
        {"query": "query($n: Int!) { __typename }"},  # a required variable missing
    ],
    ids=["parse", "validation", "coercion", "missing-variable"],
)
async def test_a_request_error_is_400_under_graphql_response_json_and_200_under_json(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    strict = await post(client, body, GQL_RESPONSE)
    assert strict.status_code == 400, strict.text
    assert strict.headers["content-type"] == f"{GQL_RESPONSE}; charset=utf-8"
    legacy = await post(client, body, "application/json")
    assert legacy.status_code == 200, legacy.text
    assert legacy.headers["content-type"] == "application/json; charset=utf-8"
    for response in (strict, legacy):  # nothing ran: no data entry (GraphQL spec §7.1.2)
        assert "data" not in response.json() and response.json()["errors"], response.text


async def test_a_field_error_is_still_200_with_its_data(client: httpx.AsyncClient) -> None:
    """Execution ran: even a `data` of null (the error reached the root) is a 200 answer."""
    anonymous = {"authorization": "", "accept": GQL_RESPONSE}
    response = await client.post(
        "/graphql", json={"query": "{ viewer { name } }"}, headers=anonymous
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["viewer"]
    assert "authentication required" in body["errors"][0]["message"]


async def test_queries_by_get_and_mutations_only_by_post(client: httpx.AsyncClient) -> None:
    ok = await client.get("/graphql", params={"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}
    named = await client.get(
        "/graphql",
        params={"query": "query Q($n: String!) { __type(name: $n) { name } }"}
        | {"variables": '{"n": "Budget"}'},
        headers={"accept": GQL_RESPONSE},
    )
    assert named.json() == {"data": {"__type": {"name": "Budget"}}}

    by_get = await client.get("/graphql", params={"query": CREATE_PROJECT})
    message = refused(by_get, 405, "METHOD_NOT_ALLOWED")
    assert by_get.headers["allow"] == "POST" and "POST" in message
    assert not await Project.filter(name="Via HTTP").exists()
    by_post = await post(client, {"query": CREATE_PROJECT})
    assert by_post.json() == {"data": {"createProject": {"__typename": "ProjectCreated"}}}


async def test_other_methods_get_a_json_405_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = await client.request(method, "/graphql", json={"query": "{ __typename }"})
        refused(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"] == "GET, POST"


async def test_an_answer_nobody_accepts_is_406_and_nothing_runs(
    client: httpx.AsyncClient,
) -> None:
    for accept in ("text/plain", "application/xml, text/*", "application/json;q=0"):
        response = await post(client, {"query": CREATE_PROJECT}, accept)
        message = refused(response, 406, "NOT_ACCEPTABLE")
        assert GQL_RESPONSE in message and "application/json" in message
    assert not await Project.filter(name="Via HTTP").exists()
    # A browser asking for anything (*/* at a lower quality) gets JSON.
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": browser}
    )
    assert response.headers["content-type"] == "application/json; charset=utf-8"


async def test_a_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post(
            "/graphql", content=b'{"query": "{ __typename }"}', headers=headers
        )
        refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert response.headers["accept-post"] == "application/json"
    with_charset = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert with_charset.status_code == 200


async def test_a_subscription_over_http_is_refused_with_where_to_go(
    client: httpx.AsyncClient,
) -> None:
    """Before: 200 with a masked "Unexpected error" (Strawberry let it through to a field that
    cannot answer over HTTP)."""
    query = 'subscription { budgetEvents(budgetId: "bud_1") { kind } }'
    for response in (
        await post(client, {"query": query}),
        await client.get("/graphql", params={"query": query}),
    ):
        assert "WebSocket" in refused(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("name", [{"o": 1}, ["Q"], 7, True])
async def test_an_operation_name_that_is_not_a_string_is_400(
    client: httpx.AsyncClient, name: Any
) -> None:
    response = await post(client, {"query": "query Q { __typename }", "operationName": name})
    assert "operationName" in refused(response, 400, "BAD_REQUEST")


async def test_our_own_refusals_speak_the_negotiated_type(client: httpx.AsyncClient) -> None:
    unparseable = await client.post(
        "/graphql",
        content=b'{"query": ',
        headers={"content-type": "application/json", "accept": GQL_RESPONSE},
    )
    refused(unparseable, 400, "BAD_REQUEST")
    assert unparseable.headers["content-type"] == f"{GQL_RESPONSE}; charset=utf-8"
    bad_token = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"authorization": "Bearer nobody", "accept": GQL_RESPONSE},
    )
    refused(bad_token, 401, "UNAUTHENTICATED")
    assert bad_token.headers["content-type"] == f"{GQL_RESPONSE}; charset=utf-8"


async def test_a_browser_still_gets_graphiql(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()
    missing = await client.get("/graphql", headers={"accept": "application/json"})
    assert "No GraphQL query" in refused(missing, 400, "BAD_REQUEST")
