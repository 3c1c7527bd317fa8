"""One slash command being answered: who, how to reply, and the Slack client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.api import SlackActor
from bot.blocks._format import context
from bot.links import open_link


@dataclass
class Turn:
    actor: SlackActor
    respond: Any
    client: Any
    body: dict[str, Any]
    command: str
    #: The web app's address (ALLOT_PUBLIC_URL) for deep links; None: no links.
    public_url: str | None = None

    @property
    def user_id(self) -> str:
        return str(self.body.get("user_id", ""))

    def link(self, object_id: str | None, label: str = "Open in Allot") -> str:
        """A mrkdwn link to the object's page in the web app ("" when there is none)."""
        return open_link(self.public_url, object_id, label)

    async def say(
        self, text: str, blocks: list[dict[str, Any]] | None = None, *, link: str = ""
    ) -> None:
        """An ephemeral answer through the command's response_url (always with text); `link`
        (a deep link to the web app, "" for none) goes under it."""
        if link and blocks is None:
            text = f"{text}\n{link}"
        elif link and blocks is not None:
            blocks = [*blocks, context(link)]
        if blocks is None:
            await self.respond(text=text, response_type="ephemeral")
        else:
            await self.respond(text=text, blocks=blocks, response_type="ephemeral")
