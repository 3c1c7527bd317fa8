"""LiteLLM's price list, read exactly from the real (gzipped) file."""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from decimal import Decimal

import pytest
from data_files import data_file

from app.domain.errors import ValidationError
from app.domain.money import to_micros
from app.ingest import ModelPrice, read_litellm_prices

PRICES = data_file("litellm_model_prices_and_context_window.json.gz")


@pytest.fixture(scope="module")
def prices() -> list[ModelPrice]:
    return list(read_litellm_prices(PRICES))


@pytest.fixture(scope="module")
def document() -> dict[str, dict[str, object]]:
    with gzip.open(PRICES, "rt", encoding="utf-8") as handle:
        return json.load(handle, parse_float=Decimal)


def test_1000_input_and_500_output_tokens_of_gpt_4o_cost_exactly_7500_micros(prices):
    price = {(p.model, p.unit): p.price_per_unit for p in prices}
    cost = 1000 * price["gpt-4o", "input_token"] + 500 * price["gpt-4o", "output_token"]
    assert price["gpt-4o", "input_token"] == Decimal("0.0000025")
    assert price["gpt-4o", "output_token"] == Decimal("0.00001")
    assert cost == Decimal("0.0075")
    assert to_micros(cost.normalize()) == 7500  # exact: no rounding asked for


def test_every_price_is_an_exact_decimal_never_a_float(prices):
    assert prices
    assert all(type(p.price_per_unit) is Decimal for p in prices)
    # 2.5e-06 read as a float and back would not be this exact value
    assert Decimal(float("2.5e-06")) != Decimal("0.0000025")


def test_token_price_counts_match_an_independent_count_of_the_file(prices, document):
    counts = Counter(p.unit for p in prices)
    for key, unit in [("input_cost_per_token", "input_token"),
                      ("output_cost_per_token", "output_token"),
                      ("cache_read_input_token_cost", "input_token_cache_read"),
                      ("output_cost_per_reasoning_token", "output_token_reasoning")]:  # fmt: skip
        expected = sum(
            1
            for model, entry in document.items()
            if model != "sample_spec" and isinstance(entry.get(key), Decimal | int)
        )
        assert counts[unit] == expected, unit


def test_the_sample_spec_entry_and_entries_without_prices_yield_nothing(prices, document):
    models = {p.model for p in prices}
    assert "sample_spec" not in models
    unpriced = [m for m, e in document.items() if not any("cost" in key for key in e)]
    assert "dashscope/qwen-flash" in unpriced
    assert not models & set(unpriced)


def test_providers_come_from_litellm_provider(prices):
    provider = {p.model: p.provider for p in prices}
    assert provider["gpt-4o"] == "openai"


def test_prices_are_read_from_a_text_stream_too():
    with gzip.open(PRICES, "rt", encoding="utf-8") as handle:
        from_stream = list(read_litellm_prices(handle))
    assert from_stream == list(read_litellm_prices(PRICES))


def test_a_nan_price_is_refused():
    with pytest.raises(ValidationError):
        list(read_litellm_prices(io.StringIO('{"m": {"input_cost_per_token": NaN}}')))
