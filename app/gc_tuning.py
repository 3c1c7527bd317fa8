"""Garbage-collector settings for a serving process (issue 11: cyclic collection was 25–50% of
a large dashboard's time).

After start-up every object the process holds (modules, the schema, Tortoise's models, the
settings) lives until it exits, yet each full collection walks them all again. `gc.freeze()`
moves them to the permanent generation, so collections only look at what requests allocate;
and a higher generation-0 threshold (`GEN0_THRESHOLD` allocations instead of CPython's 700)
runs the young collections less often — a dashboard of 1,000 allocations builds tens of
thousands of short-lived objects, most of them freed by reference counting anyway.

`ALLOT_GC_TUNING=off` keeps CPython's defaults (to measure the difference: bench/perf).
`restore()` undoes both at shutdown (tests start and stop many apps in one process).
"""

from __future__ import annotations

import gc
import os

#: Generation-0 threshold while serving (CPython's default is 700).
GEN0_THRESHOLD = 20_000

_saved: tuple[int, int, int] | None = None


def enabled() -> bool:
    return os.environ.get("ALLOT_GC_TUNING", "on").strip().lower() not in ("off", "0", "false")


def after_startup() -> None:
    """Collect once, freeze what survived, raise the young threshold."""
    global _saved
    if not enabled() or _saved is not None:
        return
    _saved = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(max(GEN0_THRESHOLD, _saved[0]), _saved[1], _saved[2])


def restore() -> None:
    global _saved
    if _saved is None:
        return
    gc.set_threshold(*_saved)
    gc.unfreeze()
    _saved = None
