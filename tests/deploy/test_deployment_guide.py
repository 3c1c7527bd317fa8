"""docs/deployment.md, run: its marked blocks are the commands, read from the guide itself, with
the guide's paths (/var/lib/allot, /var/backups/allot, /opt/allot) swapped for temporary ones,
`runuser -u …` dropped and `systemctl stop/start` turned into no-ops (the tests stop and start
the server themselves, from the guide's own systemd unit).

- SQLite: settings, migrate, demo, first admin; the server of the unit; spend recorded through
  GraphQL without a pause while the guide's backup runs; the guide's restore; `allot verify`
  and the ledger's row counts and journal digest.
- PostgreSQL: a private cluster whose superuser is `postgres`, as on Debian, so the guide's role
  and database set-up runs as written and Allot then works as the non-superuser owner; two
  worker processes from the unit; `pg_dump` / `pg_restore` exactly as in the guide; the restored
  database holds the same ledger as the one it replaced.
- The nightly cron lines, the systemd unit (`systemd-analyze verify`), and the order of the
  restore and upgrade steps.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pgserver
import pytest
from deploy_files import (
    ALLOT_HOME,
    EXAMPLE_BACKUP,
    Block,
    Rewrite,
    cron_commands,
    fenced_blocks,
    guide_blocks,
)
from pgserver import PgServer, find_bindir, pg_required

BLOCKS = {
    "sqlite-config", "postgres-config", "migrate", "demo", "admin", "systemd-unit",
    "sqlite-backup", "sqlite-restore", "postgres-backup", "postgres-restore", "cron-sqlite",
    "cron-postgres", "upgrade", "verify",
}  # fmt: skip

BLOCK_TIMEOUT = 180


# -- what every test can check without running anything ------------------------------------


def test_the_guide_marks_the_blocks_the_tests_run() -> None:
    blocks = guide_blocks()
    assert set(blocks) == BLOCKS, (
        f"marked in docs/deployment.md but not run here: {sorted(set(blocks) - BLOCKS)}; "
        f"run here but no longer marked: {sorted(BLOCKS - set(blocks))}"
    )


def test_every_shell_block_of_the_guide_is_bash() -> None:
    blocks = fenced_blocks("sh")
    assert len(blocks) >= 15
    for text in blocks:
        result = subprocess.run(
            ["bash", "-n"], input=text, capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 0, f"{result.stderr}\n---\n{text}"


def _lines(block: Block) -> list[str]:
    return [line for line in block.text.splitlines() if line and not line.startswith("#")]


def test_restores_stop_the_service_first_and_start_it_last() -> None:
    for name in ("sqlite-restore", "postgres-restore"):
        lines = _lines(guide_blocks()[name])
        assert lines[0] == "systemctl stop allot", name
        assert lines[-1] == "systemctl start allot", name
        verify = next(i for i, line in enumerate(lines) if line.endswith("allot verify"))
        migrate = next(i for i, line in enumerate(lines) if line.endswith("allot migrate"))
        assert migrate < verify < len(lines) - 1, name


def test_an_upgrade_backs_up_installs_migrates_then_starts() -> None:
    lines = guide_blocks()["upgrade"].text.splitlines()

    def at(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    assert at(r"^systemctl stop allot$") < at(r"^# back up") < at(r"pip install --upgrade ")
    assert at(r"pip install --upgrade ") < at(r"allot migrate$") < at(r"allot verify$")
    assert at(r"allot verify$") < at(r"^systemctl start allot$")


def test_the_rewrite_refuses_what_would_reach_the_real_system(tmp_path: Path) -> None:
    rewrite = Rewrite.for_guide(home=tmp_path / "home", backups=tmp_path / "backups")
    assert rewrite("runuser -u allot -- ls /var/lib/allot") == f"ls {tmp_path}/home"
    for escaping in (
        "rm -rf /var/lib/postgresql",
        "sudo true",
        "systemctl restart allot",
        "runuser -u nobody -- true",
        "cat /etc/passwd",
    ):
        with pytest.raises(AssertionError, match="refusing"):
            rewrite(escaping)


def test_the_systemd_unit_is_one_systemd_accepts(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    home = tmp_path / "home"
    home.mkdir()
    rewrite = Rewrite.for_guide(home=home, backups=tmp_path / "backups")
    unit = tmp_path / "allot.service"
    unit.write_text(rewrite(guide_blocks()["systemd-unit"].text))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "allot.service" in line  # not the host's own units
    ]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


# -- running the guide ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_client_dir() -> Path | None:
    """Where psql, pg_dump and pg_restore of the server binaries' version are: beside initdb,
    or where a symlinked initdb really lives."""
    bindir = find_bindir()
    if bindir is None:
        return None
    for candidate in (bindir, (bindir / "initdb").resolve().parent):
        if all((candidate / tool).exists() for tool in ("psql", "pg_dump", "pg_restore")):
            return candidate
    return None


@dataclass
class Guide:
    """The guide's blocks, run in a temporary installation."""

    tmp: Path
    pg_port: int | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home = self.tmp / "var-lib-allot"
        self.backups = self.tmp / "var-backups-allot"
        self.home.mkdir()
        self.backups.mkdir()
        self.blocks = guide_blocks()
        path = os.environ.get("PATH", "/usr/bin:/bin")
        bindir = pg_client_dir()
        # Nothing of the developer's own set-up may leak in: the settings come from .env only.
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("ALLOT_", "PG"))},
            "PATH": f"{bindir}:{path}" if bindir else path,
            **self.env,
        }

    def rewrite(self, text: str, **more: str) -> str:
        return Rewrite.for_guide(
            home=self.home, backups=self.backups, pg_port=self.pg_port, **more
        )(text)

    def run(self, name: str, **more: str) -> str:
        return self.bash(self.rewrite(self.blocks[name].text, **more), name)

    def bash(self, script: str, what: str) -> str:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
            env=self.env,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert result.returncode == 0, (
            f"the guide's `{what}` failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            f"\n--- script ---\n{script}"
        )
        return result.stdout + result.stderr

    def cron(self, name: str) -> list[str]:
        return [self.bash(self.rewrite(command), f"{name}: {command}")
                for _user, command in cron_commands(self.blocks[name])]  # fmt: skip

    def the_one_backup(self, pattern: str) -> Path:
        found = sorted(self.backups.glob(pattern))
        assert len(found) == 1, f"expected one {pattern} in the backups, found {found}"
        return found[0]

    def restore(self, name: str, backup: Path) -> str:
        """Run a restore block on `backup` (the guide names an example file)."""
        assert EXAMPLE_BACKUP in self.blocks[name].text, name
        return self.run(name, **{EXAMPLE_BACKUP: backup.stem})

    def token_of(self, output: str) -> str:
        m = re.search(r"token \(shown once\): (\S+)", output)
        assert m, output
        return m.group(1)


