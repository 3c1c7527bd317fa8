// The budgets list (cards) and the create-a-budget form.
import { useEffect, useState } from "./vendor/hooks.mjs";
import { fieldErrors, gql, mutate } from "./api.js";
import { parseAmount } from "./money.js";
import { navigate } from "./nav.js";
import { BUDGETS, CREATE_BUDGET } from "./queries.js";
import {
  CalendarFields, calendarInput, capitalized, formKit, isOneTime, KINDS, parseThresholds, PolicyFields,
} from "./budget-fields.js";
import { Field, html, isOwner, Link, Money, Notice, periodText, Status } from "./ui.js";

export function useLoad(query, variables, onAuthLost, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    gql(query, variables).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => {
        if (!live) return;
        if (error.kind === "auth") onAuthLost();
        setState({ data: null, error, loading: false });
      },
    );
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

function BudgetCard({ budget, viewer }) {
  const owner = isOwner(viewer, budget);
  return html`<li class="card budget-card" data-budget-id=${budget.id}>
    <h2><${Link} href=${`/budgets/${budget.id}`}>${budget.name}<//></h2>
    <p class="muted">${periodText(budget)}</p>
    <${Status} status=${budget.status} forecast=${budget.forecast} currency=${budget.currency} />
    <dl class="figures">
      <div><dt>${owner ? "Budget" : "The pool"}</dt><dd>${owner
        ? html`<${Money} value=${budget.amount} currency=${budget.currency} />`
        : html`<${Money} value=${budget.unallocated} currency=${budget.currency} />`}</dd></div>
      <div><dt>${owner ? "Allocated" : "Your allocation"}</dt><dd><${Money} value=${budget.allocated} currency=${budget.currency} /></dd></div>
      <div><dt>${owner ? "Spent" : "Your spend"}</dt><dd><${Money} value=${budget.spent} currency=${budget.currency} /></dd></div>
      <div><dt>Projects</dt><dd>${budget.allocations.totalCount}</dd></div>
    </dl>
    ${budget.pendingTransferCount
      ? html`<p class="pending-count">${budget.pendingTransferCount} pending request${budget.pendingTransferCount === 1 ? "" : "s"}</p>`
      : null}
  </li>`;
}

