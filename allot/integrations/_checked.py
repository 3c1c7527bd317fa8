"""Calls the callback has checked before they ran: which project pays, which hold to drop.

Hooks of one call run in different places (the proxy's pre-call hook, the SDK's deployment
hook, success and failure events on LiteLLM's logging worker or a thread), so the entry is
shared under a lock. It is bounded: a call whose end never arrives is forgotten after
`limit` newer ones, and its hold simply expires in Allot.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Checked:
    #: None: the call maps to no project (and was let through, with a warning).
    project_id: str | None
    #: The hold to release once the call ends (None: authorize mode, or Allot was down).
    reservation_id: str | None = None


class CheckedCalls:
    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._entries: OrderedDict[str, Checked] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, call_id: str, checked: Checked) -> None:
        with self._lock:
            self._entries[call_id] = checked
            self._entries.move_to_end(call_id)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)

    def get(self, call_id: str | None) -> Checked | None:
        if call_id is None:
            return None
        with self._lock:
            return self._entries.get(call_id)

    def pop(self, call_id: str | None) -> Checked | None:
        if call_id is None:
            return None
        with self._lock:
            return self._entries.pop(call_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
