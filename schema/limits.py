"""Refuse hostile queries before they run.

- The gate (`request_limiter`) runs first in validation, before any validation rule looks at
  the document: the estimated cost (schema/cost.py), depth and aliases, measured with
  fragments memoised so the check is linear even for an exponential fragment fan-out; lists
  in the variables or in the document longer than max_list_items; repeated fields that would
  make validation quadratic. It replaces Strawberry's QueryDepthLimiter and
  MaxAliasesLimiter, which walk every fragment spread again (2^n on the fan-out).
- A page size above the maximum, written in the query or passed in a variable, is refused
  before execution (the connection also checks it when the field runs, for callers of the
  service directly).
- Validation is cached, skipped for a document the gate refused, and without suggestions
  when introspection is off.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    IntValueNode,
    ValidationRule,
    VariableNode,
    Visitor,
    validate,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.settings import Settings
from schema.cost import (
    CAP,
    MAX_NESTING,
    MAX_NUMBER_LENGTH,
    CostModel,
    DocumentMeasure,
    field_merges,
    measure_document,
)
from schema.execution import FastExecutionContext

PAGE_ARGUMENTS = frozenset({"first", "limit"})


class _Reads(Mapping[str, Any]):
    """The variables, remembering which were looked at (and what they held)."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self._variables = variables
        self.read: dict[str, str] | None = {}  # None: all of them were looked at

    def _note(self, name: str) -> None:
        if self.read is not None:
            self.read[name] = _fingerprint(self._variables, name)

    def __getitem__(self, name: str) -> Any:
        self._note(name)
        return self._variables[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._note(name)
        return name in self._variables

    def __bool__(self) -> bool:  # `variables or {}` asks only whether there are any
        if self.read is not None:
            self.read[_ANY] = _fingerprint(self._variables, _ANY)
        return bool(self._variables)

    def __iter__(self) -> Iterator[str]:
        self.read = None
        return iter(self._variables)

    def __len__(self) -> int:
        self.read = None
        return len(self._variables)


#: Not a variable name (those are GraphQL names): stands for "are there any variables".
_ANY = "<any>"


def _fingerprint(variables: Mapping[str, Any], name: str) -> str:
    if name == _ANY:
        return repr(bool(variables))
    return repr(variables[name]) if name in variables else "<absent>"


def per_document(
    check: Callable[[DocumentNode, Mapping[str, Any]], list[GraphQLError]],
    *,
    documents: int = 512,
    variants: int = 8,
) -> Callable[[DocumentNode, Mapping[str, Any]], list[GraphQLError]]:
    """`check(document, variables)`, remembered per parsed document (the parser cache hands the
    same document object back for the same text) and per value of the variables it read.

    A check that is a function of the document and of the variables it looks at (through
    `get`, `[]` or `in`) answers the same for the same values, so a client sending one
    operation with new amounts does not have the document walked again on every request."""
    cache: OrderedDict[int, tuple[DocumentNode, list[tuple[dict[str, str] | None, Any]]]] = (
        OrderedDict()
    )

    def remembered(document: DocumentNode, variables: Mapping[str, Any]) -> list[GraphQLError]:
        entry = cache.get(id(document))
        if entry is not None and entry[0] is document:
            cache.move_to_end(id(document))
            for read, errors in entry[1]:
                if read is not None and all(
                    _fingerprint(variables, name) == seen for name, seen in read.items()
                ):
                    return list(errors)
        reads = _Reads(variables)
        errors = check(document, reads)
        if entry is None or entry[0] is not document:
            entry = (document, [])
            cache[id(document)] = entry  # holding the document keeps its id from reuse
            if len(cache) > documents:
                cache.popitem(last=False)
        if reads.read is not None:
            entry[1].insert(0, (reads.read, list(errors)))
            del entry[1][variants:]
        return errors

    return remembered


def page_size_rule(maximum: int) -> type[ValidationRule]:
    class PageSizeLimit(ValidationRule):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            value = node.value
            if (
                node.name.value in PAGE_ARGUMENTS
                and isinstance(value, IntValueNode)
                and _int_over(value.value, maximum)
            ):
                self.report_error(
                    GraphQLError(
                        f"{node.name.value} must be at most {maximum}",
                        node,
                        extensions={"code": "VALIDATION", "field": node.name.value},
                    )
                )

    return PageSizeLimit


def _int_over(text: str, maximum: int) -> bool:
    # int() refuses texts of more than 4,300 digits (and is slow on long ones); a negative
    # page size is the connection's to refuse.
    if text.startswith("-"):
        return False
    return len(text) > 18 or int(text) > maximum


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
    """Runs after the (cached) validation and before execution; list it after validation_cache."""

    check = per_document(lambda d, v: variable_page_size_errors(d, v, maximum))

    class VariablePageSizes(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.pre_execution_errors == [] and context.graphql_document is not None:
                errors = check(context.graphql_document, context.variables or {})
                if errors:
                    context.pre_execution_errors = errors
            yield

    return VariablePageSizes


# --- the gate: cost, depth, aliases and list sizes, before validation ---------------------


@dataclass(frozen=True)
class RequestLimits:
    """The limits the gate enforces (from Settings; see build_schema)."""

    max_cost: int
    max_depth: int
    max_aliases: int
    max_list_items: int
    max_page_size: int
    #: Field pairs graphql-core's OverlappingFieldsCanBeMergedRule may compare (cost.py): about
    #: 30 µs each. The app's own documents (bot, dashboard, tests) need fewer than 10.
    max_field_merges: int = 1000
    #: Lists and objects nested inside one variable, and held by all variables together.
    max_variable_depth: int = 32

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        return cls(
            max_cost=settings.max_query_cost,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_list_items=settings.max_list_items,
            max_page_size=settings.max_page_size,
        )

    @property
    def max_variable_containers(self) -> int:
        # A 10,000-item recordSpends with tags and usage holds about 70,000.
        return 10 * self.max_list_items


def _error(message: str, code: str, nodes: Any = None, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code, **extensions})


def variable_errors(variables: Mapping[str, Any], limits: RequestLimits) -> list[GraphQLError]:
    """Lists longer than max_list_items, nesting deeper than max_variable_depth, and more
    lists and objects than max_variable_containers, anywhere in the variables. Iterative (a
    variable may nest hundreds of levels) and stops at the first long list, before any item
    of it is looked at."""
    containers = 0
    stack: list[tuple[str, Any, int]] = [
        (name, value, 1) for name, value in variables.items() if isinstance(value, (list, dict))
    ]
    while stack:
        path, value, depth = stack.pop()
        containers += 1
        if containers > limits.max_variable_containers:
            return [
                _error(
                    f"The variables hold more than {limits.max_variable_containers:,} lists"
                    " and objects.",
                    "LIST_TOO_LONG",
                    limit=limits.max_variable_containers,
                )
            ]
        if depth > limits.max_variable_depth:
            return [
                _error(
                    f"Variable ${path} nests deeper than {limits.max_variable_depth} levels.",
                    "VARIABLES_TOO_DEEP",
                    field=path,
                    limit=limits.max_variable_depth,
                )
            ]
        if isinstance(value, list):
            if len(value) > limits.max_list_items:
                return [
                    _error(
                        f"Variable ${path} has {len(value):,} items; at most"
                        f" {limits.max_list_items:,} are allowed (ALLOT_MAX_LIST_ITEMS).",
                        "LIST_TOO_LONG",
                        field=path,
                        limit=limits.max_list_items,
                    )
                ]
            stack.extend(
                (f"{path}.{i}", item, depth + 1)
                for i, item in enumerate(value)
                if isinstance(item, (list, dict))
            )
        else:
            stack.extend(
                (f"{path}.{key}", item, depth + 1)
                for key, item in value.items()
                if isinstance(item, (list, dict))
            )
    return []


def document_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    limits: RequestLimits,
) -> list[GraphQLError]:
    """Depth, aliases, cost, list literals and field merges of a parsed document, in that
    order: the first kind of problem found is reported (the most specific first)."""
    measured = measure_document(
        schema,
        document,
        variables,
        CostModel(max_page_size=limits.max_page_size),
        max_list_items=limits.max_list_items,
    )
    errors = _depth_errors(measured, limits) or _alias_errors(measured, limits)
    errors = errors or _cost_errors(measured, limits) or _list_errors(measured, limits)
    if errors:
        return errors
    merges = field_merges(document)  # bounded by the cost, checked above
    if merges > limits.max_field_merges:
        return [
            _error(
                "This operation is too complex: it asks for the same fields many times over"
                f" ({merges:,} pairs of fields with one name to compare, at most"
                f" {limits.max_field_merges:,}). Ask for each field once.",
                "QUERY_TOO_COMPLEX",
                limit=limits.max_field_merges,
            )
        ]
    return []


