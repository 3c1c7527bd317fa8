"""What every `allot` command shares: the settings, the database, the acting user, the errors.

Each command is a thin translation (arguments in, one service call or GraphQL read, a table out).
What must behave the same for all of them lives here, so no command can forget it: which
database is opened and what is said when it is missing or unmigrated, who is acting (`--as`,
default the first admin), and how a failure is told (one line on stderr, exit 1 when refused
or failed, 2 when the command line itself is wrong; never a traceback).
"""

from __future__ import annotations

import asyncio
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from app import db
from app.cli._errors import FAILED, USAGE, CliError, describe, fail, option_name, usage
from app.domain.errors import AllotError

if TYPE_CHECKING:
    from app.domain.access import Actor
    from app.models import User
    from app.settings import Settings

T = TypeVar("T")

__all__ = [
    "FAILED",
    "USAGE",
    "CliError",
    "Session",
    "describe",
    "fail",
    "find_user",
    "option_name",
    "run",
    "run_db",
    "run_operator",
    "settings",
    "usage",
]

# --- settings ---------------------------------------------------------------------------------


def settings() -> Settings:
    """The settings, or one line naming the setting that breaks its rule (ALLOT_PORT=abc)."""
    from pydantic import ValidationError as SettingsError

    from app.settings import get_settings

    try:
        return get_settings()
    except SettingsError as exc:
        problems = []
        for error in exc.errors():
            name = "ALLOT_" + "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}={error.get('input')!r}: {error['msg']}")
        fail(f"invalid setting {'; '.join(problems)} (from the environment or .env)")


# --- the database -----------------------------------------------------------------------------


def sqlite_file(url: str) -> Path | None:
    """The file behind a sqlite:// URL (`sqlite://allot.db`, `sqlite:///tmp/a.db`), else None."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def _where(url: str) -> str:
    from app.settings import Settings

    default = Settings.model_fields["database_url"].default
    return f"ALLOT_DATABASE_URL={url}" + (", the default" if url == default else "")


def require_database_file(url: str) -> None:
    """SQLite would create an empty file on connect: say which one is missing instead."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise CliError(
            f"no database at {path.resolve()} ({_where(url)}): create it with `allot migrate`"
            " (or `allot demo` for sample data), or point ALLOT_DATABASE_URL at yours"
        )


def _migrations() -> list[str]:
    import app.migrations

    return sorted(
        m.name for m in pkgutil.iter_modules(app.migrations.__path__) if m.name[:1] != "_"
    )


async def _check_schema(url: str) -> None:
    """Refuse a database without Allot's tables, or one behind the migrations in app/."""
    from tortoise import connections
    from tortoise.exceptions import OperationalError

    conn = connections.get("default")
    try:
        await conn.execute_query('SELECT 1 FROM "user" LIMIT 1')
    except OperationalError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            raise CliError(
                f"the database ({_where(url)}) has no Allot tables yet: run `allot migrate`"
            ) from None
        raise CliError(f"cannot open the database ({_where(url)}): {exc}") from None
    try:
        _, rows = await conn.execute_query(
            "SELECT name FROM tortoise_migrations WHERE app = 'models'"
        )
    except OperationalError:
        return  # built from the models without the migration recorder (the test template)
    applied = {row["name"] for row in rows}
    pending = [name for name in _migrations() if name not in applied]
    if pending:
        raise CliError(
            f"the database ({_where(url)}) is {len(pending)} migration(s) behind"
            f" ({', '.join(pending)}): run `allot migrate`"
        )


async def _open(url: str) -> None:
    from tortoise.exceptions import DBConnectionError

    try:
        await db.init_db(url)
        await _check_schema(url)
    except (DBConnectionError, OSError) as exc:
        raise CliError(f"cannot open the database ({_where(url)}): {exc}") from None


#: How SQLite and PostgreSQL say a table or column the code expects is missing.
_SCHEMA_MISMATCH = ("no such table", "no such column", "has no column named", "does not exist")


def run_db(
    fn: Callable[[], Awaitable[T]],
    *,
    migrate: bool = False,
    names: Mapping[str, str] | None = None,
) -> T:
    """Run a coroutine with the database open (migrated first on request); map every expected
    failure to one line. `names` renames service fields for this command's error messages."""
    from tortoise.exceptions import OperationalError

    url = settings().database_url

    async def main() -> T:
        if migrate:
            try:
                await db.migrate(url)
            except OSError as exc:
                raise CliError(f"cannot open the database ({_where(url)}): {exc}") from None
            finally:
                await db.close_db()
        else:
            require_database_file(url)
        try:
            await _open(url)
            return await fn()
        finally:
            await db.close_db()

    try:
        return asyncio.run(main())
    except CliError as exc:
        fail(exc.message, exc.code)
    except AllotError as exc:
        fail(describe(exc, names))
    except OperationalError as exc:
        if any(sign in str(exc) for sign in _SCHEMA_MISMATCH):
            fail(
                f"the database ({_where(url)}) does not match this version of Allot ({exc}):"
                " run `allot migrate`"
            )
        fail(f"database error: {exc}")


# --- who is acting ----------------------------------------------------------------------------


class _Acting:
    """The global `--as EMAIL`, set by the root callback on every invocation."""

    email: str | None = None


def set_acting(email: str | None) -> None:
    _Acting.email = email.strip() if email and email.strip() else None


def acting_email(override: str | None = None) -> str | None:
    return override or _Acting.email


async def find_user(email: str, option: str = "--as") -> User:
    from app.models import User

    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise CliError(f"no user with e-mail {email} ({option})")
    return user


async def acting_user(override: str | None = None, option: str = "--as") -> User:
    """The user named by --as (or a command's --user), else the local admin (the first one)."""
    from app.models import User

    email = acting_email(override)
    if email:
        return await find_user(email, option if override else "--as")
    user = await User.filter(is_admin=True).order_by("id").first()
    if user is None:
        raise CliError(
            "no admin user yet: create one with `allot users create --admin --name NAME"
            " --email EMAIL` (or load `allot demo`), or act as a user with --as EMAIL"
        )
    return user


@dataclass(frozen=True)
class Session:
    """The acting user, their role snapshot, and the GraphQL API as they would call it."""

    user: User
    actor: Actor

    async def graphql(self, document: str, **variables: Any) -> dict[str, Any]:
        """Run a GraphQL operation in-process as this user: the same resolvers, scopes and
        figures as the HTTP API. An expected error is raised as the AllotError it was."""
        from schema import schema
        from schema.context import context_for_user

        context = await context_for_user(self.user)
        result = await schema.execute(document, variable_values=variables, context_value=context)
        if result.errors:
            error = result.errors[0]
            if isinstance(error.original_error, AllotError):
                raise error.original_error
            raise CliError(error.message)
        assert result.data is not None
        return result.data


def run(
    fn: Callable[[Session], Awaitable[T]],
    *,
    user: str | None = None,
    names: Mapping[str, str] | None = None,
) -> T:
    """Run `fn` as the acting user (`user` is a command's own --user, which wins over --as)."""
    from app.services.actors import load_actor

    async def main() -> T:
        who = await acting_user(user, "--user")
        return await fn(Session(who, await load_actor(who)))

    return run_db(main, names=names)


def run_operator(fn: Callable[[Actor | None], Awaitable[T]]) -> T:
    """User and token administration: with the operator's authority (None, the local shell
    that owns the database) unless --as names a user, whose rights then apply."""
    from app.services.actors import load_actor

    async def main() -> T:
        email = acting_email()
        actor = await load_actor(await find_user(email)) if email else None
        return await fn(actor)

    return run_db(main)
