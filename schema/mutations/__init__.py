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
    return Annotated[Union[(success, *ERROR_TYPES)], strawberry.union(name)]


async def run(call: Callable[[], Awaitable[T]]) -> T | Any:
    """Run a use case; an expected failure becomes its typed error, anything else propagates
    (and is masked)."""
    try:
        return await call()
    except AllotError as exc:
        return to_error(exc)
