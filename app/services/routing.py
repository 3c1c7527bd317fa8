"""Routing rules: which project (and budget) an imported cost row is spend of.

A rule may be managed by an admin, or by an owner of a budget that funds the rule's project
(and, when the rule names a budget, an owner of that budget).
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from app.domain import validation as rules
from app.domain.access import Actor, can_manage_routing, require
from app.domain.errors import NotFound, ValidationError
from app.ingest.routing import Router
from app.ingest.routing import RoutingRule as Rule
from app.models import Allocation, RoutingRule
from app.services import lookup


async def visible_rules(actor: Actor) -> QuerySet[RoutingRule]:
    """Admins see every rule; owners the rules of projects their budgets fund."""
    if actor.is_admin:
        return RoutingRule.all()
    funded = await Allocation.filter(budget_id__in=list(actor.owned_budgets)).values_list(
        "project_id", flat=True
    )
    return RoutingRule.filter(project_id__in=sorted(set(funded)))


async def _require_manager(actor: Actor, project_id: int, budget_id: int | None) -> None:
    funders = await Allocation.filter(project_id=project_id).values_list("budget_id", flat=True)
    require(
        can_manage_routing(actor, budget_id, funders),  # type: ignore[arg-type]
        "manage routing rules for this project",
    )


async def create_rule(
    actor: Actor,
    *,
    match: str,
    value: str,
    project_id: int,
    key: str | None = None,
    budget_id: int | None = None,
    priority: int = 100,
) -> RoutingRule:
    match = (match or "").strip().lower().replace("-", "_")
    if match == "tag" and key is None and "=" in value:
        key, _, value = value.partition("=")  # `--value project=genomics` reads as key=value
    # The pure rule checks the shape (match kind, key for tag rules, non-empty value).
    Rule(priority=priority, match=match, key=key, value=value or "", target=str(project_id))  # type: ignore[arg-type]
    if match != "tag" and key:
        raise ValidationError("key", "is only used by tag rules")
    if not -1_000_000 <= priority <= 1_000_000:
        raise ValidationError("priority", "must be between -1000000 and 1000000")
    if len(value) > 500 or (key is not None and len(key) > 200):
        raise ValidationError("value", "must be at most 500 characters (key 200)")
    rules.clean_text(value, "value")
    if key is not None:
        rules.clean_text(key, "key")
    await lookup.project(project_id)
    if budget_id is not None:
        await lookup.budget(budget_id)
        if not await Allocation.exists(project_id=project_id, budget_id=budget_id):
            raise ValidationError("budgetId", "does not fund this project")
    await _require_manager(actor, project_id, budget_id)
    return await RoutingRule.create(
        priority=priority,
        match=match,
        key=key.strip() if key else None,
        value=value.strip(),
        project_id=project_id,
        budget_id=budget_id,
        created_by_id=actor.user_id,
    )


async def delete_rule(actor: Actor, rule_id: int) -> RoutingRule:
    rule = await RoutingRule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound("RoutingRule", rule_id, field="ruleId")
    await _require_manager(actor, rule.project_id, rule.budget_id)  # type: ignore[attr-defined]
    await rule.delete()
    return rule


async def load_router() -> tuple[Router, dict[str, RoutingRule]]:
    """Every rule, as a pure router whose targets are rule ids, and the rules by that id."""
    rows = await RoutingRule.all().order_by("priority", "id")
    rules = [
        Rule(
            priority=r.priority,
            match=r.match,
            key=r.key,
            value=r.value,  # type: ignore[arg-type]
            target=str(r.id),
        )
        for r in rows
    ]
    return Router(rules), {str(r.id): r for r in rows}
