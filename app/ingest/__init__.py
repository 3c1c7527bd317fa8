"""Spend imports, parsed: cloud bills and LLM price lists in, plain values out.

Pure: no database, no ORM, no clock. Imports only `app.domain`. Every reader streams, so a
million-row bill is read in flat memory (except the content-id memory noted in `RowIdentity`
for exports without an id column); recording the rows is the services' job.
"""

from __future__ import annotations

from app.ingest.csvmap import PRESETS, ColumnMap, read_mapped
from app.ingest.focus import detect_focus_version, read_focus
from app.ingest.prices import ModelPrice, read_litellm_prices
from app.ingest.routing import Router, RoutingRule, parse_rule, route
from app.ingest.rows import CostRow, RejectedRow
from app.ingest.tags import parse_tags

__all__ = [
    "PRESETS",
    "ColumnMap",
    "CostRow",
    "ModelPrice",
    "RejectedRow",
    "Router",
    "RoutingRule",
    "detect_focus_version",
    "parse_rule",
    "parse_tags",
    "read_focus",
    "read_litellm_prices",
    "read_mapped",
    "route",
]
