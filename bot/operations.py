"""Every GraphQL operation the bot runs, by name. The bot does nothing else with the data.

Mutations select their success type and `... on Error { code message }`: a union member that is
an error becomes a short ephemeral reply (see bot/api.py).
"""

from __future__ import annotations

ALLOCATION_FIELDS = """
fragment AllocationFields on Allocation {
  id amount spent remaining percentUsed status dailyDrip runwayDays
  project { id name slug }
  budget { id name currency }
}
"""

TRANSFER_FIELDS = (
    """
fragment TransferFields on Transfer {
  id amount reason status decidedAt createdAt decisionNote budgetId fromPool toPool
  viewerCanDecide
  from { ...AllocationFields }
  to { ...AllocationFields }
  requestedBy { id name email slackUserId }
  decidedBy { id name email slackUserId }
}
"""
    + ALLOCATION_FIELDS
)

PREVIEW_FIELDS = """
fragment PreviewFields on Transfer {
  preview {
    from { before { remaining status runwayDays } after { remaining status runwayDays } }
    to { before { remaining status runwayDays } after { remaining status runwayDays } }
  }
}
"""

ERROR_FIELDS = """
fragment ErrorFields on Error { __typename code message }
"""

VIEWER = """
query Viewer { viewer { id name email isAdmin slackUserId } }
"""

STATUS_FOR_USER = (
    """
query StatusForUser {
  projects(first: 100) { nodes { id name slug myRole allocations { ...AllocationFields } } }
}
"""
    + ALLOCATION_FIELDS
)

PROJECT_BY_SLUG = (
    """
query ProjectBySlug($slug: String!) {
  project(slug: $slug) { id name slug allocations { ...AllocationFields } }
}
"""
    + ALLOCATION_FIELDS
)

PROJECTS_SEARCH = (
    """
query ProjectsSearch($search: String) {
  projects(first: 100, search: $search) {
    nodes { id name slug allocations { ...AllocationFields } }
  }
}
"""
    + ALLOCATION_FIELDS
)

BUDGET_FIELDS = """
fragment BudgetFields on Budget {
  id name currency periodKind endDate amount allocated unallocated spent remaining
  percentUsed status
}
"""

BUDGETS = (
    """
query Budgets($search: String) {
  budgets(first: 100, search: $search) { nodes { ...BudgetFields } }
}
"""
    + BUDGET_FIELDS
)

BUDGET_STATUS = (
    """
query BudgetStatus($id: ID!) {
  budget(id: $id) {
    ...BudgetFields
    allocations(first: 100) { nodes { ...AllocationFields } }
  }
}
"""
    + BUDGET_FIELDS
    + ALLOCATION_FIELDS
)

ALLOCATION_DIRECTORY = """
query AllocationDirectory($search: String, $budgetId: ID) {
  allocationDirectory(search: $search, budgetId: $budgetId) {
    id budgetId budgetName currency projectId projectName projectSlug
  }
}
"""

RECORD_SPEND = (
    """
mutation RecordSpend($input: RecordSpendInput!) {
  recordSpend(input: $input) {
    ... on SpendRecorded {
      duplicate
      spend { id amount service description allocation { ...AllocationFields } }
    }
    ...ErrorFields
  }
}
"""
    + ALLOCATION_FIELDS
    + ERROR_FIELDS
)

ALLOCATE = (
    """
mutation Allocate($input: AllocateInput!) {
  allocate(input: $input) {
    ... on AllocationSet { allocation { ...AllocationFields } }
    ...ErrorFields
  }
}
"""
    + ALLOCATION_FIELDS
    + ERROR_FIELDS
)

REQUEST_TRANSFER = (
    """
mutation RequestTransfer($input: RequestTransferInput!) {
  requestTransfer(input: $input) {
    ... on TransferRequested { transfer { ...TransferFields } }
    ...ErrorFields
  }
}
"""
    + TRANSFER_FIELDS
    + ERROR_FIELDS
)

APPROVE_TRANSFER = (
    """
mutation ApproveTransfer($input: DecideTransferInput!) {
  approveTransfer(input: $input) {
    ... on TransferDecided { transfer { ...TransferFields } }
    ...ErrorFields
  }
}
"""
    + TRANSFER_FIELDS
    + ERROR_FIELDS
)

REJECT_TRANSFER = (
    """
mutation RejectTransfer($input: DecideTransferInput!) {
  rejectTransfer(input: $input) {
    ... on TransferDecided { transfer { ...TransferFields } }
    ...ErrorFields
  }
}
"""
    + TRANSFER_FIELDS
    + ERROR_FIELDS
)

CANCEL_TRANSFER = (
    """
mutation CancelTransfer($input: CancelTransferInput!) {
  cancelTransfer(input: $input) {
    ... on TransferDecided { transfer { ...TransferFields } }
    ...ErrorFields
  }
}
"""
    + TRANSFER_FIELDS
    + ERROR_FIELDS
)