def _depth_errors(measured: DocumentMeasure, limits: RequestLimits) -> list[GraphQLError]:
    errors = []
    if measured.nesting > MAX_NESTING:
        errors.append(
            _error(
                f"The operation nests deeper than {MAX_NESTING} levels once its fragments are"
                " spread.",
                "QUERY_TOO_DEEP",
                limit=MAX_NESTING,
            )
        )
    for name, node, measure in measured.operations:
        if measure.depth > limits.max_depth:
            # QueryDepthLimiter's wording, which clients may already match on.
            errors.append(
                _error(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                    "QUERY_TOO_DEEP",
                    node,
                    limit=limits.max_depth,
                )
            )
    return errors


def _alias_errors(measured: DocumentMeasure, limits: RequestLimits) -> list[GraphQLError]:
    if measured.aliases <= limits.max_aliases:
        return []
    return [  # MaxAliasesLimiter's wording
        _error(
            f"{measured.aliases} aliases found. Allowed: {limits.max_aliases}",
            "TOO_MANY_ALIASES",
            limit=limits.max_aliases,
        )
    ]


def _cost_errors(measured: DocumentMeasure, limits: RequestLimits) -> list[GraphQLError]:
    cost = measured.cost
    if cost <= limits.max_cost:
        return []
    amount = f"more than {CAP:,}" if cost >= CAP else f"{cost:,}"
    return [
        _error(
            f"This operation is too complex: its estimated cost is {amount}, and the limit"
            f" is {limits.max_cost:,} (ALLOT_MAX_QUERY_COST). Each field costs 1, and"
            " a list or connection multiplies what it selects by its first:/limit: (50"
            " for a connection without first:, 10 for another list); ask for fewer"
            " items or fewer fields, or split the operation.",
            "QUERY_TOO_COMPLEX",
            cost=min(cost, CAP),
            limit=limits.max_cost,
        )
    ]


