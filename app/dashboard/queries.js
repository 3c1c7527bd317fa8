// Every GraphQL document of the web app (tests/schema/test_query_cost.py checks each against
// the server's limits). Mutations alias their payload `result` (api.js `mutate`).
import { ERROR_FIELDS } from "./api.js";

export const BUDGETS = `
  query Budgets {
    viewer { id name isAdmin isBudgetCreator }
    budgets(first: 100) {
      totalCount
      nodes {
        id name description currency periodKind startDate endDate status pendingTransferCount
        amount allocated unallocated spent remaining percentUsed pace
        currentPeriod { startDate endDate }
        forecast { projectedOverrun runwayDays exhaustionDate }
        owners { id }
        allocations(first: 1) { totalCount }
      }
    }
  }`;

export const BUDGET = `
  query Budget($id: ID!) {
    viewer { id name isAdmin isBudgetCreator }
    budget(id: $id) {
      id name description currency periodKind startDate endDate timezone status pace archivedAt
      amount allocated unallocated spent remaining percentUsed hardLimit
      currentPeriod { startDate endDate }
      forecast { projectedSpend projectedOverrun runwayDays exhaustionDate burnRatePerDay }
      owners { id name }
      allocations(first: 500) {
        totalCount
        nodes {
          id amount spent remaining available percentUsed status runwayDays notes pace
          forecast { projectedOverrun }
          project { id name slug myRole }
        }
      }
      serviceBreakdown { service amount count }
      timeline { date cumulative ideal }
      transfers(first: 50) {
        nodes {
          id amount reason status createdAt viewerCanDecide fromPool toPool decisionNote
          from { id project { name } }
          to { id project { name } }
          requestedBy { id name }
          decidedBy { name }
        }
      }
    }
  }`;

export const DIRECTORY = `
  query Directory($budgetId: ID!) {
    allocationDirectory(budgetId: $budgetId) { id projectId projectName }
  }`;

export const PROJECTS = `
  query Projects { projects(first: 500) { nodes { id name slug } } }`;

export const PROJECT = `
  query Project($id: ID!) {
    viewer { id }
    project(id: $id) {
      id name slug myRole
      allocations {
        id amount spent remaining percentUsed status runwayDays pace
        forecast { projectedOverrun }
        budget { id name currency unallocated currentPeriod { startDate endDate } }
        serviceBreakdown { service amount count }
        timeline { date cumulative ideal }
      }
    }
  }`;

/** The viewer's own requests that move money into or out of one project, a page at a time. */
export const TRANSFER_PAGE = `
  query TransferPage($projectId: ID!, $after: String) {
    transfers(projectId: $projectId, mine: true, first: 200, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id amount reason status createdAt decidedAt budgetId fromPool toPool
        from { id project { id name } }
        to { id project { id name } }
        requestedBy { id }
      }
    }
  }`;

export const TRANSFER = `
  query Transfer($id: ID!) {
    node(id: $id) {
      ... on Transfer {
        id amount reason status createdAt decidedAt decisionNote viewerCanDecide budgetId
        fromPool toPool
        from { id project { id name } }
        to { id project { id name } }
        requestedBy { id name }
        decidedBy { name }
      }
    }
  }`;

export const CREATE_BUDGET = `
  mutation CreateBudget($input: CreateBudgetInput!) {
    result: createBudget(input: $input) {
      __typename ... on BudgetCreated { budget { id } } ${ERROR_FIELDS}
    }
  }`;

export const CREATE_PROJECT = `
  mutation CreateProject($input: CreateProjectInput!) {
    result: createProject(input: $input) {
      __typename ... on ProjectCreated { project { id name } } ${ERROR_FIELDS}
    }
  }`;

export const ALLOCATE = `
  mutation Allocate($input: AllocateInput!) {
    result: allocate(input: $input) {
      __typename ... on AllocationSet { allocation { id amount } } ${ERROR_FIELDS}
    }
  }`;

export const ALLOCATE_MANY = `
  mutation AllocateMany($input: AllocateManyInput!) {
    result: allocateMany(input: $input) {
      __typename ... on AllocationsSet { allocations { id amount } } ${ERROR_FIELDS}
    }
  }`;

export const REQUEST_TRANSFER = `
  mutation RequestTransfer($input: RequestTransferInput!) {
    result: requestTransfer(input: $input) {
      __typename ... on TransferRequested { transfer { id status } } ${ERROR_FIELDS}
    }
  }`;

export const APPROVE = `
  mutation Approve($input: DecideTransferInput!) {
    result: approveTransfer(input: $input) {
      __typename ... on TransferDecided { transfer { id status } } ${ERROR_FIELDS}
    }
  }`;

export const REJECT = `
  mutation Reject($input: DecideTransferInput!) {
    result: rejectTransfer(input: $input) {
      __typename ... on TransferDecided { transfer { id status } } ${ERROR_FIELDS}
    }
  }`;

