"""Logs: ALLOT_LOG_FORMAT=json writes one JSON object a line, uvicorn's included, each with the
request id that the response's X-Request-ID header and masked GraphQL errors carry; the access
log is off unless ALLOT_ACCESS_LOG=true.

Before: text only, no request id outside masked errors, and `allot serve` logged every request
at info."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from running import environment, migrate_with_admin, serving

from app import logs
from app.server import create_app
from app.settings import Settings


def test_json_lines_with_request_ids_and_the_access_log(tmp_path: Path) -> None:
    env = environment(
        f"sqlite://{tmp_path / 'allot.db'}", ALLOT_LOG_FORMAT="json", ALLOT_ACCESS_LOG="true"
    )
    token = migrate_with_admin(env)
    with serving(env, tmp_path / "serve.log") as server:
        given = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "trace-abc.123"})
        assert given.headers["x-request-id"] == "trace-abc.123"
        fresh = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ viewer { name } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "bad id\\n"},
        )
        made = fresh.headers["x-request-id"]
        assert made != "bad id\\n" and len(made) == 12  # not a short token: a fresh id
        assert httpx.get(f"{server.url}/metrics").status_code == 404
    lines = [line for line in server.output().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON, uvicorn's too
    assert {"Application startup complete.", "Shutting down"} <= {r["message"] for r in records}
    assert all({"ts", "level", "logger", "message", "pid"} <= set(r) for r in records)
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    by_path = {r["path"]: r for r in access}
    assert by_path["/healthz"]["request_id"] == "trace-abc.123"
    assert by_path["/healthz"]["status"] == 200 and by_path["/healthz"]["method"] == "GET"
    assert by_path["/graphql"]["request_id"] == made
    assert by_path["/metrics"]["status"] == 404
    assert set(by_path) == {"/healthz", "/graphql", "/metrics"}  # (and the start-up polls)
    assert all(r["request_id"] for r in access)


def test_text_logs_and_no_access_log_by_default(tmp_path: Path) -> None:
    env = environment(f"sqlite://{tmp_path / 'allot.db'}")
    migrate_with_admin(env)
    with serving(env, tmp_path / "serve.log") as server:
        for _ in range(3):
            assert httpx.get(f"{server.url}/healthz").status_code == 200
    output = server.output()
    assert "INFO:     Application startup complete." in output
    assert "/healthz" not in output and "{" not in output, output


@pytest.fixture
def captured() -> Any:
    """Allot's error log as `allot serve` formats it in JSON (app.logs), read back."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("allot.graphql")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


async def test_a_masked_error_its_log_line_and_the_response_share_one_request_id(
    admin: Any, captured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schema.types.user import User

    def broken(*_: Any) -> Any:
        raise RuntimeError("the user type broke")

    monkeypatch.setattr(User, "from_model", broken)
    app = create_app(Settings(), init_database=False, workers=[])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://allot.test"
    ) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { name } }"},
            headers={"Authorization": f"Bearer {admin[2]}"},
        )
    request_id = response.headers["x-request-id"]
    (error,) = response.json()["errors"]
    assert error["message"] == f"Unexpected error (request id {request_id})."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    (record,) = captured()
    assert record["request_id"] == request_id and record["level"] == "ERROR"
    assert "RuntimeError: the user type broke" in record["exception"]


@pytest.fixture
def restored_logging() -> Any:
    """Configuring logging is process-wide: put this process's back as it was."""
    names = [None, "uvicorn", "uvicorn.error", "uvicorn.access"]
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.level, logger.propagate))
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_the_configuration_is_one_uvicorn_can_take(restored_logging: None) -> None:
    """`allot serve` hands logging_config() to uvicorn (log_config=): uvicorn applies it."""
    import uvicorn

    settings = logs.LogSettings(log_format="json", access_log=False)
    uvicorn.Config("app.main:create", factory=True, log_config=logs.logging_config(settings))
    assert not logging.getLogger("uvicorn.access").hasHandlers()  # uvicorn skips the line
    (handler,) = logging.getLogger("uvicorn").handlers
    assert isinstance(handler.formatter, logs.JsonFormatter)
    logs.configure(logs.LogSettings(access_log=True))
    (handler,) = logging.getLogger("uvicorn.access").handlers
    assert isinstance(handler.formatter, logs.TextFormatter)
