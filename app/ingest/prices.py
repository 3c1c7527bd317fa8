"""LLM list prices from LiteLLM's `model_prices_and_context_window.json`.

Prices such as `2.5e-06` per token are parsed as Decimal straight from the JSON text
(`parse_float=Decimal`): a float would already be wrong in the last digits, and a million
tokens multiply the error. The file is one JSON object (a few MB), so it is loaded whole; the
prices are still yielded one at a time.

Only the flat, per-unit price keys below are read. Tiered (`..._above_200k_tokens`), service-tier
(`_priority`, `_flex`) and per-query or per-session prices are conditions on top of a base price,
not units of their own, and are left out.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from app.domain.errors import ValidationError

#: LiteLLM key -> the unit it prices.
UNITS: dict[str, str] = {
    "input_cost_per_token": "input_token",
    "output_cost_per_token": "output_token",
    "output_cost_per_reasoning_token": "output_token_reasoning",
    "cache_read_input_token_cost": "input_token_cache_read",
    "cache_creation_input_token_cost": "input_token_cache_write",
    "input_cost_per_token_batches": "input_token_batch",
    "output_cost_per_token_batches": "output_token_batch",
    "input_cost_per_audio_token": "input_token_audio",
    "output_cost_per_audio_token": "output_token_audio",
    "input_cost_per_image_token": "input_token_image",
    "input_cost_per_character": "input_character",
    "output_cost_per_character": "output_character",
    "input_cost_per_image": "input_image",
    "output_cost_per_image": "output_image",
    "input_cost_per_second": "input_second",
    "output_cost_per_second": "output_second",
    "input_cost_per_audio_per_second": "input_second_audio",
    "input_cost_per_video_per_second": "input_second_video",
    "input_cost_per_pixel": "input_pixel",
    "output_cost_per_pixel": "output_pixel",
}
_SKIP = {"sample_spec"}  # LiteLLM's documentation entry, not a model


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """The list price of one unit (a token, a second, an image) of one model."""

    model: str
    provider: str | None
    unit: str
    price_per_unit: Decimal


def read_litellm_prices(source: TextIO | str | os.PathLike[str]) -> Iterator[ModelPrice]:
    """Yield every per-unit price in the file (path, `.gz` path or text stream).

    Models whose entries carry none of the keys in `UNITS` yield nothing. A price that is not a
    finite number (LiteLLM has none today) is skipped rather than guessed.
    """
    document = _load(source)
    if not isinstance(document, dict):
        raise ValidationError("prices", "must be a JSON object keyed by model name")
    for model, entry in document.items():
        if model in _SKIP or not isinstance(entry, dict):
            continue
        provider = entry.get("litellm_provider")
        for key, unit in UNITS.items():
            price = entry.get(key)
            if isinstance(price, bool) or not isinstance(price, int | Decimal):
                continue
            price = Decimal(price)
            if not price.is_finite():
                continue
            yield ModelPrice(
                model=model,
                provider=provider if isinstance(provider, str) else None,
                unit=unit,
                price_per_unit=price,
            )


def _load(source: TextIO | str | os.PathLike[str]) -> Any:
    # NaN and Infinity are not JSON numbers; refusing them keeps the float type out entirely.
    options: dict[str, Any] = {"parse_float": Decimal, "parse_constant": _no_constant}
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            return json.load(handle, **options)
    return json.load(source, **options)


def _no_constant(name: str) -> None:
    raise ValidationError("prices", f"contain {name}, which is not a price")
