"""Allot as a LiteLLM callback: refuse a call its project cannot pay for, record what it cost.

    import litellm
    from allot.integrations.litellm import AllotCallback

    litellm.callbacks = [AllotCallback(projects={"team:ml-research": "prj_3"})]

Before a call, `reserveSpend` holds an estimate on the project's allocation (LiteLLM's token
count of the prompt, plus `max_tokens` or `default_output_tokens` of output, at LiteLLM's
price; at least one micro-unit). Allot refuses the hold when allocated − spent − held cannot
cover it, and the hook raises `AllotSpendRefused` (a `litellm.BudgetExceededError`) so the
model is never called; holds make concurrent calls unable to all pass a check only one fits.

After a call, its cost is recorded with `recordSpend` and externalId = LiteLLM's call id, then
the hold is released; a failed call only releases it. Why not `settleReservation`: a settle
dedupes per reservation, a record by externalId. A call recorded through a settle and its
duplicate event recorded without the hold (evicted, another process, the sync path) would
count twice; one path, keyed by the call id, counts each call once whatever happens.

Hooks, by where they run:
- `async_pre_call_hook` — the proxy, before routing (has the caller's key, team, user);
- `async_pre_call_deployment_hook` — the SDK's `acompletion` & co. and the Router (the proxy
  reaches it too, after its own hook: the call is then already checked and skipped);
- `async_log_success_event` / `log_success_event` — record (async calls / sync calls);
- `async_log_failure_event` / `log_failure_event` / `async_post_call_failure_hook` — release.
LiteLLM's sync `completion()` runs no pre-call hook that can stop it (`log_pre_api_call`
errors are logged and swallowed), so sync calls are recorded but not checked beforehand.

When Allot cannot answer (down, timeout, 5xx, or it refuses the callback's token), a call is
let through (`fail_closed=False`, the default — the same stance as Allot's own: spend may
overdraw an allocation unless its budget sets hardLimit) or refused (`fail_closed=True`).

This module imports litellm; `allot` and `allot.client` never do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import litellm
from litellm.integrations.custom_logger import CustomLogger

from allot.client import (
    AllotClient,
    AllotError,
    AsyncAllotClient,
    IdempotencyConflict,
    InsufficientFunds,
    Usage,
)
from allot.integrations._checked import Checked, CheckedCalls
from allot.integrations._llm_calls import (
    LLMCall,
    ProjectMapping,
    Tokens,
    estimate_ceiling,
    exact_cost,
    occurred_at,
    project_for,
    tokens_of,
)

logger = logging.getLogger("allot.litellm")

Check = Literal["reserve", "authorize", "none"]
Pricing = Literal["litellm", "allot"]
Estimator = Callable[[LLMCall], Decimal | int | str]
RefusalReason = Literal["insufficient_funds", "not_allowed", "unmapped", "unavailable"]


class AllotSpendRefused(litellm.BudgetExceededError):  # type: ignore[misc]
    """Raised before a call that Allot (or the configuration) refuses.

    A `BudgetExceededError`: LiteLLM's SDK raises it to the caller as it is, without
    retrying (it is no provider error), and the proxy counts it as a client error with its
    `status_code` (`litellm.budget_exceeded_status_code`). `requested` and `available` are
    exact; the float `current_cost` / `max_budget` are LiteLLM's own fields, for display.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: RefusalReason,
        project_id: str | None = None,
        requested: Decimal | None = None,
        available: Decimal | None = None,
    ) -> None:
        super().__init__(
            current_cost=float(requested or 0),
            max_budget=float(available or 0),
            message=message,
            entity_type="allot_project",
            entity_id=project_id,
        )
        self.reason: RefusalReason = reason
        self.project_id = project_id
        self.requested = requested
        self.available = available


