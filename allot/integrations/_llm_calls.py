"""What the LiteLLM callback reads from a call, without importing litellm.

LiteLLM hands its hooks different shapes: the request's kwargs before the call (SDK and
router), the proxy's request `data` plus the caller's key (`UserAPIKeyAuth`), and after the
call the logged kwargs with `litellm_params.metadata` and a `standard_logging_object`. `LLMCall`
is the one view of them that the project mapping and the estimate work on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from allot.client import Usage

MICRO = Decimal("0.000001")

#: Where a request says which Allot project pays for it (SDK: metadata={"allot_project": …}).
EXPLICIT_KEY = "allot_project"

#: The proxy's names for who is calling, in the order a dict mapping tries them.
_IDENTITY_KEYS = (
    ("key", "user_api_key_alias"),
    ("team", "user_api_key_team_alias"),
    ("team", "user_api_key_team_id"),
    ("user", "user_api_key_user_id"),
    ("end_user", "user_api_key_end_user_id"),
)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class LLMCall:
    """One LiteLLM call as the callback sees it."""

    call_id: str | None
    model: str | None
    #: kind → value, e.g. {"key": "chatbot", "team": "ml-research"}; first value of a kind wins.
    identity: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    #: metadata["allot_project"], when the request named one.
    explicit_project: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: The request (messages, input, max_tokens, …), for estimates.
    request: Mapping[str, Any] = field(default_factory=dict)

    def candidates(self) -> list[str]:
        """The keys a dict mapping is tried with, most specific first:
        key:<alias>, team:<alias>, team:<id>, user:<id>, end_user:<id>, tag:<tag>, model:<m>."""
        found = [f"{kind}:{value}" for kind, value in self.identity.items()]
        found += [f"tag:{tag}" for tag in self.tags]
        if self.model:
            found.append(f"model:{self.model}")
        return found

    @classmethod
    def from_request(cls, request: Mapping[str, Any], caller: object | None = None) -> LLMCall:
        """Before the call: the request kwargs (SDK, router) or the proxy's `data`, and the
        proxy's `UserAPIKeyAuth` of the caller when there is one."""
        metadata = {
            **_mapping(request.get("litellm_metadata")),
            **_mapping(request.get("metadata")),
        }
        identity = _identity(metadata)
        if caller is not None:
            from_key = {
                "key": getattr(caller, "key_alias", None),
                "team": getattr(caller, "team_alias", None) or getattr(caller, "team_id", None),
                "user": getattr(caller, "user_id", None),
                "end_user": getattr(caller, "end_user_id", None),
            }
            identity = {**identity, **{k: str(v) for k, v in from_key.items() if v}}
        if request.get("user") and "end_user" not in identity:
            identity["end_user"] = str(request["user"])
        return cls(
            call_id=_text(request.get("litellm_call_id")),
            model=_text(request.get("model")),
            identity=_ordered(identity),
            tags=_tags(metadata),
            explicit_project=_text(metadata.get(EXPLICIT_KEY)),
            metadata=metadata,
            request=request,
        )

    @classmethod
    def from_logged(cls, kwargs: Mapping[str, Any], response: object = None) -> LLMCall:
        """After the call: the kwargs LiteLLM passes to success and failure events."""
        params = _mapping(kwargs.get("litellm_params"))
        logged = _mapping(kwargs.get("standard_logging_object"))
        standard = {k: v for k, v in _mapping(logged.get("metadata")).items() if v is not None}
        requester = _mapping(standard.get("requester_metadata"))
        metadata = {**requester, **standard, **_mapping(params.get("metadata"))}
        identity = _identity(metadata)
        if kwargs.get("user") and "end_user" not in identity:
            identity["end_user"] = str(kwargs["user"])
        call_id = _text(kwargs.get("litellm_call_id")) or _text(getattr(response, "id", None))
        return cls(
            call_id=call_id,
            model=_text(kwargs.get("model")) or _text(logged.get("model")),
            identity=_ordered(identity),
            tags=_tags(metadata),
            explicit_project=_text(metadata.get(EXPLICIT_KEY) or requester.get(EXPLICIT_KEY)),
            metadata=metadata,
            request=kwargs,
        )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _identity(metadata: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for kind, key in _IDENTITY_KEYS:
        if metadata.get(key) and kind not in found:
            found[kind] = str(metadata[key])
    return found


def _ordered(identity: Mapping[str, str]) -> dict[str, str]:
    order = ("key", "team", "user", "end_user")
    return {kind: identity[kind] for kind in order if kind in identity}


def _tags(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    tags = metadata.get("tags")
    return tuple(str(t) for t in tags) if isinstance(tags, list | tuple) else ()


ProjectMapping = Mapping[str, str] | Callable[[LLMCall], str | None]


def project_for(
    call: LLMCall,
    mapping: ProjectMapping | None,
    *,
    default: str | None = None,
    trust_metadata: bool = True,
) -> str | None:
    """The Allot project that pays for `call`, or None (unmapped).

    An explicit metadata["allot_project"] wins when `trust_metadata` (an SDK caller is the
    application itself); behind the proxy a caller could name another project's id to spend
    its money, so the proxy handler trusts only its own mapping by default.
    """
    if trust_metadata and call.explicit_project:
        return call.explicit_project
    if callable(mapping):
        chosen = mapping(call)
        if chosen:
            return chosen
    elif mapping:
        for candidate in call.candidates():
            if candidate in mapping:
                return mapping[candidate]
    return default


def exact_cost(cost: object) -> Decimal | None:
    """LiteLLM's cost (a float) as micro-units, or None when there is none.

    LiteLLM computes cost as tokens × a float price, so a float is all there is. `repr` is
    the shortest decimal that reads back as that float (Decimal(float) would spell out its
    binary expansion instead), its error is ~1e-16 relative, and rounding half-even to the
    micro-unit Allot keeps is the one rounding, as for imports. Below half a micro, a call
    rounds to 0 and is not recorded.
    """
    if cost is None or isinstance(cost, bool):
        return None
    try:
        value = Decimal(repr(cost)) if isinstance(cost, float) else Decimal(str(cost))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return value.quantize(MICRO, rounding=ROUND_HALF_EVEN)


def estimate_ceiling(cost: object) -> Decimal:
    """An estimate as micro-units, rounded up and at least one micro: a hold of 0 is refused,
    and a project with nothing left must be refused even when the price is unknown."""
    try:
        value = Decimal(repr(cost)) if isinstance(cost, float) else Decimal(str(cost))
    except InvalidOperation:
        return MICRO
    if not value.is_finite() or value <= 0:
        return MICRO
    return max(value.quantize(MICRO, rounding=ROUND_CEILING), MICRO)


@dataclass(frozen=True)
class Tokens:
    input: int
    output: int
    cached_input: int = 0

    def usage(self) -> list[Usage]:
        """As Allot rate-card units (those `allot import prices` loads from LiteLLM's map)."""
        parts = [
            Usage("input_token", self.input - self.cached_input),
            Usage("input_token_cache_read", self.cached_input),
            Usage("output_token", self.output),
        ]
        return [p for p in parts if int(p.quantity) > 0]

    def note(self, model: str | None) -> str:
        cached = f" ({self.cached_input} cached)" if self.cached_input else ""
        return (
            f"LiteLLM {model or 'call'}: {self.input} input{cached} + {self.output} output tokens"
        )


def _count(container: object, name: str) -> int:
    value = container.get(name) if isinstance(container, Mapping) else getattr(container, name, 0)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def tokens_of(response: object, kwargs: Mapping[str, Any]) -> Tokens | None:
    usage = getattr(response, "usage", None)
    if usage is None and isinstance(response, Mapping):
        usage = response.get("usage")
    if usage is None:
        logged = _mapping(kwargs.get("standard_logging_object"))
        if "prompt_tokens" not in logged:
            return None
        usage = logged
    details = (
        usage.get("prompt_tokens_details")
        if isinstance(usage, Mapping)
        else getattr(usage, "prompt_tokens_details", None)
    )
    tokens = Tokens(
        input=_count(usage, "prompt_tokens"),
        output=_count(usage, "completion_tokens"),
        cached_input=_count(details, "cached_tokens") if details is not None else 0,
    )
    return tokens if tokens.input or tokens.output else None


def occurred_at(end_time: object) -> datetime:
    """When the call ended, in UTC to the second. LiteLLM passes naive local datetimes; whole
    seconds keep a replay's occurredAt equal to the first one's whatever the database keeps."""
    if isinstance(end_time, datetime):
        moment = end_time.astimezone(UTC)  # a naive datetime is taken as local time
    elif isinstance(end_time, int | float) and not isinstance(end_time, bool):
        moment = datetime.fromtimestamp(end_time, UTC)
    else:
        moment = datetime.now(UTC)
    return moment.replace(microsecond=0)
