"""Which project a cost row belongs to: ordered rules, first match wins.

Rules are tried by `priority`, lowest number first (ties keep the order given); the first rule
that matches names the target project slug, and a row no rule matches routes to `None` (the
caller decides: an "unassigned" bucket, or a rejection).

Every comparison ignores case and surrounding spaces, keys and values alike. Tag names are
case-insensitive in Azure and exports write them inconsistently (the FOCUS sample has both
`Project` and ` org`); people typing a rule should not have to match an exporter's casing.

- `tag`: the row has a tag `key` whose value is `value`;
- `sub_account`: `value` is the row's sub-account id or its name (AWS account, Azure
  subscription, GCP project);
- `service`: `value` is the row's service name (FOCUS `ServiceName`), whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.domain.errors import ValidationError
from app.ingest.rows import CostRow

MatchKind = Literal["tag", "sub_account", "service"]
_RULE = re.compile(r"^\s*(tag|sub_account|service)\s*:\s*(.+?)\s*->\s*(\S+)\s*$")


@dataclass(frozen=True)
class RoutingRule:
    priority: int
    match: MatchKind
    key: str | None
    value: str
    target: str

    def __post_init__(self) -> None:
        if self.match not in ("tag", "sub_account", "service"):
            raise ValidationError("match", "must be tag, sub_account or service")
        if self.match == "tag" and not (self.key and self.key.strip()):
            raise ValidationError("key", "is required for a tag rule")
        if not self.value.strip():
            raise ValidationError("value", "must not be empty")
        if not self.target.strip():
            raise ValidationError("target", "must name a project")


def _norm(text: str | None) -> str | None:
    return None if text is None else text.strip().casefold()


class Router:
    """Rules sorted and normalised once, for routing many rows."""

    def __init__(self, rules: Sequence[RoutingRule]) -> None:
        ordered = sorted(rules, key=lambda rule: rule.priority)
        self._rules = [(r.match, _norm(r.key), _norm(r.value), r.target) for r in ordered]

    def route(self, row: CostRow) -> str | None:
        tags: dict[str, str] | None = None
        for match, key, value, target in self._rules:
            if match == "tag":
                if tags is None:
                    tags = {_norm(k) or "": _norm(v) or "" for k, v in row.tags.items()}
                if tags.get(key or "") == value:
                    return target
            elif match == "sub_account":
                if value in (_norm(row.sub_account_id), _norm(row.sub_account_name)):
                    return target
            elif _norm(row.service) == value:
                return target
        return None


def route(row: CostRow, rules: Sequence[RoutingRule]) -> str | None:
    """The target project slug of the first matching rule, or None."""
    return Router(rules).route(row)


def parse_rule(text: str, priority: int = 0) -> RoutingRule:
    """`"tag:project=genomics -> genomics"`, `"sub_account:51738928782 -> atlas"`,
    `"service:Amazon Simple Queue Service -> queues"`."""
    found = _RULE.match(text)
    if not found:
        raise ValidationError("rule", f"must look like 'tag:key=value -> project', got {text!r}")
    kind, body, target = found.groups()
    key: str | None = None
    if kind == "tag":
        key, sep, body = (part.strip() for part in body.partition("="))
        if not sep:
            raise ValidationError("rule", f"a tag rule needs key=value, got {text!r}")
    return RoutingRule(priority=priority, match=kind, key=key, value=body, target=target)  # type: ignore[arg-type]
