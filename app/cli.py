"""The `allot` command: serve, migrate, demo, users, tokens, verify, import, export."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from app import db
from app.settings import get_settings

T = TypeVar("T")

app = typer.Typer(
    help="Allot: split shared money across projects.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
from app.cli_import import import_app  # noqa: E402

app.add_typer(import_app, name="import")
from app.cli_rules import rules_app  # noqa: E402

app.add_typer(rules_app, name="rules")
from app.cli_export import export  # noqa: E402

app.command("export")(export)


def run_db(fn: Callable[[], Awaitable[T]], *, migrate: bool = False) -> T:
    """Run a coroutine with the database open (and, on request, migrated first)."""

    async def main() -> T:
        url = get_settings().database_url
        if migrate:
            await db.migrate(url)
            await db.close_db()
        await db.init_db(url)
        try:
            return await fn()
        finally:
            await db.close_db()

    from tortoise.exceptions import DBConnectionError, OperationalError

    try:
        return asyncio.run(main())
    except OperationalError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            fail("the database has no Allot tables yet: run `allot migrate` first")
        raise
    except (DBConnectionError, OSError) as exc:
        fail(f"cannot open the database {get_settings().database_url!r}: {exc}")
        raise


def fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Apply database migrations (safe to run again)."""

    async def main() -> None:
        await db.migrate(get_settings().database_url)
        await db.close_db()

    asyncio.run(main())
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default ALLOT_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default ALLOT_PORT or 8000)."),
    workers: int = typer.Option(1, help="uvicorn worker processes (PostgreSQL only for >1)."),
) -> None:
    """Run the HTTP server: GraphQL at /graphql, Slack at /slack/events, /healthz, /metrics."""
    import uvicorn

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    if workers > 1 and not db.is_postgres(settings.database_url):
        fail(
            "several workers need PostgreSQL (ALLOT_DATABASE_URL=postgres://…);"
            " SQLite is one process"
        )
    typer.echo(
        f"Allot listening on http://{host}:{port}  (GraphiQL at http://{host}:{port}/graphql)"
    )
    uvicorn.run(
        "app.main:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # A WebSocket message over the body limit is refused before uvicorn buffers it
        # (app.http_guard checks it again for servers started with plain uvicorn).
        ws_max_size=settings.max_body_bytes,
        # On SIGTERM, requests still running after the grace period are cancelled, and the
        # lifespan then cancels the background workers: the process stops within seconds.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,  # type: ignore[arg-type]
    )


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="Only load into an empty database."),
) -> None:
    """Load three demo budgets (a grant, a lab quarter, a class) and print an admin token."""
    from app.services import demo as demo_service

    async def main() -> tuple[bool, str | None]:
        return await demo_service.load(if_empty=if_empty)

    loaded, token = run_db(main, migrate=True)
    typer.echo("demo data loaded" if loaded else "database already has data; demo not loaded")
    if token:
        typer.secho(f"admin API token (shown once): {token}", fg=typer.colors.GREEN)


@users_app.command("create")
def users_create(
    name: str = typer.Option(..., help="Full name."),
    email: str = typer.Option(..., help="E-mail (unique)."),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
) -> None:
    """Create a user and print their API token (shown once)."""
    from app.domain.errors import AllotError
    from app.services import actors

    try:
        user, token = run_db(
            lambda: actors.create_user(None, name=name, email=email, is_admin=admin)
        )
    except AllotError as exc:
        fail(f"error: {exc.message}")
        return
    typer.echo(f"created user {user.id} <{user.email}>{' (admin)' if admin else ''}")
    typer.echo(f"API token (shown once): {token}")


@users_app.command("list")
def users_list() -> None:
    """List users."""
    from app.models import User

    async def main() -> list[Any]:
        return await User.all().order_by("id")

    for u in run_db(main):
        role = "admin" if u.is_admin else ""
        typer.echo(f"{u.id}\t{u.email}\t{u.name}\t{role}".rstrip())


@tokens_app.command("create")
def tokens_create(
    email: str = typer.Option(..., help="The user's e-mail."),
    name: str = typer.Option("cli", help="A label for the token."),
) -> None:
    """Create another API token for a user (printed once)."""
    from app.models import User
    from app.services import actors

    async def main() -> str | None:
        user = await User.get_or_none(email=email.strip().lower())
        if user is None:
            return None
        return await actors.create_api_token(None, user_id=user.id, name=name)

    token = run_db(main)
    if token is None:
        fail(f"no user with e-mail {email}")
    typer.echo(f"API token (shown once): {token}")


@tokens_app.command("revoke")
def tokens_revoke(email: str = typer.Option(..., help="The user's e-mail.")) -> None:
    """Revoke every API token of a user (a lost laptop, a leaked token)."""
    from app.models import User
    from app.services import actors

    async def main() -> int | None:
        user = await User.get_or_none(email=email.strip().lower())
        if user is None:
            return None
        return await actors.revoke_tokens(user.id)

    count = run_db(main)
    if count is None:
        fail(f"no user with e-mail {email}")
    typer.echo(f"revoked {count} token(s) of {email}")


@app.command()
def verify() -> None:
    """Recompute every balance from the journal; exit 1 if any cached figure drifted."""
    from app.services.verify import verify as run_verify

    drifts = run_db(run_verify)
    if drifts:
        for d in drifts:
            typer.secho(f"DRIFT {d}", fg=typer.colors.RED)
        fail(f"{len(drifts)} balance(s) drifted from the journal")
    typer.echo("ok: every balance equals the journal (zero drift)")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