SET_BUDGET_CHANNEL = (
    """
mutation SetBudgetChannel($input: UpdateBudgetInput!) {
  updateBudget(input: $input) {
    ... on BudgetUpdated { budget { id name slackChannel slackPrivacy } }
    ...ErrorFields
  }
}
"""
    + ERROR_FIELDS
)

OWNED_BUDGETS = """
query OwnedBudgets {
  viewer { id }
  budgets(first: 100) { nodes { id name owners { id } } }
}
"""

TRANSFER = (
    """
query Transfer($id: ID!) {
  node(id: $id) { ... on Transfer { ...TransferFields } }
}
"""
    + TRANSFER_FIELDS
)

LINK_SLACK_ACCOUNT = (
    """
mutation LinkSlackAccount($input: LinkSlackAccountInput!) {
  linkSlackAccount(input: $input) {
    ... on SlackAccountLinked { user { id name email } }
    ...ErrorFields
  }
}
"""
    + ERROR_FIELDS
)

HOME = (
    """
query Home {
  viewer { id }
  projects(first: 50) { nodes { id name slug myRole allocations { ...AllocationFields } } }
  budgets(first: 50) { totalCount nodes { ...BudgetFields } }
  pending: transfers(status: PENDING, first: 100) { totalCount nodes { ...TransferFields } }
}
"""
    + BUDGET_FIELDS
    + TRANSFER_FIELDS
)

MODAL_OPTIONS = """
query TransferModalOptions {
  budgets(first: 100) { nodes { id name currency } }
  allocationDirectory { id budgetId budgetName currency projectId projectName projectSlug }
}
"""

# The outbox notifier's operations (run with the notifier's read-only context). The notifier
# reads everything, so it applies the budget's `slackPrivacy` itself when it renders a post
# for a channel (bot/blocks/privacy.py).

NOTICE_BUDGET_FIELDS = """
fragment NoticeBudgetFields on Budget {
  id name currency slackChannel slackPrivacy owners { id name slackUserId }
}
"""

TRANSFER_NOTICE = (
    """
query TransferNotice($id: ID!, $budgetId: ID!) {
  node(id: $id) {
    ... on Transfer { ...TransferFields ...PreviewFields slackMessages { channel ts } }
  }
  budget(id: $budgetId) { ...NoticeBudgetFields }
}
"""
    + TRANSFER_FIELDS
    + PREVIEW_FIELDS
    + NOTICE_BUDGET_FIELDS
)

ALERT_FIELDS = """
fragment AlertFields on Alert {
  id kind scope state threshold allocated spent remaining percentUsed projectedSpend
  exhaustionDate acknowledgedAt acknowledgedBy { id name email slackUserId }
}
"""

ALERT_NOTICE = (
    """
query AlertNotice($budgetId: ID!, $allocationId: ID!, $alertId: ID!) {
  budget(id: $budgetId) { ...NoticeBudgetFields }
  node(id: $allocationId) { ... on Allocation { id project { id name slug slackChannel } } }
  alert: node(id: $alertId) { ... on Alert { ...AlertFields slackThreads { channel ts } } }
}
"""
    + NOTICE_BUDGET_FIELDS
    + ALERT_FIELDS
)

ACKNOWLEDGE_ALERT = (
    """
mutation AcknowledgeAlert($input: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $input) {
    ... on AlertAcknowledged { ok }
    ...ErrorFields
  }
}
"""
    + ERROR_FIELDS
)

ALERT = (
    """
query Alert($id: ID!) {
  viewer { id name email slackUserId }
  node(id: $id) { ... on Alert { ...AlertFields } }
}
"""
    + ALERT_FIELDS
)

BUDGET_DIGEST = (
    """
query BudgetDigest($id: ID!) {
  budget(id: $id) {
    ...NoticeBudgetFields
    ...BudgetFields
    forecast { burnRatePerDay projectedSpend projectedOverrun exhaustionDate }
    allocations(first: 100) { nodes { id spent project { id name slug } } }
    pending: transfers(status: PENDING, first: 5) { totalCount nodes { ...TransferFields } }
  }
}
"""
    + NOTICE_BUDGET_FIELDS
    + BUDGET_FIELDS
    + TRANSFER_FIELDS
)

# What a channel may show of a budget's money, read as the Slack user who clicked a button
# (null when they cannot see the budget: then the channel is shown nothing).
BUDGET_PRIVACY = """
query BudgetPrivacy($id: ID!) { budget(id: $id) { id slackChannel slackPrivacy } }
"""

RECORD_SLACK_MESSAGE = (
    """
mutation RecordSlackMessage($input: RecordSlackMessageInput!) {
  recordSlackMessage(input: $input) {
    ... on SlackMessageRecorded { channel ts }
    ...ErrorFields
  }
}
"""
    + ERROR_FIELDS
)
