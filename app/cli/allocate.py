"""`allot allocate`: set one project's envelope, or split an amount across several at once.

    allot allocate BUDGET PROJECT AMOUNT                 one project (0 hands the unspent back)
    allot allocate BUDGET --equal TOTAL P1 P2 …          TOTAL in equal shares
    allot allocate BUDGET --percent P1=40 P2=60 --total T  shares of T
    allot allocate BUDGET P1=2000 P2=1500                  explicit amounts, all or nothing

Splits go through `allocate_many` (all or nothing; remainders to the first projects, so every
micro is kept). Owners and admins only: a member is refused by the service, as in the API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer

from app.cli import _amounts, _refs
from app.cli._common import Session, run, usage
from app.cli._output import money, say, show, table

_AFTER = """query($id: ID!) { budget(id: $id) { currency unallocated
  allocations(first: 1000) { nodes { id project { slug } amount spent remaining status } } } }"""


def _pairs(items: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        project, sep, value = item.partition("=")
        if not sep or not project.strip() or not value.strip():
            usage(f"{option}: write each project as PROJECT=VALUE, got {item!r}")
        pairs.append((project.strip(), value.strip()))
    return pairs


def allocate(
    budget: str = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name."),
    items: list[str] = typer.Argument(
        None, metavar="PROJECT AMOUNT | P1 P2 … | P1=X P2=Y …", help="What to allocate."
    ),
    equal: str = typer.Option(None, "--equal", metavar="TOTAL", help="Split TOTAL equally."),
    percent: bool = typer.Option(False, "--percent", help="Items are PROJECT=PERCENT of --total."),
    total: str = typer.Option(None, "--total", help="The total a --percent split divides."),
    notes: str = typer.Option(None, "--notes", help="A note on the allocation (one project)."),
    key: str = typer.Option(None, "--idempotency-key", help="Safe to retry (one project)."),
) -> None:
    """Allocate a budget's pool to projects (owners): raise, lower, or split across many."""
    from app.services.allocations import Split, SplitItem, allocate, allocate_many

    items = items or []
    if equal is not None and percent:
        usage("give --equal TOTAL or --percent, not both")
    if equal is not None or percent or (items and all("=" in i for i in items)):
        if notes or key:
            usage("--notes and --idempotency-key apply to one project")
        if equal is not None:
            if not items:
                usage("--equal TOTAL needs the projects: allot allocate BUDGET --equal 3750 P1 P2")
            split, amount_of, split_total = Split.EQUAL, {p: None for p in items}, equal
        elif percent:
            if total is None:
                usage("--percent needs --total: the amount the percentages divide")
            pairs = _pairs(items, "--percent")
            split, split_total = Split.PERCENT, total
            amount_of = {p: _amounts.percent(v, f"{p}=") for p, v in pairs}
        else:
            pairs = _pairs(items, "PROJECT=AMOUNT")
            split, split_total = Split.EXPLICIT, None
            amount_of = {p: _amounts.amount(v, f"{p}=", allow_zero=True) for p, v in pairs}
        grand = None if split_total is None else _amounts.amount(split_total, "--total")

        async def many(s: Session) -> tuple[Any, list[Any]]:
            pk = await _refs.budget(s, budget)
            parts = []
            for ref, value in amount_of.items():
                project_id = await _refs.project(s, ref)
                share = {"percent": value} if split is Split.PERCENT else {"amount": value}
                parts.append(SplitItem(project_id=project_id, **share))
            rows = await allocate_many(s.actor, budget_id=pk, split=split, items=parts, total=grand)
            return await _after(s, pk), [r.id for r in rows]

        after, ids = run(many, names={"total": "--total", "items": "PROJECTS"})
        _show(after, ids)
        return
    if len(items) != 2:
        usage("give PROJECT AMOUNT, or --equal TOTAL P1 P2 …, or --percent P1=40 … --total T")
    project, text = items
    value: Decimal = _amounts.amount(text, "AMOUNT", allow_zero=True)

    async def one(s: Session) -> tuple[Any, list[Any]]:
        pk = await _refs.budget(s, budget)
        row = await allocate(
            s.actor,
            budget_id=pk,
            project_id=await _refs.project(s, project),
            amount=value,
            notes=notes,
            idempotency_key=key,
        )
        return await _after(s, pk), [row.id]

    after, ids = run(one)
    _show(after, ids)


async def _after(s: Session, budget_id: int) -> dict[str, Any]:
    return (await s.graphql(_AFTER, id=f"bud_{budget_id}"))["budget"]


def _show(budget: dict[str, Any], ids: list[int]) -> None:
    c = budget["currency"]
    wanted = {f"alc_{i}" for i in ids}
    grid = table("project", "allocated$", "spent$", "remaining$", "status")
    for a in budget["allocations"]["nodes"]:
        if a["id"] in wanted:
            grid.add_row(
                a["project"]["slug"],
                money(a["amount"], c),
                money(a["spent"], c),
                money(a["remaining"], c),
                a["status"],
            )
    show(grid)
    say(f"unallocated in the pool: {money(budget['unallocated'], c)}")
