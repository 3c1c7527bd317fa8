"""Reading the deployment files the way their tools do, for tests/deploy.

- `guide_blocks()`: the fenced blocks of docs/deployment.md marked `<!-- test: NAME -->` on the
  line above. The guide is the one place the commands live; the tests run those blocks.
- `Rewrite`: turns a block into a script that touches only temporary directories: every path
  and user of the guide's conventions is replaced, and what could still reach the real system
  (`runuser`, `sudo`, `systemctl`, `/var/…`, `/etc/…`) makes it refuse.
- `dockerfile()`, `dockerignore_excludes()`: Dockerfile instructions and .dockerignore matching
  as Docker reads them (continuation lines, JSON or shell form; moby's patternmatcher rules).
- `allot_invocations()` / `parse_allot()`: every `allot …` command line of the guide, parsed by
  the real command-line parser without running it.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deployment.md"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"

#: Where the guide installs things (its table in section 1) and who runs them.
ALLOT_HOME = "/var/lib/allot"
BACKUP_DIR = "/var/backups/allot"
ALLOT_COMMAND = "/opt/allot/bin/allot"
#: The example file names the restore blocks use for "your backup".
EXAMPLE_BACKUP = "allot-2026-01-31T031500"

_MARKED = re.compile(r"^<!-- test: ([a-z0-9-]+) -->\n```([a-z]*)\n(.*?)^```$", re.M | re.S)
_FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    name: str
    lang: str
    text: str
    line: int


def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def guide_blocks() -> dict[str, Block]:
    text = guide_text()
    found: dict[str, Block] = {}
    for m in _MARKED.finditer(text):
        name = m.group(1)
        if name in found:
            raise AssertionError(f"docs/deployment.md marks two blocks `test: {name}`")
        found[name] = Block(name, m.group(2), m.group(3), text.count("\n", 0, m.start()) + 2)
    markers = re.findall(r"^<!-- test: ([a-z0-9-]+) -->", text, re.M)
    stray = sorted(set(markers) - set(found))
    if stray:
        raise AssertionError(f"markers not followed by a fenced block: {stray}")
    return found


def fenced_blocks(lang: str) -> list[str]:
    """Every fenced block of the guide in one language, marked or not."""
    return [m.group(2) for m in _FENCE.finditer(guide_text()) if m.group(1) == lang]


# -- turning guide commands into harmless scripts ------------------------------------------


class Rewrite:
    """Replace the guide's paths, users and service commands; refuse what would escape."""

    #: Left in a rewritten script, each of these would touch the real system.
    FORBIDDEN = (
        re.compile(r"\brunuser\b"),
        re.compile(r"\bsudo\b"),
        re.compile(r"(?<!: )\bsystemctl\b"),
        re.compile(r"(?<![\w.])/(?:var|etc|opt|srv|usr/local/src)/"),
    )

    def __init__(self, replacements: dict[str, str]) -> None:
        # Longest first, so that a path is replaced before any of its prefixes.
        self.replacements = sorted(replacements.items(), key=lambda kv: -len(kv[0]))

    @classmethod
    def for_guide(
        cls, *, home: Path, backups: Path, pg_port: int | None = None, **more: str
    ) -> Rewrite:
        replacements = {
            f"runuser -u allot -- env -C {ALLOT_HOME} {ALLOT_COMMAND}": (
                f"env -C {home} {allot_executable()}"
            ),
            "runuser -u allot -- ": "",
            "runuser -u postgres -- ": "",
            "systemctl stop allot": ": systemctl stop allot",
            "systemctl start allot": ": systemctl start allot",
            ALLOT_HOME: str(home),
            BACKUP_DIR: str(backups),
            ALLOT_COMMAND: allot_executable(),
            **more,
        }
        if pg_port is not None:
            replacements["127.0.0.1:5432"] = f"127.0.0.1:{pg_port}"
        return cls(replacements)

    def __call__(self, text: str) -> str:
        # Swap in placeholders first, so that the refusal looks at what is left of the guide's
        # text and not at the temporary paths (which may well start with /var/tmp).
        values: list[str] = []
        for old, new in self.replacements:
            if old in text:
                text = text.replace(old, f"\0{len(values)}\0")
                values.append(new)
        for pattern in self.FORBIDDEN:
            hit = pattern.search(text)
            if hit:
                line = text[text.rfind("\n", 0, hit.start()) + 1 :].split("\n", 1)[0]
                raise AssertionError(
                    f"refusing to run a guide command that would reach the real system: "
                    f"{line.replace(chr(0), '')!r} (add the path or command to the test's "
                    "replacements)"
                )
        return re.sub("\0(\\d+)\0", lambda m: values[int(m.group(1))], text)


