"""Routing rules and unassigned spend: createRoutingRule, deleteRoutingRule, assignSpend,
applyRoutingRules."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services import routing, unassigned
from app.services.batch_items import ItemResult
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.mutations.batch import SpendItemResult, item_results
from schema.types.ingest import RoutingRule


@strawberry.input(description="A rule sending matching imported cost rows to a project.")
class CreateRoutingRuleInput:
    match: str = strawberry.field(
        description="tag (the row's tag `key` has value `value`), sub_account (its "
        "sub-account id or name) or service (its whole service name)."
    )
    value: str = strawberry.field(
        description="The value to match (case and surrounding spaces ignored; at most 500 "
        "characters)."
    )
    project_id: strawberry.ID = strawberry.field(
        description="The project rows go to: id (prj_3) or slug."
    )
    key: str | None = strawberry.field(
        default=None, description="The tag name (tag rules only; required for them)."
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Record matching rows in this budget (it must fund the project); omitted: "
        "the project's only budget.",
    )
    priority: int = strawberry.field(
        default=100, description="Lower numbers are tried first (-1000000 to 1000000)."
    )


@strawberry.type(description="The rule exists and applies to the next import.")
class RoutingRuleCreated:
    rule: RoutingRule = strawberry.field(description="The new rule.")


@strawberry.input(description="Which rule to delete.")
class DeleteRoutingRuleInput:
    rule_id: strawberry.ID = strawberry.field(description="The rule, e.g. rul_2.")


@strawberry.type(description="The rule is gone; spend it already routed stays recorded.")
class RoutingRuleDeleted:
    rule_id: strawberry.ID = strawberry.field(description="The deleted rule's id.")


@strawberry.input(description="Record held import rows as one project's spend.")
class AssignSpendInput:
    unassigned_spend_ids: list[strawberry.ID] = strawberry.field(
        description="The rows (`uns_…`), 1 to 10,000."
    )
    project_id: strawberry.ID = strawberry.field(
        description="The project they are spend of: id (prj_3) or slug."
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Which budget's envelope; needed when several fund it."
    )


@strawberry.type(description="One held row and what became of it.")
class AssignedSpend:
    unassigned_spend_id: strawberry.ID = strawberry.field(description="The row (`uns_…`).")
    result: SpendItemResult = strawberry.field(
        description="RECORDED (or DUPLICATE) with its spend, or FAILED with the error."
    )


@strawberry.type(description="The rows were recorded where they could be; one result per row.")
class SpendAssigned:
    items: list[AssignedSpend] = strawberry.field(description="One result per row, in order.")
    assigned: int = strawberry.field(
        description="Rows recorded (or found recorded); they leave the held list."
    )
    failed: int = strawberry.field(description="Rows refused; they stay held.")


@strawberry.input(description="Which held rows to route again.")
class ApplyRoutingRulesInput:
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only rows imported into this budget."
    )


@strawberry.type(description="The held rows were routed again with today's rules.")
class RoutingRulesApplied:
    assigned: int = strawberry.field(description="Rows a rule claimed, now recorded as spend.")
    duplicates: int = strawberry.field(
        description="Rows found recorded already (counted once), no longer held."
    )
    failed: int = strawberry.field(description="Rows a rule claimed but that were refused.")
    still_unassigned: int = strawberry.field(description="Rows no rule claims; still held.")
    failures: list[str] = strawberry.field(
        description='Why each refused row failed: "uns_5: <reason>".'
    )


CreateRoutingRulePayload = payload("CreateRoutingRulePayload", RoutingRuleCreated)
DeleteRoutingRulePayload = payload("DeleteRoutingRulePayload", RoutingRuleDeleted)
AssignSpendPayload = payload("AssignSpendPayload", SpendAssigned)
ApplyRoutingRulesPayload = payload("ApplyRoutingRulesPayload", RoutingRulesApplied)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Add a routing rule for imports (admins, and owners of a budget that funds "
        "the project). Errors: PermissionDenied, NotFound, ValidationError (match, key, value, "
        "priority; budgetId not funding the project)."
    )
    async def create_routing_rule(
        self,
        info: Info,
        input: Annotated[CreateRoutingRuleInput, strawberry.argument(description="The rule.")],
    ) -> CreateRoutingRulePayload:
        async def call() -> RoutingRuleCreated:
            row = await routing.create_rule(
                info.context.actor,
                match=input.match,
                key=input.key,
                value=input.value,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                priority=input.priority,
            )
            return RoutingRuleCreated(rule=RoutingRule.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Delete a routing rule (whoever may manage it). Errors: NotFound, "
        "PermissionDenied."
    )
    async def delete_routing_rule(
        self,
        info: Info,
        input: Annotated[DeleteRoutingRuleInput, strawberry.argument(description="The rule.")],
    ) -> DeleteRoutingRulePayload:
        async def call() -> RoutingRuleDeleted:
            pk = ids.decode(input.rule_id, "RoutingRule", "ruleId")
            await routing.delete_rule(info.context.actor, pk)
            return RoutingRuleDeleted(rule_id=strawberry.ID(ids.encode("RoutingRule", pk)))

        return await run(call)

    @strawberry.mutation(
        description="Record unassigned cost rows as a project's spend (admins and owners; each "
        "row only where you may spend). A row's own failure is reported in its item. Errors: "
        "PermissionDenied, ValidationError (no rows, more than 10,000), NotFound (a row)."
    )
    async def assign_spend(
        self,
        info: Info,
        input: Annotated[AssignSpendInput, strawberry.argument(description="Rows and project.")],
    ) -> AssignSpendPayload:
        async def call() -> SpendAssigned:
            pks = [
                ids.decode(v, "UnassignedSpend", "unassignedSpendIds")
                for v in input.unassigned_spend_ids
            ]
            pairs = await unassigned.assign(
                info.context.actor,
                pks,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
            )
            results: list[ItemResult] = [result for _, result in pairs]
            shown = await item_results(results)
            failed = sum(1 for r in results if r.status == "error")
            return SpendAssigned(
                items=[
                    AssignedSpend(
                        unassigned_spend_id=strawberry.ID(ids.encode("UnassignedSpend", pk)),
                        result=item,
                    )
                    for (pk, _), item in zip(pairs, shown, strict=True)
                ],
                assigned=len(results) - failed,
                failed=failed,
            )

        return await run(call)

    @strawberry.mutation(
        description="Route the unassigned rows you can see again with today's rules (admins; "
        "owners, for their budgets' imports). Errors: PermissionDenied, NotFound (budgetId)."
    )
    async def apply_routing_rules(
        self,
        info: Info,
        input: Annotated[
            ApplyRoutingRulesInput, strawberry.argument(description="Which rows (by budget).")
        ],
    ) -> ApplyRoutingRulesPayload:
        async def call() -> RoutingRulesApplied:
            budget_id = ids.decode_optional(input.budget_id, "Budget", "budgetId")
            done = await unassigned.apply_rules(info.context.actor, budget_id=budget_id)
            return RoutingRulesApplied(
                assigned=done.assigned,
                duplicates=done.duplicates,
                failed=done.failed,
                still_unassigned=done.still_unassigned,
                failures=[
                    f"{ids.encode('UnassignedSpend', pk)}: {why}" for pk, why in done.failures
                ],
            )

        return await run(call)