export const RECORD_SPEND = `
  mutation RecordSpend($input: RecordSpendInput!) {
    result: recordSpend(input: $input) {
      __typename ... on SpendRecorded { spend { id } } ${ERROR_FIELDS}
    }
  }`;

export const CANCEL = `
  mutation Cancel($input: CancelTransferInput!) {
    result: cancelTransfer(input: $input) {
      __typename ... on TransferDecided { transfer { id status } } ${ERROR_FIELDS}
    }
  }`;

export const SET_PASSWORD = `
  mutation SetPassword($input: SetPasswordInput!) {
    result: setPassword(input: $input) {
      __typename ... on PasswordSet { user { id } } ${ERROR_FIELDS}
    }
  }`;

export const CREATE_TOKEN = `
  mutation CreateToken($input: CreateApiTokenInput!) {
    result: createApiToken(input: $input) {
      __typename ... on ApiTokenCreated { token } ${ERROR_FIELDS}
    }
  }`;

export const CREATE_USER = `
  mutation CreateUser($input: CreateUserInput!) {
    result: createUser(input: $input) {
      __typename ... on UserCreated { user { id name email } } ${ERROR_FIELDS}
    }
  }`;

// -- budget settings, spend list, unassigned import queue (pages-budget-edit.js, pages-spend.js,
// pages-unassigned.js)

export const BUDGET_SETTINGS = `
  query BudgetSettings($id: ID!) {
    budget(id: $id) { id name description currency periodKind startDate endDate timezone alertThresholds
         rolloverPolicy rolloverCap hardLimit enforcePacing allowSelfApproval autoApproveBelow
         transferExpiryDays slackChannel slackPrivacy fiscalYearStartMonth resetDay weekStart
         prorateFirstPeriod archivedAt amount
         currentPeriod { startDate endDate }
         owners { id name email } }
  }`;

export const UPDATE_BUDGET = `
  mutation UpdateBudget($input: UpdateBudgetInput!) {
    result: updateBudget(input: $input) {
      __typename ... on BudgetUpdated { budget { id name description currency periodKind startDate endDate timezone alertThresholds
         rolloverPolicy rolloverCap hardLimit enforcePacing allowSelfApproval autoApproveBelow
         transferExpiryDays slackChannel slackPrivacy fiscalYearStartMonth resetDay weekStart
         prorateFirstPeriod archivedAt amount
         currentPeriod { startDate endDate }
         owners { id name email } } } ${ERROR_FIELDS}
    }
  }`;

export const ARCHIVE_BUDGET = `
  mutation ArchiveBudget($input: BudgetRefInput!) {
    result: archiveBudget(input: $input) {
      __typename ... on BudgetArchived { budget { id archivedAt } } ${ERROR_FIELDS}
    }
  }`;

export const RESTORE_BUDGET = `
  mutation RestoreBudget($input: BudgetRefInput!) {
    result: restoreBudget(input: $input) {
      __typename ... on BudgetRestored { budget { id archivedAt } } ${ERROR_FIELDS}
    }
  }`;

export const DELETE_BUDGET = `
  mutation DeleteBudget($input: BudgetRefInput!) {
    result: deleteBudget(input: $input) {
      __typename ... on BudgetDeleted { budgetId } ${ERROR_FIELDS}
    }
  }`;

export const ADD_BUDGET_OWNER = `
  mutation AddBudgetOwner($input: AddBudgetOwnerInput!) {
    result: addBudgetOwner(input: $input) {
      __typename ... on BudgetOwnerAdded { ok } ${ERROR_FIELDS}
    }
  }`;

export const REMOVE_BUDGET_OWNER = `
  mutation RemoveBudgetOwner($input: RemoveBudgetOwnerInput!) {
    result: removeBudgetOwner(input: $input) {
      __typename ... on BudgetOwnerRemoved { ok } ${ERROR_FIELDS}
    }
  }`;

export const SPEND_BUDGET = `
  query SpendBudget($id: ID!) {
    viewer { id isAdmin }
    budget(id: $id) {
      id name currency timezone archivedAt
      owners { id }
      allocations(first: 500) {
        nodes { id amount spent project { id name myRole } serviceBreakdown { service } }
      }
    }
  }`;

export const ALLOCATION_SPENDS = `
  query AllocationSpends($id: ID!, $first: Int, $after: String, $service: String,
      $fromDate: Date, $toDate: Date) {
    node(id: $id) {
      ... on Allocation {
        id
        spends(first: $first, after: $after, service: $service, fromDate: $fromDate, toDate: $toDate) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes {
            id amount service description occurredAt source externalId voided voidedAt voidReason
            correctionKind correctionReason netAmount
            voidedBy { name }
            corrects { id }
          }
        }
      }
    }
  }`;

export const VOID_SPEND = `
  mutation VoidSpend($input: VoidSpendInput!) {
    result: voidSpend(input: $input) {
      __typename ... on SpendVoided { spend { id voided } } ${ERROR_FIELDS}
    }
  }`;

