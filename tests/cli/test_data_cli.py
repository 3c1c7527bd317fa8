"""`allot import`, `rules`, `export` and `verify`, and their progress bars.

Progress bars go to stderr and only to a terminal; TTY_COMPATIBLE=1 makes rich treat the test
runner's stream as one.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from cli_world import MEMBER, PI, Cli, rows

from app.cli.imports import CountingReader, open_counted

COSTS = "Date,Cost,Service,Project\n" + "".join(
    f"2026-03-{1 + n % 14:02d},{n}.25,aws-ec2,genomics\n" for n in range(1, 400)
)


def _export(tmp_path: Path, text: str = COSTS, name: str = "costs.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_rules_route_an_import_and_a_reimport_counts_nothing_twice(
    lab: Cli, tmp_path: Path
) -> None:
    assert "created rule rul_1" in lab.ok(
        "rules", "add", "--match", "tag", "--key", "project", "--value", "genomics",
        "--project", "genomics", as_=PI,
    )  # fmt: skip
    assert "tag project=genomics" in lab.ok("rules", "list", as_=PI)
    path = _export(tmp_path)
    args = (
        "import",
        "csv",
        str(path),
        "--map",
        "amount=Cost,date=Date,service=Service,project=Project",
    )

    first = lab.ok(*args, "--budget", "bud_1", as_=PI)
    again = lab.ok(*args, "--budget", "bud_1", as_=PI)

    assert "recorded                399" in first
    assert "genomics                       79,899.75" in first  # overdrawn: it was spent
    assert "duplicates              399" in again
    assert len(rows(lab, "spend")) == 399
    assert "deleted rule rul_1" in lab.ok("rules", "delete", "rul_1", as_=PI)


def test_importing_into_a_budget_is_for_its_owners(lab: Cli, tmp_path: Path) -> None:
    path = _export(tmp_path)

    line = lab.refused(
        "import",
        "csv",
        str(path),
        "--map",
        "amount=Cost,date=Date",
        "--budget",
        "bud_1",
        as_=MEMBER,
    )

    assert "not allowed to import" in line


def test_a_file_that_is_not_a_cost_export_is_named(lab: Cli, tmp_path: Path) -> None:
    path = _export(tmp_path, "just,some\ncolumns,here\n", "odd.csv")

    line = lab.refused("import", "focus", str(path), "--budget", "bud_1", as_=PI)

    assert line.startswith("error: ") and "column" in line.lower()


def test_the_byte_counter_reads_through_the_file_object(tmp_path: Path) -> None:
    for name in ("plain.csv", "packed.csv.gz"):
        path = _export(tmp_path, name=name)
        text, counter, size = open_counted(str(path))
        seen: list[int] = []
        counter.on_read = seen.append
        assert text.read() == COSTS
        text.close()
        assert counter.count == size == path.stat().st_size
        assert seen and seen[-1] == size and seen == sorted(seen)


def test_the_byte_counter_counts_what_was_read() -> None:
    counter = CountingReader(io.BytesIO(b"x" * 10_000))

    assert len(io.BufferedReader(counter, buffer_size=4096).read(5000)) == 5000
    assert counter.count == 8192  # two buffer fills


def test_an_import_shows_a_progress_bar_with_percent_and_eta(lab: Cli, tmp_path: Path) -> None:
    path = _export(tmp_path)

    result = lab(
        "import", "csv", str(path), "--map", "amount=Cost,date=Date", "--budget", "bud_1",
        as_=PI, TTY_COMPATIBLE="1",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr and "100%" in result.stderr and "ETA" in result.stderr
    assert "kB" in result.stderr  # bytes of the file, its size known
    assert "100%" not in result.stdout  # the summary stays clean for pipes


def test_without_a_terminal_there_is_no_bar(lab: Cli, tmp_path: Path) -> None:
    path = _export(tmp_path)

    result = lab(
        "import", "csv", str(path), "--map", "amount=Cost,date=Date", "--budget", "bud_1", as_=PI
    )

    assert result.exit_code == 0 and result.stderr == ""


def test_an_export_to_a_file_shows_its_progress(lab: Cli, tmp_path: Path) -> None:
    lab.ok("spend", "add", "genomics", "5", as_=MEMBER)
    lab.ok("spend", "add", "climate", "7", as_=PI)
    out = tmp_path / "spend.json"

    result = lab(
        "export", "bud_1", "--report", "spend", "--format", "json", "-o", str(out),
        TTY_COMPATIBLE="1",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "2/2" in result.stderr and "100%" in result.stderr
    assert [r["amount"] for r in json.loads(out.read_text())] == ["5", "7"]


def test_a_member_exports_only_their_projects_rows(lab: Cli) -> None:
    lab.ok("spend", "add", "genomics", "5", as_=MEMBER)
    lab.ok("spend", "add", "climate", "7", as_=PI)

    assert [r["project_slug"] for r in rows(lab, "spend", as_=MEMBER)] == ["genomics"]


def test_verify_reports_zero_drift(lab: Cli) -> None:
    lab.ok("spend", "add", "genomics", "5", as_=MEMBER)

    assert lab.ok("verify").strip() == "ok: every balance equals the journal (zero drift)"
