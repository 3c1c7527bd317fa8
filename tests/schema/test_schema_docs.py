"""The schema documents itself, and its exported copies are current.

1. Every type, field, argument, input field and enum value a client can introspect has a
   description (the spec's built-in scalars and the introspection types excepted): the check
   walks the schema as a client sees it, through the introspection query.
2. `schema.graphql` and `docs/api-reference.md` are what `python -m schema.export` prints now.
3. Every GraphQL example in docs/concepts.md is valid against the schema.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_client_schema,
    build_schema,
    get_introspection_query,
    is_introspection_type,
    is_specified_scalar_type,
    parse,
    validate,
)

from schema import export
from schema import schema as allot_schema

REGENERATE = ".venv/bin/python -m schema.export  (from the repository root)"


def undocumented(graphql_schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value without a description."""

    def blank(text: str | None) -> bool:
        return not (text or "").strip()

    missing: list[str] = []
    for name, type_ in sorted(graphql_schema.type_map.items()):
        if is_introspection_type(type_) or is_specified_scalar_type(type_):
            continue
        if blank(type_.description):
            missing.append(f"type {name}")
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in type_.fields.items():
                if blank(field.description):
                    missing.append(f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if blank(arg.description):
                        missing.append(f"argument {name}.{field_name}({arg_name})")
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                if blank(input_field.description):
                    missing.append(f"input field {name}.{field_name}")
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if blank(value.description):
                    missing.append(f"enum value {name}.{value_name}")
    return missing


async def introspected() -> GraphQLSchema:
    """The schema as a client sees it: built from the introspection query's answer."""
    result = await allot_schema.execute(get_introspection_query(descriptions=True))
    assert result.errors is None, result.errors
    data: Any = result.data
    return build_client_schema(data)


async def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = undocumented(await introspected())
    assert not missing, (
        f"{len(missing)} schema items have no description (add description= to the Strawberry "
        "type, field, argument or enum value):\n  " + "\n  ".join(missing)
    )


def test_the_check_finds_each_kind_of_undescribed_item() -> None:
    sdl = '''
        """A described type."""
        type Query {
          """Described."""
          ok(plain: Int, """Described.""" good: Int): Int
          bare: Thing
        }
        type Thing { """Described.""" x: Int }
        """An input."""
        input Filter { y: Int }
        """An enum."""
        enum Colour { """Described.""" RED BLUE }
        scalar Money
    '''
    assert undocumented(build_schema(sdl)) == [
        "enum value Colour.BLUE",
        "input field Filter.y",
        "type Money",
        "argument Query.ok(plain)",
        "field Query.bare",
        "type Thing",
    ]


def test_schema_graphql_and_the_api_reference_are_current() -> None:
    stale = [str(path.relative_to(export.ROOT)) for path in export.stale()]
    assert not stale, (
        f"{', '.join(stale)} no longer match the schema: regenerate with {REGENERATE} and "
        "commit the result."
    )


def test_the_reference_covers_every_root_field_and_named_type() -> None:
    text = export.REFERENCE_FILE.read_text(encoding="utf-8")
    graphql_schema = allot_schema._schema
    for root in (
        graphql_schema.query_type,
        graphql_schema.mutation_type,
        graphql_schema.subscription_type,
    ):
        assert root is not None
        for name in root.fields:
            assert f"\n### {root.name}.{name}\n" in text, f"{root.name}.{name} is missing"
    roots = {"Query", "Mutation", "Subscription"}
    for name, type_ in graphql_schema.type_map.items():
        if is_introspection_type(type_) or name in roots:
            continue
        assert f"\n### {name}\n" in text, f"type {name} is missing from the reference"


def test_the_concepts_guide_examples_are_valid_operations() -> None:
    text = (export.ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```graphql\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    for block in blocks:
        errors = validate(allot_schema._schema, parse(block))
        assert not errors, f"{errors}\n{block}"
