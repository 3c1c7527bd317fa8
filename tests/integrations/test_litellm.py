"""The LiteLLM callback with the real litellm package (mock responses and a local provider)
against a real Allot server on 127.0.0.1. Nothing leaves the machine: the price map is
litellm's bundled copy (LITELLM_LOCAL_MODEL_COST_MAP, set in allot_live before litellm is
imported) and every test fails if anything connects, or resolves a name, off loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import litellm
import pytest
from allot_live import Allot, closed_port_url
from litellm import CustomLLM, ModelResponse
from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
from litellm.proxy._types import UserAPIKeyAuth

from allot.integrations._llm_calls import MICRO, LLMCall, estimate_ceiling, exact_cost
from allot.integrations.litellm import AllotCallback, AllotSpendRefused, estimate_with_litellm

MESSAGES = [{"role": "user", "content": "How much is left?"}]

# litellm imports its GitHub Copilot authenticator lazily, on the first call; pydantic warns
# there that the authenticator's TypedDict uses ReadOnly. Not ours, and harmless.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Items? .* (is|are) using the `ReadOnly` qualifier:UserWarning"
)

# --- no network ------------------------------------------------------------------------------


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket path
    host = str(address[0])
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse (and remember) any connection or name lookup off loopback, then fail the test
    if there was one: a hang or a DNS error on this offline machine would otherwise hide it."""
    attempts: list[str] = []
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if not _loopback(address):
            attempts.append(f"connect {address!r}")
            raise OSError(f"test refused a connection to {address!r}")
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        if not _loopback(address):
            attempts.append(f"connect_ex {address!r}")
            raise OSError(f"test refused a connection to {address!r}")
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback((host if isinstance(host, str) else host.decode(),)):
            attempts.append(f"getaddrinfo {host!r}")
            raise socket.gaierror(f"test refused to resolve {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    assert attempts == [], f"outbound network attempted: {attempts}"


def test_the_network_guard_is_armed(loopback_only: list[str]) -> None:
    with pytest.raises(OSError):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(OSError):
        socket.getaddrinfo("api.openai.com", 443)
    assert len(loopback_only) == 2
    loopback_only.clear()


# --- a local model provider that counts its calls -------------------------------------------


class CountingLLM(CustomLLM):  # type: ignore[misc]
    """A provider ("allot-test/<name>") that answers 7 prompt + 3 completion tokens, or fails
    when the last message says "fail"; `during` runs inside each call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.during: Callable[[], Awaitable[None]] | None = None

    def _answer(self, messages: list[dict[str, Any]]) -> ModelResponse:
        if messages[-1]["content"] == "fail":
            raise RuntimeError("the provider failed")
        return ModelResponse(
            choices=[{"message": {"role": "assistant", "content": "plenty"}}],
            usage={"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        )

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        self.calls += 1
        if self.during is not None:
            await self.during()
        return self._answer(kwargs["messages"])

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        self.calls += 1
        return self._answer(kwargs["messages"])


#: LiteLLM's documented per-call custom pricing, for the local provider's model.
PRICING = {"input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002}


@pytest.fixture
def provider() -> Iterator[CountingLLM]:
    llm = CountingLLM()
    before = litellm.custom_provider_map
    litellm.custom_provider_map = [{"provider": "allot-test", "custom_handler": llm}]
    yield llm
    litellm.custom_provider_map = before


# --- the callback, registered as users do ---------------------------------------------------


class Recorder(AllotCallback):
    """Keeps the success events it saw, to replay them."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.successes: list[tuple[Any, ...]] = []

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.successes.append((kwargs, response_obj, start_time, end_time))
        await super().async_log_success_event(kwargs, response_obj, start_time, end_time)

    def log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.successes.append((kwargs, response_obj, start_time, end_time))
        super().log_success_event(kwargs, response_obj, start_time, end_time)


Register = Callable[..., Recorder]


@pytest.fixture
async def register(live_allot: Allot) -> AsyncIterator[Register]:
    """`register(**options)`: an AllotCallback on the live server as litellm.callbacks."""
    made: list[Recorder] = []

    def make(**options: Any) -> Recorder:
        options.setdefault("url", live_allot.url)
        options.setdefault("token", live_allot.token)
        handler = Recorder(**options)
        litellm.callbacks = [handler]
        made.append(handler)
        return handler

    yield make
    await GLOBAL_LOGGING_WORKER.flush()
    for handler in made:
        litellm.logging_callback_manager.remove_callback_from_all_lists(handler)
        await handler.aclose()
    litellm.callbacks = []


async def eventually(check: Callable[[], bool], seconds: float = 15) -> None:
    """Until LiteLLM's logging worker (async calls) or thread pool (sync calls) has run the
    callback, and the worker has finished what it was doing (record, then release)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the callback"
        await asyncio.sleep(0.05)
    await GLOBAL_LOGGING_WORKER.flush()


# --- premises ----------------------------------------------------------------------------------


def test_mock_responses_have_usage_and_a_cost() -> None:
    response = litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hi")
    prices = litellm.model_cost["gpt-4o"]
    usage = response.usage
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    expected = (
        usage.prompt_tokens * prices["input_cost_per_token"]
        + usage.completion_tokens * prices["output_cost_per_token"]
    )
    assert litellm.completion_cost(response) == pytest.approx(expected)
    assert expected > 0


def test_floats_from_litellm_become_exact_micro_units() -> None:
    assert exact_cost(0.00022500000000000002) == Decimal("0.000225")
    assert exact_cost(0.1 + 0.2) == Decimal("0.300000")
    assert exact_cost(0.0000025) == Decimal("0.000002")  # half-even
    assert exact_cost(4e-7) == Decimal("0")  # under half a micro: nothing to record
    assert exact_cost(None) is None
    assert exact_cost(-1.0) is None
    assert exact_cost(float("nan")) is None
    assert estimate_ceiling(4e-7) == MICRO  # a hold is never 0
    assert estimate_ceiling(0) == MICRO
    assert estimate_ceiling(0.0000021) == Decimal("0.000003")


def test_the_default_estimate_prices_prompt_and_max_tokens() -> None:
    def estimate(max_tokens: int | None) -> Decimal:
        request = {"messages": MESSAGES, "max_tokens": max_tokens}
        return estimate_with_litellm(LLMCall(None, "gpt-4o", request=request), 1024)

    prompt = litellm.token_counter(model="gpt-4o", messages=MESSAGES)
    prices = litellm.model_cost["gpt-4o"]
    expected = Decimal(repr(prompt * prices["input_cost_per_token"])) + Decimal(
        repr(100 * prices["output_cost_per_token"])
    )
    assert estimate(100) == estimate_ceiling(expected)
    assert estimate(None) > estimate(100)  # 1024 output tokens by default
    unknown = estimate_with_litellm(LLMCall(None, "no-such-model", request={}), 1024)
    assert unknown == MICRO


def test_the_proxy_handler_is_configured_from_the_environment() -> None:
    handler = AllotCallback.from_env(
        {
            "ALLOT_URL": "http://127.0.0.1:9",
            "ALLOT_TOKEN": "t",
            "ALLOT_LITELLM_PROJECTS": '{"team:ml": "prj_3", "key:bot": "prj_4"}',
            "ALLOT_LITELLM_FAIL_CLOSED": "true",
            "ALLOT_LITELLM_UNMAPPED": "refuse",
        }
    )
    assert handler.projects == {"team:ml": "prj_3", "key:bot": "prj_4"}
    assert (handler.fail_closed, handler.unmapped) == (True, "refuse")
    assert handler.trust_metadata_project is False  # a proxy caller must not pick a project
    assert handler.check == "reserve"


# --- recording ---------------------------------------------------------------------------------


async def test_an_async_call_is_recorded_once_under_its_call_id(
    live_allot: Allot, register: Register
) -> None:
    project = live_allot.project("10")
    handler = register()
    response = await litellm.acompletion(
        model="gpt-4o", messages=MESSAGES, mock_response="hi", metadata={"allot_project": project}
    )
    call_id = response._hidden_params["litellm_call_id"]
    await eventually(lambda: len(live_allot.spends(project)) == 1)
    (spend,) = live_allot.spends(project)
    assert spend["externalId"] == call_id
    assert Decimal(spend["amount"]) == exact_cost(litellm.completion_cost(response))
    assert spend["service"] == "gpt-4o"
    usage = response.usage
    assert f"{usage.prompt_tokens} input + {usage.completion_tokens} output" in spend["description"]
    assert live_allot.allocation(project)["held"] == 0  # the hold was released

    # LiteLLM delivering the event again, or the same call logged by the sync path: once.
    (event,) = handler.successes
    await handler.async_log_success_event(*event)
    await asyncio.to_thread(handler.log_success_event, *event)
    assert len(live_allot.spends(project)) == 1
    assert live_allot.allocation(project)["spent"] == Decimal(spend["amount"])


async def test_a_sync_call_is_recorded(live_allot: Allot, register: Register) -> None:
    project = live_allot.project("10")
    register()
    response = await asyncio.to_thread(
        litellm.completion,
        model="gpt-4o",
        messages=MESSAGES,
        mock_response="hi",
        metadata={"allot_project": project},
    )
    await eventually(lambda: len(live_allot.spends(project)) == 1)
    (spend,) = live_allot.spends(project)
    assert spend["externalId"] == response._hidden_params["litellm_call_id"]
    assert Decimal(spend["amount"]) == exact_cost(litellm.completion_cost(response))


async def test_the_hold_covers_the_call_while_it_runs(
    live_allot: Allot, register: Register, provider: CountingLLM
) -> None:
    project = live_allot.project("10")
    register(estimate=Decimal("0.5"))
    held: list[Decimal] = []

    async def look() -> None:
        held.append(await asyncio.to_thread(lambda: live_allot.allocation(project)["held"]))

    provider.during = look
    response = await litellm.acompletion(
        model="allot-test/m", messages=MESSAGES, metadata={"allot_project": project}, **PRICING
    )
    assert held == [Decimal("0.5")]
    await eventually(lambda: len(live_allot.spends(project)) == 1)
    figures = live_allot.allocation(project)
    assert figures["held"] == 0
    assert figures["spent"] == exact_cost(response._hidden_params["response_cost"])
    assert figures["spent"] == Decimal("0.000013")  # 7 × 0.000001 + 3 × 0.000002


async def test_allot_can_price_the_tokens_itself(
    live_allot: Allot, register: Register, provider: CountingLLM
) -> None:
    model = f"m-{uuid.uuid4().hex[:8]}"
    live_allot.rate(model, "input_token", "0.0000021")
    live_allot.rate(model, "output_token", "0.0000105")
    project = live_allot.project("10")
    register(pricing="allot")
    await litellm.acompletion(
        model=f"allot-test/{model}", messages=MESSAGES, metadata={"allot_project": project}
    )
    await eventually(lambda: len(live_allot.spends(project)) == 1)
    (spend,) = live_allot.spends(project)
    exact = 7 * Decimal("0.0000021") + 3 * Decimal("0.0000105")
    assert Decimal(spend["amount"]) == exact.quantize(MICRO)
    assert spend["service"] == model


async def test_a_failed_call_releases_its_hold(
    live_allot: Allot, register: Register, provider: CountingLLM
) -> None:
    project = live_allot.project("10")
    register(estimate="2")
    held: list[Decimal] = []

    async def look() -> None:
        held.append(await asyncio.to_thread(lambda: live_allot.allocation(project)["held"]))

    provider.during = look
    with pytest.raises(Exception, match="the provider failed"):
        await litellm.acompletion(
            model="allot-test/m",
            messages=[{"role": "user", "content": "fail"}],
            metadata={"allot_project": project},
        )
    assert held == [Decimal("2")]
    await eventually(lambda: live_allot.allocation(project)["held"] == 0)
    assert live_allot.spends(project) == []


# --- refusing before the call --------------------------------------------------------------------


async def test_a_project_over_its_allocation_is_refused_before_the_model_is_called(
    live_allot: Allot, register: Register, provider: CountingLLM
) -> None:
    spent_out = live_allot.project("1")
    live_allot.spend(spent_out, "1")
    funded = live_allot.project("1")
    handler = register()
    with pytest.raises(AllotSpendRefused) as refused:
        await litellm.acompletion(
            model="allot-test/m", messages=MESSAGES, metadata={"allot_project": spent_out}
        )
    assert isinstance(refused.value, litellm.BudgetExceededError)
    assert refused.value.reason == "insufficient_funds"
    assert refused.value.available == Decimal("0")
    assert provider.calls == 0
    await litellm.acompletion(
        model="allot-test/m", messages=MESSAGES, metadata={"allot_project": funded}, **PRICING
    )
    assert provider.calls == 1
    await eventually(lambda: len(handler.successes) == 1)  # the funded call's only
    assert len(live_allot.spends(spent_out)) == 1  # the admin's spend, nothing more
    assert live_allot.allocation(spent_out)["held"] == 0


async def test_authorize_mode_refuses_without_holding(
    live_allot: Allot, register: Register, provider: CountingLLM
) -> None:
    project = live_allot.project("0.5")
    register(check="authorize", estimate="0.6")
    with pytest.raises(AllotSpendRefused) as refused:
        await litellm.acompletion(
            model="allot-test/m", messages=MESSAGES, metadata={"allot_project": project}
        )
    assert refused.value.reason == "not_allowed"
    assert refused.value.available == Decimal("0.5")
    assert provider.calls == 0


async def test_the_proxy_hook_maps_the_callers_key(live_allot: Allot, register: Register) -> None:
    spent_out, funded = live_allot.project("1"), live_allot.project("10")
    live_allot.spend(spent_out, "1")
    handler = register(
        projects={"key:exhausted": spent_out, "key:chatbot": funded},
        estimate="0.25",
        trust_metadata_project=False,
    )
    call_id = f"proxy-{uuid.uuid4().hex}"
    data: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": MESSAGES,
        "litellm_call_id": call_id,
        # A proxy caller may send metadata; without trust_metadata_project it is ignored.
        "metadata": {"user_api_key_alias": "chatbot", "allot_project": spent_out},
    }
    with pytest.raises(AllotSpendRefused):
        await handler.async_pre_call_hook(
            UserAPIKeyAuth(key_alias="exhausted"), None, dict(data), "completion"
        )
    await handler.async_pre_call_hook(UserAPIKeyAuth(key_alias="chatbot"), None, data, "completion")
    assert live_allot.allocation(funded)["held"] == Decimal("0.25")

    # The router then runs the call (its deployment hook sees it checked already).
    response = await litellm.acompletion(**data, mock_response="hi")
    await eventually(lambda: len(live_allot.spends(funded)) == 1)
    (spend,) = live_allot.spends(funded)
    assert spend["externalId"] == call_id
    assert Decimal(spend["amount"]) == exact_cost(litellm.completion_cost(response))
    assert live_allot.allocation(funded)["held"] == 0
    assert len(live_allot.spends(spent_out)) == 1  # only the admin's spend


async def test_the_proxy_failure_hook_releases_the_hold(
    live_allot: Allot, register: Register
) -> None:
    project = live_allot.project("10")
    handler = register(projects={"team:ml": project}, estimate="1")
    data = {"model": "gpt-4o", "messages": MESSAGES, "litellm_call_id": uuid.uuid4().hex}
    await handler.async_pre_call_hook(UserAPIKeyAuth(team_id="ml"), None, data, "completion")
    assert live_allot.allocation(project)["held"] == Decimal("1")
    await handler.async_post_call_failure_hook(data, RuntimeError("upstream 500"), None)
    assert live_allot.allocation(project)["held"] == 0


# --- unmapped calls, and Allot out of reach -----------------------------------------------


async def test_an_unmapped_call_goes_through_unrecorded_by_default(
    live_allot: Allot, register: Register, caplog: pytest.LogCaptureFixture
) -> None:
    handler = register(projects={"team:somebody-else": live_allot.project("10")})
    before = live_allot.server.graphql(
        "query($id: ID!) { budget(id: $id) { spent } }", id=live_allot.budget_id
    )
    with caplog.at_level(logging.WARNING, logger="allot.litellm"):
        response = await litellm.acompletion(
            model="gpt-4o", messages=MESSAGES, mock_response="hi", metadata={"tags": ["x"]}
        )
        await eventually(lambda: len(handler.successes) == 1)
    assert response.choices[0].message.content == "hi"
    assert "maps to no Allot project (tag:x, model:gpt-4o)" in caplog.text
    after = live_allot.server.graphql(
        "query($id: ID!) { budget(id: $id) { spent } }", id=live_allot.budget_id
    )
    assert after == before


async def test_an_unmapped_call_is_refused_when_configured(
    register: Register, provider: CountingLLM
) -> None:
    register(projects={}, unmapped="refuse")
    with pytest.raises(AllotSpendRefused) as refused:
        await litellm.acompletion(model="allot-test/m", messages=MESSAGES)
    assert refused.value.reason == "unmapped"
    assert provider.calls == 0


async def test_a_mapping_can_be_a_function(live_allot: Allot, register: Register) -> None:
    project = live_allot.project("10")
    register(projects=lambda call: project if "tag:research" in call.candidates() else None)
    await litellm.acompletion(
        model="gpt-4o", messages=MESSAGES, mock_response="hi", metadata={"tags": ["research"]}
    )
    await eventually(lambda: len(live_allot.spends(project)) == 1)


async def test_allot_out_of_reach_lets_calls_through_by_default(
    register: Register, provider: CountingLLM, caplog: pytest.LogCaptureFixture
) -> None:
    handler = register(url=closed_port_url(), default_project="prj_1")
    with caplog.at_level(logging.WARNING, logger="allot.litellm"):
        await litellm.acompletion(model="allot-test/m", messages=MESSAGES, **PRICING)
        await eventually(lambda: len(handler.successes) == 1)
    assert provider.calls == 1
    assert "letting it through (fail open)" in caplog.text
    assert "could not record LiteLLM call" in caplog.text


async def test_allot_out_of_reach_refuses_calls_when_failing_closed(
    register: Register, provider: CountingLLM
) -> None:
    register(url=closed_port_url(), default_project="prj_1", fail_closed=True)
    with pytest.raises(AllotSpendRefused) as refused:
        await litellm.acompletion(model="allot-test/m", messages=MESSAGES)
    assert refused.value.reason == "unavailable"
    assert provider.calls == 0


def test_a_bad_allot_url_fails_fast() -> None:
    with pytest.raises(ValueError, match="ALLOT_URL"):
        AllotCallback(url=None, token=None)


@pytest.fixture(autouse=True)
def _no_allot_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLOT_URL", raising=False)
    monkeypatch.delenv("ALLOT_TOKEN", raising=False)
