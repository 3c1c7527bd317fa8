"""Refuse unstorable text in any GraphQL input, before execution.

`app.domain.validation.clean_text` refuses NUL characters (PostgreSQL cannot store them; SQLite
can, so the same request would work on one database and fail on the other) and lone surrogates
(`"\\ud800"`: not Unicode text, so the database driver, a JSON encoder or a log handler fails on
it later). The domain's `name`, `slug` and `text` helpers apply it, but not every string goes
through them: an `externalId`, a tag, a rate card's unit, a search, a cursor, a JSON scalar's
keys. `StringInputs` applies the same rule to every string a client sends, once, before any
resolver runs: each string literal in the document (arguments, input objects, lists, directive
arguments, variable defaults) and each string in the variables, keys of JSON objects included.

A refusal is a coded error per offending string, like the other pre-execution checks
(`schema.limits`): `{"message": "<path> <rule>", "extensions": {"code": "VALIDATION",
"field": "<path>", "rule": "<rule>"}}`, with `data: null`. The path names the argument: for a
literal `createProject.input.name` (field, argument, input fields; `...Fragment.` in front for
a fragment's, `[2]` for a list item); for a string in a variable, the argument the variable
feeds, e.g. `recordSpends.input.items[3].description`, with the variable's own path
(`$input.items[3].description`) in `extensions.variable`. The offending value itself is never
echoed: a raw NUL or surrogate in an error message is what must not reach an encoder or a log.

Register it in `schema.build_schema`'s extension list (after the validation cache, so the
check reuses its result and runs only for valid documents); it also works listed anywhere else,
checking at the start of execution instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from app.domain.validation import NUL_RULE, SURROGATE_RULE

#: The characters refused: NUL and the surrogate range (a str holds one only when it is lone,
#: since Python decodes a valid pair into a single code point).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: Errors reported per request: enough to fix a form, not a megabyte of them for a big batch.
MAX_ERRORS = 20


def rule_for(text: str) -> str | None:
    """The rule `text` breaks, or None when it is storable."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return NUL_RULE if found.group() == "\x00" else SURROGATE_RULE


def _safe_key(key: object) -> str:
    """A dict key as it may appear in a path: itself when clean, else escaped."""
    text = str(key)
    return text if rule_for(text) is None and text.isprintable() else repr(text)


def variable_problems(variables: Mapping[str, Any] | None) -> Iterator[tuple[str, str]]:
    """(path, rule) for each unstorable string in the variables, keys included. Iterative: a
    JSON variable may nest deeply (its depth is bounded by schema.limits, not here)."""
    stack: list[tuple[str, Any]] = [(f"${_safe_key(k)}", v) for k, v in (variables or {}).items()]
    stack.reverse()
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            rule = rule_for(value)
            if rule is not None:
                yield path, rule
        elif isinstance(value, Mapping):
            children = []
            for key, item in value.items():
                child = f"{path}.{_safe_key(key)}"
                if isinstance(key, str) and (rule := rule_for(key)) is not None:
                    yield child, f"key {rule}"
                children.append((child, item))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))


#: A leaf of the document's input values: a string literal or a variable, and where it sits.
_Leaf = tuple[str, StringValueNode | VariableNode]


def _values(node: ValueNode, path: str) -> Iterator[_Leaf]:
    stack: list[tuple[ValueNode, str]] = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, (StringValueNode, VariableNode)):
            yield where, value
        elif isinstance(value, ListValueNode):
            stack.extend(reversed([(v, f"{where}[{i}]") for i, v in enumerate(value.values)]))
        elif isinstance(value, ObjectValueNode):
            stack.extend(reversed([(f.value, f"{where}.{f.name.value}") for f in value.fields]))


def _directive_values(directives: tuple[DirectiveNode, ...] | None, path: str) -> Iterator[_Leaf]:
    for directive in directives or ():
        for argument in directive.arguments or ():
            yield from _values(
                argument.value, f"{path}@{directive.name.value}.{argument.name.value}"
            )


