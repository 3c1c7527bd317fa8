"""The GraphQL schema, assembled in one place.

Safety before execution: depth, alias and token limits, and introspection can be switched off.
Expected failures are typed (union members on mutations, coded errors on queries); anything
else is masked and logged with the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from app.domain.errors import AllotError
from app.settings import Settings, get_settings
from schema.directory import DirectoryQueries
from schema.limits import page_size_rule, variable_page_size_limiter
from schema.mutations.access import AccessMutations
from schema.mutations.allocations import AllocationMutations
from schema.mutations.batch import BatchMutations
from schema.mutations.budgets import BudgetMutations
from schema.mutations.imports import ImportMutations
from schema.mutations.periods import PeriodMutations
from schema.mutations.pricing import PricingMutations
from schema.mutations.reservations import ReservationMutations
from schema.mutations.slack import SlackMutations
from schema.mutations.spending import SpendMutations
from schema.mutations.transfers import TransferMutations
from schema.notifier_guard import NotifierReadOnly
from schema.queries import Query as CoreQuery
from schema.scalars import SCALAR_OVERRIDES
from schema.subscriptions import Subscription
from schema.types.allocation import Allocation
from schema.types.budget import Budget
from schema.types.ingest import ImportQueries
from schema.types.pricing import PricingQueries
from schema.types.project import Project
from schema.types.spend import Spend
from schema.types.transfer import Transfer
from schema.types.user import User

logger = logging.getLogger("allot.graphql")


@strawberry.type
class Mutation(
    BudgetMutations,
    AllocationMutations,
    SpendMutations,
    TransferMutations,
    AccessMutations,
    SlackMutations,
    PricingMutations,
    ReservationMutations,
    PeriodMutations,
    BatchMutations,
    ImportMutations,
):
    pass


@strawberry.type
class Query(CoreQuery, DirectoryQueries, PricingQueries, ImportQueries):
    pass


def _expected(error: GraphQLError) -> bool:
    """Errors a client should see as they are: ours, and GraphQL's own validation errors."""
    original = error.original_error
    return original is None or isinstance(original, (AllotError, GraphQLError))


class AllotErrors(SchemaExtension):
    """Give expected errors a code; log and mask the rest with the request id."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        processed = []
        for error in result.errors:
            original = error.original_error
            if isinstance(original, AllotError):
                extensions = {"code": original.code}
                if getattr(original, "field", None):
                    extensions["field"] = original.field  # type: ignore[attr-defined]
                processed.append(
                    GraphQLError(
                        error.message,
                        error.nodes,
                        error.source,
                        error.positions,
                        error.path,
                        original,
                        extensions=extensions,
                    )
                )
            elif _expected(error):
                processed.append(error)
            else:
                logger.error("unexpected error, request id %s", request_id, exc_info=original)
                processed.append(
                    GraphQLError(
                        f"Unexpected error (request id {request_id}).",
                        error.nodes,
                        error.source,
                        error.positions,
                        error.path,
                        extensions={"code": "INTERNAL", "requestId": request_id},
                    )
                )
        result.errors = processed


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or get_settings()
    # Rule classes are built once, so the validation cache (keyed by document and rules) hits
    # for every repeat of an operation.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        page_size_rule(settings.max_page_size),
    ]
    extensions: list = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        # Clients and the bot send the same named operations again and again: parsing and
        # validating a document once (per text) saves most of a small request's time.
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        variable_page_size_limiter(settings.max_page_size),
        AllotErrors,
        NotifierReadOnly,
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Budget, Project, Allocation, Spend, Transfer, User],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
