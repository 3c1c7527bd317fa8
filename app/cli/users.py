"""`allot users …` and `allot tokens …`: people, their rights, and their API tokens.

These run with the operator's authority (whoever owns the database file, e.g. to create the
first admin) unless --as names a user: then that user's rights apply, as in the API.
"""

from __future__ import annotations

from typing import Any

import typer

from app.cli._common import find_user, run_db, run_operator, settings
from app.cli._output import say, show, table

users_app = typer.Typer(help="Manage users and the budget-creator right.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    name: str = typer.Option(..., help="Full name."),
    email: str = typer.Option(..., help="E-mail (unique)."),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
    creator: bool = typer.Option(
        False, "--creator", help="Grant the right to create budgets and projects."
    ),
) -> None:
    """Create a user and print their API token (shown once)."""
    from app.services import actors

    async def main(actor: Any) -> Any:
        return await actors.create_user(
            actor, name=name, email=email, is_admin=admin, is_budget_creator=creator
        )

    user, token = run_operator(main)
    rights = [r for r, on in (("admin", admin), ("budget creator", creator)) if on]
    say(f"created user {user.id} <{user.email}>" + (f" ({', '.join(rights)})" if rights else ""))
    say(f"API token (shown once): {token}")


def _set_creator(email: str, allowed: bool) -> None:
    from app.services import actors

    async def main(actor: Any) -> Any:
        user = await find_user(email, "EMAIL")
        return await actors.set_budget_creator(actor, user_id=user.id, allowed=allowed)

    user = run_operator(main)
    verb = "may now" if allowed else "may no longer"
    say(f"{user.email} {verb} create budgets and projects")


@users_app.command("set-password")
def users_set_password(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user's e-mail."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="ALLOT_NEW_PASSWORD",
        help="The new password (asked for when not given; or ALLOT_NEW_PASSWORD).",
    ),
) -> None:
    """Set the password the user signs in to the web app with (ends their sessions)."""
    from app.services import actors

    async def main(actor: Any) -> Any:
        user = await find_user(email, "EMAIL")
        return await actors.set_password(actor, user_id=user.id, password=password)

    user = run_operator(main)
    say(f"{user.email} may now sign in with the new password")


@users_app.command("grant-creator")
def users_grant_creator(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user's e-mail."),
) -> None:
    """Grant the budget-creator right: create budgets (as their owner) and projects (as lead)."""
    _set_creator(email, True)


@users_app.command("revoke-creator")
def users_revoke_creator(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user's e-mail."),
) -> None:
    """Withdraw the budget-creator right (budgets and projects they made stay theirs)."""
    _set_creator(email, False)


@users_app.command("list")
def users_list() -> None:
    """List users and their rights."""
    from app.models import User

    async def main() -> list[Any]:
        return await User.all().order_by("id")

    rows = table("id", "e-mail", "name", "rights", "slack")
    for u in run_db(main):
        rights = ", ".join(
            r for r, on in (("admin", u.is_admin), ("budget creator", u.is_budget_creator)) if on
        )
        rows.add_row(f"usr_{u.id}", u.email, u.name, rights, u.slack_user_id or "")
    show(rows)


@users_app.command("link-code")
def users_link_code(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user's e-mail."),
) -> None:
    """Print a one-time code that links the user's Slack account: they type `/allot link CODE`
    in Slack within 15 minutes (as the web app's settings page gives them)."""
    from app.domain.access import can_create_link_code_for, require
    from app.services import slack
    from app.services.actors import load_actor

    async def main(actor: Any) -> tuple[str, str]:
        user = await find_user(email, "EMAIL")
        require(can_create_link_code_for(actor, user.id), "make link codes for other users")
        return user.email, await slack.create_link_code(await load_actor(user))

    who, code = run_operator(main)
    say(f"Slack link code for {who} (works once, for 15 minutes): {code}")
    say(f"In Slack, type: {settings().slack_command} link {code}")


@tokens_app.command("create")
def tokens_create(
    email: str = typer.Option(..., help="The user's e-mail."),
    name: str = typer.Option("cli", help="A label for the token."),
) -> None:
    """Create another API token for a user (printed once)."""
    from app.services import actors

    async def main(actor: Any) -> str:
        user = await find_user(email, "--email")
        return await actors.create_api_token(actor, user_id=user.id, name=name)

    say(f"API token (shown once): {run_operator(main)}")


@tokens_app.command("revoke")
def tokens_revoke(email: str = typer.Option(..., help="The user's e-mail.")) -> None:
    """Revoke every API token of a user (a lost laptop, a leaked token)."""
    from app.domain.access import can_manage_api_tokens, require
    from app.services import actors

    async def main(actor: Any) -> int:
        user = await find_user(email, "--email")
        if actor is not None:
            # The rule of revokeApiToken: your own tokens, or anyone's as an admin.
            require(can_manage_api_tokens(actor, user.id), "revoke other users' tokens")
        return await actors.revoke_tokens(user.id)

    count = run_operator(main)
    say(f"revoked {count} token(s) of {email}")
