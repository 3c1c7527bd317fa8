"""Block, action and callback ids: the names the listeners match on and read state by.

Change one here and the listener that reads it changes with it.
"""

from __future__ import annotations

#: Buttons on a pending transfer (channel message, DM or App Home). `value` is the transfer id.
TRANSFER_APPROVE_ACTION_ID = "transfer_approve"
TRANSFER_REJECT_ACTION_ID = "transfer_reject"
#: Prefix of the actions block; the transfer id follows a colon so ids stay unique in one view.
TRANSFER_ACTIONS_BLOCK_ID = "transfer_actions"

#: The transfer request modal opened by a bare `/allot transfer`.
TRANSFER_MODAL_CALLBACK_ID = "transfer_modal"
TRANSFER_BUDGET_BLOCK_ID = "transfer_budget"
TRANSFER_BUDGET_ACTION_ID = "budget"
TRANSFER_SOURCE_BLOCK_ID = "transfer_source"
TRANSFER_SOURCE_ACTION_ID = "source"
TRANSFER_TARGET_BLOCK_ID = "transfer_target"
TRANSFER_TARGET_ACTION_ID = "target"
TRANSFER_AMOUNT_BLOCK_ID = "transfer_amount"
TRANSFER_AMOUNT_ACTION_ID = "amount"
TRANSFER_REASON_BLOCK_ID = "transfer_reason"
TRANSFER_REASON_ACTION_ID = "reason"

#: The option value that stands for the selected budget's pool in the source and target pickers.
POOL_OPTION_VALUE = "pool"


def transfer_actions_block_id(transfer_id: str) -> str:
    return f"{TRANSFER_ACTIONS_BLOCK_ID}:{transfer_id}"


#: The requester's Cancel button on their own pending request (`value`: the transfer id).
TRANSFER_CANCEL_ACTION_ID = "transfer_cancel"
#: The small modal Reject opens for an optional note; private_metadata holds where it was
#: clicked ({"transfer", "channel", "ts"}).
REJECT_NOTE_CALLBACK_ID = "transfer_reject_note"
REJECT_NOTE_BLOCK_ID = "reject_note"
REJECT_NOTE_ACTION_ID = "note"
#: The budget picker `/allot spend` answers with when the project has several budgets;
#: each option's value is the budget id, the spend itself rides in the block id's suffix.
SPEND_BUDGET_ACTION_ID = "spend_budget"
SPEND_BUDGET_BLOCK_ID = "spend_budget"

#: The Acknowledge button on an alert message (`value`: the alert id, `alr_…`); its actions
#: block id is `alert_actions:<alert id>`.
ALERT_ACKNOWLEDGE_ACTION_ID = "alert_acknowledge"
ALERT_ACTIONS_BLOCK_ID = "alert_actions"

#: App Home's buttons: open the transfer form, and a link button to the web app (Slack still
#: sends its click, which is acked and ignored).
HOME_REQUEST_TRANSFER_ACTION_ID = "home_request_transfer"
HOME_OPEN_WEB_ACTION_ID = "home_open_web"
HOME_ACTIONS_BLOCK_ID = "home_actions"
