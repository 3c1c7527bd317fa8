"""Cost cells are normalised by the importer (spaces, exponents) but never misread.

`parse_amount` strips the padding real exports carry and reads GCP's `5e-06`, then hands an
exact Decimal to `to_micros`; digits must be ASCII, and a number too large for any amount is a
rejected row, not a crash of the whole import.
"""

from __future__ import annotations

import pytest

from app.ingest._values import CellError, parse_amount, parse_quantity


@pytest.mark.parametrize(
    ("text", "micros"),
    [(" 12.5 ", 12_500_000), ("\t0.75\t", 750_000), ("\xa012\xa0", 12_000_000), ("5e-06", 5)],
)
def test_padding_and_exponents_that_exports_write_are_read(text: str, micros: int) -> None:
    assert parse_amount(text, "BilledCost") == micros


@pytest.mark.parametrize("text", ["٣", "１２", "1٢", "²"])
def test_non_ascii_digits_are_a_rejected_cell(text: str) -> None:
    # Today: `\d` matches them and Decimal() reads "٣" as 3 and "１２" as 12.
    with pytest.raises(CellError, match="BilledCost is not a number"):
        parse_amount(text, "BilledCost")
    with pytest.raises(CellError, match="UsageQuantity is not a number"):
        parse_quantity(text, "UsageQuantity")


@pytest.mark.parametrize("text", ["1e999999999", "-1e999999999", "1e99999"])
def test_an_enormous_cost_is_a_rejected_cell_not_a_crash(text: str) -> None:
    # Today: "1e999999999" raises decimal.Overflow out of the parser (the import stops), and
    # "1e99999" takes over a second to build a 100,000-digit integer before being refused.
    with pytest.raises(CellError, match="too large"):
        parse_amount(text, "BilledCost")
