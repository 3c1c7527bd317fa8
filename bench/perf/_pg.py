"""The run's private PostgreSQL cluster (tests/pgserver.py) and its statement log.

Statements are counted from the database's own log, not from the ORM: the cluster logs with
`log_line_prefix = '@@<pid>@@ '`, and only databases created with `logged=True` get
`ALTER DATABASE … SET log_statement = 'all'`, so the other benchmarks pay nothing for it.
`StatementLog.count` sends a marker query (`SELECT 'allot-bench-mark:…'`) on its own connection,
runs the HTTP request, waits for the server to settle, sends a second marker, and classifies
every `statement:`/`execute …:` entry logged between the two by other backends:

- resets: asyncpg's pool reset on release (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
  UNLISTEN *; RESET ALL;`, one simple query; any of the four counts it once);
- transaction control: BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE;
- the rest: the SQL that does the work.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from pgserver import PgServer, PgUnavailable

__all__ = ["Cluster", "PgUnavailable", "StatementCount", "StatementLog"]

_ENTRY = re.compile(r"^@@(\d+)@@ ", re.MULTILINE)
_STATEMENT = re.compile(r"^LOG:\s+(?:statement|execute [^:]*):\s*(.*)", re.DOTALL)
_RESET = ("pg_advisory_unlock_all", "CLOSE ALL", "UNLISTEN *", "RESET ALL")
_TXN = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START TRANSACTION", "END")


async def _execute(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class Cluster:
    """A throwaway cluster for the whole run; databases are made from dumps and templates."""

    def __init__(self) -> None:
        self.server = PgServer().start()
        assert self.server.base_dir is not None and self.server.bindir is not None
        self.log_path = self.server.base_dir / "postgres.log"
        # pg_dump/pg_restore sit next to the real initdb (PATH may hold only symlinks).
        self.bindir = (self.server.bindir / "initdb").resolve().parent
        self._run(
            self.server.url,
            "ALTER SYSTEM SET log_line_prefix = '@@%p@@ '",
            "SELECT pg_reload_conf()",
        )

    def _run(self, url: str, *statements: str) -> None:
        asyncio.run(_execute(url, *statements))

    def create(self, name: str, *, template: str | None = None, logged: bool = False) -> str:
        """A database (a copy of `template` if given); `logged` logs its every statement."""
        url = self.server.create_database(name, template=template)
        if logged:
            self._run(self.server.url, f"ALTER DATABASE \"{name}\" SET log_statement = 'all'")
        return url

    def _client(self, program: str, *args: str) -> None:
        port = str(self.server.port)
        command = [str(self.bindir / program), "-h", "127.0.0.1", "-p", port, "-U", "allot"]
        subprocess.run([*command, *args], check=True, capture_output=True, text=True)

    def dump(self, name: str, path: Path) -> None:
        self._client("pg_dump", "-Fc", "-d", name, "-f", str(path))

    def restore(self, name: str, path: Path) -> str:
        url = self.create(name)
        self._client("pg_restore", "--no-owner", "-j", "2", "-d", name, str(path))
        self._run(url, "ANALYZE")
        return url

    def stop(self) -> None:
        self.server.stop()


@dataclass(frozen=True)
class StatementCount:
    """What one request sent to PostgreSQL, from the server's log."""

    total: int
    resets: int
    transaction: int

    @property
    def work(self) -> int:
        return self.total - self.resets - self.transaction

    def __str__(self) -> str:
        return f"{self.total} ({self.resets} resets, {self.transaction} txn)"


def _classify(text: str) -> str:
    head = text.lstrip().upper()
    if any(marker in text for marker in _RESET):
        return "reset"
    if head.startswith(_TXN):
        return "txn"
    return "work"


class StatementLog:
    """Counts statements between two markers in the cluster's log (see the module docstring)."""

    def __init__(self, cluster: Cluster) -> None:
        self.path = cluster.log_path

    def _entries(self, start: int) -> list[tuple[int, str]]:
        text = self.path.read_bytes()[start:].decode(errors="replace")
        parts = _ENTRY.split(text)
        # parts: [before, pid, body, pid, body, …]
        return [(int(parts[i]), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]

    def _wait_for(self, start: int, marker: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.path.read_bytes()[start:].decode(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"marker {marker!r} never reached the PostgreSQL log")
            time.sleep(0.02)

    def count(self, url: str, action: object, settle: float = 0.3) -> StatementCount:
        """Run `action()` (a callable doing one HTTP request) between two markers."""
        tag = uuid.uuid4().hex[:10]
        begin, end = f"allot-bench-mark:{tag}:begin", f"allot-bench-mark:{tag}:end"
        offset = self.path.stat().st_size
        asyncio.run(_execute(url, f"SELECT '{begin}'"))
        self._wait_for(offset, begin)
        action()  # type: ignore[operator]
        time.sleep(settle)  # releases (and their resets) finish after the response is sent
        asyncio.run(_execute(url, f"SELECT '{end}'"))
        self._wait_for(offset, end)
        inside, kinds = False, {"work": 0, "reset": 0, "txn": 0}
        for _pid, body in self._entries(offset):
            if begin in body:
                inside = True
                continue
            if end in body:
                break
            match = _STATEMENT.match(body)
            if inside and match:
                kinds[_classify(match.group(1))] += 1
        return StatementCount(sum(kinds.values()), kinds["reset"], kinds["txn"])
