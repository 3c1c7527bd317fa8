"""`allot serve`, `migrate`, `demo`, `verify`: running the server and looking after its database."""

from __future__ import annotations

import errno
import socket

import typer

from app import db
from app.cli._common import CliError, fail, run_db, settings, sqlite_file
from app.cli._output import console, say


def migrate() -> None:
    """Apply database migrations (creates the SQLite file; safe to run again)."""

    async def nothing() -> None:
        return None

    run_db(nothing, migrate=True)
    say("database is up to date")


def _port_free(host: str, port: int) -> None:
    """Bind once before uvicorn does: a taken port becomes one line saying how to pick another
    (uvicorn would log a traceback-like error and exit)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        fail(f"cannot listen on {host!r}: {exc.strerror} (--host or ALLOT_HOST)")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(
                    f"port {port} on {host} is already in use (another `allot serve`?): pick"
                    f" another with `allot serve --port N` or `make run PORT=N`"
                )
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")


def serve(
    host: str = typer.Option(None, help="Address to listen on (default ALLOT_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default ALLOT_PORT or 8000)."),
    workers: int = typer.Option(1, help="uvicorn worker processes (PostgreSQL only for >1)."),
) -> None:
    """Run the HTTP server: GraphQL at /graphql, Slack at /slack/events, /healthz, /metrics."""
    import uvicorn

    config = settings()
    host = host or config.host
    port = port or config.port
    from bot.config import slack_settings_problem

    if problem := slack_settings_problem(config):
        fail(problem)
    if workers > 1 and not db.is_postgres(config.database_url):
        fail(
            "several workers need PostgreSQL (ALLOT_DATABASE_URL=postgres://…);"
            " SQLite is one process"
        )

    async def ready() -> None:
        return None  # run_db has checked the database exists and is migrated

    run_db(ready)
    _port_free(host, port)
    from app import logs, metrics

    metrics.prepare_multiprocess(workers)  # several workers count in one shared directory
    log_settings = logs.LogSettings()
    say(f"Allot listening on http://{host}:{port}  (GraphiQL at http://{host}:{port}/graphql)")
    uvicorn.run(
        "app.main:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The server's JSON (or text) log format for uvicorn's own records too; the access
        # log only when ALLOT_ACCESS_LOG asks (app.logs logs each request already).
        log_config=logs.logging_config(log_settings),
        access_log=log_settings.access_log,
        # A WebSocket message over the body limit is refused before uvicorn buffers it
        # (app.http_guard checks it again for servers started with plain uvicorn).
        ws_max_size=config.max_body_bytes,
        # On SIGTERM, requests still running after the grace period are cancelled, and the
        # lifespan then cancels the background workers: the process stops within seconds.
        timeout_graceful_shutdown=config.shutdown_grace_seconds,  # type: ignore[arg-type]
    )


def demo(
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Skip quietly (exit 0) when the database already has data."
    ),
) -> None:
    """Load three demo budgets (a grant, a lab quarter, a class) and print an admin token and
    the admin's web-app password."""
    from app.models import Budget
    from app.services import demo as demo_service

    async def main() -> tuple[bool, str | None, str | None]:
        if not if_empty:
            count = await Budget.all().count()
            if count:
                where = sqlite_file(settings().database_url) or "this database"
                raise CliError(
                    f"{where} already has data ({count} budget(s)): the demo loads only into an"
                    " empty database; use a new ALLOT_DATABASE_URL, or `allot demo --if-empty`"
                    " to skip quietly"
                )
        loaded, token = await demo_service.load(if_empty=if_empty)
        password = None
        if token:  # the admin was created now: a password to sign in to the web app with
            import secrets

            from app.models import User
            from app.services import actors

            admin = await User.get(email=demo_service.ADMIN_EMAIL)
            password = secrets.token_urlsafe(12)
            await actors.set_password(None, user_id=admin.id, password=password)
        return loaded, token, password

    loaded, token, password = run_db(main, migrate=True)
    say("demo data loaded" if loaded else "database already has data; demo not loaded")
    if token:
        say(f"admin API token (shown once): {token}")
    if password:
        say(
            f"web app sign-in (shown once): {demo_service.ADMIN_EMAIL} / {password}"
            " (change it: allot users set-password)"
        )


def verify() -> None:
    """Recompute every balance from the journal; exit 1 if any cached figure drifted."""
    from app.models import JournalEntry
    from app.services.verify import verify as run_verify

    async def main() -> list[object]:
        err = console(stderr=True)
        if not err.is_terminal:
            return list(await run_verify())
        # verify() reports no progress as it goes: a spinner with the size of the work.
        entries = await JournalEntry.all().count()
        with err.status(f"verifying {entries:,} journal entries…"):
            return list(await run_verify())

    drifts = run_db(main)
    if drifts:
        for d in drifts:
            typer.secho(f"DRIFT {d}", fg=typer.colors.RED)
        fail(f"{len(drifts)} balance(s) drifted from the journal")
    say("ok: every balance equals the journal (zero drift)")
