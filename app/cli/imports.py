"""`allot import …`: cost exports (FOCUS, mapped CSV) and LLM price maps in, spend out.

The file is opened here, before the database, so a wrong path is named as the file it is; the
bytes read are counted through the file object, which gives the progress bar its percentage
and ETA (the file's size is known; a .gz counts compressed bytes).
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, TextIO

import typer

from app.cli._common import Session, fail, run, run_db, usage
from app.cli._output import money, progress, say

import_app = typer.Typer(help="Import cost exports and price lists.", no_args_is_help=True)


class CountingReader(io.RawIOBase):
    """A binary file that remembers how many bytes were read from it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0
        #: Called with the running count after each read (the progress bar follows it).
        self.on_read: Callable[[int], object] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer) or 0  # type: ignore[attr-defined]
        self.count += n
        if self.on_read is not None:
            self.on_read(self.count)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_counted(path: str) -> tuple[TextIO, CountingReader, int]:
    """The file as text (BOM dropped, .gz inflated), its byte counter and its size."""
    try:
        size = os.path.getsize(path)
        raw = open(path, "rb")  # noqa: SIM115 - closed with the text stream
    except FileNotFoundError:
        usage(f"no such file: {path}")
    except IsADirectoryError:
        usage(f"{path} is a directory, not a file")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    counter = CountingReader(raw)
    stream: BinaryIO = io.BufferedReader(counter)
    if path.endswith(".gz"):
        stream = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    return text, counter, size


def _budget_pk(budget: str | None) -> int | None:
    if budget is None:
        return None
    text = budget.strip().removeprefix("bud_")
    if not (text.isascii() and text.isdigit()):
        usage(f"--budget must be a budget id such as bud_3 or 3, got {budget!r}")
    return int(text)


def _run_import(
    rows_of: Callable[[TextIO], Iterable[Any]],
    file: str,
    source: str,
    budget: str | None,
    dry_run: bool,
    user: str | None,
) -> None:
    from app.services import imports

    budget_id = _budget_pk(budget)
    text, counter, size = open_counted(file)

    async def main(s: Session) -> imports.ImportSummary:
        rows = rows_of(text)
        bar = progress(total_bytes=True, label="importing")
        if bar is None:
            return await imports.import_rows(
                s.actor, rows, source=source, budget_id=budget_id, dry_run=dry_run
            )
        with bar:
            task = bar.add_task("import", total=size)
            counter.on_read = lambda count: bar.update(task, completed=count)
            return await imports.import_rows(
                s.actor, rows, source=source, budget_id=budget_id, dry_run=dry_run
            )

    try:
        summary = run(main, user=user, names={"file": file})
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text: is it the CSV export (or its .gz)?")
    except (gzip.BadGzipFile, EOFError):
        fail(f"{file} is not a complete gzip file")
    finally:
        text.close()
    print_summary(summary)


def print_summary(summary: Any) -> None:
    head = "dry run (nothing written)" if summary.dry_run else f"imported as {summary.source}"
    say(head)
    say(f"  rows read        {summary.read:>10,}")
    say(f"  recorded         {summary.recorded:>10,}")
    say(f"  duplicates       {summary.duplicates:>10,}  (seen before: counted once)")
    say(
        f"  unassigned       {summary.unassigned:>10,}  new, "
        f"{summary.already_unassigned:,} already held (see unassignedSpends)"
    )
    say(f"  zero cost        {summary.skipped_zero:>10,}  skipped (no money moved)")
    say(f"  rejected         {summary.rejected:>10,}")
    for line, reason in summary.rejections:
        say(f"    line {line}: {reason}")
    if summary.rejected > len(summary.rejections):
        say(f"    … and {summary.rejected - len(summary.rejections):,} more")
    if summary.totals:
        from app.domain.money import from_micros

        say("  total by project")
        for slug, amount in summary.totals.items():
            say(f"    {slug:<30} {money(from_micros(amount))}")


_USER_HELP = "Act as this user (default: --as, else the first admin)."


@import_app.command("focus")
def import_focus(
    file: str = typer.Argument(
        ..., metavar="FILE", help="A FOCUS 1.0-1.2 CSV export (or .csv.gz)."
    ),
    budget: str = typer.Option(None, "--budget", help="Record into this budget (e.g. bud_3)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and route, write nothing."),
    user: str = typer.Option(None, "--user", help=_USER_HELP),
) -> None:
    """Import a FinOps FOCUS cost export: route rows to projects, record them as spend."""
    from app.ingest import read_focus

    _run_import(read_focus, file, "focus", budget, dry_run, user)


@import_app.command("csv")
def import_csv(
    file: str = typer.Argument(..., metavar="FILE", help="A cost export CSV (or .csv.gz)."),
    map: str = typer.Option(
        None,
        "--map",
        help="Columns, e.g. 'amount=Cost,date=Date,"
        "service=Service,project=Project,date_format=%m/%d/%Y'.",
    ),
    preset: str = typer.Option(None, "--preset", help="aws-cur, azure-ea or gcp-billing."),
    budget: str = typer.Option(None, "--budget", help="Record into this budget (e.g. bud_3)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and route, write nothing."),
    user: str = typer.Option(None, "--user", help=_USER_HELP),
) -> None:
    """Import any cost CSV through a column map or a preset."""
    from app.domain.errors import ValidationError
    from app.ingest import ColumnMap, read_mapped

    if not map and not preset:
        usage("give --map 'amount=…,date=…' or --preset aws-cur|azure-ea|gcp-billing")
    try:
        spec = ",".join(filter(None, [f"preset={preset}" if preset else "", map or ""]))
        colmap = ColumnMap.parse(spec)
    except ValidationError as exc:
        usage(exc.message)
    # The source scopes externalIds: a re-import through the same preset replays.
    source = f"csv:{preset}" if preset else "csv"
    _run_import(lambda text: read_mapped(text, colmap), file, source, budget, dry_run, user)


@import_app.command("prices")
def import_prices(
    file: str = typer.Argument(
        ..., metavar="FILE", help="LiteLLM model_prices_and_context_window.json (or .gz)."
    ),
    card: str = typer.Option("litellm", "--card", help="Rate card to import into (global, USD)."),
    effective_from: str = typer.Option(
        None, "--effective-from", help="Date the prices apply from (YYYY-MM-DD, default today)."
    ),
) -> None:
    """Import an LLM price map into a rate card; unchanged prices create no new versions."""
    from app.cli._amounts import day
    from app.domain.errors import AllotError
    from app.ingest.prices import read_litellm_prices
    from app.services import rates

    effective = day(effective_from, "--effective-from")
    try:
        prices = list(read_litellm_prices(file))
    except FileNotFoundError:
        usage(f"no such file: {file}")
    except (OSError, ValueError, AllotError) as exc:  # not gzip, not JSON, not a price map
        usage(f"{file} is not a LiteLLM price map: {getattr(exc, 'message', exc)}")

    async def main() -> Any:
        return await rates.import_litellm(prices, card, effective)

    say(str(run_db(main)))
