"""Users, tokens, budget owners, project people, Slack links and alert acknowledgement.

Success types follow `<Noun><PastParticiple>` (docs/api-reference.md, "Naming"). `Done` and
`UserLinked`, the success types these mutations once shared, are interfaces now: each mutation
returns its own type implementing them, so a client's `... on Done { ok }` still matches.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.access import ProjectRole as DomainProjectRole
from app.services import actors as service
from app.services import alerts
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.common import describe_values
from schema.types.user import User

ProjectRole = describe_values(
    strawberry.enum(
        DomainProjectRole,
        name="ProjectRole",
        description="A person's role on one project. Funding a project gives no role on it.",
    ),
    {
        "LEAD": "Manages the project's people (adds, removes, changes roles) and does what a "
        "member does.",
        "MEMBER": "Sees the project, records and reserves its spend, requests transfers.",
        "VIEWER": "Sees the project's figures only.",
    },
)


@strawberry.input(description="A new user (admins only).")
class CreateUserInput:
    name: str = strawberry.field(description="Display name (not empty).")
    email: str = strawberry.field(description="E-mail address, unique (case-insensitive).")
    is_admin: bool = strawberry.field(default=False, description="Make the user an ADMIN.")
    is_budget_creator: bool = strawberry.field(
        default=False, description="May create budgets and projects (a department manager)."
    )
    password: str | None = strawberry.field(
        default=None,
        description="A password to sign in to the web app with (10 to 1,000 characters; "
        "stored as an argon2 hash). Omitted: the user signs in only once one is set "
        "(setPassword).",
    )


@strawberry.input(description="Set or clear the password a user signs in to the web app with.")
class SetPasswordInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose password; omitted: your own. Others' need an admin."
    )
    password: str | None = strawberry.field(
        description="The new password (10 to 1,000 characters); null removes it, so the user "
        "can no longer sign in to the web app (API tokens keep working)."
    )


@strawberry.type(description="The password was set (or removed); older sessions have ended.")
class PasswordSet:
    user: User = strawberry.field(description="The user.")


@strawberry.input(description="Grant or withdraw the right to create budgets and projects.")
class SetBudgetCreatorInput:
    user_id: strawberry.ID = strawberry.field(description="The user, e.g. usr_4.")
    allowed: bool = strawberry.field(description="True grants the right, false withdraws it.")


@strawberry.type(description="The right was granted or withdrawn.")
class BudgetCreatorSet:
    user: User = strawberry.field(description="The user, with isBudgetCreator as now set.")


@strawberry.input(description="Which owner to remove from which budget.")
class RemoveBudgetOwnerInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_1.")
    user_id: strawberry.ID = strawberry.field(description="The owner to remove.")


@strawberry.input(description="Whom to remove from which project.")
class RemoveProjectMemberInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    user_id: strawberry.ID = strawberry.field(description="The person to remove (any role).")


@strawberry.type(description="The new user and their API token, shown this once.")
class UserCreated:
    user: User = strawberry.field(description="The new user.")
    token: str = strawberry.field(
        description="Their first API token (send as `Authorization: Bearer <token>`); Allot "
        "keeps only its hash, so it cannot be shown again."
    )


@strawberry.input(description="An API token for yourself (or, for admins, for anyone).")
class CreateApiTokenInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose token; omitted: your own. Others' need an admin."
    )
    name: str | None = strawberry.field(
        default=None, description='A label to recognise it by (default "token").'
    )


@strawberry.type(description="The plain token, shown this once; Allot keeps only its hash.")
class ApiTokenCreated:
    token: str = strawberry.field(
        description="Send it as `Authorization: Bearer <token>`; it cannot be shown again."
    )


@strawberry.input(
    description="Whom to make an owner of which budget: give exactly one of userId and email."
)
class AddBudgetOwnerInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_1.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The user who becomes an owner."
    )
    email: str | None = strawberry.field(
        default=None,
        description="Or the e-mail address of that user (case and surrounding spaces ignored).",
    )


@strawberry.input(description="Whom to add to which project, in which role.")
class AddProjectMemberInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    user_id: strawberry.ID = strawberry.field(description="The person to add.")
    role: ProjectRole = strawberry.field(  # type: ignore[assignment]
        default=ProjectRole.MEMBER,
        description="Their role (default MEMBER); someone already on the project gets this "
        "role instead of theirs.",
    )


@strawberry.input(description="Link an Allot user to a Slack user id (an admin, or yourself).")
class LinkSlackUserInput:
    slack_user_id: str = strawberry.field(description="The Slack user id, e.g. U012AB3CD.")
    slack_team_id: str | None = strawberry.field(
        default=None, description="The Slack workspace (team) id, e.g. T012AB3CD."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whom to link; omitted: yourself. Others' need an admin."
    )


@strawberry.input(description="Which alert to acknowledge.")
class AcknowledgeAlertInput:
    alert_id: strawberry.ID = strawberry.field(
        description="The alert's id (`alr_…`, as in the alert.raised event's data)."
    )


@strawberry.interface(
    description="The former shared success type of addBudgetOwner, removeBudgetOwner, "
    "addProjectMember, removeProjectMember and acknowledgeAlert, kept as an interface so "
    "`... on Done { ok }` still matches: each now returns its own type implementing Done "
    "(BudgetOwnerAdded, BudgetOwnerRemoved, ProjectMemberAdded, ProjectMemberRemoved, "
    "AlertAcknowledged), and `__typename` names that type."
)
class Done:
    ok: bool = strawberry.field(default=True, description="Always true: the change was made.")


@strawberry.type(description="The user is now an owner of the budget (already one: no change).")
class BudgetOwnerAdded(Done):
    pass


@strawberry.type(description="The user is no longer an owner of the budget.")
class BudgetOwnerRemoved(Done):
    pass


@strawberry.type(description="The person is on the project, in the role given.")
class ProjectMemberAdded(Done):
    pass


@strawberry.type(description="The person is no longer on the project.")
class ProjectMemberRemoved(Done):
    pass


@strawberry.type(description="The alert is marked acknowledged.")
class AlertAcknowledged(Done):
    pass


@strawberry.interface(
    description="The former success type of linkSlackUser, kept as an interface so "
    "`... on UserLinked { user }` still matches; linkSlackUser returns SlackUserLinked."
)
class UserLinked:
    user: User = strawberry.field(description="The user, with slackUserId as now linked.")


@strawberry.type(description="The Allot user is linked to the Slack user.")
class SlackUserLinked(UserLinked):
    pass


CreateUserPayload = payload("CreateUserPayload", UserCreated)
SetPasswordPayload = payload("SetPasswordPayload", PasswordSet)
CreateApiTokenPayload = payload("CreateApiTokenPayload", ApiTokenCreated)
AddBudgetOwnerPayload = payload("AddBudgetOwnerPayload", BudgetOwnerAdded)
AddProjectMemberPayload = payload("AddProjectMemberPayload", ProjectMemberAdded)
LinkSlackUserPayload = payload("LinkSlackUserPayload", SlackUserLinked)
SetBudgetCreatorPayload = payload("SetBudgetCreatorPayload", BudgetCreatorSet)
RemoveBudgetOwnerPayload = payload("RemoveBudgetOwnerPayload", BudgetOwnerRemoved)
RemoveProjectMemberPayload = payload("RemoveProjectMemberPayload", ProjectMemberRemoved)
AcknowledgeAlertPayload = payload("AcknowledgeAlertPayload", AlertAcknowledged)


@strawberry.type
class AccessMutations:
    @strawberry.mutation(
        description="Create a user and their first API token (admins only). Errors: "
        "PermissionDenied, ValidationError (empty name, bad e-mail, password), Conflict (e-mail "
        "taken)."
    )
    async def create_user(
        self,
        info: Info,
        input: Annotated[CreateUserInput, strawberry.argument(description="The new user.")],
    ) -> CreateUserPayload:
        async def call() -> UserCreated:
            user, token = await service.create_user(
                info.context.actor,
                name=input.name,
                email=input.email,
                is_admin=input.is_admin,
                is_budget_creator=input.is_budget_creator,
                password=input.password,
            )
            return UserCreated(user=User.from_model(user), token=token)

        return await run(call)

    @strawberry.mutation(
        description="Set or remove the password a user signs in to the web app with: your "
        "own, or anyone's (admins). Their sessions signed in with the old one end. Errors: "
        "PermissionDenied, NotFound (userId), ValidationError (password)."
    )
    async def set_password(
        self,
        info: Info,
        input: Annotated[
            SetPasswordInput, strawberry.argument(description="The user and the password.")
        ],
    ) -> SetPasswordPayload:
        async def call() -> PasswordSet:
            actor = info.context.actor
            user_id = ids.decode_optional(input.user_id, "User", "userId") or actor.user_id
            user = await service.set_password(actor, user_id=user_id, password=input.password)
            return PasswordSet(user=User.from_model(user))

        return await run(call)

    @strawberry.mutation(
        description="Grant or withdraw the budget-creator right (admins only). Errors: "
        "PermissionDenied, NotFound (userId)."
    )
    async def set_budget_creator(
        self,
        info: Info,
        input: Annotated[
            SetBudgetCreatorInput, strawberry.argument(description="The user and the right.")
        ],
    ) -> SetBudgetCreatorPayload:
        async def call() -> BudgetCreatorSet:
            user = await service.set_budget_creator(
                info.context.actor,
                user_id=ids.decode(input.user_id, "User", "userId"),
                allowed=input.allowed,
            )
            return BudgetCreatorSet(user=User.from_model(user))

        return await run(call)

    @strawberry.mutation(
        description="A new API token, shown once: for yourself (anyone signed in), or for "
        "another user (admins). Errors: PermissionDenied, NotFound (userId)."
    )
    async def create_api_token(
        self,
        info: Info,
        input: Annotated[
            CreateApiTokenInput, strawberry.argument(description="Whose token, and its label.")
        ],
    ) -> CreateApiTokenPayload:
        async def call() -> ApiTokenCreated:
            actor = info.context.actor
            user_id = ids.decode_optional(input.user_id, "User", "userId") or actor.user_id
            token = await service.create_api_token(actor, user_id=user_id, name=input.name or "")
            return ApiTokenCreated(token=token)

        return await run(call)

    @strawberry.mutation(
        description="Make a user an owner of a budget (its owners and admins). Returns "
        "BudgetOwnerAdded (implements Done). Errors: PermissionDenied, NotFound (budgetId, "
        "userId, email), ValidationError (neither or both of userId and email)."
    )
    async def add_budget_owner(
        self,
        info: Info,
        input: Annotated[
            AddBudgetOwnerInput, strawberry.argument(description="The budget and the new owner.")
        ],
    ) -> AddBudgetOwnerPayload:
        async def call() -> BudgetOwnerAdded:
            await service.add_budget_owner(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                user_id=None
                if input.user_id is None
                else ids.decode(input.user_id, "User", "userId"),
                email=input.email,
            )
            return BudgetOwnerAdded()

        return await run(call)

    @strawberry.mutation(
        description="Owners remove another owner; a budget keeps at least one. Returns "
        "BudgetOwnerRemoved (implements Done). Errors: PermissionDenied, NotFound (not an "
        "owner), InvalidState (the last owner)."
    )
    async def remove_budget_owner(
        self,
        info: Info,
        input: Annotated[
            RemoveBudgetOwnerInput, strawberry.argument(description="The budget and the owner.")
        ],
    ) -> RemoveBudgetOwnerPayload:
        async def call() -> BudgetOwnerRemoved:
            await service.remove_budget_owner(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
            )
            return BudgetOwnerRemoved()

        return await run(call)

    @strawberry.mutation(
        description="The project's leads (and admins) add people or change their role; a "
        "budget owner funding the project may not. Returns ProjectMemberAdded (implements "
        "Done). Errors: PermissionDenied, NotFound (projectId, userId)."
    )
    async def add_project_member(
        self,
        info: Info,
        input: Annotated[
            AddProjectMemberInput, strawberry.argument(description="The project, person, role.")
        ],
    ) -> AddProjectMemberPayload:
        async def call() -> ProjectMemberAdded:
            await service.add_project_member(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
                role=DomainProjectRole(input.role.value),
            )
            return ProjectMemberAdded()

        return await run(call)

    @strawberry.mutation(
        description="The project's leads (and admins) remove someone. Returns "
        "ProjectMemberRemoved (implements Done). Errors: PermissionDenied, NotFound (projectId, "
        "or userId when not on the project)."
    )
    async def remove_project_member(
        self,
        info: Info,
        input: Annotated[
            RemoveProjectMemberInput, strawberry.argument(description="The project and person.")
        ],
    ) -> RemoveProjectMemberPayload:
        async def call() -> ProjectMemberRemoved:
            await service.remove_project_member(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
                user_id=ids.decode(input.user_id, "User", "userId"),
            )
            return ProjectMemberRemoved()

        return await run(call)

    @strawberry.mutation(
        description="Link a user to a Slack user id: yourself, or anyone (admins). Most people "
        "link from Slack instead (`/allot link`). Returns SlackUserLinked (implements "
        "UserLinked). Errors: PermissionDenied, NotFound (userId), Conflict (the Slack user is "
        "linked to someone else)."
    )
    async def link_slack_user(
        self,
        info: Info,
        input: Annotated[
            LinkSlackUserInput, strawberry.argument(description="The Slack ids and the user.")
        ],
    ) -> LinkSlackUserPayload:
        async def call() -> SlackUserLinked:
            actor = info.context.actor
            user = await service.link_slack_user(
                actor,
                user_id=ids.decode_optional(input.user_id, "User", "userId") or actor.user_id,
                slack_user_id=input.slack_user_id,
                slack_team_id=input.slack_team_id,
            )
            return SlackUserLinked(user=User.from_model(user))

        return await run(call)

    @strawberry.mutation(
        description="Mark a threshold alert as seen (the budget's owners and admins; again: no "
        "change). Returns AlertAcknowledged (implements Done). Errors: NotFound, "
        "PermissionDenied."
    )
    async def acknowledge_alert(
        self,
        info: Info,
        input: Annotated[AcknowledgeAlertInput, strawberry.argument(description="The alert.")],
    ) -> AcknowledgeAlertPayload:
        async def call() -> AlertAcknowledged:
            await alerts.acknowledge(
                info.context.actor, ids.decode(input.alert_id, "Alert", "alertId")
            )
            return AlertAcknowledged()

        return await run(call)
