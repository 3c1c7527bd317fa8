from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from app.domain.access import can_view_allocation, can_view_project, is_owner
from app.models import Project as ProjectRow
from schema import ids
from schema.context import Info
from schema.types.allocation import Allocation, allocations_for
from schema.types.node import Node
from schema.types.user import User


@strawberry.type(
    description="A piece of work that budgets fund (id `prj_…`), with its people: LEADs manage "
    "them, MEMBERs record spend and request transfers, VIEWERs read. Its name is visible to its "
    "people and to whoever may fund projects (owners, budget creators, admins); its figures "
    "are on its allocations."
)
class Project(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `prj_3`.")
    name: str = strawberry.field(description='Display name, e.g. "Algorithm Development".')
    slug: str = strawberry.field(
        description="Unique short name (lowercase letters, digits, dashes), e.g. "
        "`algorithm-development`; usable instead of the id in `project(slug:)` and Slack."
    )
    slack_channel: str | None = strawberry.field(description="The project's Slack channel id.")
    row: strawberry.Private[ProjectRow]

    @classmethod
    def from_model(cls, row: ProjectRow) -> Project:
        """From a project row (a model, or a `Row` with id, name, slug, slack_channel). Its
        fields are read from the row when asked for (`_FIELDS` below): a page of 1,000
        allocations builds 1,000 projects, most of which show only a name."""
        project = cls.__new__(cls)
        project.__dict__ = {"row": row}
        return project

    @strawberry.field(
        description="When the project was archived (archiveProject): read-only and left out of "
        "lists unless includeArchived; null when it is not archived."
    )
    def archived_at(self) -> datetime | None:
        return getattr(self.row, "archived_at", None)

    @strawberry.field(
        description="The project's envelopes in every budget and period whose figures you may "
        "see (its people and those budgets' owners); released envelopes nothing was spent on "
        "are left out."
    )
    async def allocations(self, info: Info) -> list[Allocation]:
        rows = await info.context.loaders.allocations_by_project.load(self.row.id)
        actor = info.context.actor
        visible = [
            r
            for r in rows
            if r.released_at is None and can_view_allocation(actor, r.budget_id, r.project_id)
        ]
        return await allocations_for(info, visible, projects={self.row.id: self})

    @strawberry.field(
        description="The project's people (any role); empty unless you are one of them, an "
        "admin, or an owner of a budget that funds it."
    )
    async def members(self, info: Info) -> list[User]:
        """Shown to the project's own people and to owners of a budget that funds it."""
        actor = info.context.actor
        if not can_view_project(actor, self.row.id):
            funding = await info.context.loaders.allocations_by_project.load(self.row.id)
            if not any(is_owner(actor, a.budget_id) for a in funding):
                return []
        links = await info.context.loaders.members.load(self.row.id)
        return [User.from_model(link.user) for link in links]

    @strawberry.field(
        description="Your role here: LEAD, MEMBER, VIEWER, or null (none, e.g. you see it "
        "as an owner, budget creator or admin)."
    )
    def my_role(self, info: Info) -> str | None:
        role = info.context.actor.project_roles.get(self.row.id)
        return None if role is None else role.value


#: The project's plain fields, read from its row (properties, so the fast executor reads them
#: as attributes).
_FIELDS: dict[str, Any] = {
    "id": lambda p: strawberry.ID(ids.encode("Project", p.row.id)),
    "name": lambda p: p.row.name,
    "slug": lambda p: p.row.slug,
    "slack_channel": lambda p: p.row.slack_channel,
}
for _name, _read in _FIELDS.items():
    setattr(Project, _name, property(_read))

#: What the fast executor writes for these fields (schema/execution.py): the row's own text.
Project.__graphql_readers__ = {  # type: ignore[attr-defined]
    "id": lambda p: ids.encode("Project", p.row.id),
    "name": _FIELDS["name"],
    "slug": _FIELDS["slug"],
}
