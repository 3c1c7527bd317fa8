"""The notifier's context reads like an admin; this keeps it from writing anything but the
bookkeeping it needs (`recordSlackMessage`)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension

NOTIFIER_MUTATIONS = frozenset({"recordSlackMessage"})


class NotifierReadOnly(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if getattr(context, "notifier", False) and document is not None:
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if definition.operation != OperationType.MUTATION:
                    continue
                for selection in definition.selection_set.selections:
                    name = getattr(getattr(selection, "name", None), "value", None)
                    if name not in NOTIFIER_MUTATIONS:
                        raise GraphQLError(f"the notifier may not call {name}")
        yield