export function BudgetsPage({ viewer, onAuthLost }) {
  const { data, error, loading } = useLoad(BUDGETS, {}, onAuthLost);
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState("");
  const canCreate = viewer.isAdmin || viewer.isBudgetCreator;
  const nodes = data ? data.budgets.nodes : [];
  const words = search.trim().toLowerCase();
  const shown = nodes.filter(
    (b) =>
      (!words || `${b.name} ${b.description || ""}`.toLowerCase().includes(words)) &&
      (!status || b.status === status),
  );
  return html`<section aria-labelledby="budgets-title">
    <div class="page-head">
      <h1 id="budgets-title">Budgets</h1>
      ${canCreate ? html`<${Link} href="/budgets/new" class="button primary" id="new-budget">New budget<//>` : null}
    </div>
    <div class="filters">
      <${Field} label="Search" name="search">${(p) => html`<input ...${p} type="search" value=${search}
        onInput=${(e) => setSearch(e.currentTarget.value)} />`}<//>
      <${Field} label="Status" name="status">${(p) => html`<select ...${p} value=${status}
        onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="">Any</option><option value="HEALTHY">Healthy</option><option value="WARNING">Warning</option>
          <option value="CRITICAL">Critical</option><option value="EXHAUSTED">Exhausted</option>
        </select>`}<//>
    </div>
    ${loading ? html`<p class="muted" aria-busy="true">Loading budgets…</p>` : null}
    <${Notice} notice=${error ? { kind: "error", text: error.message } : null} />
    ${data && !nodes.length
      ? html`<p class="muted" id="budgets-empty">${canCreate ? "No budgets yet: create the first one." : "No budget funds a project of yours yet."}</p>`
      : null}
    <ul class="cards" id="budgets">${shown.map((b) => html`<${BudgetCard} key=${b.id} budget=${b} viewer=${viewer} />`)}</ul>
  </section>`;
}

const FIELDS = ["name", "description", "amount", "currency", "periodKind", "startDate", "endDate",
  "timezone", "alertThresholds", "rolloverPolicy", "hardLimit", "enforcePacing", "slackChannel",
  "slackPrivacy", "fiscalYearStartMonth", "resetDay", "weekStart", "prorateFirstPeriod"];

export function NewBudgetPage({ onAuthLost }) {
  const today = new Date().toISOString().slice(0, 10);
  const [form, setForm] = useState({
    name: "", description: "", amount: "", currency: "USD", periodKind: "GRANT", startDate: today,
    endDate: "", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    alertThresholds: "50, 80, 100", rolloverPolicy: "NONE", hardLimit: false, enforcePacing: false,
    slackChannel: "", slackPrivacy: "AMOUNTS", fiscalYearStartMonth: "1", resetDay: "",
    weekStart: "MONDAY", prorateFirstPeriod: false,
  });
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const oneTime = isOneTime(form.periodKind);
  const kit = formKit({ form, setForm, errors, currency: form.currency });

  const submit = async (e) => {
    e.preventDefault();
    const local = {};
    if (!form.name.trim()) local.name = "Give the budget a name.";
    const amount = parseAmount(form.amount);
    if (amount.error) local.amount = amount.error;
    if (oneTime && !form.endDate) local.endDate = "A grant or custom budget needs its last day.";
    const thresholds = parseThresholds(form.alertThresholds);
    if (thresholds.error) local.alertThresholds = thresholds.error;
    setErrors(local);
    if (Object.keys(local).length) {
      setNotice({ kind: "error", text: "Please correct the fields marked below." });
      return;
    }
    const input = {
      name: form.name.trim(), amount: amount.value, periodKind: form.periodKind, startDate: form.startDate,
      endDate: form.endDate || null, description: form.description.trim() || null,
      currency: form.currency.trim().toUpperCase() || null, timezone: form.timezone.trim() || null,
      alertThresholds: thresholds.value.length ? thresholds.value : null,
      rolloverPolicy: oneTime ? null : form.rolloverPolicy, hardLimit: form.hardLimit,
      enforcePacing: form.enforcePacing, slackChannel: form.slackChannel.trim() || null,
      slackPrivacy: form.slackPrivacy, ...calendarInput(form, form.periodKind),
    };
    setBusy(true);
    try {
      const result = await mutate(CREATE_BUDGET, { input });
      navigate(`/budgets/${result.budget.id}`);
    } catch (err) {
      if (err.kind === "auth") onAuthLost();
      setErrors(fieldErrors(err, FIELDS));
      setNotice({ kind: "error", text: `Could not create the budget: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="new-budget-title" class="narrow">
    <h1 id="new-budget-title">New budget</h1>
    <${Notice} notice=${notice} />
    <form onSubmit=${submit} noValidate id="budget-form" class="form-grid">
      ${kit.text("name", "Name")}
      ${kit.amount("amount", "Amount (each period's pool)", { hint: "e.g. 50k or $50,000" })}
      ${kit.text("currency", "Currency", { hint: "ISO code, e.g. USD" })}
      ${kit.select("periodKind", "Period", KINDS.map((k) => [k, capitalized(k)]))}
      ${kit.text("startDate", "Start date", { type: "date" })}
      ${kit.text("endDate", oneTime ? "End date (last day)" : "End date (optional)", { type: "date" })}
      ${kit.text("timezone", "Time zone", { hint: "IANA name, e.g. America/New_York" })}
      <${PolicyFields} kit=${kit} kind=${form.periodKind} />
      <${CalendarFields} kit=${kit} kind=${form.periodKind} />
      ${kit.textarea("description", "Description (optional)")}
      <div class="actions wide">
        <${Link} href="/" class="button secondary">Cancel<//>
        <button type="submit" class="primary" disabled=${busy} id="create-budget">Create budget</button>
      </div>
    </form>
  </section>`;
}