export const UNASSIGNED = `
  query Unassigned($first: Int, $after: String) {
    unassignedSpends(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id source occurredAt amount currency service subAccountId subAccountName description
        reason line tags { key value }
      }
    }
    projects(first: 500) { nodes { id name } }
    budgets(first: 100) { nodes { id name } }
  }`;

export const ASSIGN_SPEND = `
  mutation AssignSpend($input: AssignSpendInput!) {
    result: assignSpend(input: $input) {
      __typename
      ... on SpendAssigned { assigned failed items { unassignedSpendId result { status error { message } } } }
      ${ERROR_FIELDS}
    }
  }`;

export const CREATE_ROUTING_RULE = `
  mutation CreateRoutingRule($input: CreateRoutingRuleInput!) {
    result: createRoutingRule(input: $input) {
      __typename ... on RoutingRuleCreated { rule { id match key value priority project { name } } }
      ${ERROR_FIELDS}
    }
  }`;

export const APPLY_ROUTING_RULES = `
  mutation ApplyRoutingRules($input: ApplyRoutingRulesInput!) {
    result: applyRoutingRules(input: $input) {
      __typename ... on RoutingRulesApplied { assigned duplicates failed stillUnassigned failures }
      ${ERROR_FIELDS}
    }
  }`;

export const RELEASE = `
  mutation Release($input: ReleaseAllocationInput!) {
    result: releaseAllocation(input: $input) {
      __typename ... on AllocationReleased { allocation { id amount } } ${ERROR_FIELDS}
    }
  }`;

// -- API tokens (pages-tokens.js), the alerts panel (pages-alerts.js), periods (pages-periods.js)

export const MY_TOKENS = `
  query MyTokens { viewer { id apiTokens { id label prefix createdAt lastUsedAt revokedAt } } }`;

export const USER_TOKENS = `
  query UserTokens($id: ID!) {
    node(id: $id) { ... on User { id name email apiTokens { id label prefix createdAt lastUsedAt revokedAt } } }
  }`;

export const REVOKE_TOKEN = `
  mutation RevokeToken($input: RevokeApiTokenInput!) {
    result: revokeApiToken(input: $input) {
      __typename ... on ApiTokenRevoked { token { id label prefix createdAt lastUsedAt revokedAt } } ${ERROR_FIELDS}
    }
  }`;

export const ALERTS = `
  query Alerts($state: AlertState, $budgetId: ID, $after: String) {
    alerts(state: $state, budgetId: $budgetId, first: 200, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id kind scope state message budgetId allocationId transferId threshold remainingThreshold
        crossed allocated spent remaining percentUsed projectedSpend exhaustionDate
        acknowledgedAt note resolvedAt resolvedReason createdAt
        acknowledgedBy { name }
      }
    }
  }`;

export const ALERT_BUDGET = `
  query AlertBudget($id: ID!) {
    budget(id: $id) {
      id name currency owners { id }
      allocations(first: 500) { nodes { id project { id name myRole } } }
    }
  }`;

export const OPEN_ALERT_COUNT = `
  query OpenAlertCount($budgetId: ID!) {
    alerts(budgetId: $budgetId, state: OPEN, first: 1) { totalCount }
  }`;

export const ACKNOWLEDGE_ALERT = `
  mutation AcknowledgeAlert($input: AcknowledgeAlertInput!) {
    result: acknowledgeAlert(input: $input) {
      __typename ... on AlertAcknowledged { ok } ${ERROR_FIELDS}
    }
  }`;

export const PERIODS = `
  query Periods($id: ID!) {
    budget(id: $id) {
      id name currency periodKind timezone rolloverPolicy rolloverCap archivedAt amount
      owners { id }
      currentPeriod { id seq startDate endDate status }
      periods {
        id seq startDate endDate status amount allocated unallocated spent remaining percentUsed
        closedAt
      }
      plannedAmounts { periodStart amount }
      rolloverPreview { nextPeriodStart nextPeriodEnd closesEarly }
    }
  }`;

export const ROLLOVER_PREVIEW = `
  query RolloverPreview($id: ID!) {
    budget(id: $id) {
      id currency
      rolloverPreview {
        asOf closesEarly nextPeriodStart nextPeriodEnd skippedPeriods
        pool { policy remaining carried lapsed }
        allocations(first: 500) {
          totalCount
          nodes {
            policy remaining carried lapsed nextBase nextAmount
            allocation { id project { id name } }
          }
        }
      }
    }
  }`;

export const CLOSE_PERIOD = `
  mutation ClosePeriod($input: ClosePeriodInput!) {
    result: closePeriod(input: $input) {
      __typename
      ... on PeriodClosed {
        closedPeriod { id seq startDate endDate spent remaining }
        nextPeriod { id seq startDate endDate amount }
      }
      ${ERROR_FIELDS}
    }
  }`;

export const SET_PLANNED_AMOUNT = `
  mutation SetPlannedAmount($input: SetPlannedAmountInput!) {
    result: setPlannedAmount(input: $input) {
      __typename ... on PlannedAmountSet { budget { id plannedAmounts { periodStart amount } } }
      ${ERROR_FIELDS}
    }
  }`;
