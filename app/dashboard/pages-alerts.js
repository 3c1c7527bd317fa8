// The alerts panel (/alerts, /alerts?budget=bud_1&state=acknowledged): what the `alerts` query
// lists for the signed-in person, by state, with Acknowledge on open ones. Budget and project
// names come from each budget the alerts name (the API decides what the person may see there).
import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import { gql, mutate } from "./api.js";
import { formatMoney, formatPercent } from "./money.js";
import { ACKNOWLEDGE_ALERT, ALERT_BUDGET, ALERTS, OPEN_ALERT_COUNT } from "./queries.js";
import { html, Link, Notice } from "./ui.js";
import { formatDay, formatWhen } from "./time.js";

const STATES = [
  ["OPEN", "Open"],
  ["ACKNOWLEDGED", "Acknowledged"],
  ["RESOLVED", "Resolved"],
  ["ALL", "All"],
];

const KIND_TEXT = {
  THRESHOLD: "Threshold crossed",
  FORECAST_OVERRUN: "Forecast over the envelope",
  EXHAUSTION_SOON: "Money runs out soon",
  PACE: "Spending ahead of pace",
  PERIOD_CLOSED: "Period closed",
  TRANSFER_PENDING_TOO_LONG: "Transfer waiting too long",
};

const MAX_PAGES = 10; // 200 alerts a page: the panel shows at most 2,000

function readFilters() {
  const q = new URLSearchParams(location.search);
  const state = (q.get("state") || "OPEN").toUpperCase();
  return { state: STATES.some(([s]) => s === state) ? state : "OPEN", budget: q.get("budget") || null };
}

function writeFilters({ state, budget }) {
  const q = new URLSearchParams();
  if (state !== "OPEN") q.set("state", state.toLowerCase());
  if (budget) q.set("budget", budget);
  const search = q.toString();
  history.replaceState(null, "", `/alerts${search ? `?${search}` : ""}`);
}

/** Every page of alerts for the filters (newest first), and the budgets they name. */
async function loadAlerts({ state, budget }, known) {
  const nodes = [];
  let after = null;
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const data = await gql(ALERTS, { state: state === "ALL" ? null : state, budgetId: budget, after });
    nodes.push(...data.alerts.nodes);
    total = data.alerts.totalCount;
    if (!data.alerts.pageInfo.hasNextPage) break;
    after = data.alerts.pageInfo.endCursor;
  }
  const budgets = { ...known };
  const wanted = [...new Set(nodes.map((a) => a.budgetId))].filter((id) => !(id in budgets));
  const found = await Promise.all(wanted.map((id) => gql(ALERT_BUDGET, { id }).then((d) => d.budget, () => null)));
  wanted.forEach((id, n) => { budgets[id] = found[n]; });
  nodes.sort((a, b) => Number(b.id.split("_")[1]) - Number(a.id.split("_")[1]));
  return { nodes, total, budgets };
}

function mayAcknowledge(alert, budget, viewer) {
  if (viewer.isAdmin) return true;
  if (!budget) return false;
  if (budget.owners.some((o) => o.id === viewer.id)) return true;
  if (alert.scope !== "ALLOCATION") return false;
  const envelope = budget.allocations.nodes.find((a) => a.id === alert.allocationId);
  return ["LEAD", "MEMBER"].includes(envelope?.project.myRole);
}

function thresholdText(alert, currency) {
  const parts = [];
  if (alert.threshold !== null) parts.push(`${alert.threshold}% used`);
  if (alert.remainingThreshold !== null) parts.push(`${formatMoney(alert.remainingThreshold, currency)} left`);
  return parts.length ? parts.join(" · ") : null;
}

