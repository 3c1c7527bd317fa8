"""`/allot help` and the one-line error replies."""

from __future__ import annotations

from typing import Any

from bot.blocks._format import context, escape, header, section
from bot.commands import USAGE

#: Error code (the GraphQL `Error.code`, or the bot's own) → emoji and a short title.
_ERROR_TITLES: dict[str, tuple[str, str]] = {
    "VALIDATION": (":warning:", "That doesn't look right"),
    "NOT_FOUND": (":mag:", "Not found"),
    "PERMISSION_DENIED": (":no_entry:", "Not allowed"),
    "INSUFFICIENT_FUNDS": (":money_with_wings:", "Not enough money"),
    "CONFLICT": (":warning:", "Already exists"),
    "IDEMPOTENCY_CONFLICT": (":warning:", "Already done differently"),
    "INVALID_STATE": (":hourglass:", "Too late"),
    "CURRENCY_MISMATCH": (":currency_exchange:", "Wrong currency"),
    "AMBIGUOUS": (":thinking_face:", "Which one?"),
    "PERIOD_CLOSED": (":lock:", "Period closed"),
    "UNLINKED": (":link:", "Link your account first"),
    "WRONG_WORKSPACE": (":no_entry:", "Wrong workspace"),
    "COMMAND": (":speech_balloon:", "I didn't get that"),
}


def help_blocks(command_name: str = "/allot", topic: str | None = None) -> list[dict[str, Any]]:
    """Every subcommand (or the one `topic`) with its syntax and runnable examples."""
    blocks: list[dict[str, Any]] = [header(f"{command_name} — shared budgets in Slack")]
    for name, usage in USAGE.items():
        if topic is not None and name != topic:
            continue
        examples = "\n".join(
            f"`{command_name} {escape(example)}`"
            for example in usage.examples
            if example != usage.syntax  # a line the syntax already shows
        )
        blocks.append(
            section(
                f"*{name}* — {escape(usage.summary)}\n"
                f"`{command_name} {escape(usage.syntax)}`" + (f"\n{examples}" if examples else ""),
                block_id=f"help_{name}",
            )
        )
    blocks.append(
        context(
            'Amounts: 12.50, 1,250.50, $5k, $1.2m. Quote names with spaces: "GPU run". '
            "Projects and budgets by slug or name; `pool` is a budget's unallocated money."
        )
    )
    return blocks


def help_text(command_name: str = "/allot") -> str:
    return f"{command_name} commands: " + ", ".join(USAGE) + f". Try `{command_name} help`."


def error_text(code: str, message: str) -> str:
    """A short ephemeral reply for an error from the API's union payload (or the bot)."""
    emoji, title = _ERROR_TITLES.get(code, (":warning:", "Something went wrong"))
    return f"{emoji} *{title}:* {escape(message)}"
