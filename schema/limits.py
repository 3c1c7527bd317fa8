"""Refuse hostile queries before they run: a page size above the maximum, written in the query
or passed in a variable, is refused before execution, like depth, alias and token limits.
(The connection also checks it when the field runs, for callers of the service directly.)"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    IntValueNode,
    ValidationRule,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

PAGE_ARGUMENTS = frozenset({"first", "limit"})


def page_size_rule(maximum: int) -> type[ValidationRule]:
    class PageSizeLimit(ValidationRule):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            value = node.value
            if (
                node.name.value in PAGE_ARGUMENTS
                and isinstance(value, IntValueNode)
                and int(value.value) > maximum
            ):
                self.report_error(
                    GraphQLError(
                        f"{node.name.value} must be at most {maximum}",
                        node,
                        extensions={"code": "VALIDATION", "field": node.name.value},
                    )
                )

    return PageSizeLimit


def variable_page_size_errors(
    document: DocumentNode, variables: Mapping[str, Any], maximum: int
) -> list[GraphQLError]:
    """The same limit for page sizes passed in variables (`first: $n`)."""
    errors: list[GraphQLError] = []

    class Check(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            value = node.value
            if node.name.value in PAGE_ARGUMENTS and isinstance(value, VariableNode):
                given = variables.get(value.name.value)
                if isinstance(given, int) and given > maximum:
                    errors.append(
                        GraphQLError(
                            f"{node.name.value} must be at most {maximum}",
                            node,
                            extensions={"code": "VALIDATION", "field": node.name.value},
                        )
                    )

    visit(document, Check())
    return errors


def variable_page_size_limiter(maximum: int) -> type[SchemaExtension]:
    """Runs after the (cached) validation and before execution; list it after ValidationCache."""

    class VariablePageSizes(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.pre_execution_errors == [] and context.graphql_document is not None:
                errors = variable_page_size_errors(
                    context.graphql_document, context.variables or {}, maximum
                )
                if errors:
                    context.pre_execution_errors = errors
            yield

    return VariablePageSizes
