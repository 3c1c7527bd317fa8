"""A throwaway PostgreSQL server for the test session.

``PgServer`` runs ``initdb`` into a temporary directory, starts ``postgres``
on 127.0.0.1 with a free TCP port (no Unix socket, durability switched off
for speed) and removes everything again in ``stop()``.  When the environment
variable ``ALLOT_TEST_PG_URL`` is set, no server is started: that existing
server is used instead (its user must be allowed to CREATE DATABASE).

PostgreSQL refuses to run as root; as root the server runs as the
``postgres`` system user (or ``nobody``), which owns the temporary directory.

    with PgServer() as pg:
        url = pg.create_database("t_orders")   # postgres://allot@127.0.0.1:PORT/t_orders

Binaries are looked up in ``$ALLOT_PG_BINDIR``, then on ``PATH`` (``initdb``,
``pg_ctl``, ``postgres`` side by side), then in the newest
``/usr/lib/postgresql/*/bin``.  When none are found ``start()`` raises
``PgUnavailable``; whether that skips or fails the tests is the fixture's
choice (see ``conftest_pg.py`` and ``ALLOT_REQUIRE_PG``).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

__all__ = ["INSTALL_HINT", "PgServer", "PgUnavailable", "find_bindir", "pg_required"]

INSTALL_HINT = (
    "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or in "
    "/usr/lib/postgresql/*/bin; install them with "
    "`apt-get install postgresql` (Debian/Ubuntu), set ALLOT_PG_BINDIR, or point "
    "ALLOT_TEST_PG_URL at an existing server"
)
_BINARIES = ("initdb", "pg_ctl", "postgres")
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_USER = "allot"
_SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "timezone": "'UTC'",
}

T = TypeVar("T")


class PgUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def pg_required() -> bool:
    """True when a missing PostgreSQL must fail the tests (CI sets ALLOT_REQUIRE_PG=1)."""
    return os.environ.get("ALLOT_REQUIRE_PG", "").strip().lower() in {"1", "true", "yes"}


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in _BINARIES)


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    explicit = os.environ.get("ALLOT_PG_BINDIR")
    if explicit:
        return Path(explicit) if _has_binaries(Path(explicit)) else None
    on_path = shutil.which("initdb")
    if on_path:
        # /usr/local/bin/initdb may be a symlink into /usr/lib/postgresql/N/bin.
        for candidate in (Path(on_path).parent, Path(on_path).resolve().parent):
            if _has_binaries(candidate):
                return candidate
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if _has_binaries(Path(p))]
    return max(found, key=_version_key) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a private event loop in a helper thread.

    Works from plain sync code and from inside a running loop (async tests)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="pgserver-admin")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class PgServer:
    """A PostgreSQL server for tests: a private cluster, or ``ALLOT_TEST_PG_URL``."""

    def __init__(self, external_url: str | None = None, *, start_timeout: float = 60.0) -> None:
        self.external_url = external_url or os.environ.get("ALLOT_TEST_PG_URL") or None
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.base_dir: Path | None = None
        self.bindir: Path | None = None
        self._url: str | None = None
        self._created: list[str] = []

    # -- lifecycle ---------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._url is not None

    @property
    def url(self) -> str:
        """URL of the server's main database: postgres://allot@127.0.0.1:PORT/allot."""
        if self._url is None:
            raise RuntimeError("PgServer is not started")
        return self._url

    def start(self) -> PgServer:
        if self._url is not None:
            return self
        if self.external_url:
            _run_coroutine(self._execute(self.external_url, "select 1"))
            self._url = self.external_url
            return self
        bindir = find_bindir()
        if bindir is None:
            raise PgUnavailable(INSTALL_HINT)
        self.bindir = bindir
        self.base_dir = Path(tempfile.mkdtemp(prefix="allot-pg-"))
        atexit.register(self.stop)
        try:
            self._initdb()
            self._start_postgres()
            self._url = f"postgres://{_USER}@127.0.0.1:{self.port}/allot"
            _run_coroutine(self._execute(self._admin_url(), "create database allot"))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and delete its files (or drop created DBs on an external one)."""
        atexit.unregister(self.stop)
        if self.external_url:
            if self._url is not None:
                for name in self._created:
                    self._drop(name)
            self._created.clear()
            self._url = None
            return
        self._url = None
        base, self.base_dir = self.base_dir, None
        if base is None:
            return
        data = base / "data"
        if (data / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                result = self._pg(
                    "pg_ctl", "stop", "-D", str(data), "-m", mode, "-w", "-t", "30", check=False
                )
                if result.returncode == 0:
                    break
        shutil.rmtree(base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create an empty database (dropping any old one of that name), optionally as a copy of
        `template`; return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        if name == "allot" or name.startswith("template") or name == "postgres":
            raise ValueError(f"refusing to recreate database {name!r}")
        admin = self.url
        _run_coroutine(
            self._execute(
                admin,
                f'drop database if exists "{name}" with (force)',
                f'create database "{name}"' + (f' template "{template}"' if template else ""),
            )
        )
        self._created.append(name)
        return _with_database(admin, name)

    def _drop(self, name: str) -> None:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            _run_coroutine(
                self._execute(self.url, f'drop database if exists "{name}" with (force)')
            )

    @staticmethod
    async def _execute(url: str, *statements: str) -> None:
        conn = await asyncpg.connect(url, timeout=30)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def _admin_url(self) -> str:
        return f"postgres://{_USER}@127.0.0.1:{self.port}/postgres"

    # -- the private cluster -----------------------------------------------

    def _run_as(self) -> str | None:
        """The unprivileged user to run PostgreSQL as when we are root."""
        if os.geteuid() != 0:
            return None
        for user in ("postgres", "nobody"):
            try:
                pwd.getpwnam(user)
            except KeyError:
                continue
            return user
        raise RuntimeError("running as root and neither user 'postgres' nor 'nobody' exists")

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self.bindir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        user = self._run_as()
        result = subprocess.run(
            [str(self.bindir / program), *args],
            env=env,
            cwd="/",
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.start_timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def _initdb(self) -> None:
        assert self.base_dir is not None
        user = self._run_as()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.base_dir, entry.pw_uid, entry.pw_gid)
        data = self.base_dir / "data"
        ctype = "C.UTF-8" if Path("/usr/lib/locale/C.utf8").is_dir() else "C"
        self._pg(
            "initdb",
            "-D", str(data),
            "-A", "trust",
            "-U", _USER,
            "--encoding=UTF8",
            "--locale=C",
            f"--lc-ctype={ctype}",
            "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n# allot tests\n")
            for key, value in _SERVER_SETTINGS.items():
                conf.write(f"{key} = {value}\n")

    def _start_postgres(self) -> None:
        assert self.base_dir is not None
        data, log = self.base_dir / "data", self.base_dir / "postgres.log"
        error = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = _free_port()
            result = self._pg(
                "pg_ctl", "start",
                "-D", str(data),
                "-l", str(log),
                "-o", f"-p {self.port}",
                "-w", "-t", str(int(self.start_timeout)),
                check=False,
            )  # fmt: skip
            if result.returncode == 0:
                return
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            error = f"{result.stdout}{result.stderr}\n--- postgres.log ---\n{tail}"
            if "could not bind" not in tail and "in use" not in tail:
                break
        raise RuntimeError(f"PostgreSQL did not start:\n{error}")
