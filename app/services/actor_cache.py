"""Who a bearer token is, remembered briefly: authenticating a known token costs no statement.

`app.services.actors.authenticate` keeps, per token hash, the user and their role snapshot
(`Actor`) for at most `TTL_SECONDS`, and only while the process's *generation* is unchanged.

Invalidation (the trust rules of app.domain.access: a revoked token or a removed role takes
effect at once):

- **In this process, at once.** Every write that can change what a token may do bumps the
  generation, which empties the cache: a save or delete of a `User`, `ApiToken`, `BudgetOwner`
  or `ProjectMember` row (Tortoise's post_save/post_delete signals, so `create`,
  `get_or_create`, `save` and instance `delete` are all covered), and explicitly the bulk
  writes that send no signal (`revoke_tokens`, `remove_budget_owner`, `remove_project_member`
  call `forget()` after they commit). Opening or closing the database forgets too. A token's
  `last_used_at` stamp is a bulk update on purpose: a use changes nobody's access.
- **In other processes (uvicorn workers on PostgreSQL, the CLI next to a server), within
  `TTL_SECONDS`.** The choice: a short TTL rather than a version counter in the database,
  because a counter must be read on every request (one statement, the very cost removed here),
  while a 2-second bound is shorter than the subscriptions' own role re-check
  (`subscription_recheck_seconds`). A write that ran outside Allot's services (raw SQL, another
  process) is likewise seen within the TTL. LISTEN/NOTIFY on the broker's connection could make
  it immediate across workers; not done yet.

An entry records the generation read *before* its statements ran, so a change committed while
they ran is never cached as current. Only the token path is cached: `load_actor` on a user that
did not come from `authenticate` (sessions, Slack, the CLI, subscription re-checks without a
token) always reads the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tortoise.signals import post_delete, post_save

from app.domain.access import Actor
from app.models import ApiToken, BudgetOwner, ProjectMember, User

#: How long an entry may serve another process's change (revocation, role removal) stale.
TTL_SECONDS = 2.0
#: At most this many tokens are remembered (the oldest entries go first).
MAX_ENTRIES = 10_000

_generation = 0


@dataclass(frozen=True)
class Known:
    """A token's user and roles, as read in `generation`, good until `expires`."""

    user: User
    actor: Actor
    generation: int
    expires: float


_entries: dict[str, Known] = {}


def generation() -> int:
    return _generation


def forget() -> None:
    """Something that decides access changed: nothing remembered is trusted any more."""
    global _generation
    _generation += 1
    _entries.clear()


def get(token_hash: str) -> Known | None:
    known = _entries.get(token_hash)
    if known is None:
        return None
    if known.generation != _generation or known.expires < time.monotonic():
        _entries.pop(token_hash, None)
        return None
    return known


def put(token_hash: str, user: User, actor: Actor, read_in: int) -> None:
    """Remember a token read while the generation was `read_in` (dropped if it moved on)."""
    if read_in != _generation:
        return
    if len(_entries) >= MAX_ENTRIES:
        for stale in list(_entries)[: MAX_ENTRIES // 10]:
            del _entries[stale]
    _entries[token_hash] = Known(user, actor, read_in, time.monotonic() + TTL_SECONDS)


@post_save(User, ApiToken, BudgetOwner, ProjectMember)
async def _saved(*_args: Any, **_kwargs: Any) -> None:
    forget()


@post_delete(User, ApiToken, BudgetOwner, ProjectMember)
async def _deleted(*_args: Any, **_kwargs: Any) -> None:
    forget()
