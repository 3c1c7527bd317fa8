"""Compiled selects: a hot query's SQL built once per shape and database, then only run.

Tortoise builds every query through pypika on each call: for `resolve_allocation` (the
project's open allocation with its budget, project and period, three joins), building the SQL
took about three quarters of the time the query cost inside a `recordSpend` request, and the
statement itself a tenth. A `CompiledSelect` builds the query once with marker arguments,
keeps its parameterized SQL and where each argument goes, and from then on runs that SQL with
the new arguments through Tortoise's own executor, so the models come back exactly as the
QuerySet would return them (joined models included). The connection is chosen per call, so a
transaction's connection is used inside one.

Arguments may be integers and dates (a date is written as the built query wrote its marker:
a date object for asyncpg, ISO text for SQLite); if the built SQL does not carry each marker
exactly once, the query is not compiled and every call builds it as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)

#: Marker arguments, by kind: values no real key, filter value or day takes.
_MARKERS: dict[type, tuple[Any, ...]] = {
    int: (-7_368_204_913, -7_368_204_914, -7_368_204_915, -7_368_204_916),
    date: (date(1901, 2, 3), date(1901, 2, 4), date(1901, 2, 5), date(1901, 2, 6)),
}


def _as_given(value: Any) -> Any:
    return value


def _as_text(value: date) -> str:
    return value.isoformat()


@dataclass(frozen=True)
class _Plan:
    sql: str
    values: tuple[Any, ...]
    #: Per argument: its parameter's position, and how the argument is written there.
    slots: tuple[tuple[int, Callable[[Any], Any]], ...]
    select_related_idx: Any


class CompiledSelect(Generic[M]):
    """`await compiled(*args)` is `await make(*args)`, with the SQL built once per database.

    `model`: the model `make`'s query returns; `kinds`: each argument's type (`int` or
    `date`). `make` must build the same query shape for any arguments (no branching on them):
    each argument must end up as one SQL parameter. A date is passed as the database driver
    takes it (text on SQLite), as the built query showed for its marker."""

    def __init__(
        self, model: type[M], make: Callable[..., QuerySet[M]], kinds: tuple[type, ...]
    ) -> None:
        counts = {kind: kinds.count(kind) for kind in kinds}
        if not kinds or any(k not in _MARKERS or n > len(_MARKERS[k]) for k, n in counts.items()):
            raise ValueError(f"kinds must be 1–4 of int and date, not {kinds}")
        self._model = model
        self._make = make
        self._kinds = kinds
        used: dict[type, int] = {}
        markers = []
        for kind in kinds:
            markers.append(_MARKERS[kind][used.get(kind, 0)])
            used[kind] = used.get(kind, 0) + 1
        self._markers = tuple(markers)
        self._plans: dict[Any, _Plan | None] = {}

    def _plan(self, db: Any) -> _Plan | None:
        key = (type(db), getattr(db, "connection_name", None))
        if key in self._plans:
            return self._plans[key]
        prototype = self._make(*self._markers)
        prototype._db = db
        prototype._make_query()
        sql, values = prototype.query.get_parameterized_sql()
        values = list(values or [])
        slots: list[tuple[int, Callable[[Any], Any]]] = []
        for marker in self._markers:
            found = [(i, _as_given) for i, v in enumerate(values) if type(v) is type(marker)]
            found = [(i, w) for i, w in found if values[i] == marker]
            if isinstance(marker, date):
                found += [(i, _as_text) for i, v in enumerate(values) if v == marker.isoformat()]
            if len(found) != 1:
                self._plans[key] = None
                return None
            slots.append(found[0])
        plan = _Plan(sql, tuple(values), tuple(slots), prototype._select_related_idx)
        self._plans[key] = plan
        return plan

    async def __call__(self, *args: Any) -> list[M]:
        if len(args) != len(self._kinds) or not all(
            type(a) is k for a, k in zip(args, self._kinds, strict=True)
        ):
            return list(await self._make(*args))
        db = self._model._choose_db()
        plan = self._plan(db)
        if plan is None:
            return list(await self._make(*args))
        values = list(plan.values)
        for (position, write), arg in zip(plan.slots, args, strict=True):
            values[position] = write(arg)
        executor = db.executor_class(
            model=self._model, db=db, select_related_idx=plan.select_related_idx
        )
        return list(await executor.execute_select(plan.sql, values, custom_fields=[]))


__all__ = ["CompiledSelect"]
