"""GraphQL execution with a fast path for plain fields.

graphql-core builds, for every field of every object, a resolve-info record, looks up
arguments, calls Strawberry's resolver wrapper and completes the value through several
dispatching calls — about 50 Python calls per field. For a list of a thousand allocations with
five fields that is most of the request. Most of those fields are *plain*: a Strawberry field
without a resolver (its value is an attribute already computed, see the read models in
schema/types), no arguments, no middleware.

`FastExecutionContext` completes such fields directly: the attribute, coerced by the leaf type
(`Decimal` → exact string, enums, ids). An object whose selected fields are all plain (nested
plain objects included, `__typename` too) is built as one dict in one pass, and so is a list of
them. Anything else — resolvers, arguments, abstract types, `@defer`, a null in a non-null
field, a value the scalar refuses — goes through graphql-core's own path unchanged, so results
and errors are exactly the same (tests/schema/test_fast_execution.py compares the two on the
app's real documents).

A read model may also give *readers*: `__graphql_readers__`, a mapping from a field's Python
name to a function of the object that returns the field's output value itself — what the
field's scalar would write for the attribute (e.g. a money field's decimal text straight from
its micros, with no Decimal made). The executor uses a reader only for objects of exactly that
class; each reader is tested against the attribute it stands for
(tests/schema/test_fast_execution.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_MISSING = object()
_SLOW = object()  # a value the fast path hands back to graphql-core

#: (object type, field name) → (attribute, leaf type or object type, non-null, is leaf,
#: reader or None) or None.
_FIELD_PLANS: dict[tuple[GraphQLObjectType, str], tuple[str, Any, bool, bool, Any] | None] = {}
#: Object types whose runtime check passed for objects of a Python class (see `_is`).
_CHECKED: set[tuple[Any, type]] = set()


def _reader(parent: GraphQLObjectType, python_name: str) -> Any:
    """The parent's reader for the field, as (class, function), or None."""
    definition = (parent.extensions or {}).get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    readers = getattr(origin, "__graphql_readers__", None) or {}
    function = readers.get(python_name)
    return None if function is None else (origin, function)


