"""`python -m app.cli …`, as the tests and `make` run it."""

from __future__ import annotations

from app.cli import main

main()
