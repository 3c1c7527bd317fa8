"""Encoding a report as CSV, a JSON array or NDJSON, streamed."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from app.domain.errors import ValidationError
from app.services.report_rows import Row
from app.services.reports import Report

FORMATS = ("csv", "json", "ndjson")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
}

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _csv_cell(value: Any) -> str:
    """Text for a CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @ …) gets
    a leading apostrophe; numbers (negative amounts included) are left exact."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _NUMBER.match(text):
        return "'" + text
    return text


async def encode(report: Report, fmt: str) -> AsyncIterator[str]:
    """The report as text chunks: CSV with a header row, a JSON array of objects (streamed
    `[`, rows with commas, `]`), or NDJSON (one object a line)."""
    if fmt not in FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(report.columns)
        async for chunk in _batched(report.rows):
            for row in chunk:
                writer.writerow([_csv_cell(row[c]) for c in report.columns])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()
        return
    if fmt == "ndjson":
        async for chunk in _batched(report.rows):
            yield "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in chunk)
        return
    yield "["
    first = True
    async for chunk in _batched(report.rows):
        parts = []
        for row in chunk:
            parts.append(("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False))
            first = False
        yield "".join(parts)
    yield "\n]\n" if not first else "]\n"


async def _batched(rows: AsyncIterator[Row], size: int = 200) -> AsyncIterator[list[Row]]:
    batch: list[Row] = []
    async for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
