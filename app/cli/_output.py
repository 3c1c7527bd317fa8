"""How `allot` shows things: rich tables, money with its currency, status colours, progress.

Money arrives as the API's exact decimal strings. On screen it gets thousands separators and
cents; an amount finer than a cent (cloud and LLM costs) keeps its digits, because rounding a
$0.000123 call to "$0.00" would hide it. Exports and `--help` stay plain text.
"""

from __future__ import annotations

import os
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_STATUS_STYLES = {
    "HEALTHY": "green",
    "WARNING": "yellow",
    "CRITICAL": "red",
    "EXHAUSTED": "bold red",
    "PENDING": "yellow",
    "APPLIED": "green",
    "REJECTED": "red",
    "FAILED": "red",
    "OPEN": "green",
    "AHEAD": "yellow",
    "ON_PACE": "green",
    "BEHIND": "cyan",
}


def console(*, stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr). Piped output is not cut at 80 columns:
    tables take the width they need."""
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty() and "COLUMNS" not in os.environ:
        width = 200
    return Console(file=stream, width=width, soft_wrap=False, highlight=False)


def money(value: Decimal | str | int | None, currency: str = "", *, exact: bool = False) -> str:
    """`"1250.5"`, USD → `$1,250.50`; EUR → `€…`; another code → `… CHF`. Rounded to cents for
    display, except an amount under a cent (`$0.000123` stays visible) or with `exact`."""
    if value is None:
        return "—"
    dec = Decimal(str(value))
    cents = dec.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    visible = cents != 0 or dec == 0  # rounding would not turn a real amount into $0.00
    dec = cents if cents == dec or (visible and not exact) else dec.normalize()
    sign = "-" if dec < 0 else ""
    body = f"{abs(dec):,f}"
    symbol = _SYMBOLS.get(currency.upper())
    if symbol:
        return f"{sign}{symbol}{body}"
    return f"{sign}{body} {currency.upper()}".strip()


def styled(word: str | None) -> Text:
    """A status, pace or state word in its colour (plain when output is not a terminal)."""
    text = word or "—"
    return Text(text, style=_STATUS_STYLES.get(text, ""))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


class Grid(Table):
    """A table whose text cells are shown as typed: a name such as "Lab [2026]" is not read
    as rich markup."""

    def add_row(self, *cells: Any, **options: Any) -> None:  # type: ignore[override]
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **options)


def table(*columns: str, title: str | None = None) -> Grid:
    """Columns whose name ends in `$` are money: right-aligned (the `$` is dropped)."""
    grid = Grid(title=title, title_justify="left", header_style="bold")
    for name in columns:
        if name.endswith("$"):
            grid.add_column(name[:-1], justify="right", no_wrap=True)
        else:
            grid.add_column(name)
    return grid


def facts(rows: list[tuple[str, Any]]) -> Table:
    """A two-column list of labelled figures (no header)."""
    grid = Grid.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value if isinstance(value, Text) else str(value))
    return grid


def show(*things: Any) -> None:
    """Print tables and lines; plain strings are printed as typed (no markup)."""
    out = console()
    for thing in things:
        out.print(Text(thing) if isinstance(thing, str) else thing)


def say(text: str) -> None:
    """A plain line on stdout (tokens, ids: never wrapped, never styled)."""
    sys.stdout.write(text + "\n")


def progress(*, total_bytes: bool = False, label: str = "working") -> Progress | None:
    """A progress bar on stderr with a percentage and an ETA (the total may be set later), or
    None when stderr is not a terminal (pipes, CI logs and tests get no bar)."""
    err = console(stderr=True)
    if not err.is_terminal:
        return None
    columns: list[ProgressColumn] = [
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn() if total_bytes else MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=err, transient=True)
