"""The `Decimal` scalar: money travels as exact strings.

Values are passed on as they came (a variable's JSON value, a literal's text) to the service,
whose single conversion function (`app.domain.money.to_micros`) refuses floats, NaN, junk and
over-precise amounts with a typed error naming the field, so `ValidationError { field rule }`
reaches the client as a union member.

Literals written in the document are judged here, during validation, because a float literal
is where precision is lost without anyone noticing: `amount: 0.1` reads as exact but is a
`FloatValueNode`, i.e. the client's code wrote a float. It is refused ("write amounts as
strings"), as are booleans, lists, objects and enums; string and integer literals pass. Each
refusal is a `GraphQLError`, which graphql-core reports as a validation error with its own
message (any other exception from here would be wrapped with the exception as its cause and
then masked as "Unexpected error" by `schema.AllotErrors`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from graphql import (
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    StringValueNode,
    ValueNode,
    print_ast,
)

FLOAT_LITERAL = (
    'Decimal literals must not be floats: write amounts as strings, e.g. "0.10" '
    "(a float literal has already lost precision in the client)"
)


def serialize(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def parse_value(value: Any) -> Any:
    return value


def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
    """A literal's text (exact, never a float) for string and integer literals; else refused."""
    if isinstance(node, (StringValueNode, IntValueNode)):
        return node.value
    extensions = {"code": "VALIDATION"}
    if isinstance(node, FloatValueNode):
        raise GraphQLError(f"{FLOAT_LITERAL}; found {node.value}.", node, extensions=extensions)
    raise GraphQLError(
        f'Decimal literals must be strings such as "12.50" or integers; found {print_ast(node)}.',
        node,
        extensions=extensions,
    )


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal amount, serialized as a string ("1234.5", "0.000123").',
    serialize=serialize,
    parse_value=parse_value,
    parse_literal=parse_literal,
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar}
