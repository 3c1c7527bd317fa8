"""What an operation would cost, measured before anything else walks the document.

Why: a document of a few hundred bytes can describe an exponential amount of work.
`fragment F2 on Query { ...F1 ...F1 }` doubles with every fragment, and whatever walks the
document spread by spread pays 2^n: Strawberry's QueryDepthLimiter and MaxAliasesLimiter
recurse into every spread with no memo (strawberry/extensions/query_depth_limiter.py,
max_aliases.py), and graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of
fields that share a response name, so a field repeated n times (directly, through fragments or
merged from nested duplicates) costs n² comparisons. So this module measures each definition
in one pass that visits every fragment once (memoised, in dependency order, iteratively), in
time linear in the document even for the exponential fan-out, and terminates on fragment
cycles (graphql's NoFragmentCyclesRule refuses those later). `schema/limits.py` refuses an
operation over a limit before validation and execution.

The cost model (an estimate of rows and fields resolved, not a promise):

- every field costs 1;
- a field returning a connection (`…Connection` with `nodes`/`edges`) multiplies the cost of
  its sub-selection by its `first:` (a literal, or a variable's value or default), else by
  the default page size (50, schema/pagination.py);
- a field returning a plain list multiplies by its `limit:`/`first:` when it has one (or the
  argument's default, e.g. `topSpenders(limit = 5)`), else by LIST_FACTOR (10); the lists of
  a connection itself (`nodes`, `edges`) are already counted by the connection's multiplier;
- multipliers are clamped to [1, max_page_size]: a larger `first:` is refused afterwards by
  the page-size rule with its own message, and `first: 0` still costs its fields once;
- introspection fields count like any other (their lists by LIST_FACTOR): the standard
  introspection query that GraphiQL sends costs about 45,000.

Depth follows Strawberry's QueryDepthLimiter (levels of fields that have a sub-selection,
introspection fields not counted) and aliases its MaxAliasesLimiter (aliased fields after
fragment expansion, summed over the operations), so their limits and messages stay as they
were; `nesting` is the depth with introspection, capped like graphql-core's parser.

Field merges: Σ n·(n-1)/2 over every place of the merged selection tree where n fields share a
response name (fragments and inline fragments merged in, as graphql-core merges them). It is
the number of field pairs OverlappingFieldsCanBeMergedRule compares; it is computed only for
documents within the cost limit, so building the merged trees is bounded by that limit too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    DefinitionNode,
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from schema.pagination import DEFAULT_PAGE

#: A plain list field without `limit:`/`first:` is assumed to hold this many items.
LIST_FACTOR = 10
#: Page-size arguments, as in schema/limits.py.
PAGE_ARGUMENTS = ("first", "limit")
#: Costs saturate here: 2^500 is as refused as 10^15, and cheaper to add up.
CAP = 10**15
#: Deeper than graphql-core's parser allows inside one definition (its MAX_NESTING_DEPTH).
MAX_NESTING = 200
#: Characters of a number literal. GraphQL's Int is 32 bits and a Decimal amount has at most
#: 19 digits of micros; graphql-core would crash on an Int of more than 4,300 digits.
MAX_NUMBER_LENGTH = 100

#: A response-name key in the merged selection tree -> [fields merged there, children].
Tree = dict[str, list[Any]]


@dataclass(frozen=True)
class CostModel:
    max_page_size: int = 1000
    default_page_size: int = DEFAULT_PAGE
    list_factor: int = LIST_FACTOR


@dataclass
class Measure:
    """The cost, depth, nesting and aliases of one selection set (or definition)."""

    cost: int = 0
    depth: int = 0
    nesting: int = 0
    aliases: int = 0

    def add(self, other: Measure) -> None:
        self.cost = min(CAP, self.cost + other.cost)
        self.depth = max(self.depth, other.depth)
        self.nesting = max(self.nesting, other.nesting)
        self.aliases = min(CAP, self.aliases + other.aliases)


@dataclass(frozen=True)
class LongLiteral:
    """A list literal with more items than allowed, or a number literal too long."""

    path: str
    length: int
    node: ValueNode


@dataclass
class DocumentMeasure:
    #: (name, node, measure) of each operation, in document order (names may repeat in an
    #: invalid document: every one is measured).
    operations: list[tuple[str, OperationDefinitionNode, Measure]] = field(default_factory=list)
    fragments: dict[str, Measure] = field(default_factory=dict)
    long_lists: list[LongLiteral] = field(default_factory=list)
    #: Number literals too long to be a number anyone means (int() refuses > 4,300 digits).
    long_numbers: list[LongLiteral] = field(default_factory=list)

    @property
    def cost(self) -> int:
        """The largest cost of any definition (an unused fragment is not free to validate)."""
        costs = [m.cost for _, _, m in self.operations] + [m.cost for m in self.fragments.values()]
        return max(costs, default=0)

    @property
    def aliases(self) -> int:
        return sum(m.aliases for _, _, m in self.operations)

    @property
    def nesting(self) -> int:
        nestings = [m.nesting for _, _, m in self.operations]
        return max(nestings + [m.nesting for m in self.fragments.values()], default=0)


def measure_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    model: CostModel | None = None,
    *,
    max_list_items: int | None = None,
) -> DocumentMeasure:
    """Measure every operation and fragment of `document` (see the module docstring)."""
    return _Walker(schema, document, variables or {}, model or CostModel(), max_list_items).run()


def field_merges(document: DocumentNode) -> int:
    """Σ n·(n-1)/2 over the merged selection trees of every definition (module docstring).
    Call it only for documents within the cost limit: its work is bounded by their cost."""
    fragments = _fragments(document.definitions)
    trees: dict[str, Tree] = {}
    for name in _dependency_order(fragments):
        tree: Tree = {}
        _merge_into(tree, fragments[name].selection_set, trees)
        trees[name] = tree
    total = sum(_pairs(tree) for tree in trees.values())
    others: list[OperationDefinitionNode | FragmentDefinitionNode] = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    for definition in [*others, *_duplicates(document.definitions, fragments)]:
        tree = {}
        _merge_into(tree, definition.selection_set, trees)
        total += _pairs(tree)
    return min(total, CAP)


def operation_name(node: OperationDefinitionNode) -> str:
    return node.name.value if node.name else "anonymous"


# --- the walk -------------------------------------------------------------------------------


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any],
        model: CostModel,
        max_list_items: int | None,
    ) -> None:
        self.schema = schema
        self.document = document
        self.variables = variables
        self.model = model
        self.max_list_items = max_list_items
        self.fragments = _fragments(document.definitions)
        self.memo: dict[str, Measure] = {}
        self.defaults: dict[str, ValueNode] = {}
        self.result = DocumentMeasure()

    def run(self) -> DocumentMeasure:
        operations = [
            d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        for operation in operations:
            for definition in operation.variable_definitions or ():
                name = definition.variable.name.value
                if definition.default_value is not None:
                    self.defaults.setdefault(name, definition.default_value)
                    self._check_value(f"${name}", definition.default_value)
        for name in _dependency_order(self.fragments):
            fragment = self.fragments[name]
            parent = self._named(fragment.type_condition)
            self.memo[name] = self._selection_set(fragment.selection_set, parent, False, name)
        self.result.fragments = dict(self.memo)
        for i, duplicate in enumerate(_duplicates(self.document.definitions, self.fragments)):
            # graphql refuses a second fragment of one name, but validates its body first.
            parent = self._named(duplicate.type_condition)
            measure = self._selection_set(duplicate.selection_set, parent, False, "")
            self.result.fragments[f"{duplicate.name.value}#{i + 2}"] = measure
        for operation in operations:
            root = self.schema.get_root_type(operation.operation)
            measure = self._selection_set(operation.selection_set, root, False, "")
            self.result.operations.append((operation_name(operation), operation, measure))
        return self.result

    def _selection_set(
        self,
        node: SelectionSetNode,
        parent: GraphQLNamedType | None,
        in_connection: bool,
        path: str,
    ) -> Measure:
        total = Measure()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total.add(self._field(selection, parent, in_connection, path))
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self._named(selection.type_condition) if selection.type_condition else parent
                )
                total.add(self._selection_set(selection.selection_set, condition, False, path))
            elif isinstance(selection, FragmentSpreadNode):
                # Not yet measured: unknown, or a cycle back to a fragment being measured.
                spread = self.memo.get(selection.name.value)
                if spread is not None:
                    total.add(spread)
        return total

    def _field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        in_connection: bool,
        path: str,
    ) -> Measure:
        name = node.name.value
        here = f"{path}.{name}" if path else name
        for argument in node.arguments or ():
            self._check_value(f"{here}.{argument.name.value}", argument.value)
        aliases = 1 if node.alias else 0
        if node.selection_set is None:
            return Measure(cost=1, aliases=aliases)
        definition = self._field_definition(parent, name)
        child = get_named_type(definition.type) if definition is not None else None
        connection = _is_connection(child)
        inner = self._selection_set(node.selection_set, child, connection, here)
        multiplier = self._multiplier(node, definition, in_connection, connection)
        return Measure(
            cost=min(CAP, 1 + multiplier * inner.cost),
            depth=0 if name.startswith("__") else 1 + inner.depth,
            nesting=1 + inner.nesting,
            aliases=min(CAP, aliases + inner.aliases),
        )

    def _multiplier(
        self,
        node: FieldNode,
        definition: GraphQLField | None,
        in_connection: bool,
        connection: bool,
    ) -> int:
        if definition is None:
            return 1
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        if not (connection or is_list) or (is_list and in_connection):
            return 1
        size = self._page_argument(node, definition)
        if size is None:
            size = self.model.default_page_size if connection else self.model.list_factor
        return max(1, min(size, self.model.max_page_size))

    def _page_argument(self, node: FieldNode, definition: GraphQLField) -> int | None:
        given = {a.name.value: a for a in node.arguments or ()}
        for name in PAGE_ARGUMENTS:
            argument: ArgumentNode | None = given.get(name)
            if argument is not None:
                return self._int_value(argument.value)
            declared = definition.args.get(name)
            if declared is not None and _is_int(declared.default_value):
                return int(declared.default_value)
        return None

    def _int_value(self, value: ValueNode) -> int | None:
        if isinstance(value, VariableNode):
            name = value.name.value
            given = self.variables.get(name)
            if _is_int(given):
                return int(given)
            if name in self.variables:  # given, but null or not a number: validation says so
                return None
            default = self.defaults.get(name)
            return self._int_value(default) if isinstance(default, IntValueNode) else None
        if isinstance(value, IntValueNode):
            text = value.value.lstrip("-")
            # int() refuses texts over 4,300 digits; anything that long is over any maximum.
            return self.model.max_page_size + 1 if len(text) > 18 else int(value.value)
        return None

    def _check_value(self, path: str, value: ValueNode) -> None:
        """Record list literals longer than max_list_items and number literals longer than
        MAX_NUMBER_LENGTH (iteratively: values nest)."""
        stack: list[tuple[str, ValueNode]] = [(path, value)]
        while stack:
            where, node = stack.pop()
            if isinstance(node, (IntValueNode, FloatValueNode)):
                if len(node.value) > MAX_NUMBER_LENGTH:
                    self.result.long_numbers.append(LongLiteral(where, len(node.value), node))
            elif isinstance(node, ListValueNode):
                if self.max_list_items is not None and len(node.values) > self.max_list_items:
                    self.result.long_lists.append(LongLiteral(where, len(node.values), node))
                    continue
                stack.extend((f"{where}.{i}", item) for i, item in enumerate(node.values))
            elif isinstance(node, ObjectValueNode):
                stack.extend((f"{where}.{f.name.value}", f.value) for f in node.fields)

    def _named(self, node: NamedTypeNode | None) -> GraphQLNamedType | None:
        return self.schema.get_type(node.name.value) if node is not None else None

    def _field_definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return parent.fields.get(name)
        return None


# --- helpers --------------------------------------------------------------------------------


def _fragments(definitions: Iterable[DefinitionNode]) -> dict[str, FragmentDefinitionNode]:
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
    return fragments


def _duplicates(
    definitions: Iterable[DefinitionNode], chosen: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """Fragment definitions that repeat a name (the first of each name is the one spread)."""
    return [
        d
        for d in definitions
        if isinstance(d, FragmentDefinitionNode) and chosen.get(d.name.value) is not d
    ]


def _spreads(selection_set: SelectionSetNode) -> list[str]:
    """The names of the fragments spread anywhere inside a selection set."""
    names: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]
    return names


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragments, each after the fragments it spreads (an iterative depth-first post-order:
    a chain of hundreds of fragments needs no recursion). In a cycle, the spread that closes
    it comes before its fragment is measured and so counts as nothing."""
    spreads = {name: _spreads(node.selection_set) for name, node in fragments.items()}
    order: list[str] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(spreads[root]))]
        while stack:
            name, children = stack[-1]
            for child in children:
                if child in fragments and child not in seen:
                    seen.add(child)
                    stack.append((child, iter(spreads[child])))
                    break
            else:
                stack.pop()
                order.append(name)
    return order


def _is_connection(named: GraphQLNamedType | None) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and ("nodes" in named.fields or "edges" in named.fields)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _merge_into(tree: Tree, selection_set: SelectionSetNode, trees: Mapping[str, Tree]) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            node = tree.setdefault(key, [0, {}])
            node[0] += 1
            if selection.selection_set is not None:
                _merge_into(node[1], selection.selection_set, trees)
        elif isinstance(selection, InlineFragmentNode):
            _merge_into(tree, selection.selection_set, trees)
        elif isinstance(selection, FragmentSpreadNode):
            spread = trees.get(selection.name.value)
            if spread is not None:
                _add_tree(tree, spread)


def _add_tree(target: Tree, source: Tree) -> None:
    for key, (count, children) in source.items():
        node = target.setdefault(key, [0, {}])
        node[0] = min(CAP, node[0] + count)
        if children:
            _add_tree(node[1], children)


def _pairs(tree: Tree) -> int:
    total = 0
    stack = [tree]
    while stack:
        for count, children in stack.pop().values():
            total = min(CAP, total + count * (count - 1) // 2)
            if children:
                stack.append(children)
    return total
