"""Credits attached to a charge, as GCP billing exports write them.

GCP's BigQuery billing export keeps credits *inside* the charge's row: `cost` is the cost before
credits, and `credits` is a list of `{name, amount, full_name, id, type}` records whose amounts
are negative (free trial and promotional credits, sustained and committed use discounts, free
tier...). The net cost of the line is `cost + sum(credits.amount)`; ignoring the list overstates
spend by every credit.

Flattened to CSV the list is either JSON (`[{"name": "…", "amount": -5e-06, …}]`) or, as in
koku's sample, a Python repr with single quotes and `None`. Amounts are kept as the text the
export wrote (a float would turn `-0.1` into `-0.1000000000000000055…` somewhere): JSON is read
with the number texts kept, the repr is parsed with `ast` and each number is sliced from the
source by the node's position. Only literals are accepted (lists, dicts, strings, numbers, None,
booleans): nothing is evaluated.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from functools import lru_cache

from app.ingest._values import NULLS, CellError

#: Longest credits cell read (a few credits are a few hundred characters).
MAX_CELL = 100_000


@dataclass(frozen=True, slots=True)
class Credit:
    """One credit entry: its amount exactly as written, and what names it."""

    amount_text: str
    name: str | None
    kind: str | None
    credit_id: str | None
    full_name: str | None


def parse_credits(value: str, column: str = "credits") -> tuple[Credit, ...]:
    """Parse one credits cell; empty, NULL and `[]` are no credits."""
    text = value.strip()
    if text in NULLS or text == "[]":
        return ()
    if len(text) > MAX_CELL:
        raise CellError(f"{column} is longer than {MAX_CELL} characters")
    return _parse(text, column)


@lru_cache(maxsize=4096)
def _parse(text: str, column: str) -> tuple[Credit, ...]:
    try:
        items = json.loads(text, parse_float=str, parse_int=str, parse_constant=_no_constant)
    except ValueError:
        items = _literal(text, column)
    if not isinstance(items, list):
        raise CellError(f"{column} is not a list of credits: {_excerpt(text)}")
    credits = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise CellError(f"{column}[{n}] is not a credit record: {_excerpt(text)}")
        amount = item.get("amount")
        if not isinstance(amount, str) or not amount.strip():
            raise CellError(f"{column}[{n}] has no amount: {_excerpt(text)}")
        credits.append(
            Credit(
                amount_text=amount.strip(),
                name=_text(item.get("name")),
                kind=_text(item.get("type")),
                credit_id=_text(item.get("id")),
                full_name=_text(item.get("full_name")),
            )
        )
    return tuple(credits)


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not amounts


def _literal(text: str, column: str) -> object:
    """A Python-repr literal, numbers as their source text (see the module docstring)."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise CellError(f"{column} is not a list of credits: {_excerpt(text)}") from None
    try:
        return _value(tree.body, text)
    except (ValueError, RecursionError):
        raise CellError(f"{column} is not a list of credits: {_excerpt(text)}") from None


def _value(node: ast.expr, text: str) -> object:
    if isinstance(node, ast.List):
        return [_value(elt, text) for elt in node.elts]
    if isinstance(node, ast.Dict):
        out: dict[str, object] = {}
        for key, val in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise ValueError("a credit's keys must be strings")
            out[key.value] = _value(val, text)
        return out
    number = node.operand if isinstance(node, ast.UnaryOp) else node
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd):
        raise ValueError("only a sign may precede a number")
    if isinstance(number, ast.Constant):
        value = number.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            if number is not node:
                raise ValueError("a sign must precede a number")
            return value
        if isinstance(value, int | float):
            source = ast.get_source_segment(text, node)
            if source is None:  # pragma: no cover - positions are always set by ast.parse
                raise ValueError("no source for a number")
            return "".join(source.split())  # "- 5e-06" is -5e-06
    raise ValueError("not a literal")


def _text(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


__all__ = ["Credit", "parse_credits"]