function AlertCard({ alert, budget, viewer, onAcknowledge, busy }) {
  const c = budget?.currency || "";
  const envelope = budget?.allocations.nodes.find((a) => a.id === alert.allocationId);
  const scope = alert.scope === "BUDGET"
    ? "The whole budget"
    : envelope ? html`<${Link} href=${`/projects/${envelope.project.id}`}>${envelope.project.name}<//>` : "A project's envelope";
  const figures = [
    ["Threshold", thresholdText(alert, c)],
    ["Crossed", alert.crossed.length > 1 ? alert.crossed.join(", ") : null],
    ["Allocated", alert.allocated !== null ? formatMoney(alert.allocated, c) : null],
    ["Spent", alert.spent !== null ? formatMoney(alert.spent, c) : null],
    ["Remaining", alert.remaining !== null ? formatMoney(alert.remaining, c) : null],
    ["Used", alert.percentUsed !== null ? formatPercent(alert.percentUsed) : null],
    ["Projected spend", alert.projectedSpend !== null ? formatMoney(alert.projectedSpend, c) : null],
    ["Runs out", alert.exhaustionDate ? formatDay(alert.exhaustionDate) : null],
  ].filter(([, v]) => v !== null);
  const titleId = `alert-${alert.id}-title`;
  return html`<li class="card alert-card" data-alert-id=${alert.id} data-state=${alert.state} aria-labelledby=${titleId}>
    <div class="alert-head">
      <h2 id=${titleId}>${KIND_TEXT[alert.kind] || alert.kind}</h2>
      <span class="tag state state-${alert.state.toLowerCase()}">${alert.state.toLowerCase()}</span>
    </div>
    <p class="alert-where">${budget ? html`<${Link} href=${`/budgets/${budget.id}`}>${budget.name}<//>` : alert.budgetId}
      <span aria-hidden="true"> › </span>${scope}
      ${alert.transferId ? html` · <${Link} href=${`/transfers/${alert.transferId}`}>${alert.transferId}<//>` : null}</p>
    <p class="alert-message">${alert.message}</p>
    ${figures.length ? html`<dl class="figures">${figures.map(([k, v]) => html`<div><dt>${k}</dt><dd data-field=${k.toLowerCase()}>${v}</dd></div>`)}</dl>` : null}
    <ul class="small muted alert-life">
      <li>Raised ${formatWhen(alert.createdAt)}</li>
      ${alert.acknowledgedAt ? html`<li>Acknowledged${alert.acknowledgedBy ? ` by ${alert.acknowledgedBy.name}` : ""}, ${formatWhen(alert.acknowledgedAt)}${alert.note ? ` — “${alert.note}”` : ""}</li>` : null}
      ${alert.resolvedAt ? html`<li>Resolved ${formatWhen(alert.resolvedAt)}${alert.resolvedReason ? ` (${alert.resolvedReason})` : ""}</li>` : null}
    </ul>
    ${alert.state === "OPEN" && mayAcknowledge(alert, budget, viewer)
      ? html`<div class="actions"><button type="button" class="primary acknowledge" disabled=${busy}
          aria-describedby=${titleId} onClick=${() => onAcknowledge(alert)}>Acknowledge</button></div>`
      : null}
  </li>`;
}

export function AlertsPage({ viewer, onAuthLost }) {
  const [filters, setFilters] = useState(readFilters);
  const [tick, setTick] = useState(0);
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(null);
  const known = useRef({});
  const heading = useRef(null);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    loadAlerts(filters, known.current).then(
      (data) => {
        known.current = data.budgets;
        if (live) setState({ loading: false, data, error: null });
      },
      (error) => {
        if (!live) return;
        if (error.kind === "auth") onAuthLost();
        setState({ loading: false, data: null, error });
      },
    );
    return () => { live = false; };
  }, [filters.state, filters.budget, tick]);

  const choose = (next) => {
    const f = { ...filters, ...next };
    writeFilters(f);
    setFilters(f);
    setNotice(null);
  };
  const acknowledge = async (alert) => {
    setBusy(alert.id);
    try {
      await mutate(ACKNOWLEDGE_ALERT, { input: { alertId: alert.id } });
      setNotice({ kind: "success", text: `Acknowledged: “${alert.message}”. It is listed under Acknowledged now.` });
      known.current = {};
      setTick((t) => t + 1);
      if (heading.current) heading.current.focus();
    } catch (err) {
      setNotice({ kind: "error", text: `Could not acknowledge it: ${err.message}` });
    } finally {
      setBusy(null);
    }
  };

  const data = state.data;
  const label = STATES.find(([s]) => s === filters.state)[1].toLowerCase();
  const onlyBudget = filters.budget ? data?.budgets[filters.budget] : null;
  return html`<section aria-labelledby="alerts-title" class="alerts-page">
    <h1 id="alerts-title">Alerts</h1>
    <p class="muted">Thresholds crossed, forecasts over, money running out, transfers waiting: the alerts of
      the budgets and projects you may see.</p>
    <fieldset class="inline state-filter">
      <legend>Show</legend>
      ${STATES.map(([value, text]) => html`<label class="check"><input type="radio" name="alert-state" value=${value}
        checked=${filters.state === value} onChange=${() => choose({ state: value })} /> ${text}</label>`)}
    </fieldset>
    ${filters.budget ? html`<p class="budget-filter">Only ${onlyBudget ? html`<${Link} href=${`/budgets/${filters.budget}`}>${onlyBudget.name}<//>` : filters.budget}
      <button type="button" class="secondary" id="all-budgets" onClick=${() => choose({ budget: null })}>Show every budget</button></p>` : null}
    <${Notice} notice=${notice} />
    <h2 id="alerts-list-title" class="list-title" tabindex="-1" ref=${heading} aria-live="polite">
      ${state.loading && !data ? "Loading…" : data ? `${data.total} ${filters.state === "ALL" ? "" : `${label} `}alert${data.total === 1 ? "" : "s"}` : ""}</h2>
    ${state.error ? html`<p class="notice notice-error" role="alert">${state.error.message}</p>` : null}
    ${data && data.nodes.length === 0 ? html`<p class="muted" id="no-alerts">${filters.state === "OPEN" ? "Nothing needs your attention." : `No ${label} alerts.`}</p>` : null}
    ${data ? html`<ul class="alert-list" aria-labelledby="alerts-list-title" aria-busy=${state.loading ? "true" : "false"}>
      ${data.nodes.map((a) => html`<${AlertCard} key=${a.id} alert=${a} budget=${data.budgets[a.budgetId]} viewer=${viewer}
        onAcknowledge=${acknowledge} busy=${busy === a.id} />`)}</ul>` : null}
    ${data && data.total > data.nodes.length ? html`<p class="muted">Showing ${data.nodes.length} of ${data.total}; choose a budget to see the rest.</p>` : null}
  </section>`;
}

/** "3 open alerts" for a budget page, linking to the panel filtered to that budget. */
export function BudgetAlertCount({ budgetId }) {
  const [count, setCount] = useState(null);
  useEffect(() => {
    let live = true;
    gql(OPEN_ALERT_COUNT, { budgetId }).then((d) => live && setCount(d.alerts.totalCount), () => {});
    return () => { live = false; };
  }, [budgetId]);
  const href = `/alerts?budget=${encodeURIComponent(budgetId)}`;
  if (count === null) return html`<${Link} href=${href} id="budget-alerts">Alerts<//>`;
  return html`<${Link} href=${href} id="budget-alerts" class=${count ? "alert-count has-open" : "alert-count"}>${
    count ? `${count} open alert${count === 1 ? "" : "s"}` : "No open alerts"}<//>`;
}
