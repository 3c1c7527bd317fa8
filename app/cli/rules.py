"""`allot rules …`: the routing rules that send imported cost rows to projects."""

from __future__ import annotations

from typing import Any

import typer

from app.cli import _refs
from app.cli._common import Session, run
from app.cli._output import say, show, table

rules_app = typer.Typer(help="Manage routing rules for imports.", no_args_is_help=True)

_USER_HELP = "Act as this user (default: --as, else the first admin)."


@rules_app.command("add")
def rules_add(
    match: str = typer.Option(..., "--match", help="tag, sub_account or service."),
    value: str = typer.Option(..., "--value", help="Tag value, sub-account id/name or service."),
    project: str = typer.Option(..., "--project", help="Project slug or id (prj_3)."),
    key: str = typer.Option(None, "--key", help="Tag name (tag rules)."),
    budget: str = typer.Option(None, "--budget", help="Budget id (bud_2) when several fund it."),
    priority: int = typer.Option(100, "--priority", help="Lower numbers are tried first."),
    user: str = typer.Option(None, "--user", help=_USER_HELP),
) -> None:
    """Add a rule, e.g. --match tag --key project --value genomics --project genomics."""
    from app.services import routing

    async def main(s: Session) -> Any:
        return await routing.create_rule(
            s.actor,
            match=match,
            key=key,
            value=value,
            project_id=await _refs.project(s, project),
            budget_id=await _refs.budget(s, budget) if budget else None,
            priority=priority,
        )

    rule = run(main, user=user, names={"projectId": "--project", "budgetId": "--budget"})
    say(f"created rule rul_{rule.id}")


@rules_app.command("list")
def rules_list(user: str = typer.Option(None, "--user", help=_USER_HELP)) -> None:
    """List the rules you manage, in the order they are tried."""
    from app.services import routing

    async def main(s: Session) -> list[Any]:
        query = await routing.visible_rules(s.actor)
        return await query.order_by("priority", "id").select_related("project")

    rows = run(main, user=user)
    if not rows:
        say("no routing rules: every imported row is held unassigned")
        return
    grid = table("id", "priority", "match", "project", "budget")
    for r in rows:
        what = f"tag {r.key}={r.value}" if r.match == "tag" else f"{r.match} {r.value}"
        budget = f"bud_{r.budget_id}" if r.budget_id else "any"
        grid.add_row(f"rul_{r.id}", str(r.priority), what, r.project.slug, budget)
    show(grid)


@rules_app.command("delete")
def rules_delete(
    rule: str = typer.Argument(..., metavar="RULE", help="Rule id (rul_4 or 4)."),
    user: str = typer.Option(None, "--user", help=_USER_HELP),
) -> None:
    """Delete a rule."""
    from app.services import routing

    pk = _refs.required_pk(rule, "RoutingRule", "RULE")

    async def main(s: Session) -> None:
        await routing.delete_rule(s.actor, pk)

    run(main, user=user, names={"ruleId": "RULE"})
    say(f"deleted rule rul_{pk}")