def allot_executable() -> str:
    candidate = Path(sys.executable).with_name("allot")
    if not candidate.exists():
        raise AssertionError(f"no `allot` command next to {sys.executable}: pip install -e .")
    return str(candidate)


def cron_commands(block: Block) -> list[tuple[str, str]]:
    """(user, command) of each line of an /etc/cron.d file, with crontab's `\\%` undone."""
    out = []
    for line in block.text.splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 6)
        if len(fields) != 7:
            raise AssertionError(f"not a cron.d line (5 times, a user, a command): {line!r}")
        if "%" in fields[6].replace("\\%", ""):
            raise AssertionError(f"unescaped % in a crontab line (cron cuts it there): {line!r}")
        out.append((fields[5], fields[6].replace("\\%", "%")))
    return out


# -- Dockerfile and .dockerignore ------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int  # index of the FROM it belongs to

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction (after any --options), or None."""
        m = re.search(r"\[.*\]\s*$", self.args, re.S)
        if not m:
            return None
        value = json.loads(m.group(0))
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value


def dockerfile(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions in order, continuation lines joined, comments and blank lines dropped
    (a comment line inside a continued instruction is dropped too, as Docker does)."""
    out: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, args = whole.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(keyword, args.strip(), stage))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """moby/patternmatcher: Go's filepath.Match plus `**` (any number of directories)."""
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


def dockerignore_rules(path: Path = DOCKERIGNORE) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line[1:].strip() if exception else line
        pattern = pattern.strip("/")
        parts = [p for p in pattern.split("/") if p not in ("", ".")]
        rules.append((exception, _pattern_regex("/".join(parts))))
    return rules


def dockerignore_excludes(relpath: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether the build context leaves out `relpath`: the last rule that matches the path or
    one of its parent directories decides."""
    parts = relpath.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for exception, regex in rules:
        if any(regex.match(c) for c in candidates):
            excluded = not exception
    return excluded


# -- allot command lines ---------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[str]:
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield pending + line
        pending = ""


def allot_invocations(text: str) -> list[list[str]]:
    """The arguments of every `allot` command in shell text: `/opt/allot/bin/allot …`,
    `docker compose exec [-T] app allot …`, and a line starting with `allot` (an alias);
    up to the first shell operator or comment."""
    found = []
    for line in _logical_lines(text):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # an unterminated quote: `bash -n` reports those
            continue
        for i, token in enumerate(tokens):
            program = token == ALLOT_COMMAND
            program |= token == "allot" and tokens[max(0, i - 1)] == "app" and "exec" in tokens
            program |= token == "allot" and i == 0
            if not program:
                continue
            args = []
            for arg in tokens[i + 1 :]:
                if arg in {"|", "||", "&&", ";", ">", ">>", "<", "&"} or arg.startswith("#"):
                    break
                args.append(arg)
            found.append(args)
    return found


class CommandLineError(Exception):
    """`allot ARGS` would not parse: no such command, an unknown option, a missing value."""


def parse_allot(args: list[str]) -> str:
    """Parse `allot ARGS` with the real command-line parser, without running the command; return
    the subcommand's path (`users create`), or raise CommandLineError saying what is wrong.

    (typer ships its own copy of click, so its classes are recognised by what they have.)"""
    from typer.main import get_command

    from app.cli import app

    command = get_command(app)
    path: list[str] = []
    rest = list(args)
    while isinstance(getattr(command, "commands", None), dict):
        if rest[:1] == ["--help"]:
            return " ".join(path)
        if not rest:
            raise CommandLineError(f"`allot {' '.join(path)}` needs a subcommand")
        name = rest.pop(0)
        sub = command.commands.get(name)  # type: ignore[attr-defined]
        if sub is None:
            raise CommandLineError(f"no such command `allot {' '.join([*path, name])}`")
        path.append(name)
        command = sub
    if "--help" in rest:
        return " ".join(path)
    try:
        with command.make_context(" ".join(["allot", *path]), rest):
            pass
    except Exception as exc:
        if not hasattr(exc, "format_message"):
            raise
        raise CommandLineError(f"allot {' '.join(args)}: {exc.format_message()}") from exc
    return " ".join(path)
