"""Running the bot's named GraphQL operations in-process, as the Slack user who acted.

A union payload member with a `code` is an error: it is raised as `ApiError` so a listener can
answer with one short ephemeral line. GraphQL errors (validation, masked) are raised likewise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from schema.context import Context, context_for_notifier, context_for_slack

logger = logging.getLogger("allot.bot")


class ApiError(Exception):
    def __init__(self, code: str, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.candidates = candidates or []


class Unlinked(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__("UNLINKED", message)


async def execute(
    schema: Any, operation: str, context: Context, **variables: Any
) -> dict[str, Any]:
    result = await schema.execute(operation, variable_values=variables, context_value=context)
    if result.errors:
        error = result.errors[0]
        code = (error.extensions or {}).get("code", "INTERNAL")
        raise ApiError(str(code), error.message)
    assert result.data is not None
    return result.data


def payload(data: dict[str, Any], field: str) -> dict[str, Any]:
    """The success member of a mutation's union payload, or ApiError for an error member."""
    value = data[field]
    if value is not None and "code" in value and "message" in value:
        raise ApiError(value["code"], value["message"], value.get("candidates"))
    return value


@dataclass
class SlackActor:
    """Who acts: a Slack user of a team. Each operation gets a fresh context (fresh loaders)."""

    schema: Any
    slack_user_id: str
    team_id: str | None

    async def context(self) -> Context:
        return await context_for_slack(self.slack_user_id, self.team_id)

    async def linked(self) -> bool:
        return (await self.context()).user is not None

    async def run(self, operation: str, **variables: Any) -> dict[str, Any]:
        return await execute(self.schema, operation, await self.context(), **variables)

    async def mutate(self, operation: str, field: str, **variables: Any) -> dict[str, Any]:
        return payload(await self.run(operation, **variables), field)


@dataclass
class NotifierActor:
    """The outbox notifier: reads like an admin, writes only its message bookkeeping."""

    schema: Any

    async def run(self, operation: str, **variables: Any) -> dict[str, Any]:
        return await execute(self.schema, operation, context_for_notifier(), **variables)

    async def mutate(self, operation: str, field: str, **variables: Any) -> dict[str, Any]:
        return payload(await self.run(operation, **variables), field)
