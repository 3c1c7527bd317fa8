"""`allot rules …`: the routing rules that send imported cost rows to projects."""

from __future__ import annotations

import typer

rules_app = typer.Typer(help="Manage routing rules for imports.", no_args_is_help=True)


def _pk(text: str, prefix: str) -> int | None:
    value = text.strip().removeprefix(f"{prefix}_")
    return int(value) if value.isdigit() else None


@rules_app.command("add")
def rules_add(
    match: str = typer.Option(..., "--match", help="tag, sub_account or service."),
    value: str = typer.Option(..., "--value", help="Tag value, sub-account id/name or service."),
    project: str = typer.Option(..., "--project", help="Project slug or id (prj_3)."),
    key: str = typer.Option(None, "--key", help="Tag name (tag rules)."),
    budget: str = typer.Option(None, "--budget", help="Budget id (bud_2) when several fund it."),
    priority: int = typer.Option(100, "--priority", help="Lower numbers are tried first."),
    user: str = typer.Option(None, "--user", help="Act as this user (default: the first admin)."),
) -> None:
    """Add a rule, e.g. --match tag --key project --value genomics --project genomics."""
    from app.cli import fail, run_db
    from app.cli_import import cli_actor
    from app.domain.errors import AllotError, NotFound
    from app.models import Project
    from app.services import routing

    budget_id = _pk(budget, "bud") if budget else None
    if budget and budget_id is None:
        fail(f"--budget must be a budget id such as bud_2, got {budget!r}", 2)
    find_actor = cli_actor(user)

    async def main():  # type: ignore[no-untyped-def]
        actor = await find_actor()
        pk = _pk(project, "prj")
        row = await (Project.get_or_none(id=pk) if pk else Project.get_or_none(slug=project))
        if row is None:
            raise NotFound("Project", project, field="--project")
        return await routing.create_rule(
            actor,
            match=match,
            key=key,
            value=value,
            project_id=row.id,
            budget_id=budget_id,
            priority=priority,
        )

    try:
        rule = run_db(main)
    except AllotError as exc:
        fail(f"error: {exc.message}")
        return
    typer.echo(f"created rule rul_{rule.id}")


@rules_app.command("list")
def rules_list() -> None:
    """List rules in the order they are tried."""
    from app.cli import run_db
    from app.models import RoutingRule

    async def main():  # type: ignore[no-untyped-def]
        return await RoutingRule.all().order_by("priority", "id").select_related("project")

    rows = run_db(main)
    if not rows:
        typer.echo("no routing rules: every imported row is held unassigned")
    for r in rows:
        what = f"tag {r.key}={r.value}" if r.match == "tag" else f"{r.match} {r.value}"
        budget = f"  budget bud_{r.budget_id}" if r.budget_id else ""  # type: ignore[attr-defined]
        typer.echo(f"rul_{r.id}\tpriority {r.priority}\t{what}\t-> {r.project.slug}{budget}")


@rules_app.command("delete")
def rules_delete(
    rule: str = typer.Argument(..., help="Rule id (rul_4 or 4)."),
    user: str = typer.Option(None, "--user", help="Act as this user (default: the first admin)."),
) -> None:
    """Delete a rule."""
    from app.cli import fail, run_db
    from app.cli_import import cli_actor
    from app.domain.errors import AllotError
    from app.services import routing

    pk = _pk(rule, "rul")
    if pk is None:
        fail(f"give a rule id such as rul_4, got {rule!r}", 2)
        return
    find_actor = cli_actor(user)

    async def main():  # type: ignore[no-untyped-def]
        return await routing.delete_rule(await find_actor(), pk)

    try:
        run_db(main)
    except AllotError as exc:
        fail(f"error: {exc.message}")
        return
    typer.echo(f"deleted rule rul_{pk}")