def _selection_values(selection_set: SelectionSetNode | None, prefix: str) -> Iterator[_Leaf]:
    stack: list[tuple[SelectionSetNode | None, str]] = [(selection_set, prefix)]
    while stack:
        current, where = stack.pop()
        if current is None:
            continue
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                field = f"{where}{selection.name.value}"
                for argument in selection.arguments or ():
                    yield from _values(argument.value, f"{field}.{argument.name.value}")
                yield from _directive_values(selection.directives, field)
                stack.append((selection.selection_set, f"{field}."))
            elif isinstance(selection, InlineFragmentNode):
                yield from _directive_values(selection.directives, where.rstrip(".") or "...")
                stack.append((selection.selection_set, where))
            elif isinstance(selection, FragmentSpreadNode):
                yield from _directive_values(
                    selection.directives, f"{where}...{selection.name.value}"
                )


def _document_values(document: DocumentNode) -> Iterator[_Leaf]:
    """Every string literal and variable use in the document's input values, with its path."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for variable in definition.variable_definitions or ():
                if variable.default_value is not None:
                    yield from _values(variable.default_value, f"${variable.variable.name.value}")
            yield from _directive_values(definition.directives, "operation")
            yield from _selection_values(definition.selection_set, "")
        elif isinstance(definition, FragmentDefinitionNode):
            prefix = f"...{definition.name.value}."
            yield from _directive_values(definition.directives, prefix.rstrip("."))
            yield from _selection_values(definition.selection_set, prefix)


def document_problems(document: DocumentNode) -> Iterator[tuple[str, str, Node]]:
    """(path, rule, node) for each unstorable string literal anywhere in the document."""
    for path, node in _document_values(document):
        if isinstance(node, StringValueNode) and (rule := rule_for(node.value)) is not None:
            yield path, rule, node


def variable_uses(document: DocumentNode) -> dict[str, str]:
    """Where each variable is first used: `{"i": "createProject.input"}`."""
    uses: dict[str, str] = {}
    for path, node in _document_values(document):
        if isinstance(node, VariableNode):
            uses.setdefault(node.name.value, path)
    return uses


def string_errors(
    document: DocumentNode | None, variables: Mapping[str, Any] | None
) -> list[GraphQLError]:
    """One VALIDATION error per unstorable string (at most MAX_ERRORS), naming its path."""
    errors: list[GraphQLError] = []
    literals = document_problems(document) if document is not None else iter(())
    uses = variable_uses(document) if document is not None else {}
    in_variables = ((path, rule, None) for path, rule in variable_problems(variables))
    for path, rule, node in chain(literals, in_variables):
        extensions = {"code": "VALIDATION", "field": path, "rule": rule}
        if path.startswith("$"):  # name the argument the variable feeds, keep the variable
            name, sep, rest = path[1:].partition(".")
            name, bracket, index = name.partition("[")
            if name in uses:
                extensions["variable"] = path
                extensions["field"] = uses[name] + bracket + index + sep + rest
        errors.append(GraphQLError(f"{extensions['field']} {rule}", node, extensions=extensions))
        if len(errors) >= MAX_ERRORS:
            break
    return errors


class StringInputs(SchemaExtension):
    """Refuse NULs and lone surrogates in every string input before execution (see above)."""

    def on_validate(self) -> Iterator[None]:
        # Listed after the validation cache, validation has run by now: a valid document's
        # strings are checked here, which covers subscriptions too.
        context = self.execution_context
        self._checked = False
        if context.pre_execution_errors == [] and context.graphql_document is not None:
            self._checked = True
            errors = string_errors(context.graphql_document, context.variables)
            if errors:
                context.pre_execution_errors = errors
        yield

    def on_execute(self) -> Iterator[None]:
        # Listed before validation ran (or with no validation cache): check now, and answer
        # with the errors instead of executing (Strawberry skips execution when a result is set).
        context = self.execution_context
        if not getattr(self, "_checked", False) and context.result is None:
            errors = string_errors(context.graphql_document, context.variables)
            if errors:
                context.result = ExecutionResult(data=None, errors=errors)
        yield
