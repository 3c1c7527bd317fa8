"""`allot projects list|create` and `allot projects members add|remove`.

A project's people are managed by its leads (and admins) only: an owner of a budget that funds
the project has no say over them, so `members add` as an owner is refused, as in the API.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

from app.cli import _refs
from app.cli._common import Session, find_user, run
from app.cli._output import say, show, table

projects_app = typer.Typer(help="Projects and their people.", no_args_is_help=True)
members_app = typer.Typer(help="A project's people (leads manage them).", no_args_is_help=True)
projects_app.add_typer(members_app, name="members")

_LIST = """query { projects(first: 1000) { totalCount nodes {
  id slug name slackChannel myRole members { email } } } }"""


class Role(str, Enum):
    LEAD = "LEAD"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


@projects_app.command("list")
def projects_list() -> None:
    """The projects you can see (owners and budget creators: all, to fund them)."""

    async def main(s: Session) -> Any:
        return (await s.graphql(_LIST))["projects"]

    found = run(main)
    if not found["nodes"]:
        say("no projects you can see")
        return
    grid = table("id", "slug", "name", "your role", "people", "slack")
    for p in found["nodes"]:
        grid.add_row(
            p["id"],
            p["slug"],
            p["name"],
            p["myRole"] or "—",
            str(len(p["members"])),
            p["slackChannel"] or "",
        )
    show(grid)
    if found["totalCount"] > len(found["nodes"]):
        say(f"(showing {len(found['nodes'])} of {found['totalCount']})")


@projects_app.command("create")
def projects_create(
    name: str = typer.Option(..., help="The project's name, e.g. 'Climate Modeling'."),
    slug: str = typer.Option(None, help="Short name to type (default: from the name)."),
    slack_channel: str = typer.Option(None, help="The project's Slack channel."),
) -> None:
    """Create a project; you become its lead (budget creators and admins)."""
    from app.services import budgets

    async def main(s: Session) -> Any:
        return await budgets.create_project(
            s.actor, name=name, slug=slug, slack_channel=slack_channel
        )

    row = run(main, names={"name": "--name", "slug": "--slug", "slackChannel": "--slack-channel"})
    say(f"created project prj_{row.id} {row.slug} ({row.name})")


@members_app.command("add")
def members_add(
    project: str = typer.Argument(..., metavar="PROJECT", help="Project slug or id (prj_3)."),
    email: str = typer.Argument(..., metavar="EMAIL", help="The person's e-mail."),
    role: Role = typer.Option(Role.MEMBER, case_sensitive=False, help="LEAD, MEMBER or VIEWER."),
) -> None:
    """Add someone to a project, or change their role (the project's leads and admins)."""
    from app.domain.access import ProjectRole
    from app.services import actors

    async def main(s: Session) -> str:
        project_id = await _refs.project(s, project)
        user = await find_user(email, "EMAIL")
        await actors.add_project_member(
            s.actor, project_id=project_id, user_id=user.id, role=ProjectRole(role.value)
        )
        return user.email

    who = run(main)
    say(f"{who} is now {role.value} of {project}")


@members_app.command("remove")
def members_remove(
    project: str = typer.Argument(..., metavar="PROJECT", help="Project slug or id (prj_3)."),
    email: str = typer.Argument(..., metavar="EMAIL", help="The person's e-mail."),
) -> None:
    """Remove someone from a project (the project's leads and admins)."""
    from app.services import actors

    async def main(s: Session) -> str:
        project_id = await _refs.project(s, project)
        user = await find_user(email, "EMAIL")
        await actors.remove_project_member(s.actor, project_id=project_id, user_id=user.id)
        return user.email

    who = run(main)
    say(f"{who} removed from {project}")
