"""Names as people type them (a slug or a name) → the ids the API wants, through GraphQL.

This is parsing, not policy: what a user may see or do is decided by the API. An unknown or
ambiguous name becomes an ApiError that lists the candidates.
"""

from __future__ import annotations

from typing import Any

from bot import operations as ops
from bot.api import ApiError, SlackActor

POOL = "pool"
MAX_CANDIDATES = 10


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _candidates(items: list[str]) -> str:
    shown = ", ".join(f"`{c}`" for c in items[:MAX_CANDIDATES])
    more = f" and {len(items) - MAX_CANDIDATES} more" if len(items) > MAX_CANDIDATES else ""
    return shown + more


def _pick(name: str, items: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Exact matches (slug or name, case-insensitive) win over partial ones."""
    exact = [i for i in items if any(_fold(str(i.get(k) or "")) == _fold(name) for k in keys)]
    return exact or items


def _ambiguous(name: str, kind: str, labels: list[str]) -> ApiError:
    return ApiError(
        "AMBIGUOUS",
        f'"{name}" matches several {kind}s: {_candidates(labels)}. Use the slug or the full name.',
        labels,
    )


def _unknown(name: str, kind: str, labels: list[str]) -> ApiError:
    known = f" You can name: {_candidates(labels)}." if labels else ""
    return ApiError("NOT_FOUND", f'No {kind} named "{name}" that you can see.{known}', labels)


async def project(actor: SlackActor, name: str) -> dict[str, Any]:
    """A project (with its allocations) by slug, else by name."""
    data = await actor.run(ops.PROJECT_BY_SLUG, slug=name)
    if data["project"] is not None:
        return data["project"]
    found = (await actor.run(ops.PROJECTS_SEARCH, search=name))["projects"]["nodes"]
    found = _pick(name, found, ("slug", "name"))
    if len(found) == 1:
        return found[0]
    if found:
        raise _ambiguous(name, "project", [p["slug"] for p in found])
    every = (await actor.run(ops.PROJECTS_SEARCH, search=None))["projects"]["nodes"]
    raise _unknown(name, "project", [p["slug"] for p in every])


async def budget(actor: SlackActor, name: str) -> dict[str, Any]:
    if name.startswith("bud_"):
        data = await actor.run(ops.BUDGET_STATUS, id=name)
        if data["budget"] is not None:
            return data["budget"]
    found = (await actor.run(ops.BUDGETS, search=name))["budgets"]["nodes"]
    found = _pick(name, found, ("name", "id"))
    if len(found) == 1:
        return found[0]
    if found:
        raise _ambiguous(name, "budget", [b["name"] for b in found])
    every = (await actor.run(ops.BUDGETS, search=None))["budgets"]["nodes"]
    raise _unknown(name, "budget", [b["name"] for b in every])


async def current_allocation_ids(actor: SlackActor) -> set[str]:
    """Ids of the current-period allocations the user can name (older periods are history)."""
    refs = (await actor.run(ops.ALLOCATION_DIRECTORY, search=None))["allocationDirectory"]
    return {r["id"] for r in refs}


def _ref_label(ref: dict[str, Any]) -> str:
    return f"{ref['projectSlug']} in {ref['budgetName']}"


async def transfer_sides(
    actor: SlackActor, source: str, target: str
) -> tuple[str | None, str | None, str]:
    """(fromAllocationId or None for the pool, toAllocationId or None, budgetId): the one budget
    in which both names have an allocation this period."""
    if source == POOL and target == POOL:
        raise ApiError("VALIDATION", "Money can't move from the pool to the pool: name a project.")

    async def refs(name: str) -> list[dict[str, Any]]:
        if name == POOL:
            return []
        found = (await actor.run(ops.ALLOCATION_DIRECTORY, search=name))["allocationDirectory"]
        found = _pick(name, found, ("projectSlug", "projectName"))
        if not found:
            every = (await actor.run(ops.ALLOCATION_DIRECTORY, search=None))["allocationDirectory"]
            raise _unknown(name, "project", sorted({r["projectSlug"] for r in every}))
        return found

    src, dst = await refs(source), await refs(target)
    budgets_src = {r["budgetId"] for r in src} if src else None
    budgets_dst = {r["budgetId"] for r in dst} if dst else None
    if budgets_src is None:
        common = budgets_dst or set()
    elif budgets_dst is None:
        common = budgets_src
    else:
        common = budgets_src & budgets_dst
    if not common:
        raise ApiError(
            "VALIDATION",
            f'"{source}" and "{target}" have no budget in common this period, so money '
            "can't move between them.",
        )
    if len(common) > 1:
        names = sorted({r["budgetName"] for r in src + dst if r["budgetId"] in common})
        raise ApiError(
            "AMBIGUOUS",
            f"Both are funded by several budgets ({_candidates(names)}); "
            "use `/allot transfer` alone to pick one in a form.",
            names,
        )
    (budget_id,) = common

    def one(side: list[dict[str, Any]], name: str) -> str | None:
        if name == POOL:
            return None
        inside = [r for r in side if r["budgetId"] == budget_id]
        if len(inside) > 1:
            raise _ambiguous(name, "project", [_ref_label(r) for r in inside])
        return inside[0]["id"]

    return one(src, source), one(dst, target), budget_id
