"""`allot budgets list|show|create|update`.

Reads are GraphQL queries run in-process as the acting user, so a member sees exactly the
figures the API shows them (the pool and their own envelopes); writes are the services.
There is no `budgets archive` yet: the services have no such use case.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

from app.cli import _amounts, _refs
from app.cli._common import Session, run
from app.cli._output import facts, money, percent, say, show, styled, table

budgets_app = typer.Typer(
    help="Budgets: pools of money divided among projects.", no_args_is_help=True
)

_LIST = """query { budgets(first: 1000) { totalCount nodes {
  id name currency periodKind amount allocated unallocated spent remaining percentUsed status
} } }"""
_SHOW = """query($id: ID!) { budget(id: $id) {
  id name description currency periodKind startDate endDate timezone alertThresholds
  rolloverPolicy rolloverCap hardLimit enforcePacing allowSelfApproval autoApproveBelow
  transferExpiryDays slackChannel slackPrivacy
  amount allocated unallocated spent remaining percentUsed status dailyDrip pace carriedIn
  owners { name email }
  periods { seq startDate endDate status amount allocated spent remaining }
  allocations(first: 1000) { nodes { project { slug name } amount spent remaining status } }
} }"""


class PeriodKind(str, Enum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUAL = "ANNUAL"
    WEEKLY = "WEEKLY"
    DAILY = "DAILY"
    GRANT = "GRANT"
    CUSTOM = "CUSTOM"


class Rollover(str, Enum):
    NONE = "NONE"
    CARRY_UNSPENT = "CARRY_UNSPENT"
    CARRY_ALL = "CARRY_ALL"


class Privacy(str, Enum):
    FULL = "FULL"
    AMOUNTS = "AMOUNTS"
    NONE = "NONE"


@budgets_app.command("list")
def budgets_list() -> None:
    """The budgets you can see, with this period's figures (members: their share of them)."""

    async def main(s: Session) -> Any:
        return (await s.graphql(_LIST))["budgets"]

    found = run(main)
    if not found["nodes"]:
        say("no budgets you can see (owners create them: `allot budgets create --help`)")
        return
    grid = table(
        "id", "name", "period", "amount$", "allocated$", "unallocated$", "spent$", "remaining$",
        "used", "status",
    )  # fmt: skip
    for b in found["nodes"]:
        c = b["currency"]
        grid.add_row(
            b["id"], b["name"], b["periodKind"], money(b["amount"], c), money(b["allocated"], c),
            money(b["unallocated"], c), money(b["spent"], c), money(b["remaining"], c),
            percent(b["percentUsed"]), styled(b["status"]),
        )  # fmt: skip
    show(grid)
    if found["totalCount"] > len(found["nodes"]):
        say(f"(showing {len(found['nodes'])} of {found['totalCount']})")


async def fetch_budget(s: Session, ref: str, document: str) -> dict[str, Any]:
    """One budget by id or name, as the acting user sees it."""
    from app.cli._common import CliError

    pk = await _refs.budget(s, ref)
    data = (await s.graphql(document, id=f"bud_{pk}"))["budget"]
    if data is None:
        raise CliError(f"no budget {ref!r} that you can see (BUDGET)")
    return data


@budgets_app.command("show")
def budgets_show(
    budget: str = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name."),
) -> None:
    """A budget's settings, figures, owners, periods and allocations."""

    async def main(s: Session) -> Any:
        return await fetch_budget(s, budget, _SHOW)

    b = run(main)
    c = b["currency"]
    end = b["endDate"] or "recurring"
    cap = b["rolloverCap"] and money(b["rolloverCap"], c)
    auto = b["autoApproveBelow"] and money(b["autoApproveBelow"], c)
    limits = [n for n, on in (("hard limit", b["hardLimit"]), ("pacing", b["enforcePacing"])) if on]
    settings: list[tuple[str, Any]] = [
        ("budget", f"{b['name']} ({b['id']})"),
        ("period", f"{b['periodKind']} from {b['startDate']} to {end}, {b['timezone']}"),
        ("currency", c),
        ("owners", ", ".join(f"{o['name']} <{o['email']}>" for o in b["owners"]) or "—"),
        ("alerts at", ", ".join(f"{t}%" for t in b["alertThresholds"]) or "—"),
        ("rollover", b["rolloverPolicy"] + (f" (cap {cap})" if cap else "")),
        ("enforces", ", ".join(limits) or "—"),
        ("auto-approve", f"below {auto}" if auto else "no"),
        ("slack", f"{b['slackChannel'] or '—'} (privacy {b['slackPrivacy']})"),
    ]  # fmt: skip
    if b["description"]:
        settings.insert(1, ("about", b["description"]))
    figures = [
        ("amount", money(b["amount"], c)),
        ("allocated", money(b["allocated"], c)),
        ("unallocated", money(b["unallocated"], c)),
        ("spent", money(b["spent"], c)),
        ("remaining", money(b["remaining"], c)),
        ("status", styled(b["status"])),
        ("daily drip", money(b["dailyDrip"], c)),
        ("pace", styled(b["pace"])),
    ]
    periods = table("#", "from", "to", "status", "amount$", "allocated$", "spent$", "remaining$")
    for p in b["periods"]:
        periods.add_row(
            str(p["seq"]), p["startDate"], p["endDate"], styled(p["status"]),
            money(p["amount"], c), money(p["allocated"], c), money(p["spent"], c),
            money(p["remaining"], c),
        )  # fmt: skip
    allocations = table("project", "allocated$", "spent$", "remaining$", "status")
    for a in b["allocations"]["nodes"]:
        allocations.add_row(
            a["project"]["slug"], money(a["amount"], c), money(a["spent"], c),
            money(a["remaining"], c), styled(a["status"]),
        )  # fmt: skip
    show(facts(settings), "", facts(figures), "", periods, "", allocations)


