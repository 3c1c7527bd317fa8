"""Money: one conversion each way, exact, refusing anything that has already lost precision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.money import (
    MAX_MICROS,
    from_micros,
    split_by_weights,
    split_evenly,
    to_micros,
)

micros = st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", 12_500_000),
        ("0.000001", 1),
        ("-3", -3_000_000),
        ("+7.5", 7_500_000),
        (".5", 500_000),
        ("5.", 5_000_000),
        ("-12.50", -12_500_000),
        ("0.000123", 123),
        (42, 42_000_000),
        (Decimal("0.123456"), 123_456),
        (Decimal("1.5E+3"), 1_500_000_000),
    ],
)
def test_to_micros_converts_text_ints_and_decimals_exactly(value: object, expected: int) -> None:
    assert to_micros(value) == expected


@pytest.mark.parametrize("value", [12.5, 0.1, 1e-7, float("nan"), float("inf")])
def test_to_micros_refuses_floats(value: float) -> None:
    with pytest.raises(ValidationError) as info:
        to_micros(value)
    assert info.value.field == "amount"
    assert "float" in info.value.rule


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
)
def test_to_micros_refuses_nan_and_infinity(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        to_micros(value, field="total")
    assert info.value.field == "total"


@pytest.mark.parametrize("value", [True, False])
def test_to_micros_refuses_booleans(value: bool) -> None:
    with pytest.raises(ValidationError, match="boolean"):
        to_micros(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "  ",
        "1e5",
        "12,50",
        "$5",
        "1.2.3",
        "0x10",
        "--1",
        None,
        [1],
        b"12",
        # Python's Decimal() and int() read these; an amount must not (see money.py).
        "1_000",
        " 42 ",
        "5\n",
        "٣",
        "１２",
        "+-5",
        ".",
        "-",
    ],
)
def test_to_micros_refuses_junk(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        to_micros(value)
    assert info.value.field == "amount"


@pytest.mark.parametrize("value", ["0.0000001", "12.3456789", Decimal("1E-7")])
def test_to_micros_refuses_more_than_six_decimals(value: object) -> None:
    with pytest.raises(ValidationError, match="more than 6 decimal places"):
        to_micros(value)


@pytest.mark.parametrize(("value", "expected"), [("0.0075000", 7_500), ("1.000000000", 1_000_000)])
def test_to_micros_accepts_trailing_zeros_beyond_six_decimals(value: str, expected: int) -> None:
    assert to_micros(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0000005", 0),  # half to even: 0
        ("0.0000015", 2),  # half to even: 2
        ("0.0000025", 2),  # half to even: 2
        ("0.00000251", 3),  # above half
        ("-0.0000025", -2),
        ("1.23456749", 1_234_567),
    ],
)
def test_to_micros_rounds_half_even_when_asked(value: str, expected: int) -> None:
    assert to_micros(value, round_half_even=True) == expected


def test_to_micros_refuses_amounts_beyond_a_64_bit_column() -> None:
    assert to_micros(Decimal(MAX_MICROS).scaleb(-6)) == MAX_MICROS
    with pytest.raises(ValidationError, match="too large"):
        to_micros(Decimal(MAX_MICROS + 1).scaleb(-6))
    with pytest.raises(ValidationError, match="too large"):
        to_micros("1" + "0" * 20)


def test_positive_refuses_zero_and_negative_amounts() -> None:
    for value in ("0", "-1", "0.000000"):
        with pytest.raises(ValidationError, match="greater than zero"):
            to_micros(value, positive=True)
    assert to_micros("0.000001", positive=True) == 1


def test_allow_zero_false_refuses_only_zero() -> None:
    with pytest.raises(ValidationError, match="must not be zero"):
        to_micros("0", allow_zero=False)
    assert to_micros("-1", allow_zero=False) == -1_000_000


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "0.000001"),
        (1_500_000, "1.5"),
        (100_000_000, "100"),
        (0, "0"),
        (-2_500_000, "-2.5"),
        (123_456_789, "123.456789"),
        (10**15, "1000000000"),
    ],
)
def test_from_micros_gives_exact_plain_decimals(value: int, text: str) -> None:
    assert str(from_micros(value)) == text


@given(
    st.one_of(
        micros,
        st.integers(-(10**6), 10**6),
        st.integers(-MAX_MICROS // 10**4, MAX_MICROS // 10**4).map(lambda n: n * 10**4),
    )
)
def test_from_micros_is_the_scaled_and_normalised_decimal_digit_for_digit(m: int) -> None:
    scaled = Decimal(m).scaleb(-6)
    reference = (
        scaled.quantize(Decimal(1)) if scaled == scaled.to_integral_value() else scaled.normalize()
    )
    assert from_micros(m).as_tuple() == reference.as_tuple()


@given(micros)
def test_from_micros_then_to_micros_is_the_identity(m: int) -> None:
    dec = from_micros(m)
    assert "E" not in str(dec)
    assert to_micros(dec) == m
    assert to_micros(str(dec)) == m


@given(
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=6,
        min_value=Decimal(-(10**12)),
        max_value=Decimal(10**12),
    )
)
def test_to_micros_then_from_micros_keeps_the_value(d: Decimal) -> None:
    assert from_micros(to_micros(str(d))) == d


@given(
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=9,
        min_value=Decimal(-(10**6)),
        max_value=Decimal(10**6),
    )
)
def test_rounding_never_moves_an_amount_by_more_than_half_a_micro(d: Decimal) -> None:
    rounded = from_micros(to_micros(d, round_half_even=True))
    assert abs(rounded - d) <= Decimal("0.0000005")


@given(
    total=st.integers(min_value=-(10**15), max_value=10**15),
    parts=st.integers(min_value=1, max_value=200),
)
def test_split_evenly_conserves_every_micro(total: int, parts: int) -> None:
    shares = split_evenly(total, parts)
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)  # the remainder goes to the first shares


def test_an_equal_split_of_5000_across_3_projects_loses_nothing() -> None:
    shares = split_evenly(to_micros("5000"), 3)
    assert shares == [1_666_666_667, 1_666_666_667, 1_666_666_666]
    assert sum(shares) == 5_000_000_000


def test_split_evenly_refuses_zero_parts() -> None:
    with pytest.raises(ValidationError):
        split_evenly(100, 0)


@given(
    total=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(
        st.integers(min_value=0, max_value=100_000_000), min_size=1, max_size=50
    ).filter(lambda w: sum(w) > 0),
)
def test_split_by_weights_conserves_every_micro(total: int, weights: list[int]) -> None:
    shares = split_by_weights(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        exact_floor = total * weight // weight_sum
        assert exact_floor <= share <= exact_floor + 1
        if weight == 0:
            assert share == 0


def test_split_by_weights_gives_ties_to_the_earlier_item() -> None:
    assert split_by_weights(100, [1, 1, 1]) == [34, 33, 33]
    assert split_by_weights(2, [1, 1, 1]) == [1, 1, 0]


@pytest.mark.parametrize("weights", [[], [0, 0], [-1, 1]])
def test_split_by_weights_refuses_weights_that_add_to_nothing(weights: list[int]) -> None:
    with pytest.raises(ValidationError):
        split_by_weights(100, weights)
