"""How much of a budget's money a Slack post may show, by who reads it.

A budget's `slackPrivacy` (GraphQL `SlackPrivacy`, defined in app/domain/validation.py) governs
its posts to a **channel**, which every member of the channel reads:

- FULL: amounts and balances (remaining, runway, status, before/after).
- AMOUNTS: the amount of a request and alert percentages; no balance of any project.
- NONE: no money figure at all.

A **direct message** with a budget owner shows everything (FULL): owners may see every figure
of their budget, and the bot sends transfer requests by DM to owners only.
"""

from __future__ import annotations

from typing import Any

FULL = "FULL"
AMOUNTS = "AMOUNTS"
NONE = "NONE"
_KNOWN = (FULL, AMOUNTS, NONE)


def privacy_of(setting: object) -> str:
    """The setting as one of FULL/AMOUNTS/NONE; anything else (unknown, missing) is NONE, so a
    value this code does not understand shows nothing rather than everything."""
    return setting if isinstance(setting, str) and setting in _KNOWN else NONE


def is_direct_message(channel: str) -> bool:
    """Slack's ids of 1:1 conversations with the bot start with D (channels: C, groups: G)."""
    return channel.startswith("D")


def privacy_for(channel: str, budget: dict[str, Any] | None) -> str:
    """What a post about `budget` in `channel` may show.

    The budget's own channel follows its setting (even if someone configured a D… id there);
    a DM with the bot shows everything; any other channel (e.g. the budget's previous one)
    follows the setting too. Without the budget (not readable) a channel post shows nothing.
    """
    budget = budget or {}
    setting = privacy_of(budget.get("slackPrivacy"))
    if channel != budget.get("slackChannel") and is_direct_message(channel):
        return FULL
    return setting
