"""Replays in a batch: an externalId (or idempotency key) seen before with the same content is
answered with the original spend, with other content it is an IdempotencyConflict."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import replace

from app.domain.access import Actor
from app.domain.errors import AllotError, IdempotencyConflict, ValidationError
from app.services import idempotency
from app.services.batch_items import DUPLICATE, ERROR, Item, ItemResult
from app.services.sql import fetch, is_postgres

# SQLite takes 32,766 parameters per statement since 3.32 (999 before).
_SQLITE_IN_CHUNK = 5_000 if sqlite3.sqlite_version_info >= (3, 32) else 900


def _key(source: str, external_id: str, project_id: int, across_projects: bool) -> tuple:  # type: ignore[type-arg]
    return (source, external_id) if across_projects else (source, external_id, project_id)


async def drop_duplicates(
    actor: Actor,
    items: list[Item],
    results: dict[int, ItemResult],
    *,
    across_projects: bool = False,
) -> tuple[list[Item], list[tuple[int, int]]]:
    """Answer replays (externalId or idempotency key seen before, same content) with the
    original spend; the same id with other content is an IdempotencyConflict. Returns the
    items still to record and the (index, first index) of repeats within this batch.

    An externalId is the caller's key within the project it spends for (no probe into other
    projects); an import (`across_projects`) is one source's file, deduplicated as a whole."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for item in items:
        if item.external_id is not None:
            wanted[item.source].append(item.external_id)
    # key -> (spend id or None, first index in this batch or -1, item content)
    seen: dict[tuple, tuple[int | None, int, tuple[object, ...]]] = {}  # type: ignore[type-arg]
    # A cost moved to another project (moveSpend) has a row under each: across projects, the
    # row of the item's own project answers first (app.services.corrections).
    own: dict[tuple, tuple[int | None, int, tuple[object, ...]]] = {}  # type: ignore[type-arg]
    for source, external_ids in wanted.items():
        rows = await find_external_ids(
            "spend", "external_id, id, amount_micros, project_id, service", source, external_ids
        )
        for r in rows:
            found_row = (r["id"], -1, (r["amount_micros"], r["project_id"], r["service"]))
            seen[_key(source, r["external_id"], r["project_id"], across_projects)] = found_row
            if across_projects:
                own[(source, r["external_id"], r["project_id"])] = found_row
    keys: set[str] = set()
    live: list[Item] = []
    repeats: list[tuple[int, int]] = []
    for item in items:
        try:
            if item.idempotency_key is not None:
                if item.idempotency_key in keys:
                    raise ValidationError(
                        f"items[{item.index}].idempotencyKey",
                        "is used by an earlier item of this batch",
                    )
                keys.add(item.idempotency_key)
                replayed = await idempotency.replay(
                    actor, "recordSpend", item.idempotency_key, item.content()
                )
                if replayed is not None:
                    results[item.index] = ItemResult(
                        item.index,
                        DUPLICATE,
                        spend_id=replayed,
                        project_id=item.project_id,
                        amount=item.amount,
                    )
                    continue
            found = None
            if item.external_id is not None:
                found = own.get((item.source, item.external_id, item.project_id)) or seen.get(
                    _key(item.source, item.external_id, item.project_id, across_projects)
                )
            if found is not None:
                amount, project_id, service = found[2]
                if (
                    amount != item.amount
                    or project_id != item.project_id
                    or (item.service is not None and service != item.service)
                ):
                    raise IdempotencyConflict(
                        f"externalId {item.external_id!r} was recorded before with different"
                        " content",
                        field=f"items[{item.index}].externalId",
                    )
        except AllotError as exc:
            results[item.index] = ItemResult(
                item.index, ERROR, error=exc, project_id=item.project_id
            )
            continue
        if found is None:
            live.append(item)
            if item.external_id is not None:
                seen[_key(item.source, item.external_id, item.project_id, across_projects)] = (
                    None,
                    item.index,
                    (item.amount, item.project_id, item.service),
                )
        elif found[0] is None:
            repeats.append((item.index, found[1]))
        else:
            results[item.index] = ItemResult(
                item.index,
                DUPLICATE,
                spend_id=found[0],
                project_id=item.project_id,
                amount=item.amount,
            )
    return live, repeats


async def find_external_ids(
    table: str, columns: str, source: str, external_ids: list[str]
) -> list[dict]:  # type: ignore[type-arg]
    """Rows of `table` (spend or unassigned_spend) with one of these ids under `source`.

    PostgreSQL joins an unnested array: one statement per 5,000 ids, and a hash or index join
    even before the table has statistics (a long `IN` list on a fresh table is planned as a
    sequential scan comparing every row with every id).
    """
    unique = sorted(set(external_ids))
    found: list[dict] = []  # type: ignore[type-arg]
    if is_postgres():
        for start in range(0, len(unique), 5_000):
            found += await fetch(
                f"SELECT {columns} FROM {table} JOIN unnest(?::varchar[]) AS wanted(eid)"
                " ON external_id = wanted.eid WHERE source = ?",
                unique[start : start + 5_000],
                source,
            )
        return found
    step = _SQLITE_IN_CHUNK
    for start in range(0, len(unique), step):
        chunk = unique[start : start + step]
        marks = ", ".join("?" * len(chunk))
        found += await fetch(
            f"SELECT {columns} FROM {table} WHERE source = ? AND external_id IN ({marks})",
            source,
            *chunk,
        )
    return found


def answer_repeats(repeats: list[tuple[int, int]], results: dict[int, ItemResult]) -> None:
    """A repeat of an earlier item of the batch shares its fate: its spend, or its error."""
    for index, first in repeats:
        original = results[first]
        if original.status == ERROR:
            results[index] = replace(original, index=index)
        else:
            results[index] = replace(original, index=index, status=DUPLICATE)


__all__ = ["answer_repeats", "drop_duplicates", "find_external_ids"]