class Server:
    """`allot serve` as the guide's systemd unit starts it (ExecStart, WorkingDirectory)."""

    def __init__(self, guide: Guide, *, workers: int) -> None:
        unit = guide.rewrite(guide.blocks["systemd-unit"].text)
        execstart = re.search(r"^ExecStart=(.+)$", unit, re.M)
        workdir = re.search(r"^WorkingDirectory=(.+)$", unit, re.M)
        assert execstart and workdir, unit
        assert workdir.group(1) == str(guide.home), "the service runs where .env is"
        argv = shlex.split(execstart.group(1))
        self.port = free_port()
        argv[argv.index("--port") + 1] = str(self.port)
        if workers == 1:
            assert "--workers 1" in unit, "the unit says what to change for SQLite"
        argv[argv.index("--workers") + 1] = str(workers)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = guide.tmp / f"server-{self.port}.log"
        self._log = self.log.open("w")
        self.proc = subprocess.Popen(
            argv,
            cwd=workdir.group(1),
            env=guide.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers form one group we can end if it hangs
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def graphql(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Workers the supervisor left behind, if any, are in its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


BUDGETS = """{ budgets(first: 10) { nodes { id name
  allocations(first: 50) { nodes { project { id name } } } } } }"""
SPEND = """mutation($p: ID!, $b: ID!, $n: String!) { recordSpend(input: {projectId: $p,
  budgetId: $b, amount: "1.25", service: "backup-drill", externalId: $n}) {
  __typename ... on Error { code message } } }"""


def a_project_to_spend_on(server: Server, token: str) -> tuple[str, str]:
    budgets = server.graphql(token, BUDGETS)["budgets"]["nodes"]
    grant = next(b for b in budgets if b["name"].startswith("NSF"))
    return grant["id"], grant["allocations"]["nodes"][0]["project"]["id"]


class Writer(threading.Thread):
    """Records spend through GraphQL, one request after another, until stopped."""

    def __init__(self, server: Server, token: str) -> None:
        super().__init__(name="spend-writer", daemon=True)
        self.server, self.token = server, token
        self.budget, self.project = a_project_to_spend_on(server, token)
        self.sent = 0  # requests begun
        self.acked = 0  # requests answered SpendRecorded
        self.failure: str | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.server.url, headers=headers, timeout=30) as client:
            while not self.halt.is_set():
                self.sent += 1
                variables = {"p": self.project, "b": self.budget, "n": f"drill-{self.sent}"}
                try:
                    body = client.post("/graphql", json={"query": SPEND, "variables": variables})
                    kind = body.json()["data"]["recordSpend"]["__typename"]
                except Exception as exc:
                    self.failure = repr(exc)
                    return
                if kind != "SpendRecorded":
                    self.failure = str(body.json())
                    return
                self.acked += 1

    def wait_for(self, acked: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.acked < acked:
            assert self.failure is None, self.failure
            assert time.monotonic() < deadline, f"only {self.acked} spends in {timeout} s"
            time.sleep(0.05)

    def finish(self) -> None:
        self.halt.set()
        self.join(timeout=60)
        assert not self.is_alive()
        assert self.failure is None, self.failure


# -- fingerprints of the ledger -------------------------------------------------------------

JOURNAL = "SELECT id, kind, from_kind, to_kind, amount_micros FROM journal_entry ORDER BY id"
PG_JOURNAL = (
    "SELECT concat_ws(',', id, kind, from_kind, to_kind, amount_micros) FROM journal_entry"
    " ORDER BY id"
)


def sqlite_ledger(path: Path) -> dict[str, Any]:
    """Row counts of every table and a digest of the journal."""
    con = sqlite3.connect(path)
    try:
        tables = [row[0] for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]  # fmt: skip
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        digest = hashlib.sha256(repr(con.execute(JOURNAL).fetchall()).encode()).hexdigest()
    finally:
        con.close()
    assert counts.get("journal_entry", 0) > 0 and counts.get("spend", 0) > 0, counts
    return {"counts": counts, "journal": digest}


def pg_query(guide: Guide, database: str, sql: str) -> list[str]:
    result = subprocess.run(
        ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        env=guide.env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def pg_ledger(guide: Guide, database: str) -> dict[str, Any]:
    tables = pg_query(
        guide,
        database,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    counts = {}
    for table in tables:
        counts[table] = int(pg_query(guide, database, f'SELECT count(*) FROM "{table}"')[0])
    rows = pg_query(guide, database, PG_JOURNAL)
    assert counts.get("journal_entry", 0) > 0 and counts.get("spend", 0) > 0, counts
    return {"counts": counts, "journal": hashlib.sha256("\n".join(rows).encode()).hexdigest()}


# -- SQLite ---------------------------------------------------------------------------------


def needs_sqlite3_cli() -> None:
    if shutil.which("sqlite3") is None:
        message = "the sqlite3 command is not installed (apt-get install sqlite3)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the guide's SQLite backup: {message}", pytrace=False)
        pytest.skip(message)


@pytest.mark.slow
def test_sqlite_backup_taken_while_the_server_writes_restores_a_clean_ledger(
    tmp_path: Path,
) -> None:
    needs_sqlite3_cli()
    guide = Guide(tmp_path)
    guide.run("sqlite-config")
    assert (guide.home / ".env").read_text().strip() == (
        f"ALLOT_DATABASE_URL=sqlite://{guide.home}/allot.db"
    )
    assert "database is up to date" in guide.run("migrate")
    token = guide.token_of(guide.run("demo"))
    assert "API token (shown once)" in guide.run("admin")
    database = guide.home / "allot.db"
    demo_spends = sqlite_ledger(database)["counts"]["spend"]

    server = Server(guide, workers=1)
    writer: Writer | None = None
    try:
        writer = Writer(server, token)
        writer.start()
        writer.wait_for(20)
        acked_before = writer.acked
        backup_output = guide.run("sqlite-backup")
        sent_by_the_end = writer.sent
        writer.wait_for(sent_by_the_end + 10)  # and the server went on writing afterwards
        writer.finish()
    finally:
        if writer is not None and writer.is_alive():
            writer.halt.set()
            writer.join(timeout=60)
        server.stop()
    assert backup_output.strip().splitlines()[-1] == "ok", backup_output  # integrity_check
    backup = guide.the_one_backup("allot-*.db")
    taken = sqlite_ledger(backup)
    final = sqlite_ledger(database)
    # The copy is the database as of one commit between the backup's start and its end: every
    # spend answered before it began is in, nothing begun after it ended, later ones are not.
    spends = taken["counts"]["spend"]
    assert demo_spends + acked_before <= spends <= demo_spends + sent_by_the_end
    assert spends < final["counts"]["spend"]

    output = guide.restore("sqlite-restore", backup)
    assert "zero drift" in output, output
    restored = sqlite_ledger(database)
    assert restored == taken
    # What the restore replaced is kept whole.
    assert sqlite_ledger(guide.home / "replaced" / "allot.db") == final
    assert "zero drift" in guide.run("verify")

    # The nightly line does the same from cron.
    guide.cron("cron-sqlite")
    nightly = next(p for p in guide.backups.glob("allot-*.db") if p != backup)
    assert sqlite_ledger(nightly) == restored


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def debian_like_postgres() -> Iterator[PgServer]:
    """A private cluster whose superuser is `postgres` and which has no database `allot`: the
    guide creates the role and the database `allot` itself."""
    if find_bindir() is None:
        message = "no PostgreSQL server binaries (apt-get install postgresql)"
        if pg_required():
            pytest.fail(f"ALLOT_REQUIRE_PG is set but {message}", pytrace=False)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pgserver, "_USER", "postgres")  # the cluster's superuser
        server = PgServer(external_url=None)
        server.external_url = None  # never ALLOT_TEST_PG_URL's server: roles get created here
        server.start()
        try:
            tools = pg_client_dir()
            assert server.port is not None and tools is not None, "no psql beside initdb"
            subprocess.run(
                [str(tools / "psql"), "-X", "-h", "127.0.0.1", "-p", str(server.port),
                 "-U", "postgres", "-d", "postgres", "-c", "DROP DATABASE allot"],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            yield server
        finally:
            server.stop()


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_set_up_backup_and_restore_keep_the_ledger(
    tmp_path: Path, debian_like_postgres: PgServer
) -> None:
    port = debian_like_postgres.port
    assert port is not None
    guide = Guide(
        tmp_path,
        pg_port=port,
        env={"PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres"},
    )
    guide.run("postgres-config")
    settings = (guide.home / ".env").read_text().strip()
    assert re.fullmatch(
        rf"ALLOT_DATABASE_URL=postgres://allot:[0-9a-f]{{32}}@127\.0\.0\.1:{port}/allot", settings
    ), settings
    # Allot works as the role the guide created, which is no superuser.
    assert pg_query(guide, "postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = 'allot'") == [
        "f"
    ]
    assert "database is up to date" in guide.run("migrate")
    # The order of a real installation: the first administrator into the empty database, then
    # (for this test's data) the demo, which then creates no admin of its own.
    token = guide.token_of(guide.run("admin"))
    demo = guide.run("demo")
    assert "demo data loaded" in demo and "token" not in demo, demo

    server = Server(guide, workers=2)
    try:
        budget, project = a_project_to_spend_on(server, token)
        for n in range(6):  # some land on each worker process
            data = server.graphql(token, SPEND, p=project, b=budget, n=f"pg-{n}")
            assert data["recordSpend"]["__typename"] == "SpendRecorded", data
    finally:
        server.stop()
    source = pg_ledger(guide, "allot")

    guide.run("postgres-backup")
    backup = guide.the_one_backup("allot-*.dump")
    output = guide.restore("postgres-restore", backup)
    assert "zero drift" in output, output
    assert pg_ledger(guide, "allot") == source  # the restored database, under the old name
    assert pg_ledger(guide, "allot_replaced") == source  # and the one it replaced, untouched
    not_allots = pg_query(
        guide, "allot", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tableowner <> 'allot'",
    )  # fmt: skip
    assert not_allots == [], "the restored tables belong to allot"
    assert "zero drift" in guide.run("verify")

    guide.cron("cron-postgres")
    nightly = next(p for p in guide.backups.glob("allot-*.dump") if p != backup)
    listing = subprocess.run(
        ["pg_restore", "--list", str(nightly)],
        capture_output=True, text=True, timeout=60, env=guide.env, check=False,
    )  # fmt: skip
    assert listing.returncode == 0 and "TABLE DATA public journal_entry" in listing.stdout


def test_the_guides_paths_are_the_ones_the_tests_swap() -> None:
    """Every absolute path in a marked block is one of the guide's conventions (or a system
    path the rewrite leaves alone), so no command of the guide can point anywhere else."""
    allowed = (ALLOT_HOME, "/var/backups/allot", "/opt/allot/bin/", "/usr/local/src/allot",
               "/dev/null", "/usr/sbin", "/usr/bin", "/sbin", "/bin")  # fmt: skip
    for block in guide_blocks().values():
        for path in re.findall(r"(?<![\w.:/$])/[\w./-]+", block.text):
            assert path.startswith(allowed), (block.name, path)