def _owner_ids(emails: list[str] | None) -> Any:
    from app.cli._common import find_user

    async def ids() -> list[int]:
        return [(await find_user(e, "--owner")).id for e in emails or []]

    return ids


@budgets_app.command("create")
def budgets_create(
    name: str = typer.Option(..., help="The budget's name, e.g. 'NSF CISE-2024-12345'."),
    amount: str = typer.Option(..., help="The pool of each period: 50000, 1,250.50, $5k."),
    period: PeriodKind = typer.Option(..., case_sensitive=False, help="How the budget renews."),
    start: str = typer.Option(None, help="First day (YYYY-MM-DD; default today)."),
    end: str = typer.Option(None, help="Last day (GRANT and CUSTOM budgets; optional otherwise)."),
    currency: str = typer.Option(None, help="ISO 4217 code (default USD)."),
    timezone: str = typer.Option(None, help="IANA time zone of period boundaries (default UTC)."),
    thresholds: str = typer.Option(None, help="Alert at these percentages used, e.g. 50,80,100."),
    rollover: Rollover = typer.Option(
        None, case_sensitive=False, help="At period end (default NONE)."
    ),
    hard_limit: bool = typer.Option(
        False, "--hard-limit", help="Refuse spend beyond an allocation."
    ),
    enforce_pacing: bool = typer.Option(
        False, "--enforce-pacing", help="Refuse > 2× the daily drip."
    ),
    slack_channel: str = typer.Option(None, help="Channel for approvals and alerts, e.g. #lab."),
    slack_privacy: Privacy = typer.Option(
        None, case_sensitive=False, help="What Slack posts show."
    ),
    description: str = typer.Option(None, help="A line about the budget."),
    owner: list[str] = typer.Option(None, "--owner", help="Another owner's e-mail (repeatable)."),
    fiscal_year_start_month: int = typer.Option(
        None, help="QUARTERLY/ANNUAL: the month (1-12) the fiscal year begins in, e.g. 7."
    ),
    reset_day: int = typer.Option(
        None, help="MONTHLY/QUARTERLY/ANNUAL: the day (1-28) periods begin on."
    ),
    week_start: str = typer.Option(None, help="WEEKLY: the first day, e.g. MONDAY or SUNDAY."),
    prorate_first_period: bool = typer.Option(
        False, "--prorate-first-period", help="Fund a short first period by its share of days."
    ),
) -> None:
    """Create a budget and fund its first period; you become an owner (budget creators, admins)."""
    from app import clock
    from app.domain.periods import local_date, validate_timezone
    from app.services import budgets

    pool = _amounts.amount(amount, "--amount")
    first_day = _amounts.day(start, "--start")
    last_day = _amounts.day(end, "--end")
    alert_at = _amounts.thresholds(thresholds)
    owners = _owner_ids(owner)
    privacy = slack_privacy.value if slack_privacy else None

    async def main(s: Session) -> Any:
        # "Today" is the budget's: its time zone decides where a period starts.
        today = local_date(clock.now(), validate_timezone(timezone or "UTC"))
        return await budgets.create_budget(
            s.actor,
            name=name,
            amount=pool,
            period_kind=period.value,
            start_date=first_day or today,
            end_date=last_day,
            description=description,
            currency=currency,
            timezone=timezone,
            alert_thresholds=alert_at,
            rollover_policy=rollover.value if rollover else None,
            owner_ids=await owners(),
            hard_limit=hard_limit,
            enforce_pacing=enforce_pacing,
            slack_channel=slack_channel,
            slack_privacy=privacy,
            fiscal_year_start_month=fiscal_year_start_month,
            reset_day=reset_day,
            week_start=week_start.upper() if week_start else None,
            prorate_first_period=prorate_first_period,
        )

    names = {
        "amount": "--amount",
        "name": "--name",
        "currency": "--currency",
        "fiscalYearStartMonth": "--fiscal-year-start-month",
        "resetDay": "--reset-day",
        "weekStart": "--week-start",
    }
    b = run(main, names=names)
    say(
        f"created budget bud_{b.id} {b.name!r}: {money(pool, b.currency)} {b.period_kind}"
        f" from {b.start_date}; see `allot budgets show bud_{b.id}`"
    )


_BUDGET_ARG = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name.")


@budgets_app.command("archive")
def budgets_archive(budget: str = _BUDGET_ARG) -> None:
    """Archive a budget (owners): read-only and hidden from lists until restored."""
    from app.services import archiving

    async def main(s: Session) -> Any:
        return await archiving.archive_budget(s.actor, budget_id=await _refs.budget(s, budget))

    b = run(main)
    say(f"archived budget bud_{b.id} {b.name!r}: read-only; `allot budgets restore bud_{b.id}`")


@budgets_app.command("restore")
def budgets_restore(budget: str = _BUDGET_ARG) -> None:
    """Restore an archived budget (owners): writable and listed again."""
    from app.services import archiving

    async def main(s: Session) -> Any:
        return await archiving.restore_budget(s.actor, budget_id=await _refs.budget(s, budget))

    b = run(main)
    say(f"restored budget bud_{b.id} {b.name!r}")


@budgets_app.command("delete")
def budgets_delete(budget: str = _BUDGET_ARG) -> None:
    """Delete a budget that never moved money (owners); archive one that did."""
    from app.services import archiving

    async def main(s: Session) -> Any:
        return await archiving.delete_budget(s.actor, budget_id=await _refs.budget(s, budget))

    run(main)
    say(f"deleted budget {budget}")
