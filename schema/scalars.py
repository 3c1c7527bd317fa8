"""The `Decimal` scalar: money travels as exact strings.

Parsing is deliberately permissive: the raw value goes to the service, whose single conversion
function refuses floats, NaN and over-precise amounts with a typed error naming the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode


def serialize(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def parse_value(value: Any) -> Any:
    return value


def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
    if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        return node.value  # the literal's text: exact, never a float
    raise ValueError("Decimal literals must be numbers or strings")


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal amount, serialized as a string ("1234.5", "0.000123").',
    serialize=serialize,
    parse_value=parse_value,
    parse_literal=parse_literal,
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar}
