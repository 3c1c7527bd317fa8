"""The transfer request modal (bare `/allot transfer`) and reading what was submitted."""

from __future__ import annotations

from typing import Any

from bot.blocks._format import plain, section
from bot.blocks.ids import (
    POOL_OPTION_VALUE,
    REJECT_NOTE_ACTION_ID,
    REJECT_NOTE_BLOCK_ID,
    REJECT_NOTE_CALLBACK_ID,
    TRANSFER_AMOUNT_ACTION_ID,
    TRANSFER_AMOUNT_BLOCK_ID,
    TRANSFER_BUDGET_ACTION_ID,
    TRANSFER_BUDGET_BLOCK_ID,
    TRANSFER_MODAL_CALLBACK_ID,
    TRANSFER_REASON_ACTION_ID,
    TRANSFER_REASON_BLOCK_ID,
    TRANSFER_SOURCE_ACTION_ID,
    TRANSFER_SOURCE_BLOCK_ID,
    TRANSFER_TARGET_ACTION_ID,
    TRANSFER_TARGET_BLOCK_ID,
)
from bot.commands import CommandError, parse_money

#: A static select holds at most 100 options; one of them is the pool.
MAX_ALLOCATION_OPTIONS = 99


def _option(text: str, value: str) -> dict[str, Any]:
    # Slack's limits: 75 characters of option text, 150 of value.
    return {"text": plain(text if len(text) <= 75 else text[:74] + "…"), "value": value[:150]}


def _select(
    block_id: str,
    action_id: str,
    label: str,
    options: list[dict[str, Any]],
    *,
    preselect_only_option: bool = False,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain("Choose…"),
        "options": options,
    }
    if preselect_only_option and len(options) == 1:
        element["initial_option"] = options[0]
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def _text_input(
    block_id: str, action_id: str, label: str, placeholder: str, *, multiline: bool = False
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "placeholder": plain(placeholder),
        "multiline": multiline,
    }
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def _allocation_label(allocation: dict[str, Any]) -> str:
    project = allocation.get("project") or {}
    budget = allocation.get("budget") or {}
    name = project.get("name") or project.get("slug") or allocation.get("id", "?")
    return f"{name} · {budget['name']}" if budget.get("name") else str(name)


