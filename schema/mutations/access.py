from __future__ import annotations

import strawberry

from app.domain.access import ProjectRole as DomainProjectRole
from app.services import actors as service
from app.services import alerts
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.user import User

ProjectRole = strawberry.enum(DomainProjectRole, name="ProjectRole")


@strawberry.input
class CreateUserInput:
    name: str
    email: str
    is_admin: bool = False
    is_budget_creator: bool = strawberry.field(
        default=False, description="May create budgets and projects (a department manager)."
    )


@strawberry.input(description="Grant or withdraw the right to create budgets and projects.")
class SetBudgetCreatorInput:
    user_id: strawberry.ID
    allowed: bool


@strawberry.type
class BudgetCreatorSet:
    user: User


@strawberry.input
class RemoveBudgetOwnerInput:
    budget_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class RemoveProjectMemberInput:
    project_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type(description="The new user and their API token, shown this once.")
class UserCreated:
    user: User
    token: str


@strawberry.input
class CreateApiTokenInput:
    user_id: strawberry.ID | None = None
    name: str | None = None


@strawberry.type(description="The plain token, shown this once; Allot keeps only its hash.")
class ApiTokenCreated:
    token: str


@strawberry.input
class AddBudgetOwnerInput:
    budget_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class AddProjectMemberInput:
    project_id: strawberry.ID
    user_id: strawberry.ID
    role: ProjectRole = ProjectRole.MEMBER  # type: ignore[assignment]


@strawberry.input
class LinkSlackUserInput:
    slack_user_id: str
    slack_team_id: str | None = None
    user_id: strawberry.ID | None = None


@strawberry.input
class AcknowledgeAlertInput:
    alert_id: strawberry.ID


@strawberry.type
class Done:
    ok: bool = True


@strawberry.type
class UserLinked:
    user: User


CreateUserPayload = payload("CreateUserPayload", UserCreated)
CreateApiTokenPayload = payload("CreateApiTokenPayload", ApiTokenCreated)
AddBudgetOwnerPayload = payload("AddBudgetOwnerPayload", Done)
AddProjectMemberPayload = payload("AddProjectMemberPayload", Done)
LinkSlackUserPayload = payload("LinkSlackUserPayload", UserLinked)
SetBudgetCreatorPayload = payload("SetBudgetCreatorPayload", BudgetCreatorSet)
RemoveBudgetOwnerPayload = payload("RemoveBudgetOwnerPayload", Done)
RemoveProjectMemberPayload = payload("RemoveProjectMemberPayload", Done)
AcknowledgeAlertPayload = payload("AcknowledgeAlertPayload", Done)


@strawberry.type
class AccessMutations:
    @strawberry.mutation(description="Admins only.")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload:
        async def call() -> UserCreated:
            user, token = await service.create_user(
                info.context.actor,
                name=input.name,
                email=input.email,
                is_admin=input.is_admin,
                is_budget_creator=input.is_budget_creator,
            )
            return UserCreated(user=User.from_model(user), token=token)

        return await run(call)

    @strawberry.mutation(description="Admins only.")
    async def set_budget_creator(
        self, info: Info, input: SetBudgetCreatorInput
    ) -> SetBudgetCreatorPayload:
        async def call() -> BudgetCreatorSet:
            user = await service.set_budget_creator(
                info.context.actor,
                user_id=ids.decode(input.user_id, "User", "userId"),
                allowed=input.allowed,
            )
            return BudgetCreatorSet(user=User.from_model(user))

        return await run(call)

    @strawberry.mutation
    async def create_api_token(
        self, info: Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        async def call() -> ApiTokenCreated:
            actor = info.context.actor
            user_id = ids.decode_optional(input.user_id, "User", "userId") or actor.user_id
            token = await service.create_api_token(actor, user_id=user_id, name=input.name or "")
            return ApiTokenCreated(token=token)

        return await run(call)

    @strawberry.mutation
    async def add_budget_owner(
        self, info: Info, input: AddBudgetOwnerInput
    ) -> AddBudgetOwnerPayload:
        async def call() -> Done:
            await service.add_budget_owner(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
            )
            return Done()

        return await run(call)

    @strawberry.mutation(description="Owners remove another owner; a budget keeps at least one.")
    async def remove_budget_owner(
        self, info: Info, input: RemoveBudgetOwnerInput
    ) -> RemoveBudgetOwnerPayload:
        async def call() -> Done:
            await service.remove_budget_owner(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
            )
            return Done()

        return await run(call)

    @strawberry.mutation(
        description="The project's leads (and admins) add people or change their role."
    )
    async def add_project_member(
        self, info: Info, input: AddProjectMemberInput
    ) -> AddProjectMemberPayload:
        async def call() -> Done:
            await service.add_project_member(
                info.context.actor,
                project_id=ids.decode(input.project_id, "Project", "projectId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
                role=DomainProjectRole(input.role.value),
            )
            return Done()

        return await run(call)

    @strawberry.mutation(description="The project's leads (and admins) remove someone.")
    async def remove_project_member(
        self, info: Info, input: RemoveProjectMemberInput
    ) -> RemoveProjectMemberPayload:
        async def call() -> Done:
            await service.remove_project_member(
                info.context.actor,
                project_id=ids.decode(input.project_id, "Project", "projectId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
            )
            return Done()

        return await run(call)

    @strawberry.mutation
    async def link_slack_user(self, info: Info, input: LinkSlackUserInput) -> LinkSlackUserPayload:
        async def call() -> UserLinked:
            actor = info.context.actor
            user = await service.link_slack_user(
                actor,
                user_id=ids.decode_optional(input.user_id, "User", "userId") or actor.user_id,
                slack_user_id=input.slack_user_id,
                slack_team_id=input.slack_team_id,
            )
            return UserLinked(user=User.from_model(user))

        return await run(call)

    @strawberry.mutation
    async def acknowledge_alert(
        self, info: Info, input: AcknowledgeAlertInput
    ) -> AcknowledgeAlertPayload:
        async def call() -> Done:
            await alerts.acknowledge(
                info.context.actor, ids.decode(input.alert_id, "Alert", "alertId")
            )
            return Done()

        return await run(call)
