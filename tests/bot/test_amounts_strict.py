"""Slack amounts: the bot normalises what people type ($5k, 1,250.50) to a plain ASCII decimal
before the domain's conversion, and refuses digits of other scripts with its own hint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.amounts import parse_amount
from bot.errors import CommandError


@pytest.mark.parametrize("text", ["٣", "١٢٫٥", "１２", "$１２", "５k", "²"])
def test_digits_of_other_scripts_are_not_an_amount(text: str) -> None:
    # Today: the pattern's `\d` matches them and Decimal() reads "٣" as 3, "１２" as 12.
    with pytest.raises(CommandError) as caught:
        parse_amount(text)
    assert "not a number" in caught.value.message
    assert "12.50" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("$5k", Decimal(5000)), ("1,250.50", Decimal("1250.50")), ("  42  ", Decimal(42))],
)
def test_what_people_type_still_reads_exactly(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected
