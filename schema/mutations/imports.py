"""Routing rules and unassigned spend: createRoutingRule, deleteRoutingRule, assignSpend,
applyRoutingRules."""

from __future__ import annotations

import strawberry

from app.services import routing, unassigned
from app.services.batch_items import ItemResult
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.mutations.batch import SpendItemResult, item_results
from schema.types.ingest import RoutingRule


@strawberry.input
class CreateRoutingRuleInput:
    match: str = strawberry.field(description="tag, sub_account or service")
    value: str
    project_id: strawberry.ID
    key: str | None = strawberry.field(default=None, description="The tag name (tag rules).")
    budget_id: strawberry.ID | None = None
    priority: int = 100


@strawberry.type
class RoutingRuleCreated:
    rule: RoutingRule


@strawberry.input
class DeleteRoutingRuleInput:
    rule_id: strawberry.ID


@strawberry.type
class RoutingRuleDeleted:
    rule_id: strawberry.ID


@strawberry.input
class AssignSpendInput:
    unassigned_spend_ids: list[strawberry.ID]
    project_id: strawberry.ID
    budget_id: strawberry.ID | None = None


@strawberry.type
class AssignedSpend:
    unassigned_spend_id: strawberry.ID
    result: SpendItemResult


@strawberry.type
class SpendAssigned:
    items: list[AssignedSpend]
    assigned: int
    failed: int


@strawberry.input
class ApplyRoutingRulesInput:
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only rows imported into this budget."
    )


@strawberry.type
class RoutingRulesApplied:
    assigned: int
    duplicates: int
    failed: int
    still_unassigned: int
    failures: list[str]


CreateRoutingRulePayload = payload("CreateRoutingRulePayload", RoutingRuleCreated)
DeleteRoutingRulePayload = payload("DeleteRoutingRulePayload", RoutingRuleDeleted)
AssignSpendPayload = payload("AssignSpendPayload", SpendAssigned)
ApplyRoutingRulesPayload = payload("ApplyRoutingRulesPayload", RoutingRulesApplied)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(description="Add a routing rule for imports.")
    async def create_routing_rule(
        self, info: Info, input: CreateRoutingRuleInput
    ) -> CreateRoutingRulePayload:
        async def call() -> RoutingRuleCreated:
            row = await routing.create_rule(
                info.context.actor,
                match=input.match,
                key=input.key,
                value=input.value,
                project_id=ids.decode(input.project_id, "Project", "projectId"),
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                priority=input.priority,
            )
            return RoutingRuleCreated(rule=RoutingRule.from_model(row))

        return await run(call)

    @strawberry.mutation(description="Delete a routing rule.")
    async def delete_routing_rule(
        self, info: Info, input: DeleteRoutingRuleInput
    ) -> DeleteRoutingRulePayload:
        async def call() -> RoutingRuleDeleted:
            pk = ids.decode(input.rule_id, "RoutingRule", "ruleId")
            await routing.delete_rule(info.context.actor, pk)
            return RoutingRuleDeleted(rule_id=strawberry.ID(ids.encode("RoutingRule", pk)))

        return await run(call)

    @strawberry.mutation(description="Record unassigned cost rows as a project's spend.")
    async def assign_spend(self, info: Info, input: AssignSpendInput) -> AssignSpendPayload:
        async def call() -> SpendAssigned:
            pks = [
                ids.decode(v, "UnassignedSpend", "unassignedSpendIds")
                for v in input.unassigned_spend_ids
            ]
            pairs = await unassigned.assign(
                info.context.actor,
                pks,
                project_id=ids.decode(input.project_id, "Project", "projectId"),
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

    @strawberry.mutation(description="Route the unassigned rows again with today's rules.")
    async def apply_routing_rules(
        self, info: Info, input: ApplyRoutingRulesInput
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
