"""Names as people type them (`bud_3`, `3`, "CS Lab Q1 2026", `genomics`) → the ids services take.

Resolution runs through the GraphQL API as the acting user, so a name resolves only among what
that user may see, exactly as in the API and the Slack bot: a budget you cannot see is "not
found", never "exists but forbidden". This is parsing, not policy; the services decide.
"""

from __future__ import annotations

import re
from typing import Any

from app.cli._common import CliError, Session, usage
from app.domain.errors import AmbiguousReference, NotFound, ValidationError

POOL = "pool"

# Archived budgets too: `allot budgets restore NAME` names one (writes to it stay refused).
_BUDGETS = (
    "query($search: String) {"
    " budgets(first: 100, search: $search, includeArchived: true) { nodes { id name } } }"
)
_PROJECT = "query($slug: String!) { project(slug: $slug) { id } }"
_PROJECTS = (
    "query($search: String) { projects(first: 100, search: $search) { nodes { id slug name } } }"
)
_DIRECTORY = """query($budgetId: ID) { allocationDirectory(budgetId: $budgetId) {
  id budgetId budgetName projectId projectSlug projectName } }"""


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def pk(ref: str, kind: str, field: str) -> int | None:
    """The key in an id of this kind (`bud_3` or `3`), or None when `ref` is not id-shaped."""
    from schema import ids

    text = ref.strip()
    if not re.fullmatch(rf"(?:{ids.PREFIX[kind]}_)?[0-9]+", text, re.ASCII):
        return None
    return ids.decode(text, kind, field)


def required_pk(ref: str, kind: str, name: str) -> int:
    """An id typed on the command line (`trf_12` or `12`); a malformed one is a usage error."""
    from schema import ids

    try:
        return ids.decode(ref, kind, name)
    except ValidationError as exc:
        usage(f"{name} {exc.rule}")
    except NotFound:
        usage(f"{name} {ref!r} is not an id that can exist")


async def budget(s: Session, ref: str) -> int:
    """A budget by id, else by its name (exact, case-insensitive; else a unique partial match)."""
    from schema import ids

    found = pk(ref, "Budget", "budgetId")
    if found is not None:
        return found
    nodes = (await s.graphql(_BUDGETS, search=ref.strip()))["budgets"]["nodes"]
    exact = [n for n in nodes if _fold(n["name"]) == _fold(ref)] or nodes
    if len(exact) == 1:
        return ids.decode(exact[0]["id"], "Budget", "budgetId")
    if exact:
        raise AmbiguousReference(
            f'"{ref}" matches several budgets; give the id',
            [f"{n['id']} {n['name']}" for n in exact],
        )
    raise CliError(f'no budget "{ref}" that you can see (BUDGET); `allot budgets list` shows them')


async def project(s: Session, ref: str) -> int:
    """A project by id, by slug, else by its name."""
    from schema import ids

    found = pk(ref, "Project", "projectId")
    if found is not None:
        return found
    hit = (await s.graphql(_PROJECT, slug=ref.strip()))["project"]
    if hit is not None:
        return ids.decode(hit["id"], "Project", "projectId")
    nodes = (await s.graphql(_PROJECTS, search=ref.strip()))["projects"]["nodes"]
    exact = [n for n in nodes if _fold(n["name"]) == _fold(ref)] or nodes
    if len(exact) == 1:
        return ids.decode(exact[0]["id"], "Project", "projectId")
    if exact:
        raise AmbiguousReference(
            f'"{ref}" matches several projects; give the slug', [n["slug"] for n in exact]
        )
    raise CliError(
        f'no project "{ref}" that you can see (PROJECT); `allot projects list` shows them'
    )


def _named(ref: str, every: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Directory rows of the project called `ref`: by slug or id, else by name."""
    text, number = _fold(ref), ref.strip().removeprefix("prj_")
    exact = [
        r for r in every if _fold(r["projectSlug"]) == text or r["projectId"] == f"prj_{number}"
    ]
    return exact or [r for r in every if _fold(r["projectName"]) == text]


async def transfer_sides(
    s: Session, source: str, target: str, budget_ref: str | None
) -> tuple[int | None, int | None, int]:
    """(from allocation or None for the pool, to allocation or None, budget): the one budget
    whose current period funds both named projects. Another project is named from the
    allocation directory (names only), as a member asking for its money must be able to."""
    from schema import ids

    if _fold(source) == POOL and _fold(target) == POOL:
        raise CliError("--from and --to are both the pool: name a project on one side")
    budget_id = await budget(s, budget_ref) if budget_ref else None
    every = (await s.graphql(_DIRECTORY, budgetId=budget_id and f"bud_{budget_id}"))[
        "allocationDirectory"
    ]

    def side(ref: str, option: str) -> list[dict[str, Any]] | None:
        if _fold(ref) == POOL:
            return None
        rows = _named(ref, every)
        if not rows:
            where = " in that budget" if budget_id else ""
            raise CliError(
                f'no allocation of "{ref}" this period{where} that you can name ({option})'
            )
        return rows

    src, dst = side(source, "--from"), side(target, "--to")
    sets = [{r["budgetId"] for r in rows} for rows in (src, dst) if rows is not None]
    common = set.intersection(*sets)
    if not common:
        raise CliError(f'"{source}" and "{target}" share no budget this period (--from, --to)')
    if len(common) > 1:
        names = sorted(
            {f"{r['budgetId']} {r['budgetName']}" for r in every if r["budgetId"] in common}
        )
        raise AmbiguousReference(
            "both are funded by several budgets; pick one with --budget", names
        )
    (chosen,) = common

    def one(rows: list[dict[str, Any]] | None, ref: str) -> int | None:
        if rows is None:
            return None
        inside = [r for r in rows if r["budgetId"] == chosen]
        if len(inside) > 1:  # two projects of that name: only the slug tells them apart
            raise AmbiguousReference(
                f'"{ref}" names several projects', [r["projectSlug"] for r in inside]
            )
        return ids.decode(inside[0]["id"], "Allocation", "allocationId")

    return one(src, source), one(dst, target), ids.decode(chosen, "Budget", "budgetId")
