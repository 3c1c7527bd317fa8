"""Cost exports into spend: route each parsed row to a project, record it, keep the rest.

Rows stream through in chunks (5,000 by default), each recorded in one transaction by the same
bulk path as `recordSpends` (`app.services.batch`), so memory stays flat and a re-import is a
replay: a row's stable id becomes the spend's externalId under the import's source
(`focus`, `csv:aws-cur`...), and a row seen before counts as a duplicate, never twice.

- A row no routing rule claims is kept as an `UnassignedSpend`, to be assigned later by hand
  or by re-applying the rules (app.services.unassigned), with the reason "no routing rule
  matches it".
- So is a row a rule sends to a project that cannot take it: the project has no allocation in
  the target budget (the import's `--budget`, else the rule's), or no open allocation at all,
  or several budgets fund it and neither names one. The reason says which ("project genomics
  has no allocation in budget CS Lab"); once the project is funded there, `applyRoutingRules`
  records it (or `assignSpend` puts it elsewhere). The summary counts held rows per reason.
- A row that cannot be recorded for any other reason (unreadable, another currency than the
  budget's, over a hard limit) is rejected with its line and reason.
- Zero-cost rows (usage covered by a commitment, free tiers) are counted and skipped: they move
  no money.
- Credits and adjustments are negative rows, recorded as refunds to the allocation. Credits an
  export writes inside a charge's row (GCP's `credits`, parsed into `CostRow.credits`) are
  recorded the same way, one spend per credit with its own stable id, routed with their charge.
- The spend keeps the row's tags and its amount as the export wrote it (`Spend.tags`,
  `Spend.amount_text`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from tortoise.transactions import in_transaction

from app import clock, metrics
from app.domain.access import Actor, can_import, require
from app.domain.errors import ValidationError
from app.ingest.routing import Router
from app.ingest.rows import CostRow, RejectedRow
from app.models import Allocation, Budget, Project, RoutingRule, UnassignedSpend
from app.services import lookup, routing
from app.services.batch import record_items
from app.services.batch_dedupe import find_external_ids
from app.services.batch_items import DUPLICATE, ERROR, RECORDED, Item, ItemResult
from app.services.batch_ledger import execute_many

CHUNK = 5_000
SHOWN_REJECTIONS = 20
#: Why a row no rule claims is held.
UNROUTED = "no routing rule matches it"


@dataclass
class ImportSummary:
    source: str
    dry_run: bool = False
    read: int = 0
    recorded: int = 0
    duplicates: int = 0
    unassigned: int = 0
    already_unassigned: int = 0
    skipped_zero: int = 0
    rejected: int = 0
    #: Credit entries read inside charge rows (GCP `credits`); each is one more outcome, so
    #: read + credits = recorded + duplicates + unassigned + already_unassigned
    #: + skipped_zero + rejected.
    credits: int = 0
    #: (line, reason) of the first `SHOWN_REJECTIONS` rejected rows.
    rejections: list[tuple[int, str]] = field(default_factory=list)
    #: Rows newly held as unassigned, per reason (UNROUTED, or why a rule's project could not
    #: take them).
    unassigned_reasons: dict[str, int] = field(default_factory=dict)
    #: micros recorded per project slug by this import.
    totals: dict[str, int] = field(default_factory=dict)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < SHOWN_REJECTIONS:
            self.rejections.append((line, reason))


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _item(index: int, row: CostRow, target: Target, source: str) -> Item:
    return Item(
        index=index,
        project_id=target[0],
        budget_id=target[1],
        amount=row.amount,
        occurred_at=row.occurred_at,
        source=source,
        service=_clip(row.service, 200),
        description=row.description,
        external_id=row.external_id,
        currency=row.currency,
        quantity=None if row.quantity is None else _clip(str(row.quantity), 64),
        unit=_clip(row.unit, 64),
        tags=dict(row.tags),
        amount_text=row.amount_text[:64],
    )


#: Where a routed row goes: (project id, budget id or None for "its only open budget").
Target = tuple[int, int | None]


def target_of(rule: RoutingRule, budget_id: int | None) -> Target:
    """The rule's project, in the import's budget if it names one, else in the rule's."""
    return (
        rule.project_id,  # type: ignore[attr-defined]
        budget_id if budget_id is not None else rule.budget_id,  # type: ignore[attr-defined]
    )


