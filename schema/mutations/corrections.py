"""Corrections: voidSpend, refundSpend, moveSpend, moveSpends; archiving and deleting budgets
and projects. Thin: the rules are in app.services.corrections and app.services.archiving."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import archiving
from app.services import corrections as service
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.budget import Budget
from schema.types.project import Project
from schema.types.spend import Spend

_REASON = "Why (required, shown on the correction and in the journal)."


@strawberry.input(description="Reverse a spend in full.")
class VoidSpendInput:
    spend_id: strawberry.ID = strawberry.field(description="The spend, e.g. spd_12.")
    reason: str = strawberry.field(description=_REASON)


@strawberry.type(
    description="The spend is voided: a reversing record gave back what remained of it."
)
class SpendVoided:
    spend: Spend = strawberry.field(description="The voided spend (voided: true).")


@strawberry.input(description="Give back part of a spend (a partial credit).")
class RefundSpendInput:
    spend_id: strawberry.ID = strawberry.field(description="The spend, e.g. spd_12.")
    amount: Decimal = strawberry.field(
        description="How much to give back, > 0 and at most what remains of the spend "
        "(its netAmount), else a ValidationError naming amount."
    )
    reason: str = strawberry.field(description=_REASON)


@strawberry.type(description="Part of the spend is given back as a credit record.")
class SpendRefunded:
    spend: Spend = strawberry.field(description="The refunded spend (see reversedAmount).")
    credit: Spend = strawberry.field(
        description="The credit record (negative amount, correctionKind REFUND), in the open "
        "period."
    )


@strawberry.input(
    description="Move a spend to another envelope: give exactly one of toProjectId and "
    "toAllocationId."
)
class MoveSpendInput:
    spend_id: strawberry.ID = strawberry.field(description="The spend, e.g. spd_12.")
    to_project_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The project to move it to: its envelope in the same budget's open period "
        "(else in the only budget you may spend it in).",
    )
    to_allocation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The envelope to move it to (any budget in the same currency); one of a "
        "closed period means that project's envelope in the open period.",
    )
    reason: str = strawberry.field(description=_REASON)


@strawberry.type(description="One moved spend: reversed on its old envelope, recorded anew.")
class SpendMove:
    original: Spend = strawberry.field(description="The spend moved away (voided: true).")
    reversal: Spend = strawberry.field(
        description="The reversing record on the old side (correctionKind MOVE)."
    )
    spend: Spend = strawberry.field(
        description="The spend on its new envelope (correctionKind MOVE, corrects the original)."
    )


@strawberry.type(description="The spend is moved, in one transaction.")
class SpendMoved:
    move: SpendMove = strawberry.field(description="The reversal and the new spend.")


@strawberry.input(
    description="Which spends moveSpends moves: those of one allocation or of one project "
    "(give exactly one), not voided, optionally narrowed."
)
class SpendFilterInput:
    allocation_id: strawberry.ID | None = strawberry.field(
        default=None, description="Spends of this envelope."
    )
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="Spends of this project (every budget unless budgetId)."
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only spends of this budget."
    )
    service: str | None = strawberry.field(default=None, description="Only this service.")
    source: str | None = strawberry.field(
        default=None, description='Only this source, e.g. "focus" (an import).'
    )
    occurred_from: datetime | None = strawberry.field(
        default=None, description="Only spends that occurred at or after this instant."
    )
    occurred_before: datetime | None = strawberry.field(
        default=None, description="Only spends that occurred before this instant."
    )


@strawberry.input(
    description=f"Move every spend a filter matches (at most {service.MAX_MOVE}), all or "
    "nothing: give exactly one of toProjectId and toAllocationId."
)
class MoveSpendsInput:
    filter: SpendFilterInput = strawberry.field(description="Which spends.")
    to_project_id: strawberry.ID | None = strawberry.field(
        default=None, description="The project to move them to (as in moveSpend)."
    )
    to_allocation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The envelope to move them to (as in moveSpend)."
    )
    reason: str = strawberry.field(description=_REASON)


@strawberry.type(description="The spends are moved, in one transaction.")
class SpendsMoved:
    moves: list[SpendMove] = strawberry.field(description="One entry per spend moved.")


@strawberry.input(description="A budget, by id.")
class BudgetRefInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_1.")


@strawberry.input(description="A project, by id.")
class ProjectRefInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )


@strawberry.type(description="The budget is archived: read-only and left out of lists.")
class BudgetArchived:
    budget: Budget = strawberry.field(description="The budget (archivedAt set).")


@strawberry.type(description="The budget is restored: writable and listed again.")
class BudgetRestored:
    budget: Budget = strawberry.field(description="The budget (archivedAt null).")


@strawberry.type(description="The budget is deleted (it never moved money).")
class BudgetDeleted:
    budget_id: strawberry.ID = strawberry.field(description="The id the budget had.")


@strawberry.type(description="The project is archived: read-only and left out of lists.")
class ProjectArchived:
    project: Project = strawberry.field(description="The project (archivedAt set).")


@strawberry.type(description="The project is restored: writable and listed again.")
class ProjectRestored:
    project: Project = strawberry.field(description="The project (archivedAt null).")


@strawberry.type(description="The project is deleted (it never moved money).")
class ProjectDeleted:
    project_id: strawberry.ID = strawberry.field(description="The id the project had.")


VoidSpendPayload = payload("VoidSpendPayload", SpendVoided)
RefundSpendPayload = payload("RefundSpendPayload", SpendRefunded)
MoveSpendPayload = payload("MoveSpendPayload", SpendMoved)
MoveSpendsPayload = payload("MoveSpendsPayload", SpendsMoved)
ArchiveBudgetPayload = payload("ArchiveBudgetPayload", BudgetArchived)
RestoreBudgetPayload = payload("RestoreBudgetPayload", BudgetRestored)
DeleteBudgetPayload = payload("DeleteBudgetPayload", BudgetDeleted)
ArchiveProjectPayload = payload("ArchiveProjectPayload", ProjectArchived)
RestoreProjectPayload = payload("RestoreProjectPayload", ProjectRestored)
DeleteProjectPayload = payload("DeleteProjectPayload", ProjectDeleted)


def _move(m: service.Moved) -> SpendMove:
    return SpendMove(
        original=Spend.from_model(m.original),
        reversal=Spend.from_model(m.reversal),
        spend=Spend.from_model(m.spend),
    )


def _spend_id(value: strawberry.ID) -> int:
    return ids.decode(value, "Spend", "spendId")


_WHO = (
    "whoever may record spend on the spend's allocation (the project's leads and members, the "
    "budget's owners, admins)"
)


@strawberry.type
class CorrectionMutations:
    @strawberry.mutation(
        description="Void a spend: a reversing record (journal entry REVERSAL) gives back what "
        "remains of it, in the open period (a spend of a closed period is reversed there, so "
        "closed figures never change); the spend shows voided with who, when and why. Allowed "
        f"to {_WHO}. Errors: PermissionDenied, NotFound, ValidationError (reason), "
        "InvalidState (already voided, refunded in full, a correction itself, archived)."
    )
    async def void_spend(
        self,
        info: Info,
        input: Annotated[VoidSpendInput, strawberry.argument(description="Which and why.")],
    ) -> VoidSpendPayload:
        async def call() -> SpendVoided:
            row = await service.void_spend(
                info.context.actor, spend_id=_spend_id(input.spend_id), reason=input.reason
            )
            return SpendVoided(spend=Spend.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Refund part of a spend: a credit record of `amount` (at most what remains "
        f"of the spend) in the open period. Allowed to {_WHO}. Errors: PermissionDenied, "
        "NotFound, ValidationError (amount, reason), InvalidState (voided, a credit, archived)."
    )
    async def refund_spend(
        self,
        info: Info,
        input: Annotated[
            RefundSpendInput, strawberry.argument(description="Which, how much and why.")
        ],
    ) -> RefundSpendPayload:
        async def call() -> SpendRefunded:
            row, credit = await service.refund_spend(
                info.context.actor,
                spend_id=_spend_id(input.spend_id),
                amount=input.amount,
                reason=input.reason,
            )
            return SpendRefunded(spend=Spend.from_model(row), credit=Spend.from_model(credit))

        return await run(call)

    @strawberry.mutation(
        description="Move a spend to another envelope (same budget or another in the same "
        "currency), as one transaction: a reversal on the old side and a new spend on the new "
        "side, both in open periods. You must be allowed to record spend on both sides. "
        "Errors: PermissionDenied, NotFound, ValidationError, InvalidState, CurrencyMismatch, "
        "InsufficientFunds (the target budget's hardLimit), AmbiguousReference."
    )
    async def move_spend(
        self,
        info: Info,
        input: Annotated[MoveSpendInput, strawberry.argument(description="Which, where, why.")],
    ) -> MoveSpendPayload:
        async def call() -> SpendMoved:
            moved = await service.move_spend(
                info.context.actor,
                spend_id=_spend_id(input.spend_id),
                reason=input.reason,
                to_project_id=await refs.optional_project_pk(
                    info.context.actor, input.to_project_id, "toProjectId"
                ),
                to_allocation_id=ids.decode_optional(
                    input.to_allocation_id, "Allocation", "toAllocationId"
                ),
            )
            return SpendMoved(move=_move(moved))

        return await run(call)

    @strawberry.mutation(
        description="Move every spend a filter matches, all or nothing, in one transaction "
        "(as moveSpend for each). Errors as moveSpend; a filter matching too many spends is a "
        "ValidationError naming filter."
    )
    async def move_spends(
        self,
        info: Info,
        input: Annotated[MoveSpendsInput, strawberry.argument(description="Which, where, why.")],
    ) -> MoveSpendsPayload:
        async def call() -> SpendsMoved:
            f = input.filter
            moved = await service.move_spends(
                info.context.actor,
                spend_filter=service.SpendFilter(
                    allocation_id=ids.decode_optional(
                        f.allocation_id, "Allocation", "filter.allocationId"
                    ),
                    project_id=await refs.optional_project_pk(
                        info.context.actor, f.project_id, "filter.projectId"
                    ),
                    budget_id=ids.decode_optional(f.budget_id, "Budget", "filter.budgetId"),
                    service=f.service,
                    source=f.source,
                    occurred_from=f.occurred_from,
                    occurred_before=f.occurred_before,
                ),
                reason=input.reason,
                to_project_id=await refs.optional_project_pk(
                    info.context.actor, input.to_project_id, "toProjectId"
                ),
                to_allocation_id=ids.decode_optional(
                    input.to_allocation_id, "Allocation", "toAllocationId"
                ),
            )
            return SpendsMoved(moves=[_move(m) for m in moved])

        return await run(call)

    @strawberry.mutation(
        description="Archive a budget (its owners, admins): read-only (writes are an "
        "InvalidState), left out of `budgets` unless includeArchived; restoreBudget undoes it."
    )
    async def archive_budget(
        self,
        info: Info,
        input: Annotated[BudgetRefInput, strawberry.argument(description="The budget.")],
    ) -> ArchiveBudgetPayload:
        async def call() -> BudgetArchived:
            row = await archiving.archive_budget(
                info.context.actor, budget_id=ids.decode(input.budget_id, "Budget", "budgetId")
            )
            return BudgetArchived(budget=Budget.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Restore an archived budget (its owners, admins). Errors: PermissionDenied, "
        "NotFound, InvalidState (not archived)."
    )
    async def restore_budget(
        self,
        info: Info,
        input: Annotated[BudgetRefInput, strawberry.argument(description="The budget.")],
    ) -> RestoreBudgetPayload:
        async def call() -> BudgetRestored:
            row = await archiving.restore_budget(
                info.context.actor, budget_id=ids.decode(input.budget_id, "Budget", "budgetId")
            )
            return BudgetRestored(budget=Budget.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Delete a budget that never moved money (no spend, allocation or transfer; "
        "its owners, admins). Otherwise an InvalidState: archive it instead."
    )
    async def delete_budget(
        self,
        info: Info,
        input: Annotated[BudgetRefInput, strawberry.argument(description="The budget.")],
    ) -> DeleteBudgetPayload:
        async def call() -> BudgetDeleted:
            pk = await archiving.delete_budget(
                info.context.actor, budget_id=ids.decode(input.budget_id, "Budget", "budgetId")
            )
            return BudgetDeleted(budget_id=strawberry.ID(ids.encode("Budget", pk)))

        return await run(call)

    @strawberry.mutation(
        description="Archive a project (its leads, admins): read-only (spend, allocation and "
        "corrections are an InvalidState), left out of `projects` unless includeArchived."
    )
    async def archive_project(
        self,
        info: Info,
        input: Annotated[ProjectRefInput, strawberry.argument(description="The project.")],
    ) -> ArchiveProjectPayload:
        async def call() -> ProjectArchived:
            row = await archiving.archive_project(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
            )
            return ProjectArchived(project=Project.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Restore an archived project (its leads, admins). Errors: PermissionDenied, "
        "NotFound, InvalidState (not archived)."
    )
    async def restore_project(
        self,
        info: Info,
        input: Annotated[ProjectRefInput, strawberry.argument(description="The project.")],
    ) -> RestoreProjectPayload:
        async def call() -> ProjectRestored:
            row = await archiving.restore_project(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
            )
            return ProjectRestored(project=Project.from_model(row))

        return await run(call)

    @strawberry.mutation(
        description="Delete a project that never moved money (no spend, no money in or out of "
        "its envelopes; its leads, admins). Otherwise an InvalidState: archive it instead."
    )
    async def delete_project(
        self,
        info: Info,
        input: Annotated[ProjectRefInput, strawberry.argument(description="The project.")],
    ) -> DeleteProjectPayload:
        async def call() -> ProjectDeleted:
            pk = await archiving.delete_project(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
            )
            return ProjectDeleted(project_id=strawberry.ID(ids.encode("Project", pk)))

        return await run(call)
