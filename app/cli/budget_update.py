"""`allot budgets update BUDGET …`: change a budget's settings (owners and admins).

Only the options given are sent, so an option left out is left as it is. Nullable settings are
cleared with `none` (`--auto-approve-below none`) or an empty text (`--slack-channel ""`).
"""

from __future__ import annotations

from typing import Any

import typer

from app.cli import _amounts, _refs
from app.cli._common import Session, run, usage
from app.cli._output import say
from app.cli.budgets import Privacy, Rollover

_NONE = "none"


def _money_or_none(text: str | None, option: str) -> Any:
    """Unset: leave as is (…); `none`: clear (None); else an amount."""
    if text is None:
        return ...
    if text.strip().lower() == _NONE:
        return None
    return _amounts.amount(text, option, allow_zero=option == "--rollover-cap")


def update(
    budget: str = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name."),
    name: str = typer.Option(None, help="A new name."),
    description: str = typer.Option(None, help='A line about the budget ("" clears it).'),
    amount: str = typer.Option(None, help="A new pool for the current period (funds or defunds)."),
    end: str = typer.Option(None, help="A new last day (YYYY-MM-DD); a later one reopens a grant."),
    timezone: str = typer.Option(None, help="IANA time zone of period boundaries."),
    thresholds: str = typer.Option(None, help="Alert at these percentages used, e.g. 50,80,100."),
    rollover: Rollover = typer.Option(None, case_sensitive=False, help="At period end."),
    rollover_cap: str = typer.Option(None, help="Most one envelope carries (none: no cap)."),
    hard_limit: bool = typer.Option(None, "--hard-limit/--no-hard-limit", help="Refuse overspend."),
    enforce_pacing: bool = typer.Option(
        None, "--enforce-pacing/--no-enforce-pacing", help="Refuse > 2× the daily drip in a day."
    ),
    auto_approve_below: str = typer.Option(
        None, help="Transfers below this apply without an owner (none: never)."
    ),
    allow_self_approval: bool = typer.Option(
        None, "--allow-self-approval/--no-self-approval", help="May owners approve their own?"
    ),
    transfer_expiry_days: str = typer.Option(
        None, help="Pending transfers expire after N days (none: never)."
    ),
    slack_channel: str = typer.Option(None, help='Channel for approvals and alerts ("" clears).'),
    slack_privacy: Privacy = typer.Option(
        None, case_sensitive=False, help="What Slack posts show."
    ),
) -> None:
    """Change a budget's settings; options left out stay as they are."""
    from app.services import budgets

    changes: dict[str, Any] = {
        "name": name,
        "timezone": timezone,
        "alert_thresholds": _amounts.thresholds(thresholds),
        "rollover_policy": rollover.value if rollover else None,
        "hard_limit": hard_limit,
        "enforce_pacing": enforce_pacing,
        "allow_self_approval": allow_self_approval,
        "slack_privacy": slack_privacy.value if slack_privacy else None,
        "amount": _amounts.optional_amount(amount, "--amount"),
        "end_date": _amounts.day(end, "--end"),
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    # Nullable settings: None is a value here (clear), so "not given" is `...`.
    for key, value in (
        ("description", description),
        ("slack_channel", slack_channel),
    ):
        if value is not None:
            changes[key] = value.strip() or None
    for key, option, text in (
        ("auto_approve_below", "--auto-approve-below", auto_approve_below),
        ("rollover_cap", "--rollover-cap", rollover_cap),
    ):
        value = _money_or_none(text, option)
        if value is not ...:
            changes[key] = value
    if transfer_expiry_days is not None:
        days = transfer_expiry_days.strip().lower()
        if days != _NONE and not (days.isascii() and days.isdigit()):
            usage(f"--transfer-expiry-days must be a number of days or none, got {days!r}")
        changes["transfer_expiry_days"] = None if days == _NONE else int(days)
    if not changes:
        usage("nothing to change: give at least one option (see `allot budgets update --help`)")

    async def main(s: Session) -> Any:
        return await budgets.update_budget(s.actor, await _refs.budget(s, budget), **changes)

    names = {key: "--" + key.replace("_", "-") for key in changes} | {
        "autoApproveBelow": "--auto-approve-below",
        "transferExpiryDays": "--transfer-expiry-days",
        "slackChannel": "--slack-channel",
        "slackPrivacy": "--slack-privacy",
        "endDate": "--end",
    }
    row = run(main, names=names)
    changed = ", ".join(key.replace("_", " ") for key in sorted(changes))
    say(f"updated budget bud_{row.id} {row.name!r}: {changed}")
