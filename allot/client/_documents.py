"""The GraphQL documents the client sends, checked against the schema by the tests.

Error members are read through one fragment. `field` is `String!` on ValidationError and
`String` elsewhere; GraphQL refuses one response name with two shapes, hence the alias.
"""

from __future__ import annotations

ERROR_FIELDS = """
fragment ErrorFields on Error {
  __typename code message
  ... on ValidationError { validationField: field rule }
  ... on NotFound { field }
  ... on InsufficientFunds { source requested available }
  ... on Conflict { field }
  ... on IdempotencyConflict { field }
  ... on AmbiguousReference { candidates }
  ... on UnpricedUsage { service unit field }
}
"""

SPEND_FIELDS = """
fragment SpendFields on Spend {
  id amount service description occurredAt source externalId quantity unit
  allocation { id }
}
"""

RESERVATION_FIELDS = """
fragment ReservationFields on Reservation {
  id amount status expiresAt createdAt service description settledAmount spendId
  allocation { id }
}
"""

ALLOCATION_FIELDS = """
fragment AllocationFields on Allocation {
  id amount spent remaining held available percentUsed status dailyDrip todayAllowance
  runwayDays budget { id name currency }
}
"""

RECORD_SPEND = (
    """
mutation AllotRecordSpend($input: RecordSpendInput!) {
  recordSpend(input: $input) {
    __typename
    ... on SpendRecorded { duplicate spend { ...SpendFields } }
    ...ErrorFields
  }
}
"""
    + SPEND_FIELDS
    + ERROR_FIELDS
)

RESERVE_SPEND = (
    """
mutation AllotReserveSpend($input: ReserveSpendInput!) {
  reserveSpend(input: $input) {
    __typename
    ... on SpendReserved { duplicate reservation { ...ReservationFields } }
    ...ErrorFields
  }
}
"""
    + RESERVATION_FIELDS
    + ERROR_FIELDS
)

SETTLE_RESERVATION = (
    """
mutation AllotSettleReservation($input: SettleReservationInput!) {
  settleReservation(input: $input) {
    __typename
    ... on ReservationSettled {
      duplicate reservation { ...ReservationFields } spend { ...SpendFields }
    }
    ...ErrorFields
  }
}
"""
    + RESERVATION_FIELDS
    + SPEND_FIELDS
    + ERROR_FIELDS
)

RELEASE_RESERVATION = (
    """
mutation AllotReleaseReservation($input: ReleaseReservationInput!) {
  releaseReservation(input: $input) {
    __typename
    ... on ReservationReleased { reservation { ...ReservationFields } }
    ...ErrorFields
  }
}
"""
    + RESERVATION_FIELDS
    + ERROR_FIELDS
)

AUTHORIZE_SPEND = """
query AllotAuthorizeSpend($projectId: ID!, $amount: Decimal!, $budgetId: ID) {
  authorizeSpend(projectId: $projectId, amount: $amount, budgetId: $budgetId) {
    allowed reason remaining dailyAllowance
  }
}
"""

PROJECT_STATUS = (
    """
query AllotProjectStatus($id: ID!) {
  project(id: $id) { id name slug allocations { ...AllocationFields } }
}
"""
    + ALLOCATION_FIELDS
)

BUDGET_STATUS = """
query AllotBudgetStatus($id: ID!) {
  budget(id: $id) {
    id name currency periodKind amount allocated unallocated spent remaining percentUsed
    status dailyDrip
    currentPeriod { startDate endDate }
    forecast { burnRatePerDay projectedSpend projectedOverrun exhaustionDate runwayDays }
  }
}
"""

ALL = {
    "recordSpend": RECORD_SPEND,
    "reserveSpend": RESERVE_SPEND,
    "settleReservation": SETTLE_RESERVATION,
    "releaseReservation": RELEASE_RESERVATION,
    "authorizeSpend": AUTHORIZE_SPEND,
    "project": PROJECT_STATUS,
    "budget": BUDGET_STATUS,
}