async def unplaceable(targets: Iterable[Target]) -> dict[Target, str]:
    """The targets whose project cannot take spend there, with why (for the held row).

    A project needs exactly one open allocation to spend from: in the named budget, or, with
    none named, in the only budget funding it now. Other refusals (currency, hard limit,
    permission) are the recording's to report.
    """
    wanted = set(targets)
    if not wanted:
        return {}
    projects = sorted({p for p, _ in wanted})
    open_in: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(projects), 500):
        rows = await Allocation.filter(
            project_id__in=projects[start : start + 500], period__status="OPEN"
        ).values_list("project_id", "budget_id")
        for project_id, budget in rows:
            open_in[project_id].add(budget)  # type: ignore[index,arg-type]
    missing = {
        (p, b)
        for p, b in wanted
        if (b not in open_in[p] if b is not None else len(open_in[p]) != 1)
    }
    if not missing:
        return {}
    slugs = dict(
        await Project.filter(id__in=sorted({p for p, _ in missing})).values_list("id", "slug")
    )
    names = dict(
        await Budget.filter(id__in=sorted({b for _, b in missing if b is not None})).values_list(
            "id", "name"
        )
    )
    reasons: dict[Target, str] = {}
    for p, b in missing:
        project = f"project {slugs.get(p, p)}"
        if b is not None:
            reasons[(p, b)] = f"{project} has no allocation in budget {names.get(b, b)}"
        elif not open_in[p]:
            reasons[(p, b)] = f"{project} has no allocation in any open budget"
        else:
            reasons[(p, b)] = (
                f"{project} is funded by {len(open_in[p])} budgets and neither the rule nor"
                " the import names one"
            )
    return reasons