def _field_plan(
    schema: Any, parent: GraphQLObjectType, name: str
) -> tuple[str, Any, bool, bool, Any] | None:
    key = (parent, name)
    if key in _FIELD_PLANS:
        return _FIELD_PLANS[key]
    plan = None
    field_def = schema.get_field(parent, name)
    definition = (field_def.extensions or {}).get("strawberry-definition") if field_def else None
    if (
        field_def is not None
        and definition is not None
        and getattr(field_def.resolve, "_is_default", False)
        and not field_def.args
    ):
        of_type = field_def.type
        non_null = isinstance(of_type, GraphQLNonNull)
        inner = of_type.of_type if non_null else of_type
        if is_leaf_type(inner):
            reader = _reader(parent, definition.python_name)
            plan = (definition.python_name, inner, non_null, True, reader)
        elif is_object_type(inner):
            plan = (definition.python_name, inner, non_null, False, None)
    _FIELD_PLANS[key] = plan
    return plan


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with plain fields completed directly (see the module doc)."""

    def _plain(self) -> bool:
        manager = self.middleware_manager
        return manager is None or manager._middleware_resolvers is None

    # -- one field ---------------------------------------------------------------------------

    def execute_field(  # type: ignore[override]
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        plan = _field_plan(self.schema, parent_type, node.name.value)
        if plan is not None and plan[3] and not node.arguments and self._plain():
            value = _read(source, plan[0], plan[1], plan[2], plan[4])
            if value is not _SLOW:
                return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    # -- a whole object, and lists of them --------------------------------------------------

    def _object_plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """How to build this selection of `return_type` in one pass, or None."""
        collected = self.collect_subfields(return_type, field_details_list)
        grouped, defers, _forbidden = collected
        cache: dict[int, Any] = self.__dict__.setdefault("_fast_plans", {})
        key = id(grouped)
        if key in cache:
            return cache[key][1]
        plan: list[tuple[Any, ...]] | None = [] if not defers and self._plain() else None
        if plan is not None:
            for response_name, details in grouped.items():
                node = details[0].node
                name = node.name.value
                if name == "__typename":
                    plan.append((response_name, None, return_type.name, False, None, None))
                    continue
                field = _field_plan(self.schema, return_type, name)
                if field is None or node.arguments or details[0].defer_usage is not None:
                    plan = None
                    break
                attr, of_type, non_null, is_leaf, reader = field
                if is_leaf:
                    plan.append((response_name, attr, of_type, non_null, None, reader))
                    continue
                sub = self._object_plan(of_type, details)
                if sub is None:
                    plan = None
                    break
                plan.append((response_name, attr, of_type.is_type_of, non_null, sub, None))
        cache[key] = (grouped, plan)  # the set stays alive, so its id is not reused
        return plan

    def collect_and_execute_subfields(  # type: ignore[override]
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        plan = self._object_plan(return_type, field_details_list)
        if plan is not None:
            built = _build(plan, result)
            if built is not _SLOW:
                return built
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def complete_iterable_value(  # type: ignore[override]
        self,
        item_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        non_null = isinstance(item_type, GraphQLNonNull)
        inner = item_type.of_type if non_null else item_type
        if is_object_type(inner):
            plan = self._object_plan(inner, field_details_list)
            if plan is not None:
                check = inner.is_type_of
                out = []
                for item in items:
                    if item is None:
                        if non_null:
                            break
                        out.append(None)
                        continue
                    built = _build(plan, item) if _is(check, item) else _SLOW
                    if built is _SLOW:
                        break
                    out.append(built)
                else:
                    return out
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )


def _read(source: Any, attr: str, leaf_type: Any, non_null: bool, reader: Any) -> Any:
    """A leaf field's output value: the reader's, for an object of the reader's class, else
    the attribute coerced by the leaf type."""
    if reader is not None and type(source) is reader[0]:
        value = reader[1](source)
        if value is None and non_null:
            return _SLOW
        return value
    return _leaf(getattr(source, attr, _MISSING), leaf_type, non_null)


def _leaf(value: Any, leaf_type: Any, non_null: bool) -> Any:
    if value is _MISSING:
        return _SLOW
    if value is None:
        return _SLOW if non_null else None
    try:
        coerced = leaf_type.coerce_output_value(value)
    except Exception:  # graphql-core reports it, with the path
        return _SLOW
    if coerced is Undefined or coerced is None:
        return _SLOW
    return coerced


def _is(check: Any, value: Any) -> bool:
    """The object type's runtime check (Strawberry's isinstance test for types implementing an
    interface; it does not read the resolve info). Anything but a plain True: the slow path.
    A pass is remembered per Python class: without `strawberry.cast` (the app casts no object)
    Strawberry's check is an isinstance test, so it depends on the class alone."""
    if check is None:
        return True
    key = (check, type(value))
    if key in _CHECKED:
        return True
    if check(value, None) is True:
        _CHECKED.add(key)
        return True
    return False


def _build(plan: list[tuple[Any, ...]], source: Any) -> Any:
    out: dict[str, Any] = {}
    cls = type(source)
    for response_name, attr, of_type, non_null, sub, reader in plan:
        if attr is None:  # __typename
            out[response_name] = of_type
            continue
        if sub is None:
            if reader is not None and cls is reader[0]:
                value = reader[1](source)
                if value is None and non_null:
                    return _SLOW
            else:
                value = _leaf(getattr(source, attr, _MISSING), of_type, non_null)
        else:
            value = getattr(source, attr, _MISSING)
            if value is _MISSING:
                value = _SLOW
            elif value is None:
                value = _SLOW if non_null else None
            else:
                value = _build(sub, value) if _is(of_type, value) else _SLOW  # of_type: its check
        if value is _SLOW:
            return _SLOW
        out[response_name] = value
    return out


__all__ = ["FastExecutionContext"]