class AllotCallback(CustomLogger):  # type: ignore[misc]
    """LiteLLM callback that checks calls against Allot and records their cost.

    `projects` maps calls to Allot project ids: a dict tried with "key:<alias>",
    "team:<alias>", "team:<id>", "user:<id>", "end_user:<id>", "tag:<tag>", "model:<model>"
    (in that order), or a callable taking an `LLMCall`. An explicit
    metadata={"allot_project": "prj_3"} wins when `trust_metadata_project` (default True; the
    proxy handler defaults to False: a proxy caller could name someone else's project).
    `default_project` takes the rest; a call still unmapped is let through unrecorded
    (`unmapped="allow"`) or refused (`unmapped="refuse"`).

    `check`: "reserve" (default: hold an estimate, see the module docstring), "authorize"
    (ask `authorizeSpend`, hold nothing), or "none" (record only). `pricing`: "litellm"
    (record LiteLLM's cost; when it has none, the tokens are sent for Allot to price) or
    "allot" (always send the tokens: input_token, input_token_cache_read, output_token,
    priced by Allot's rate cards, e.g. `allot import prices` of LiteLLM's map).
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        projects: ProjectMapping | None = None,
        default_project: str | None = None,
        budget_id: str | None = None,
        trust_metadata_project: bool = True,
        unmapped: Literal["allow", "refuse"] = "allow",
        fail_closed: bool = False,
        check: Check = "reserve",
        estimate: Estimator | Decimal | str | None = None,
        default_output_tokens: int = 1024,
        pricing: Pricing = "litellm",
        hold_seconds: int | None = None,
        timeout: float = 5.0,
        retries: int = 1,
        client: AllotClient | None = None,
        async_client: AsyncAllotClient | None = None,
    ) -> None:
        super().__init__()
        self.url = url or os.environ.get("ALLOT_URL")
        self.token = token or os.environ.get("ALLOT_TOKEN")
        if (client is None or async_client is None) and not (self.url and self.token):
            raise ValueError("AllotCallback needs url= and token= (or ALLOT_URL, ALLOT_TOKEN)")
        if check not in ("reserve", "authorize", "none") or pricing not in ("litellm", "allot"):
            raise ValueError(f"unknown check {check!r} or pricing {pricing!r}")
        if unmapped not in ("allow", "refuse"):
            raise ValueError(f"unmapped must be 'allow' or 'refuse', not {unmapped!r}")
        self.projects = projects
        self.default_project = default_project
        self.budget_id = budget_id
        self.trust_metadata_project = trust_metadata_project
        self.unmapped = unmapped
        self.fail_closed = fail_closed
        self.check = check
        self.estimate = estimate
        self.default_output_tokens = default_output_tokens
        self.pricing = pricing
        self.hold_seconds = hold_seconds
        self.timeout = timeout
        self.retries = retries
        self.checked = CheckedCalls()
        self._client = client
        self._async_client = async_client
        self._owns_async = async_client is None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()  # sync events run on LiteLLM's thread pool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> AllotCallback:
        """The proxy's handler, configured by ALLOT_URL, ALLOT_TOKEN and ALLOT_LITELLM_*:
        PROJECTS (a JSON object, e.g. {"team:ml": "prj_3"}), DEFAULT_PROJECT, BUDGET,
        UNMAPPED (allow|refuse), FAIL_CLOSED, CHECK (reserve|authorize|none),
        PRICING (litellm|allot), TRUST_METADATA (default false)."""
        env = os.environ if environ is None else environ

        def flag(name: str, default: bool) -> bool:
            value = env.get(f"ALLOT_LITELLM_{name}")
            return default if value is None else value.strip().lower() in ("1", "true", "yes")

        projects = json.loads(env.get("ALLOT_LITELLM_PROJECTS") or "null")
        if projects is not None and not (
            isinstance(projects, dict) and all(isinstance(v, str) for v in projects.values())
        ):
            raise ValueError('ALLOT_LITELLM_PROJECTS must be a JSON object: {"team:ml": "prj_3"}')
        options: dict[str, Any] = {
            "url": env.get("ALLOT_URL"),
            "token": env.get("ALLOT_TOKEN"),
            "projects": projects,
            "default_project": env.get("ALLOT_LITELLM_DEFAULT_PROJECT") or None,
            "budget_id": env.get("ALLOT_LITELLM_BUDGET") or None,
            "unmapped": env.get("ALLOT_LITELLM_UNMAPPED", "allow"),
            "fail_closed": flag("FAIL_CLOSED", False),
            "check": env.get("ALLOT_LITELLM_CHECK", "reserve"),
            "pricing": env.get("ALLOT_LITELLM_PRICING", "litellm"),
            "trust_metadata_project": flag("TRUST_METADATA", False),
        }
        return cls(**{**options, **overrides})

    # --- clients ---------------------------------------------------------------------------

    def sync_client(self) -> AllotClient:
        with self._lock:
            if self._client is None:
                self._client = AllotClient(
                    self.url, self.token, timeout=self.timeout, retries=self.retries
                )
            return self._client

    def async_client(self) -> AsyncAllotClient:
        """One per event loop: an httpx.AsyncClient's connections belong to the loop that
        opened them (a test suite, or an app calling asyncio.run more than once)."""
        loop = asyncio.get_running_loop()
        if self._async_client is None or (self._owns_async and self._async_loop is not loop):
            self._async_client = AsyncAllotClient(
                self.url, self.token, timeout=self.timeout, retries=self.retries
            )
            self._async_loop = loop
        return self._async_client

    async def aclose(self) -> None:
        if self._async_client is not None and self._owns_async:
            await self._async_client.aclose()
            self._async_client = None
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- LiteLLM hooks: before the call ----------------------------------------------------

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> None:
        """The proxy, before routing. (The proxy runs this only if the class that LiteLLM
        sees defines it itself: a subclass must redefine it and call super().)"""
        await self._before(LLMCall.from_request(data, user_api_key_dict))

    async def async_pre_call_deployment_hook(
        self, kwargs: dict[str, Any], call_type: Any
    ) -> dict[str, Any] | None:
        """The SDK's async calls and the Router, just before the request is sent."""
        await self._before(LLMCall.from_request(kwargs))
        return None

    async def _before(self, call: LLMCall) -> None:
        if self.checked.get(call.call_id) is not None:
            return  # the proxy's hook checked this call already
        project = self._project(call, when="before")
        if project is None:
            if call.call_id is not None:  # warned once: the success event stays quiet
                self.checked.put(call.call_id, Checked(None))
            return
        reservation_id: str | None = None
        if self.check != "none":
            try:
                reservation_id = await self._ask(call, project)
            except InsufficientFunds as error:
                raise AllotSpendRefused(
                    f"Allot refused the call: {error.message}",
                    reason="insufficient_funds",
                    project_id=project,
                    requested=error.requested,
                    available=error.available,
                ) from error
            except AllotSpendRefused:
                raise
            except AllotError as error:
                self._cannot_check(project, error)
            except Exception as error:  # a bug here must not stop LLM traffic unless asked to
                logger.exception("the Allot check of call %s failed", call.call_id)
                self._cannot_check(project, AllotError(repr(error), code="CALLBACK_ERROR"))
        if call.call_id is not None:
            self.checked.put(call.call_id, Checked(project, reservation_id))

    async def _ask(self, call: LLMCall, project: str) -> str | None:
        amount = await self._estimate(call)
        client = self.async_client()
        if self.check == "authorize":
            decision = await client.authorize_spend(project, amount, budget_id=self.budget_id)
            if not decision.allowed:
                raise AllotSpendRefused(
                    f"Allot refused the call: {decision.reason}",
                    reason="not_allowed",
                    project_id=project,
                    requested=amount,
                    available=decision.remaining,
                )
            return None
        # Keyed by the call: LiteLLM's own retries of the call find the same hold.
        key = f"litellm:{call.call_id}:{call.model}" if call.call_id else None
        options: dict[str, Any] = {
            "budget_id": self.budget_id,
            "ttl_seconds": self.hold_seconds,
            "service": call.model,
            "description": f"LiteLLM call {call.call_id}" if call.call_id else "LiteLLM call",
        }
        try:
            held = await client.reserve_spend(project, amount, idempotency_key=key, **options)
        except IdempotencyConflict:  # the retry's estimate changed: hold it anew
            held = await client.reserve_spend(project, amount, **options)
        if held.duplicate and held.reservation.status != "OPEN":
            # A retry after the first attempt's hold was released (its failure event).
            held = await client.reserve_spend(project, amount, **options)
        return held.reservation.id

    async def _estimate(self, call: LLMCall) -> Decimal:
        if isinstance(self.estimate, Decimal | str):
            return estimate_ceiling(self.estimate)
        if self.estimate is not None:
            return estimate_ceiling(self.estimate(call))
        # Counting tokens may load a tokenizer (a second, the first time): not on the loop.
        return await asyncio.to_thread(estimate_with_litellm, call, self.default_output_tokens)

    def _project(self, call: LLMCall, *, when: Literal["before", "after"]) -> str | None:
        project = project_for(
            call,
            self.projects,
            default=self.default_project,
            trust_metadata=self.trust_metadata_project,
        )
        if project is None:
            if when == "before" and self.unmapped == "refuse":
                raise AllotSpendRefused(
                    f"no Allot project for this call ({', '.join(call.candidates()) or 'no ids'})",
                    reason="unmapped",
                )
            logger.warning(
                "LiteLLM call %s maps to no Allot project (%s): %s",
                call.call_id,
                ", ".join(call.candidates()) or "no key, team, user or tag",
                "not checked" if when == "before" else "not recorded",
            )
        return project

    def _cannot_check(self, project: str, error: AllotError) -> None:
        if self.fail_closed:
            raise AllotSpendRefused(
                f"Allot could not check the call ({error.code}: {error.message}); "
                "refusing it (fail_closed)",
                reason="unavailable",
                project_id=project,
            ) from error
        logger.warning(
            "Allot could not check a call of project %s (%s: %s); letting it through (fail open)",
            project,
            error.code,
            error.message,
        )

    # --- LiteLLM hooks: after the call -----------------------------------------------------

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        record = self._record_of(kwargs, response_obj, end_time)
        if record is None:
            return
        client = self.async_client()
        if record.has_spend:
            try:
                await client.record_spend(record.project_id, record.amount, **record.options)
            except AllotError as error:
                record.failed(error)
                return  # the hold stays until it expires: it still protects the allocation
        if record.reservation_id is not None:
            try:
                await client.release_reservation(record.reservation_id)
            except AllotError as error:
                logger.warning("could not release hold %s: %s", record.reservation_id, error)

    def log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        record = self._record_of(kwargs, response_obj, end_time)
        if record is None:
            return
        client = self.sync_client()
        if record.has_spend:
            try:
                client.record_spend(record.project_id, record.amount, **record.options)
            except AllotError as error:
                record.failed(error)
                return
        if record.reservation_id is not None:
            try:
                client.release_reservation(record.reservation_id)
            except AllotError as error:
                logger.warning("could not release hold %s: %s", record.reservation_id, error)

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        await self._release(kwargs.get("litellm_call_id"))

    def log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        checked = self.checked.pop(kwargs.get("litellm_call_id"))
        if checked is not None and checked.reservation_id is not None:
            try:
                self.sync_client().release_reservation(checked.reservation_id)
            except AllotError as error:
                logger.warning("could not release hold %s: %s", checked.reservation_id, error)

    async def async_post_call_failure_hook(
        self,
        request_data: dict[str, Any],
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> None:
        """The proxy: the request failed for good (after the router's retries)."""
        await self._release(request_data.get("litellm_call_id"))

    async def _release(self, call_id: object) -> None:
        checked = self.checked.pop(call_id if isinstance(call_id, str) else None)
        if checked is not None and checked.reservation_id is not None:
            try:
                await self.async_client().release_reservation(checked.reservation_id)
            except AllotError as error:
                logger.warning("could not release hold %s: %s", checked.reservation_id, error)

    def _record_of(self, kwargs: Mapping[str, Any], response: Any, end: Any) -> _Record | None:
        call = LLMCall.from_logged(kwargs, response)
        checked = self.checked.pop(call.call_id)
        project = checked.project_id if checked else self._project(call, when="after")
        if project is None:
            return None  # unmapped: let through, not recorded (warned before, or just now)
        tokens = tokens_of(response, kwargs)
        amount, usage = self._cost(kwargs, response, tokens)
        return _Record(
            project_id=project,
            reservation_id=checked.reservation_id if checked else None,
            amount=amount,
            usage=usage,
            call=call,
            budget_id=self.budget_id,
            description=tokens.note(call.model) if tokens else f"LiteLLM {call.model or 'call'}",
            occurred=occurred_at(end),
        )

    def _cost(
        self, kwargs: Mapping[str, Any], response: Any, tokens: Tokens | None
    ) -> tuple[Decimal | None, list[Usage] | None]:
        """(amount, None) to record LiteLLM's cost, (None, usage) for Allot to price it, or
        (None, None): nothing to record (a cache hit, a free call, under half a micro)."""
        if kwargs.get("cache_hit"):
            return None, None
        if self.pricing == "allot" and tokens is not None:
            return None, tokens.usage()
        cost = exact_cost(kwargs.get("response_cost"))
        if cost is None:
            try:
                cost = exact_cost(litellm.completion_cost(completion_response=response))
            except Exception:  # LiteLLM has no price for the model
                cost = None
        if cost is None:
            return (None, tokens.usage()) if tokens is not None else (None, None)
        return (cost, None) if cost > 0 else (None, None)


class _Record:
    """One call's spend, ready for recordSpend."""

    def __init__(
        self,
        *,
        project_id: str,
        reservation_id: str | None,
        amount: Decimal | None,
        usage: list[Usage] | None,
        call: LLMCall,
        budget_id: str | None,
        description: str,
        occurred: datetime,
    ) -> None:
        self.project_id = project_id
        self.reservation_id = reservation_id
        self.amount = amount
        self.call = call
        self.has_spend = amount is not None or bool(usage)
        self.options: dict[str, Any] = {
            "usage": usage or None,
            "external_id": call.call_id,
            "service": call.model,
            "description": description,
            "occurred_at": occurred,
            "budget_id": budget_id,
        }

    def failed(self, error: AllotError) -> None:
        logger.error(
            "could not record LiteLLM call %s (%s, project %s) in Allot: %s: %s",
            self.call.call_id,
            self.call.model,
            self.project_id,
            error.code,
            error.message,
        )


def estimate_with_litellm(call: LLMCall, default_output_tokens: int) -> Decimal:
    """The prompt's tokens (LiteLLM's counter) and `max_tokens` (or the default) of output,
    at LiteLLM's price for the model; one micro when LiteLLM does not know the model."""
    request = call.request
    output = request.get("max_tokens") or request.get("max_completion_tokens")
    output_tokens = output if isinstance(output, int) and output > 0 else default_output_tokens
    try:
        messages = request.get("messages")
        text = request.get("input")
        prompt_tokens = litellm.token_counter(
            model=call.model or "",
            messages=messages if isinstance(messages, list) else None,
            text=text if isinstance(text, str | list) and not messages else None,
        )
    except Exception:  # an input LiteLLM cannot count: price the output alone
        prompt_tokens = 0
    try:
        prompt_cost, output_cost = litellm.cost_per_token(
            model=call.model or "", prompt_tokens=prompt_tokens, completion_tokens=output_tokens
        )
    except Exception:  # no price for the model
        return estimate_ceiling(0)
    return estimate_ceiling(Decimal(repr(float(prompt_cost))) + Decimal(repr(float(output_cost))))


_proxy_handler: AllotCallback | None = None


def __getattr__(name: str) -> Any:
    """`proxy_handler`, for the proxy's config.yaml (`callbacks:
    allot.integrations.litellm.proxy_handler`): built from the environment on first use."""
    global _proxy_handler
    if name == "proxy_handler":
        if _proxy_handler is None:
            _proxy_handler = AllotCallback.from_env()
        return _proxy_handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AllotCallback", "AllotSpendRefused", "LLMCall", "estimate_with_litellm"]
