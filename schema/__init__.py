"""The GraphQL schema, assembled in one place.

Safety before execution: token, cost, depth, alias, list-size and page-size limits (the cost
gate runs before any validation rule, see schema/limits.py), and introspection can be switched
off (then no "Did you mean …?" suggestions either).
Expected failures are typed (union members on mutations, coded errors on queries); anything
else is masked and logged with the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)

from app.domain.errors import AllotError
from app.services.faults import MESSAGE as UNAVAILABLE_MESSAGE
from app.services.faults import Unavailable, is_unavailable
from app.settings import Settings, get_settings
from schema.directory import DirectoryQueries
from schema.execution import FastExecutionContext
from schema.limits import (
    QuietExecutionContext,
    RequestLimits,
    page_size_rule,
    request_limiter,
    validation_cache,
    variable_page_size_limiter,
)
from schema.mutations.access import AccessMutations
from schema.mutations.alerting import AlertingMutations
from schema.mutations.allocations import AllocationMutations
from schema.mutations.batch import BatchMutations
from schema.mutations.budgets import BudgetMutations
from schema.mutations.corrections import CorrectionMutations
from schema.mutations.imports import ImportMutations
from schema.mutations.periods import PeriodMutations
from schema.mutations.pricing import PricingMutations
from schema.mutations.reservations import ReservationMutations
from schema.mutations.slack import SlackMutations
from schema.mutations.spending import SpendMutations
from schema.mutations.tokens import TokenMutations
from schema.mutations.transfers import TransferMutations
from schema.notifier_guard import NotifierReadOnly
from schema.queries import Query as CoreQuery
from schema.scalars import SCALAR_OVERRIDES
from schema.strings import StringInputs
from schema.subscriptions import Subscription
from schema.types.alert import Alert, AlertQueries
from schema.types.allocation import Allocation
from schema.types.budget import Budget
from schema.types.delivery import DeliveryQueries
from schema.types.ingest import ImportQueries
from schema.types.pricing import PricingQueries
from schema.types.project import Project
from schema.types.spend import Spend
from schema.types.transfer import Transfer
from schema.types.user import User

logger = logging.getLogger("allot.graphql")


@strawberry.type(
    description="Writes. Each takes one `input` and returns a union of its success type and "
    "the typed errors implementing `Error`: expected failures are data, not GraphQL errors. "
    "Money-moving mutations take an idempotencyKey (spend an externalId): a replay returns the "
    "first result."
)
class Mutation(
    BudgetMutations,
    AllocationMutations,
    SpendMutations,
    CorrectionMutations,
    TransferMutations,
    AccessMutations,
    SlackMutations,
    PricingMutations,
    ReservationMutations,
    PeriodMutations,
    BatchMutations,
    ImportMutations,
    AlertingMutations,
    TokenMutations,
):
    pass


@strawberry.type(
    description="Reads. Every field needs a signed-in user (`Authorization: Bearer <token>`); "
    "what you may not see is null or left out of lists, never an error."
)
class Query(
    CoreQuery, DirectoryQueries, PricingQueries, ImportQueries, AlertQueries, DeliveryQueries
):
    pass


def _expected(error: GraphQLError) -> bool:
    """Errors a client should see as they are: ours, and GraphQL's own validation errors."""
    original = error.original_error
    return original is None or isinstance(original, (AllotError, GraphQLError))


class AllotErrors(SchemaExtension):
    """Give expected errors a code; log and mask the rest with the request id. Each result of
    a subscription is treated the same way as the one result of a query."""

    def on_operation(self) -> Iterator[None]:
        yield
        self._code(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._code(result)
        yield

    def _code(self, result: Any) -> None:
        if result is None or not getattr(result, "errors", None):
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        processed = []
        for error in result.errors:
            original = error.original_error
            if isinstance(original, AllotError) and not isinstance(original, Unavailable):
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
            elif is_unavailable(original):
                # Database trouble is not a bug: say so, and that a retry may work.
                logger.warning("database unavailable, request id %s: %s", request_id, original)
                processed.append(
                    GraphQLError(
                        original.message
                        if isinstance(original, Unavailable)
                        else UNAVAILABLE_MESSAGE,
                        error.nodes,
                        error.source,
                        error.positions,
                        error.path,
                        extensions={"code": "UNAVAILABLE", "retryable": True},
                    )
                )
            elif _expected(error) or (error.extensions or {}).get("code") in (
                "INTERNAL",
                "UNAVAILABLE",
            ):
                processed.append(error)  # expected, or masked already
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
    rules = [page_size_rule(settings.max_page_size)]
    limits = RequestLimits.from_settings(settings)
    extensions: list = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        # Clients and the bot send the same named operations again and again: parsing and
        # validating a document once (per text) saves most of a small request's time.
        lambda: ParserCache(maxsize=512),
        # Order matters: the gate (cost, depth, aliases, list sizes; memoised, so linear even
        # for an exponential fragment fan-out) runs before any validation rule sees the
        # document, and the cache after it skips what the gate refused (schema/limits.py).
        request_limiter(limits),
        validation_cache(hide_suggestions=not settings.introspection),
        variable_page_size_limiter(settings.max_page_size),
        StringInputs,
        AllotErrors,
        NotifierReadOnly,
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Budget, Project, Allocation, Spend, Transfer, User, Alert],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        # Without introspection, no "Did you mean …?" in coercion errors either.
        execution_context_class=FastExecutionContext
        if settings.introspection
        else QuietExecutionContext,
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
