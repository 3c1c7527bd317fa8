"""Block Kit checks for every payload the tests produce: slack_sdk's models plus Slack's own
limits (https://api.slack.com/reference/block-kit), which the models check only in part.

`violations(payload)` lists what Slack would refuse (`invalid_blocks`, `msg_too_long`) or cut;
`assert_valid(payload)` fails the test on any. The fake Slack Web API runs it on every
chat.*, views.* and response_url call it receives, and the `fake_slack` fixture fails the test
that produced a bad one.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
#: (block type, field) → limit, as Slack documents them.
SECTION_TEXT = 3000
SECTION_FIELD = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
ID_LENGTH = 255
CONFIRM = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
VIEW_TITLE = 24
VIEW_BUTTON = 24
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
PLACEHOLDER = 150
TEXT_TYPES = ("plain_text", "mrkdwn")


def _text(value: Any, where: str, limit: int, problems: list[str], *, kind: str = "") -> None:
    if not isinstance(value, dict) or value.get("type") not in TEXT_TYPES:
        problems.append(f"{where}: not a text object: {str(value)[:80]}")
        return
    if kind and value["type"] != kind:
        problems.append(f"{where}: must be {kind}, is {value['type']}")
    text = value.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: empty text")
    elif len(text) > limit:
        problems.append(f"{where}: {len(text)} characters, over {limit}")


def _confirm(confirm: Any, where: str, problems: list[str]) -> None:
    if not isinstance(confirm, dict):
        problems.append(f"{where}.confirm: not an object")
        return
    for key, limit in CONFIRM.items():
        _text(
            confirm.get(key),
            f"{where}.confirm.{key}",
            limit,
            problems,
            kind="" if key == "text" else "plain_text",
        )


def _options(options: Any, where: str, problems: list[str]) -> None:
    if not isinstance(options, list) or not options:
        problems.append(f"{where}: no options")
        return
    if len(options) > OPTIONS:
        problems.append(f"{where}: {len(options)} options, over {OPTIONS}")
    for i, option in enumerate(options):
        _text(option.get("text"), f"{where}[{i}].text", OPTION_TEXT, problems, kind="plain_text")
        value = option.get("value")
        if not isinstance(value, str) or not value or len(value) > OPTION_VALUE:
            problems.append(f"{where}[{i}].value: missing or over {OPTION_VALUE}")


def _element(element: Any, where: str, problems: list[str]) -> None:
    if not isinstance(element, dict):
        problems.append(f"{where}: not an object")
        return
    if len(str(element.get("action_id", ""))) > ID_LENGTH:
        problems.append(f"{where}.action_id: over {ID_LENGTH}")
    kind = element.get("type")
    if "confirm" in element:
        _confirm(element["confirm"], where, problems)
    if "placeholder" in element:
        _text(element["placeholder"], f"{where}.placeholder", PLACEHOLDER, problems)
    if kind == "button":
        _text(element.get("text"), f"{where}.text", BUTTON_TEXT, problems, kind="plain_text")
        if len(str(element.get("value", ""))) > BUTTON_VALUE:
            problems.append(f"{where}.value: over {BUTTON_VALUE}")
    elif kind in ("static_select", "multi_static_select"):
        _options(element.get("options"), f"{where}.options", problems)
    elif kind in ("external_select", "multi_external_select") and "options" in element:
        problems.append(f"{where}: an external_select has no options of its own")


def _block(block: Any, where: str, problems: list[str]) -> None:
    if not isinstance(block, dict):
        problems.append(f"{where}: not an object")
        return
    if len(str(block.get("block_id", ""))) > ID_LENGTH:
        problems.append(f"{where}.block_id: over {ID_LENGTH}")
    try:
        parsed = Block.parse(block)  # type: ignore[arg-type]
        if parsed is None:
            problems.append(f"{where}: unknown block type {block.get('type')!r}")
            return
        parsed.validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
        problems.append(f"{where}: slack_sdk: {exc}")
    kind = block.get("type")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where}: a section needs text or fields")
        if "text" in block:
            _text(block["text"], f"{where}.text", SECTION_TEXT, problems)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            problems.append(f"{where}.fields: {len(fields)}, over {SECTION_FIELDS}")
        for i, field in enumerate(fields):
            _text(field, f"{where}.fields[{i}]", SECTION_FIELD, problems)
        if "accessory" in block:
            _element(block["accessory"], f"{where}.accessory", problems)
    elif kind == "header":
        _text(block.get("text"), f"{where}.text", HEADER_TEXT, problems, kind="plain_text")
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > CONTEXT_ELEMENTS:
            problems.append(f"{where}.elements: {len(elements)} (1 to {CONTEXT_ELEMENTS})")
        for i, element in enumerate(elements):
            if element.get("type") in TEXT_TYPES:
                _text(element, f"{where}.elements[{i}]", SECTION_TEXT, problems)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > ACTIONS_ELEMENTS:
            problems.append(f"{where}.elements: {len(elements)} (1 to {ACTIONS_ELEMENTS})")
        for i, element in enumerate(elements):
            _element(element, f"{where}.elements[{i}]", problems)
    elif kind == "input":
        _text(block.get("label"), f"{where}.label", INPUT_LABEL, problems, kind="plain_text")
        _element(block.get("element"), f"{where}.element", problems)


def blocks_violations(blocks: Any, limit: int, where: str = "blocks") -> list[str]:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    problems: list[str] = []
    if not isinstance(blocks, list):
        return [f"{where}: not a list"]
    if len(blocks) > limit:
        problems.append(f"{where}: {len(blocks)} blocks, over {limit}")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append(f"{where}: repeated block_id")
    for i, block in enumerate(blocks):
        _block(block, f"{where}[{i}]", problems)
    return problems


def view_violations(view: Any) -> list[str]:
    if isinstance(view, str):
        view = json.loads(view)
    problems: list[str] = []
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        problems.append(f"view: slack_sdk: {exc}")
    if view.get("type") == "modal":
        _text(view.get("title"), "view.title", VIEW_TITLE, problems, kind="plain_text")
        for key in ("submit", "close"):
            if key in view:
                _text(view[key], f"view.{key}", VIEW_BUTTON, problems, kind="plain_text")
        has_input = any(b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            problems.append("view: input blocks without a submit button")
    if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA:
        problems.append(f"view.private_metadata: over {PRIVATE_METADATA}")
    return problems + blocks_violations(view.get("blocks") or [], VIEW_BLOCKS, "view.blocks")


def violations(payload: dict[str, Any]) -> list[str]:
    """What is wrong with a chat.* / response_url payload or a views.* call's `view`."""
    problems: list[str] = []
    if "view" in payload:
        problems += view_violations(payload["view"])
    if "blocks" in payload:
        problems += blocks_violations(payload["blocks"], MESSAGE_BLOCKS)
    text = payload.get("text")
    if text is not None and len(str(text)) > MESSAGE_TEXT:
        problems.append(f"text: {len(str(text))} characters, over {MESSAGE_TEXT}")
    if "blocks" in payload and not text:
        problems.append("text: blocks without a fallback text")
    return problems


def assert_valid(payload: dict[str, Any]) -> None:
    problems = violations(payload)
    assert not problems, "Block Kit violations:\n" + "\n".join(problems)
