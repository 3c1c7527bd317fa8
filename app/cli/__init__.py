"""The `allot` command: the root typer app, built from the sub-apps of this package.

Every command acts as one user (`--as EMAIL`, default the local admin: the first admin user),
through the same services and GraphQL reads as the API, so the access rules apply exactly as
there. What every command shares comes from `_common` (settings, database start-up, the acting
user, and the errors of `_errors`), with `_output` (tables, money, progress bars), `_refs`
(names → ids, through GraphQL) and `_amounts` (amounts and dates as typed); each other module
here is one command or group of commands.
"""

from __future__ import annotations

import os
import sys

import typer

from app.cli import (
    alerts,
    allocate,
    budget_update,
    budgets,
    export,
    imports,
    periods,
    projects,
    rules,
    server,
    spend,
    status,
    transfers,
    users,
)
from app.cli._common import FAILED, set_acting, settings

app = typer.Typer(
    help="Allot: split shared money across projects.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_EVERYDAY = "Everyday"
_DATA = "Data in and out"
_SETUP = "Setup and operation"


@app.callback()
def root(
    as_: str = typer.Option(
        None,
        "--as",
        metavar="EMAIL",
        help="Act as this user; their access rules apply as in the API."
        " Default: the local admin (the first admin user).",
    ),
) -> None:
    """Allot: split shared money across projects."""
    set_acting(as_)
    settings()  # an invalid ALLOT_* setting is named before any command runs


budgets.budgets_app.command("update")(budget_update.update)
app.command("status", rich_help_panel=_EVERYDAY)(status.status)
app.add_typer(budgets.budgets_app, name="budgets", rich_help_panel=_EVERYDAY)
app.add_typer(projects.projects_app, name="projects", rich_help_panel=_EVERYDAY)
app.command("allocate", rich_help_panel=_EVERYDAY)(allocate.allocate)
app.add_typer(spend.spend_app, name="spend", rich_help_panel=_EVERYDAY)
app.add_typer(transfers.transfers_app, name="transfers", rich_help_panel=_EVERYDAY)
app.add_typer(periods.periods_app, name="periods", rich_help_panel=_EVERYDAY)
app.add_typer(alerts.alerts_app, name="alerts", rich_help_panel=_EVERYDAY)
app.add_typer(imports.import_app, name="import", rich_help_panel=_DATA)
app.add_typer(rules.rules_app, name="rules", rich_help_panel=_DATA)
app.command("export", rich_help_panel=_DATA)(export.export)
app.command("serve", rich_help_panel=_SETUP)(server.serve)
app.command("migrate", rich_help_panel=_SETUP)(server.migrate)
app.command("demo", rich_help_panel=_SETUP)(server.demo)
app.add_typer(users.users_app, name="users", rich_help_panel=_SETUP)
app.add_typer(users.tokens_app, name="tokens", rich_help_panel=_SETUP)
app.command("verify", rich_help_panel=_SETUP)(server.verify)


def main() -> None:
    """The console script. Expected failures are already one line; anything else is a bug,
    told in one line too (ALLOT_DEBUG=1 shows the traceback)."""
    try:
        app()
    except Exception as exc:
        if os.environ.get("ALLOT_DEBUG"):
            raise
        typer.secho(
            f"error: unexpected {type(exc).__name__}: {exc} (ALLOT_DEBUG=1 shows the traceback)",
            fg=typer.colors.RED,
            err=True,
        )
        sys.exit(FAILED)


__all__ = ["app", "main"]
