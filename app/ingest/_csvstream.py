"""The streaming loop both CSV parsers share.

The header is read and checked when the reader is created, so a file missing a required column
fails before any row is yielded; rows are then read one at a time, so memory does not grow with
the file. A bad cell rejects its row; a broken CSV structure stops the whole file.
Blank lines are skipped but still counted, so `line` is the record's number after the header.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import TextIO

from app.domain.errors import ValidationError
from app.ingest._values import CellError, Source, clean_header, open_source
from app.ingest.rows import CostRow, RejectedRow

RowMaker = Callable[[list[str], int], CostRow]


def stream_csv(
    source: Source, build: Callable[[list[str]], RowMaker]
) -> Iterator[CostRow | RejectedRow]:
    """Open `source`, hand its header to `build`, and return an iterator of parsed rows."""
    handle, owned = open_source(source)
    try:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise ValidationError("file", f"is not valid CSV in its header: {exc}") from None
        if not header:
            raise ValidationError("file", "is empty: there is no header row")
        make_row = build(clean_header(header))
    except BaseException:
        if owned:
            handle.close()
        raise
    return _rows(reader, len(header), make_row, handle if owned else None)


def _rows(
    reader: Iterator[list[str]], width: int, make_row: RowMaker, owned: TextIO | None
) -> Iterator[CostRow | RejectedRow]:
    line = 0
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ValidationError(
                    "file", f"is not valid CSV after data row {line}: {exc}"
                ) from None
            line += 1
            if not cells:
                continue  # a blank line is not a charge
            if len(cells) > width:
                yield RejectedRow(line, f"has {len(cells)} fields but the header has {width}")
                continue
            if len(cells) < width:
                # Trailing cells left off (koku's CUR sample lacks its last column): they are
                # empty, as csv.DictReader reads them. Extra cells cannot be placed, so they reject.
                cells.extend([""] * (width - len(cells)))
            try:
                yield make_row(cells, line)
            except CellError as exc:
                yield RejectedRow(line, str(exc))
    finally:
        if owned is not None:
            owned.close()
