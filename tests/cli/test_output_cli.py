"""How money and names are shown: cents for display, never hiding a sub-cent cost."""

from __future__ import annotations

import pytest
from rich.console import Console

from app.cli._output import money, table


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("1250.5", "USD", "$1,250.50"),
        ("2861.29387", "USD", "$2,861.29"),  # a derived figure, rounded for display
        ("0.000123", "USD", "$0.000123"),  # rounding would show $0.00: kept exact
        ("0", "USD", "$0.00"),
        ("-0.5", "USD", "-$0.50"),
        ("30", "EUR", "€30.00"),
        ("1000000", "CHF", "1,000,000.00 CHF"),
        (None, "USD", "—"),
    ],
)
def test_money_for_display(value: str | None, currency: str, shown: str) -> None:
    assert money(value, currency) == shown


def test_exact_money_keeps_every_digit() -> None:
    assert money("12.345678", "USD", exact=True) == "$12.345678"
    assert money("12.5", "USD", exact=True) == "$12.50"


def test_a_name_with_brackets_is_not_read_as_markup() -> None:
    grid = table("name")
    grid.add_row("Lab [bold]2026[/bold]")
    console = Console(width=80, record=True)

    console.print(grid)

    assert "Lab [bold]2026[/bold]" in console.export_text()
