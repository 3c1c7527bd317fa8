"""Fixtures of tests/integrations (the helpers are in allot_live.py)."""

from __future__ import annotations

from allot_live import live_allot

__all__ = ["live_allot"]