def _list_errors(measured: DocumentMeasure, limits: RequestLimits) -> list[GraphQLError]:
    numbers = [
        _error(
            f"{long.path} is a number of {long.length:,} characters; at most"
            f" {MAX_NUMBER_LENGTH} are allowed.",
            "VALIDATION",
            long.node,
            field=long.path,
        )
        for long in measured.long_numbers[:10]
    ]
    lists = [
        _error(
            f"{long.path} has {long.length:,} items; at most {limits.max_list_items:,} are"
            " allowed (ALLOT_MAX_LIST_ITEMS).",
            "LIST_TOO_LONG",
            long.node,
            field=long.path,
            limit=limits.max_list_items,
        )
        for long in measured.long_lists[:10]
    ]
    return numbers + lists


def limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: RequestLimits,
) -> list[GraphQLError]:
    return variable_errors(variables or {}, limits) or document_errors(
        schema, document, variables or {}, limits
    )


def request_limiter(limits: RequestLimits) -> type[SchemaExtension]:
    """The gate. List it before GuardedValidationCache: its on_validate runs (in list order)
    before any validation rule sees the document, and the errors it sets stop the rest (the
    guarded cache and Strawberry's own validation skip a context that already has errors)."""

    measured: dict[int, Any] = {}

    def checks(schema: GraphQLSchema) -> Any:
        if id(schema) not in measured:  # one schema per limiter, in practice
            measured[id(schema)] = (
                schema,
                per_document(lambda d, v: document_errors(schema, d, v, limits)),
            )
        return measured[id(schema)][1]

    class RequestLimiter(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.pre_execution_errors is None and context.graphql_document is not None:
                variables = context.variables or {}
                errors = variable_errors(variables, limits) or checks(context.schema._schema)(
                    context.graphql_document, variables
                )
                if errors:
                    context.pre_execution_errors = errors
            yield

    return RequestLimiter


# --- validation: cached, after the gate, and quiet when introspection is off ----------------


def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    # The rules Strawberry adds in strawberry.schema.schema.validate_document.
    every = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, every, hide_suggestions=hide_suggestions)


def validation_cache(*, hide_suggestions: bool) -> type[SchemaExtension]:
    """Strawberry's ValidationCache, except that it leaves alone a document the gate already
    refused (ValidationCache would validate it anyway and overwrite the gate's errors), and
    that it can drop "Did you mean …?" suggestions, which name fields and types of the schema
    to a caller that may not introspect it."""

    # Remembered per parsed document (by identity: hashing a document walks all of it), for
    # each schema and set of rules; validation reads no variables.
    validators: dict[tuple[int, tuple[Any, ...]], tuple[GraphQLSchema, Any]] = {}

    def validator(schema: GraphQLSchema, rules: tuple[Any, ...]) -> Any:
        key = (id(schema), rules)
        if key not in validators:
            validators[key] = (
                schema,
                per_document(lambda d, _v: _validate(schema, d, rules, hide_suggestions)),
            )
        return validators[key][1]

    class GuardedValidationCache(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.pre_execution_errors is None and context.graphql_document is not None:
                schema = context.schema._schema
                validate_document = validator(schema, tuple(context.validation_rules))
                context.pre_execution_errors = validate_document(context.graphql_document, {})
            yield

    return GuardedValidationCache


class QuietExecutionContext(FastExecutionContext):
    """Execution without suggestions in variable and argument coercion errors (graphql-core
    3.3's hide_suggestions, which Strawberry does not pass on): for introspection off."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
