"""`allot import …`: cost exports (FOCUS, mapped CSV) in, spend out."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Import cost exports and price lists.", no_args_is_help=True)


@import_app.command("prices")
def import_prices(
    file: str = typer.Argument(..., help="LiteLLM model_prices_and_context_window.json (or .gz)."),
    card: str = typer.Option("litellm", "--card", help="Rate card to import into (global, USD)."),
    effective_from: str = typer.Option(
        None, "--effective-from", help="Date the prices apply from (YYYY-MM-DD, default today)."
    ),
) -> None:
    """Import an LLM price map into a rate card; unchanged prices create no new versions."""
    from datetime import date

    from app.cli import fail, run_db
    from app.domain.errors import AllotError
    from app.services import rates

    try:
        day = date.fromisoformat(effective_from) if effective_from else None
    except ValueError:
        fail(f"--effective-from must be a date such as 2026-04-01, got {effective_from!r}", 2)
        return
    from app.ingest.prices import read_litellm_prices

    try:
        prices = list(read_litellm_prices(file))
    except FileNotFoundError:
        fail(f"no such file: {file}", 2)
        return
    except (OSError, ValueError, AllotError) as exc:  # not gzip, not JSON, not a price map
        fail(f"{file} is not a LiteLLM price map: {getattr(exc, 'message', exc)}", 2)
        return
    try:
        summary = run_db(lambda: rates.import_litellm(prices, card, day))
    except AllotError as exc:
        fail(exc.message)
        return
    typer.echo(str(summary))


# --- cost exports: FOCUS and mapped CSV -------------------------------------------------------


def cli_actor(email: str | None):  # type: ignore[no-untyped-def]
    """The actor a CLI command acts as: the user with `email`, or else the first admin."""
    from app.domain.errors import NotFound
    from app.models import User
    from app.services.actors import load_actor

    async def find():  # type: ignore[no-untyped-def]
        if email:
            user = await User.get_or_none(email=email.strip().lower())
            if user is None:
                raise NotFound("User", email, field="--user")
        else:
            user = await User.filter(is_admin=True).order_by("id").first()
            if user is None:
                raise NotFound("admin user", "(create one: allot users create --admin)")
        return await load_actor(user)

    return find


def _run_import(rows_of, source: str, budget: str | None, dry_run: bool, user: str | None) -> None:  # type: ignore[no-untyped-def]
    import sys

    from app.cli import fail, run_db
    from app.domain.errors import AllotError
    from app.services import imports

    budget_id = None
    if budget:
        text = budget.strip()
        budget_id = int(text.removeprefix("bud_")) if text.removeprefix("bud_").isdigit() else None
        if budget_id is None:
            fail(f"--budget must be a budget id such as bud_3 or 3, got {budget!r}", 2)
    find_actor = cli_actor(user)

    async def main() -> imports.ImportSummary:
        actor = await find_actor()
        rows = rows_of()
        if not sys.stdout.isatty():
            return await imports.import_rows(
                actor, rows, source=source, budget_id=budget_id, dry_run=dry_run
            )
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn("[bold]importing"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task("import", total=None)
            return await imports.import_rows(
                actor,
                rows,
                source=source,
                budget_id=budget_id,
                dry_run=dry_run,
                progress=lambda n: bar.advance(task, n),
            )

    try:
        summary = run_db(main)
    except FileNotFoundError as exc:
        fail(f"no such file: {exc.filename}", 2)
        return
    except AllotError as exc:
        fail(f"error: {exc.message}")
        return
    print_summary(summary)


def print_summary(summary) -> None:  # type: ignore[no-untyped-def]
    from app.domain.money import from_micros

    head = "dry run (nothing written)" if summary.dry_run else f"imported as {summary.source}"
    typer.echo(head)
    typer.echo(f"  rows read        {summary.read:>10,}")
    typer.echo(f"  recorded         {summary.recorded:>10,}")
    typer.echo(f"  duplicates       {summary.duplicates:>10,}  (seen before: counted once)")
    typer.echo(
        f"  unassigned       {summary.unassigned:>10,}  new, "
        f"{summary.already_unassigned:,} already held (see unassignedSpends)"
    )
    typer.echo(f"  zero cost        {summary.skipped_zero:>10,}  skipped (no money moved)")
    typer.echo(f"  rejected         {summary.rejected:>10,}")
    for line, reason in summary.rejections:
        typer.echo(f"    line {line}: {reason}")
    if summary.rejected > len(summary.rejections):
        typer.echo(f"    … and {summary.rejected - len(summary.rejections):,} more")
    if summary.totals:
        typer.echo("  total by project")
        for slug, amount in summary.totals.items():
            typer.echo(f"    {slug:<30} {from_micros(amount)}")


@import_app.command("focus")
def import_focus(
    file: str = typer.Argument(..., help="A FOCUS 1.0-1.2 CSV export (or .csv.gz)."),
    budget: str = typer.Option(None, "--budget", help="Record into this budget (e.g. bud_3)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and route, write nothing."),
    user: str = typer.Option(None, "--user", help="Act as this user (default: the first admin)."),
) -> None:
    """Import a FinOps FOCUS cost export: route rows to projects, record them as spend."""
    from app.ingest import read_focus

    _run_import(lambda: read_focus(file), "focus", budget, dry_run, user)


@import_app.command("csv")
def import_csv(
    file: str = typer.Argument(..., help="A cost export CSV (or .csv.gz)."),
    map: str = typer.Option(
        None,
        "--map",
        help="Columns, e.g. 'amount=Cost,date=Date,"
        "service=Service,project=Project,date_format=%m/%d/%Y'.",
    ),
    preset: str = typer.Option(None, "--preset", help="aws-cur, azure-ea or gcp-billing."),
    budget: str = typer.Option(None, "--budget", help="Record into this budget (e.g. bud_3)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and route, write nothing."),
    user: str = typer.Option(None, "--user", help="Act as this user (default: the first admin)."),
) -> None:
    """Import any cost CSV through a column map or a preset."""
    from app.cli import fail
    from app.domain.errors import ValidationError
    from app.ingest import ColumnMap, read_mapped

    if not map and not preset:
        fail("give --map 'amount=…,date=…' or --preset aws-cur|azure-ea|gcp-billing", 2)
    try:
        spec = ",".join(filter(None, [f"preset={preset}" if preset else "", map or ""]))
        colmap = ColumnMap.parse(spec)
    except ValidationError as exc:
        fail(f"error: {exc.message}", 2)
        return
    # The source scopes externalIds: a re-import through the same preset replays.
    source = f"csv:{preset}" if preset else "csv"
    _run_import(lambda: read_mapped(file, colmap), source, budget, dry_run, user)