async def import_rows(
    actor: Actor,
    rows: Iterable[CostRow | RejectedRow],
    *,
    source: str,
    budget_id: int | None = None,
    dry_run: bool = False,
    chunk_size: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Route and record parsed rows; `progress(n)` is called after each chunk of n rows."""
    if not source or len(source) > 32:
        raise ValidationError("source", "must be 1 to 32 characters")
    if budget_id is not None:
        await lookup.budget(budget_id)
    require(
        can_import(actor, budget_id),
        "import spend into this budget" if budget_id else "import spend for every budget",
    )
    router, rules = await routing.load_router()
    summary = ImportSummary(source=source, dry_run=dry_run)
    totals: dict[int, int] = defaultdict(int)
    stream: Iterator[CostRow | RejectedRow] = iter(rows)
    while chunk := list(islice(stream, chunk_size)):
        await _import_chunk(
            actor, chunk, router, rules, source, budget_id, dry_run, summary, totals
        )
        if progress is not None:
            progress(len(chunk))
    slugs = dict(await Project.filter(id__in=list(totals)).values_list("id", "slug"))
    summary.totals = {slugs[pid]: amount for pid, amount in sorted(totals.items())}  # type: ignore[index]
    metrics.count_import(summary)
    return summary


async def _import_chunk(
    actor: Actor,
    chunk: list[CostRow | RejectedRow],
    router: Router,
    rules: dict[str, RoutingRule],
    source: str,
    budget_id: int | None,
    dry_run: bool,
    summary: ImportSummary,
    totals: dict[int, int],
) -> None:
    latest = clock.now() + timedelta(days=1)
    routed: list[tuple[CostRow, Target]] = []
    held: list[Held] = []
    for row in chunk:
        summary.read += 1
        if isinstance(row, RejectedRow):
            summary.reject(row.line, row.reason)
            continue
        summary.credits += len(row.credits)
        # The charge and its credits share day, tags and sub-account: one routing for all.
        rule_id = router.route(row)
        for part in (row, *row.credits):
            if part.amount == 0:
                summary.skipped_zero += 1
            elif part.occurred_at > latest:
                summary.reject(part.line, f"is dated {part.occurred_at.isoformat()}, in the future")
            elif rule_id is None:
                held.append((part, budget_id, UNROUTED))
            else:
                routed.append((part, target_of(rules[rule_id], budget_id)))
    cannot = await unplaceable(target for _, target in routed)
    items: list[Item] = []
    lines: list[int] = []
    for part, target in routed:
        if target in cannot:
            held.append((part, target[1], cannot[target]))
        else:
            items.append(_item(len(items), part, target, source))
            lines.append(part.line)
    results = await record_items(actor, items, dry_run=dry_run, across_projects=True)
    for item in items:
        result = results[item.index]
        _count(result, lines[item.index], summary, totals)
    if not dry_run:
        await _release(source, [i.external_id for i in items if results[i.index].status != ERROR])
    if held:
        await _hold(held, source, dry_run, summary)


async def _release(source: str, external_ids: list[str | None]) -> None:
    """Rows now recorded (or found recorded) are no longer held: an earlier import may have
    kept them as unassigned before a rule or an allocation let them through."""
    ids = sorted({e for e in external_ids if e is not None})
    for start in range(0, len(ids), 1000):
        await UnassignedSpend.filter(
            source=source, external_id__in=ids[start : start + 1000]
        ).delete()


def _count(result: ItemResult, line: int, summary: ImportSummary, totals: dict[int, int]) -> None:
    if result.status == RECORDED:
        summary.recorded += 1
        totals[result.project_id] += result.amount  # type: ignore[index]
    elif result.status == DUPLICATE:
        summary.duplicates += 1
    else:
        summary.reject(line, result.error.message if result.error else "was refused")


#: A row to hold: the row, the budget whose owners may see it (or None: admins only), and why.
Held = tuple[CostRow, int | None, str]


async def _hold(held: list[Held], source: str, dry_run: bool, summary: ImportSummary) -> None:
    """Keep rows that could not be recorded as spend (see the module docstring); a row already
    recorded as spend (assigned after an earlier import) is a duplicate, a row already held is
    counted as such and its reason brought up to date."""
    ids = [r.external_id for r, _, _ in held]
    recorded = {
        r["external_id"] for r in await find_external_ids("spend", "external_id", source, ids)
    }
    before = {
        r["external_id"]: r["reason"]
        for r in await find_external_ids("unassigned_spend", "external_id, reason", source, ids)
    }
    fresh: dict[str, Held] = {}
    changed: list[list[object]] = []
    for entry in held:
        row, _, reason = entry
        if row.external_id in recorded:
            summary.duplicates += 1
        elif row.external_id in before or row.external_id in fresh:
            summary.already_unassigned += 1
            if row.external_id in before and before[row.external_id] != reason:
                changed.append([reason[:500], source, row.external_id])
        else:
            fresh[row.external_id] = entry
    summary.unassigned += len(fresh)
    for _, _, reason in fresh.values():
        summary.unassigned_reasons[reason] = summary.unassigned_reasons.get(reason, 0) + 1
    if dry_run or not (fresh or changed):
        return
    now = clock.now()
    values: list[list[object]] = [
        [
            source,
            r.external_id,
            r.occurred_at,
            r.amount,
            r.amount_text[:64],
            r.currency,
            _clip(r.service, 200),
            _clip(r.sub_account_id, 200),
            _clip(r.sub_account_name, 200),
            _json(r.tags),
            _clip(r.charge_category, 32),
            r.description,
            None if r.quantity is None else str(r.quantity)[:64],
            _clip(r.unit, 64),
            _clip(r.provider, 200),
            r.line,
            visible_to,
            reason[:500],
            now,
        ]
        for r, visible_to, reason in fresh.values()
    ]
    async with in_transaction():
        await execute_many(
            "INSERT INTO unassigned_spend (source, external_id, occurred_at, amount_micros,"
            " amount_text, currency, service, sub_account_id, sub_account_name, tags,"
            " charge_category, description, quantity, unit, provider, line, budget_id,"
            " reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source, external_id) DO NOTHING",
            values,
        )
        await execute_many(
            "UPDATE unassigned_spend SET reason = ? WHERE source = ? AND external_id = ?",
            changed,
        )


def _json(tags: dict[str, str]) -> str:
    return json.dumps(tags, ensure_ascii=False)


__all__ = ["CHUNK", "UNROUTED", "ImportSummary", "import_rows", "target_of", "unplaceable"]
