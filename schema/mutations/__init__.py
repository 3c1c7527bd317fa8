"""Mutations: one `input` argument each, a union of a success type and typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, Union

import strawberry

from app.domain.errors import AllotError
from schema.errors import ERROR_TYPES, to_error

T = TypeVar("T")


def payload(name: str, success: type) -> Any:
    """`NamePayload = Success | ValidationError | NotFound | …` as a named GraphQL union."""
    mutation = name.removesuffix("Payload")
    mutation = mutation[:1].lower() + mutation[1:]
    success_name = success.__strawberry_definition__.name  # type: ignore[attr-defined]
    description = (
        f"The result of `{mutation}`: `{success_name}` when it succeeded, otherwise one of the "
        "typed errors implementing `Error` (select `... on Error { code message }`)."
    )
    return Annotated[
        Union[(success, *ERROR_TYPES)], strawberry.union(name, description=description)
    ]


async def run(call: Callable[[], Awaitable[T]]) -> T | Any:
    """Run a use case; an expected failure becomes its typed error, anything else propagates
    (and is masked)."""
    try:
        return await call()
    except AllotError as exc:
        return to_error(exc)
