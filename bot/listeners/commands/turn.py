"""One slash command being answered: who, how to reply, and the Slack client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.api import SlackActor


@dataclass
class Turn:
    actor: SlackActor
    respond: Any
    client: Any
    body: dict[str, Any]
    command: str

    @property
    def user_id(self) -> str:
        return str(self.body.get("user_id", ""))

    async def say(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral answer through the command's response_url (always with text)."""
        if blocks is None:
            await self.respond(text=text, response_type="ephemeral")
        else:
            await self.respond(text=text, blocks=blocks, response_type="ephemeral")
