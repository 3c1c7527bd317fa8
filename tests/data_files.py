"""Where the tests find the real third-party files they read: `tests/data/` (see its
SOURCES.md for origin, commit and license of each)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.is_file():  # pragma: no cover - a missing file is a broken checkout
        raise FileNotFoundError(f"test data file {name} is missing from {DATA}")
    return path
