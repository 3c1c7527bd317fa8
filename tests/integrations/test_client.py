"""allot.client against a real Allot server on 127.0.0.1: every operation, exact money, the
error mapping, and retries that count once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from allot_live import Allot, closed_port_url

from allot.client import (
    AllotClient,
    AllotError,
    AllotUnavailable,
    AsyncAllotClient,
    AuthenticationError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidState,
    NotFound,
    PermissionDenied,
    Usage,
    ValidationError,
    _documents,
)


@pytest.fixture
def client(live_allot: Allot) -> Any:
    with AllotClient(live_allot.url, live_allot.token, backoff=0.01) as allot:
        yield allot


class LoseFirstAnswer(httpx.BaseTransport):
    """Sends every request to the server but loses the first answer, as a read timeout after
    the server committed would."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        response = self.inner.handle_request(request)
        if self.sent == 1:
            response.read()
            response.close()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncLoseFirstAnswer(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        response = await self.inner.handle_async_request(request)
        if self.sent == 1:
            await response.aread()
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_every_document_is_valid_against_the_schema() -> None:
    from graphql import parse, validate

    import schema

    graphql_schema = schema.schema._schema
    for name, document in _documents.ALL.items():
        assert validate(graphql_schema, parse(document)) == [], name


def test_record_spend_keeps_money_exact(client: AllotClient, live_allot: Allot) -> None:
    project = live_allot.project("100")
    done = client.record_spend(
        project,
        Decimal("12.345678"),
        service="aws-ec2",
        description="GPU run",
        occurred_at=datetime.now(UTC) - timedelta(hours=1),
    )
    assert done.duplicate is False
    assert isinstance(done.spend.amount, Decimal)
    assert done.spend.amount == Decimal("12.345678")
    assert done.spend.service == "aws-ec2"
    envelope = client.project_status(project).allocation()
    assert envelope.spent == Decimal("12.345678")
    assert envelope.remaining == Decimal("100") - Decimal("12.345678")
    assert envelope.remaining == live_allot.allocation(project)["remaining"]


def test_the_same_external_id_counts_once(client: AllotClient, live_allot: Allot) -> None:
    project = live_allot.project("100")
    first = client.record_spend(project, "2.5", external_id="inv-1")
    again = client.record_spend(project, "2.5", external_id="inv-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.spend.id == first.spend.id
    assert live_allot.allocation(project)["spent"] == Decimal("2.5")


def test_a_retry_after_a_lost_answer_counts_once(live_allot: Allot) -> None:
    project = live_allot.project("100")
    transport = LoseFirstAnswer()
    with (
        httpx.Client(transport=transport) as http,
        AllotClient(live_allot.url, live_allot.token, http_client=http, backoff=0.01) as allot,
    ):
        done = allot.record_spend(project, "7.25")
    assert transport.sent == 2
    assert done.duplicate is True  # the server had recorded the first attempt
    assert [s["amount"] for s in live_allot.spends(project)] == ["7.25"]


async def test_an_async_retry_after_a_lost_answer_counts_once(live_allot: Allot) -> None:
    project = live_allot.project("100")
    transport = AsyncLoseFirstAnswer()
    async with (
        httpx.AsyncClient(transport=transport) as http,
        AsyncAllotClient(live_allot.url, live_allot.token, http_client=http, backoff=0.01) as a,
    ):
        hold = await a.reserve_spend(project, "3")
    assert transport.sent == 2
    assert hold.duplicate is True
    assert live_allot.allocation(project)["held"] == Decimal("3")


def test_a_mutation_without_a_key_is_not_retried(live_allot: Allot) -> None:
    project = live_allot.project("100")
    transport = LoseFirstAnswer()
    query = 'mutation($p: ID!) { recordSpend(input: {projectId: $p, amount: "1"}) { __typename } }'
    with (
        httpx.Client(transport=transport) as http,
        AllotClient(live_allot.url, live_allot.token, http_client=http, backoff=0.01) as allot,
        pytest.raises(AllotUnavailable),
    ):
        allot.execute(query, {"p": project})
    assert transport.sent == 1
    assert len(live_allot.spends(project)) == 1  # it did happen: a blind retry would double it


def test_usage_is_priced_by_the_server(client: AllotClient, live_allot: Allot) -> None:
    service = f"model-{uuid.uuid4().hex[:6]}"
    live_allot.rate(service, "input_token", "0.0000025")
    live_allot.rate(service, "output_token", "0.00001")
    project = live_allot.project("100")
    done = client.record_spend(
        project, usage=[Usage("input_token", 1000), Usage("output_token", 200)], service=service
    )
    assert done.spend.amount == Decimal("1000") * Decimal("0.0000025") + Decimal("200") * Decimal(
        "0.00001"
    )


def test_reserve_settle_and_release(client: AllotClient, live_allot: Allot) -> None:
    project = live_allot.project("100")
    hold = client.reserve_spend(project, "5", service="gpt-4o", ttl_seconds=600)
    assert hold.reservation.status == "OPEN"
    assert client.project_status(project).allocation().available == Decimal("95")
    settled = client.settle_reservation(hold.reservation.id, "3.5", external_id="call-1")
    assert settled.reservation.status == "SETTLED"
    assert settled.spend.amount == Decimal("3.5")
    again = client.settle_reservation(hold.reservation.id, "3.5", external_id="call-1")
    assert again.duplicate is True
    other = client.reserve_spend(project, "10").reservation
    released = client.release_reservation(other.id)
    assert released.status == "RELEASED"
    assert client.release_reservation(other.id).status == "RELEASED"  # safe to repeat
    figures = live_allot.allocation(project)
    assert (figures["spent"], figures["held"]) == (Decimal("3.5"), Decimal("0"))


def test_authorize_spend_counts_holds(client: AllotClient, live_allot: Allot) -> None:
    project = live_allot.project("10")
    client.reserve_spend(project, "4")
    yes = client.authorize_spend(project, "6")
    no = client.authorize_spend(project, "6.000001")
    assert (yes.allowed, no.allowed) == (True, False)
    assert yes.remaining == no.remaining == Decimal("6")
    assert no.reason and "exceeds" in no.reason


def test_budget_status_reads_the_figures(client: AllotClient, live_allot: Allot) -> None:
    live_allot.project("40")
    figures = client.budget_status(live_allot.budget_id)
    raw = live_allot.server.graphql(
        "query($id: ID!) { budget(id: $id) { amount allocated unallocated spent } }",
        id=live_allot.budget_id,
    )["budget"]
    assert figures.amount == Decimal(raw["amount"]) == Decimal("1000000")
    assert (figures.allocated, figures.unallocated, figures.spent) == (
        Decimal(raw["allocated"]),
        Decimal(raw["unallocated"]),
        Decimal(raw["spent"]),
    )
    assert figures.allocated + figures.unallocated == figures.amount
    assert figures.status in {"HEALTHY", "WARNING", "CRITICAL", "EXHAUSTED"}


def test_url_and_token_come_from_the_environment(
    live_allot: Allot, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = live_allot.project("100")
    monkeypatch.setenv("ALLOT_URL", live_allot.url + "/")
    monkeypatch.setenv("ALLOT_TOKEN", live_allot.token)
    with AllotClient() as allot:
        assert allot.project_status(project).id == project
    monkeypatch.delenv("ALLOT_TOKEN")
    with pytest.raises(ValueError, match="ALLOT_TOKEN"):
        AllotClient()


def test_floats_are_refused_before_anything_is_sent(live_allot: Allot) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(answer)
    with (
        httpx.Client(transport=transport) as http,
        AllotClient(live_allot.url, live_allot.token, http_client=http) as allot,
    ):
        with pytest.raises(TypeError, match="float"):
            allot.record_spend("prj_1", 0.1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="float"):
            allot.authorize_spend("prj_1", 1.0)  # type: ignore[arg-type]
    assert sent == []


# --- the error members of the API, each as its own class ----------------------------------


def _insufficient(allot: AllotClient, world: Allot) -> None:
    allot.reserve_spend(world.project("100"), "1000")


def _invalid_amount(allot: AllotClient, world: Allot) -> None:
    allot.record_spend(world.project("100"), "0.1234567")


def _unknown_project(allot: AllotClient, world: Allot) -> None:
    allot.record_spend("prj_99999999", "1")


def _reused_external_id(allot: AllotClient, world: Allot) -> None:
    project = world.project("100")
    allot.record_spend(project, "1", external_id="same")
    allot.record_spend(project, "2", external_id="same")


def _settle_released(allot: AllotClient, world: Allot) -> None:
    hold = allot.reserve_spend(world.project("100"), "1").reservation
    allot.release_reservation(hold.id)
    allot.settle_reservation(hold.id, "1")


@pytest.mark.parametrize(
    ("provoke", "expected", "code", "field"),
    [
        (_insufficient, InsufficientFunds, "INSUFFICIENT_FUNDS", None),
        (_invalid_amount, ValidationError, "VALIDATION", "amount"),
        (_unknown_project, NotFound, "NOT_FOUND", None),
        (_reused_external_id, IdempotencyConflict, "IDEMPOTENCY_CONFLICT", "externalId"),
        (_settle_released, InvalidState, "INVALID_STATE", None),
    ],
)
def test_error_members_become_typed_exceptions(
    client: AllotClient,
    live_allot: Allot,
    provoke: Callable[[AllotClient, Allot], None],
    expected: type[AllotError],
    code: str,
    field: str | None,
) -> None:
    with pytest.raises(expected) as raised:
        provoke(client, live_allot)
    assert type(raised.value) is expected
    assert raised.value.code == code
    assert raised.value.message
    if field is not None:
        assert raised.value.field == field


def test_insufficient_funds_carries_exact_figures(client: AllotClient, live_allot: Allot) -> None:
    with pytest.raises(InsufficientFunds) as raised:
        client.reserve_spend(live_allot.project("100.5"), "1000")
    assert raised.value.requested == Decimal("1000")
    assert raised.value.available == Decimal("100.5")


def test_a_viewer_may_not_record_spend(live_allot: Allot) -> None:
    project = live_allot.project("100")
    user_id, token = live_allot.user("viewer")
    live_allot.member(project, user_id, "VIEWER")
    with AllotClient(live_allot.url, token) as allot:
        assert allot.project_status(project).allocation().amount == Decimal("100")
        with pytest.raises(PermissionDenied) as raised:
            allot.record_spend(project, "1")
    assert raised.value.code == "PERMISSION_DENIED"
    assert live_allot.spends(project) == []


def test_a_stranger_does_not_see_the_project(live_allot: Allot) -> None:
    project = live_allot.project("100")
    _, token = live_allot.user("stranger")
    with AllotClient(live_allot.url, token) as allot, pytest.raises(NotFound):
        allot.project_status(project)


def test_a_wrong_token_is_an_authentication_error(live_allot: Allot) -> None:
    with (
        AllotClient(live_allot.url, "not-a-token", retries=3) as allot,
        pytest.raises(AuthenticationError) as raised,
    ):
        allot.budget_status(live_allot.budget_id)
    assert raised.value.code == "UNAUTHENTICATED"


def test_no_server_is_unavailable_after_the_retries() -> None:
    transport = httpx.HTTPTransport()
    calls: list[httpx.Request] = []

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return transport.handle_request(request)

    with (
        httpx.Client(transport=Counting()) as http,
        AllotClient(closed_port_url(), "t", retries=2, backoff=0.01, http_client=http) as a,
        pytest.raises(AllotUnavailable),
    ):
        a.record_spend("prj_1", "1")
    assert len(calls) == 3  # nothing was sent: connection refused is retried for anything


# --- the async client: the same operations --------------------------------------------------


async def test_async_client_records_reserves_and_reads(live_allot: Allot) -> None:
    project = live_allot.project("50")
    async with AsyncAllotClient(live_allot.url, live_allot.token) as allot:
        done = await allot.record_spend(project, Decimal("0.000123"), external_id="a-1")
        assert done.spend.amount == Decimal("0.000123")
        assert (await allot.record_spend(project, "0.000123", external_id="a-1")).duplicate
        hold = (await allot.reserve_spend(project, "10")).reservation
        decision = await allot.authorize_spend(project, "39")
        assert decision.allowed is True
        assert decision.remaining == Decimal("50") - Decimal("0.000123") - Decimal("10")
        settled = await allot.settle_reservation(hold.id, "12")
        assert settled.spend.amount == Decimal("12")
        status = await allot.project_status(project)
        assert status.allocation().spent == Decimal("12.000123")
        assert (await allot.budget_status(live_allot.budget_id)).id == live_allot.budget_id
        with pytest.raises(InsufficientFunds):
            await allot.reserve_spend(project, "1000")
        with pytest.raises(NotFound):
            await allot.release_reservation("rsv_99999999")
