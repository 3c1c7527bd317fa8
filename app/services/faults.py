"""Database trouble, told apart from bugs: clients get a retryable UNAVAILABLE (GraphQL) or a
503 (HTTP) instead of a masked "Unexpected error", a plain 500 or a dropped connection.

Unavailable means the request may succeed if sent again: PostgreSQL down, restarting or
refusing connections, a connection lost mid-request, SQLite locked, read-only, out of disk or
failing I/O. A syntax error or a missing table is a bug, not this, and stays masked.
"""

from __future__ import annotations

import errno
import sqlite3

from app.domain.errors import AllotError

#: SQLite's messages for a database that cannot take the request now.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "database or disk is full",
    "attempt to write a readonly database",
    "unable to open database file",
    "readonly database",
)
#: asyncpg's SQLSTATE classes 08 (connection exception), 53 (insufficient resources),
#: 57P (operator intervention: admin shutdown, crash shutdown, cannot connect now).
_PG_STATES = ("08", "53", "57P")

#: OS errors of a server that is away, a disk that is full or read-only (None: asyncpg's
#: "Multiple exceptions" when every address of the host refused).
_OS_UNAVAILABLE = frozenset(
    {
        None,
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENOSPC,
        errno.EIO,
        errno.EROFS,
    }
)


class Unavailable(AllotError):
    """The database (or the live event stream) cannot serve now; try again shortly."""

    code = "UNAVAILABLE"


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it wraps) is the database being unreachable or unable to write."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, Unavailable):
            return True
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return True
        name = type(exc).__name__
        if name in ("DBConnectionError", "ConnectionDoesNotExistError", "InterfaceError") and (
            name != "InterfaceError" or "connection" in str(exc).lower()
        ):
            return True
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_PG_STATES):
            return True
        if isinstance(exc, (sqlite3.OperationalError, sqlite3.DatabaseError)):
            text = str(exc).lower()
            if any(m in text for m in _SQLITE_UNAVAILABLE):
                return True
        if isinstance(exc, OSError) and exc.errno in _OS_UNAVAILABLE:
            return True
        if name == "OperationalError" and any(m in str(exc).lower() for m in _SQLITE_UNAVAILABLE):
            return True
        exc = (
            exc.__cause__
            or exc.__context__
            or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
        )
        seen += 1
    return False


MESSAGE = "The database is unavailable right now; try again in a few seconds."
