"""Relay-style connections with keyset cursors and a maximum page size."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from app.domain.errors import ValidationError
from app.settings import get_settings

T = TypeVar("T")
DEFAULT_PAGE = 50


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"c:{pk}".encode()).decode()


def _after_pk(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        text = base64.urlsafe_b64decode(after.encode()).decode()
        prefix, _, pk = text.partition(":")
        if prefix != "c":
            raise ValueError
        return int(pk)
    except ValueError:
        raise ValidationError("after", "is not a cursor from this API") from None


def page_size(first: int | None) -> int:
    limit = get_settings().max_page_size
    if first is None:
        return min(DEFAULT_PAGE, limit)
    if first < 0:
        raise ValidationError("first", "must not be negative")
    if first > limit:
        raise ValidationError("first", f"must be at most {limit}")
    return first


async def paginate(
    query: QuerySet, first: int | None, after: str | None, build: Callable[[object], T]
) -> Connection[T]:
    """Keyset pagination on the primary key: stable under inserts, one query plus a count."""
    size = page_size(first)
    total = await query.count()
    after_pk = _after_pk(after)
    page_query = query.order_by("id")
    if after_pk is not None:
        page_query = page_query.filter(id__gt=after_pk)
    rows = list(await page_query.limit(size + 1))
    more = len(rows) > size
    rows = rows[:size]
    edges = [Edge(node=build(r), cursor=cursor(r.pk)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after_pk is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
