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
      id name description currency periodKind startDate endDate timezone status pace
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
    project(id: $id) {
      id name slug myRole
      allocations {
        id amount spent remaining percentUsed status runwayDays pace
        forecast { projectedOverrun }
        budget { id name currency unallocated currentPeriod { startDate endDate } }
        serviceBreakdown { service amount count }
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