def transfer_modal(
    budgets: list[dict[str, Any]],
    allocations: list[dict[str, Any]],
    *,
    private_metadata: str = "",
) -> dict[str, Any]:
    """A `views.open` modal: budget, source and target (projects or the pool), amount, reason."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": TRANSFER_MODAL_CALLBACK_ID,
        "title": plain("Request a transfer"),
        "close": plain("Cancel"),
        "private_metadata": private_metadata,
    }
    if not budgets:
        view["blocks"] = [section("There are no budgets you can request money from.")]
        return view
    budget_options = [_option(str(b.get("name") or b["id"]), str(b["id"])) for b in budgets[:100]]
    side_options = [_option("Pool (unallocated money)", POOL_OPTION_VALUE)] + [
        _option(_allocation_label(a), str(a["id"])) for a in allocations[:MAX_ALLOCATION_OPTIONS]
    ]
    view["submit"] = plain("Request")
    view["blocks"] = [
        _select(
            TRANSFER_BUDGET_BLOCK_ID,
            TRANSFER_BUDGET_ACTION_ID,
            "Budget",
            budget_options,
            preselect_only_option=True,
        ),
        _select(TRANSFER_SOURCE_BLOCK_ID, TRANSFER_SOURCE_ACTION_ID, "From", side_options),
        _select(TRANSFER_TARGET_BLOCK_ID, TRANSFER_TARGET_ACTION_ID, "To", side_options),
        _text_input(
            TRANSFER_AMOUNT_BLOCK_ID, TRANSFER_AMOUNT_ACTION_ID, "Amount", "e.g. 1,250.50 or $5k"
        ),
        _text_input(
            TRANSFER_REASON_BLOCK_ID,
            TRANSFER_REASON_ACTION_ID,
            "Reason",
            "Why does the money need to move? The approver reads this.",
            multiline=True,
        ),
    ]
    return view


def _external(
    block_id: str, action_id: str, label: str, placeholder: str, *, min_query_length: int = 0
) -> dict[str, Any]:
    """A picker whose options Slack asks for as the user types (block_suggestion)."""
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": action_id,
        "placeholder": plain(placeholder),
        "min_query_length": min_query_length,
    }
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
    }


def transfer_form(*, private_metadata: str = "") -> dict[str, Any]:
    """The transfer modal as `views.open` gets it at once, before any database work: every
    picker is an external_select whose options come from `transfer_options` (filtered by what
    is typed and, for From/To, by the chosen budget), so there is no 100-option cap."""
    return {
        "type": "modal",
        "callback_id": TRANSFER_MODAL_CALLBACK_ID,
        "title": plain("Request a transfer"),
        "submit": plain("Request"),
        "close": plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": [
            _external(
                TRANSFER_BUDGET_BLOCK_ID, TRANSFER_BUDGET_ACTION_ID, "Budget", "Choose a budget…"
            ),
            _external(
                TRANSFER_SOURCE_BLOCK_ID,
                TRANSFER_SOURCE_ACTION_ID,
                "From",
                "A project of that budget, or its pool",
            ),
            _external(
                TRANSFER_TARGET_BLOCK_ID,
                TRANSFER_TARGET_ACTION_ID,
                "To",
                "A project of that budget, or its pool",
            ),
            _text_input(
                TRANSFER_AMOUNT_BLOCK_ID,
                TRANSFER_AMOUNT_ACTION_ID,
                "Amount",
                "e.g. 1,250.50 or $5k",
            ),
            _text_input(
                TRANSFER_REASON_BLOCK_ID,
                TRANSFER_REASON_ACTION_ID,
                "Reason",
                "Why does the money need to move? The approver reads this.",
                multiline=True,
            ),
        ],
    }


def budget_options(budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_option(str(b.get("name") or b["id"]), str(b["id"])) for b in budgets[:100]]


def side_options(refs: list[dict[str, Any]], query: str = "") -> list[dict[str, Any]]:
    """The pool (when the query could mean it) and the allocations found, at most 100."""
    options = []
    if not query or "pool".startswith(query.strip().lower()):
        options.append(_option("Pool (unallocated money)", POOL_OPTION_VALUE))
    for ref in refs:
        if len(options) >= 100:
            break
        label = f"{ref['projectName']} · {ref['budgetName']}"
        options.append(_option(label, str(ref["id"])))
    return options


def _state(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(action_id) or {}


def _selected(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    option = _state(values, block_id, action_id).get("selected_option") or {}
    return option.get("value")


def _typed(values: dict[str, Any], block_id: str, action_id: str) -> str:
    return str(_state(values, block_id, action_id).get("value") or "").strip()


def read_transfer_modal(view_state_values: dict[str, Any]) -> dict[str, Any]:
    """The submitted `view.state.values` as {"budget_id", "source", "target", "amount", "reason"}.

    `source`/`target` are allocation ids or `POOL_OPTION_VALUE`; unselected pickers give None.
    `amount` is the text as typed: `transfer_modal_errors` or `parse_amount` checks it.
    """
    v = view_state_values
    return {
        "budget_id": _selected(v, TRANSFER_BUDGET_BLOCK_ID, TRANSFER_BUDGET_ACTION_ID),
        "source": _selected(v, TRANSFER_SOURCE_BLOCK_ID, TRANSFER_SOURCE_ACTION_ID),
        "target": _selected(v, TRANSFER_TARGET_BLOCK_ID, TRANSFER_TARGET_ACTION_ID),
        "amount": _typed(v, TRANSFER_AMOUNT_BLOCK_ID, TRANSFER_AMOUNT_ACTION_ID),
        "reason": _typed(v, TRANSFER_REASON_BLOCK_ID, TRANSFER_REASON_ACTION_ID),
    }


def transfer_modal_errors(submitted: dict[str, Any]) -> dict[str, str]:
    """Inline errors by block id, for `ack(response_action="errors", errors=...)`; {} if fine."""
    errors: dict[str, str] = {}
    for key, block_id, what in (
        ("budget_id", TRANSFER_BUDGET_BLOCK_ID, "a budget"),
        ("source", TRANSFER_SOURCE_BLOCK_ID, "where the money comes from"),
        ("target", TRANSFER_TARGET_BLOCK_ID, "where the money goes"),
    ):
        if not submitted.get(key):
            errors[block_id] = f"Choose {what}."
    try:
        parse_money(str(submitted.get("amount") or ""))
    except CommandError as exc:
        errors[TRANSFER_AMOUNT_BLOCK_ID] = exc.message
    if not submitted.get("reason"):
        errors[TRANSFER_REASON_BLOCK_ID] = "Give a reason: the approver reads it."
    return errors


def reject_note_modal(transfer_id: str, private_metadata: str) -> dict[str, Any]:
    """Reject's small form: an optional note for the requester."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REJECT_NOTE_ACTION_ID,
        "placeholder": plain("Shown to the requester"),
        "multiline": True,
        "max_length": 2000,
    }
    return {
        "type": "modal",
        "callback_id": REJECT_NOTE_CALLBACK_ID,
        "title": plain("Reject transfer"),
        "submit": plain("Reject"),
        "close": plain("Back"),
        "private_metadata": private_metadata,
        "blocks": [
            section(f"Reject transfer `{transfer_id}`?"),
            {
                "type": "input",
                "block_id": REJECT_NOTE_BLOCK_ID,
                "optional": True,
                "label": plain("Note (optional)"),
                "element": element,
            },
        ],
    }


def read_reject_note(view_state_values: dict[str, Any]) -> str | None:
    return _typed(view_state_values, REJECT_NOTE_BLOCK_ID, REJECT_NOTE_ACTION_ID) or None
