"""Tags cells, in the three shapes real exports write them.

- a JSON object: FOCUS `Tags` (`{"env": "prod"}`, doubled quotes inside the CSV cell);
- a JSON object without its braces: Azure cost exports write `"CostCenter": "1234","env": "prod"`;
- a Python-repr list of `{'key': .., 'value': ..}` dicts: GCP BigQuery billing exports flattened
  to CSV (`labels`), read with `ast.literal_eval`, which evaluates literals only, never code.

Keys are kept exactly as written (routing decides how to compare them). Values become text:
a tag is a label, and a number or boolean in a tag is still a label.
"""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from functools import lru_cache

from app.ingest._values import NULLS, CellError


def parse_tags(value: str, column: str = "Tags") -> dict[str, str]:
    """Parse one tags cell; an empty, NULL, `{}` or `[]` cell is no tags."""
    text = value.strip()
    if text in NULLS:
        return {}
    # Cached as tuples (tags repeat across rows); each row gets its own dict to mutate.
    return dict(_parse(text, column))


@lru_cache(maxsize=4096)
def _parse(text: str, column: str) -> tuple[tuple[str, str], ...]:
    if text.startswith("["):
        return _parse_key_value_list(text, column)
    if not text.startswith("{"):
        text = "{" + text + "}"  # Azure writes the members of the object without the braces.
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        raise CellError(f"{column} is not a JSON object: {_excerpt(text)}") from None
    if not isinstance(parsed, dict):
        raise CellError(f"{column} is not a JSON object: {_excerpt(text)}")
    return tuple((str(key), _label(val)) for key, val in parsed.items())


def _parse_key_value_list(text: str, column: str) -> tuple[tuple[str, str], ...]:
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            reason = f"{column} is not a list of key/value pairs: {_excerpt(text)}"
            raise CellError(reason) from None
    if not isinstance(parsed, list):
        raise CellError(f"{column} is not a list of key/value pairs: {_excerpt(text)}")
    pairs: list[tuple[str, str]] = []
    for item in parsed:
        if not isinstance(item, dict) or "key" not in item:
            raise CellError(f"{column} has an item without a 'key': {_excerpt(text)}")
        pairs.append((str(item["key"]), _label(item.get("value"))))
    return tuple(pairs)


def _label(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
