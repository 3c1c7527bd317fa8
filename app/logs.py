"""Logging for `allot serve`: one configuration for Allot's loggers and uvicorn's, as text
(default) or one JSON object a line, each line with the id of the request it belongs to.

Settings (environment, prefix ALLOT_, or .env):

- `ALLOT_LOG_FORMAT=text|json`. JSON lines carry `ts` (UTC, ISO 8601), `level`, `logger`,
  `message`, `pid`, `request_id` (when the line was written while serving a request) and
  `exception` (the formatted traceback); access lines add `client`, `method`, `path`,
  `http_version` and `status`.
- `ALLOT_ACCESS_LOG=false` (default): uvicorn's line per request is off. A reverse proxy logs
  requests already, /metrics counts them per route and status, and errors are logged (with the
  request id) whether it is on or not; writing a line per request costs about 7% of a small
  request's time. `true` logs each at info on stdout, through the same formatter.
- `ALLOT_LOG_LEVEL=info`: the level of Allot's and uvicorn's loggers.

The request id comes from app.observe (a fresh one per HTTP request or WebSocket, or the
caller's `X-Request-ID` when it is a short token) and is sent back as `X-Request-ID`; it is the
id that masked GraphQL errors show ("Unexpected error (request id …)").

`configure()` runs in each server process (app.main.create), so plain
`uvicorn app.main:create --factory` follows the settings too; `allot serve` also hands
`logging_config()` to uvicorn so its supervisor process writes the same format.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

#: The id of the request being served, in the task that serves it (and the tasks it starts).
REQUEST_ID: ContextVar[str | None] = ContextVar("allot_request_id", default=None)

#: The attributes every LogRecord has: whatever else a record carries was passed as `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class LogSettings(BaseSettings):
    """Read on their own (not in app.settings.Settings): logging is configured before the app
    and its settings exist, by the command line and by each uvicorn worker."""

    model_config = SettingsConfigDict(env_prefix="ALLOT_", env_file=".env", extra="ignore")

    log_format: Literal["text", "json"] = "text"
    access_log: bool = False
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def _access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """uvicorn's access record: args are (client, method, path, http version, status)."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return None
    client, method, path, version, status = args
    return {
        "client": client,
        "method": method,
        "path": path,
        "http_version": version,
        "status": status,
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on an odd record (a log line must not fail)."""

    def format(self, record: logging.LogRecord) -> str:
        access = _access_fields(record)
        if access is not None:
            message = f"{access['method']} {access['path']} {access['status']}"
        else:
            message = record.getMessage()
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "pid": record.process if record.process is not None else os.getpid(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if access is not None:
            line.update(access)
        for key, value in vars(record).items():  # extra=… fields
            if key not in _RECORD_ATTRIBUTES and key not in line and key != "request_id":
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """uvicorn's look (`INFO:     message`), with the logger's name for other loggers than
    uvicorn's and the request id in brackets when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        access = _access_fields(record)
        if access is not None:
            message = (
                f'{access["client"]} - "{access["method"]} {access["path"]} '
                f'HTTP/{access["http_version"]}" {access["status"]}'
            )
        else:
            message = record.getMessage()
        parts = [f"{record.levelname}:".ljust(9)]
        if not record.name.startswith("uvicorn"):
            parts.append(record.name)
        request_id = getattr(record, "request_id", None)
        if request_id:
            parts.append(f"[{request_id}]")
        parts.append(message)
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return text


def logging_config(settings: LogSettings | None = None, level: str | None = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary; also what uvicorn's `log_config=` takes.
    `level` (a name) overrides the setting's."""
    settings = settings or LogSettings()
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = (level or settings.log_level).upper()
    handler = {"class": "logging.StreamHandler", "formatter": "allot", "filters": ["request_id"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"allot": {"()": formatter}},
        "handlers": {
            "stderr": {**handler, "stream": "ext://sys.stderr"},
            "access": {**handler, "stream": "ext://sys.stdout"},
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # No handler at all when off: uvicorn then skips the access line entirely (its
            # protocols check `hasHandlers()`), instead of formatting it to drop it.
            "uvicorn.access": {
                "handlers": ["access"] if settings.access_log else [],
                "level": "INFO",
                "propagate": False,
            },
        },
    }


def configure(settings: LogSettings | None = None) -> LogSettings:
    """Configure this process's logging. Without ALLOT_LOG_LEVEL, the level uvicorn was started
    with (`--log-level`, which it has set on its loggers by the time the app is created) stays."""
    settings = settings or LogSettings()
    level = None
    if "log_level" not in settings.model_fields_set:
        started_with = logging.getLogger("uvicorn.error").level
        level = logging.getLevelName(started_with) if started_with else None
    logging.config.dictConfig(logging_config(settings, level))
    return settings
