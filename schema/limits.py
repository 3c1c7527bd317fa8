"""Refuse hostile queries before they run: a literal page size above the maximum is a
validation error, like depth, alias and token limits (a page size passed in a variable is
checked when the field runs, with the same error)."""

from __future__ import annotations

from typing import Any

from graphql import ArgumentNode, GraphQLError, IntValueNode, ValidationRule

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
