"""Cell readers: amounts, dates and tags, including the shapes only some exports use."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ingest._values import CellError, parse_amount, parse_timestamp
from app.ingest.tags import parse_tags


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=11, allow_nan=False))
def test_amounts_round_half_even_to_micros_like_decimal_quantize(value):
    expected = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).scaleb(6)
    assert parse_amount(str(value), "BilledCost") == int(expected)


def test_a_tie_rounds_to_the_even_micro():
    assert parse_amount("0.0000025", "BilledCost") == 2
    assert parse_amount("0.0000035", "BilledCost") == 4
    assert parse_amount("-0.0000025", "BilledCost") == -2


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1,5", "$3.00", "0x10", "1_000"])
def test_text_that_is_not_a_plain_number_is_refused(text):
    with pytest.raises(CellError, match="BilledCost"):
        parse_amount(text, "BilledCost")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-09-18 22:00:00", datetime(2024, 9, 18, 22, tzinfo=UTC)),
        ("2024-09-18T22:00:00Z", datetime(2024, 9, 18, 22, tzinfo=UTC)),
        ("2020-11-10 05:49:32.199000+00:00", datetime(2020, 11, 10, 5, 49, 32, 199000, UTC)),
        ("2024-09-18T23:00:00+01:00", datetime(2024, 9, 18, 22, tzinfo=UTC)),
        ("5/1/25", datetime(2025, 5, 1, tzinfo=UTC)),
        ("4/1/2026", datetime(2026, 4, 1, tzinfo=UTC)),
        ("09/21/2023", datetime(2023, 9, 21, tzinfo=UTC)),
        ("4/1/2026 1:30 PM", datetime(2026, 4, 1, 13, 30, tzinfo=UTC)),
    ],
)
def test_dates_in_iso_and_us_forms_become_utc(text, expected):
    assert parse_timestamp(text, "ChargePeriodStart") == expected


@pytest.mark.parametrize("text", ["13/1/25", "2024-13-01", "NULL", "1/2", "4/1/2026 13:00 PM"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(CellError, match="ChargePeriodStart"):
        parse_timestamp(text, "ChargePeriodStart")


@pytest.mark.parametrize("text", ["", "NULL", "{}", "[]", "  "])
def test_empty_tags_cells_are_no_tags(text):
    assert parse_tags(text) == {}


def test_tag_values_that_are_not_strings_become_text():
    assert parse_tags('{"n": 1.50, "b": true, "z": null, "i": 7}') == {
        "n": "1.50",
        "b": "true",
        "z": "",
        "i": "7",
    }


def test_a_tags_list_is_never_evaluated_as_code():
    with pytest.raises(CellError):
        parse_tags("[__import__('os').getcwd()]")


def test_each_call_gets_its_own_tags_dict():
    first = parse_tags('{"env": "prod"}')
    first["env"] = "changed"
    assert parse_tags('{"env": "prod"}') == {"env": "prod"}
