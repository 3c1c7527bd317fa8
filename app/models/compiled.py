"""Compiled selects: a hot query's SQL built once per shape and database, then only run.

Tortoise builds every query through pypika on each call: for `resolve_allocation` (the
project's open allocation with its budget, project and period, three joins), building the SQL
took about three quarters of the time the query cost inside a `recordSpend` request, and the
statement itself a tenth. A `CompiledSelect` builds the query once with marker arguments,
keeps its parameterized SQL and where each argument goes, and from then on runs that SQL with
the new arguments through Tortoise's own executor, so the models come back exactly as the
QuerySet would return them (joined models included). The connection is chosen per call, so a
transaction's connection is used inside one.

Only arguments that Tortoise passes as SQL parameters unchanged may be compiled (integers,
here); if the built SQL does not carry each marker exactly once, the query is not compiled and
every call builds it as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)

#: Marker arguments: integers no real key or filter value takes.
_MARKERS = (-7_368_204_913, -7_368_204_914, -7_368_204_915, -7_368_204_916)


@dataclass(frozen=True)
class _Plan:
    sql: str
    values: tuple[Any, ...]
    positions: tuple[int, ...]
    select_related_idx: Any


class CompiledSelect(Generic[M]):
    """`await compiled(*args)` is `await make(*args)`, with the SQL built once per database.

    `model`: the model `make`'s query returns. `make` must build the same query shape for any
    arguments (no branching on them): each argument must end up as one SQL parameter."""

    def __init__(self, model: type[M], make: Callable[..., QuerySet[M]], arity: int) -> None:
        if not 0 < arity <= len(_MARKERS):
            raise ValueError(f"arity must be 1–{len(_MARKERS)}")
        self._model = model
        self._make = make
        self._arity = arity
        self._plans: dict[Any, _Plan | None] = {}

    def _plan(self, db: Any) -> _Plan | None:
        key = (type(db), getattr(db, "connection_name", None))
        if key in self._plans:
            return self._plans[key]
        prototype = self._make(*_MARKERS[: self._arity])
        prototype._db = db
        prototype._make_query()
        sql, values = prototype.query.get_parameterized_sql()
        values = list(values or [])
        positions = []
        for marker in _MARKERS[: self._arity]:
            found = [i for i, v in enumerate(values) if type(v) is int and v == marker]
            if len(found) != 1:
                self._plans[key] = None
                return None
            positions.append(found[0])
        plan = _Plan(sql, tuple(values), tuple(positions), prototype._select_related_idx)
        self._plans[key] = plan
        return plan

    async def __call__(self, *args: int) -> list[M]:
        if len(args) != self._arity or not all(type(a) is int for a in args):
            return list(await self._make(*args))
        db = self._model._choose_db()
        plan = self._plan(db)
        if plan is None:
            return list(await self._make(*args))
        values = list(plan.values)
        for position, arg in zip(plan.positions, args, strict=True):
            values[position] = arg
        executor = db.executor_class(
            model=self._model, db=db, select_related_idx=plan.select_related_idx
        )
        return list(await executor.execute_select(plan.sql, values, custom_fields=[]))


__all__ = ["CompiledSelect"]
