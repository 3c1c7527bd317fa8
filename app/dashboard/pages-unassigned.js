// The unassigned import queue (/unassigned, admins and budget owners): imported cost rows no
// routing rule claimed. Assign a row to a project (assignSpend), or make a routing rule from
// it (createRoutingRule, prefilled from its tag, service or sub-account), then route the rest
// again (applyRoutingRules).
import { useEffect, useState } from "./vendor/hooks.mjs";
import { fieldErrors, gql, mutate } from "./api.js";
import { formatMoney } from "./money.js";
import { useLoad } from "./pages-budgets.js";
import { APPLY_ROUTING_RULES, ASSIGN_SPEND, CREATE_ROUTING_RULE, UNASSIGNED } from "./queries.js";
import { Field, html, Link, Notice } from "./ui.js";

const PAGE = 50;
const OWNED = `query OwnedBudgets { budgets(first: 100) { nodes { owners { id } } } }`;

/** The nav link, for admins and for whoever owns a budget (the people who see the queue). */
export function UnassignedNavLink({ viewer, current }) {
  const [owns, setOwns] = useState(Boolean(viewer.isAdmin));
  useEffect(() => {
    if (viewer.isAdmin) return;
    let live = true;
    gql(OWNED).then(
      (data) => live && setOwns(data.budgets.nodes.some((b) => b.owners.some((o) => o.id === viewer.id))),
      () => {},
    );
    return () => { live = false; };
  }, [viewer.id]);
  if (!owns) return null;
  return html`<${Link} href="/unassigned" id="unassigned-link" aria-current=${current ? "page" : undefined}>Import queue<//>`;
}

/** What a rule could match on, from the row: each tag, the service, the sub-account. */
function candidates(row) {
  const out = row.tags.map((t) => ({ match: "tag", key: t.key, value: t.value, label: `Tag ${t.key} = ${t.value}` }));
  if (row.service) out.push({ match: "service", key: null, value: row.service, label: `Service ${row.service}` });
  const sub = row.subAccountName || row.subAccountId;
  if (sub) out.push({ match: "sub_account", key: null, value: sub, label: `Sub-account ${sub}` });
  return out;
}

function ProjectPickers({ projects, budgets, project, setProject, budget, setBudget, errors }) {
  return html`
    <${Field} label="Project" name="projectId" error=${errors.projectId}>${(p) => html`<select ...${p} value=${project}
        onChange=${(e) => setProject(e.currentTarget.value)}>
      <option value="">Choose a project…</option>
      ${projects.map((pr) => html`<option value=${pr.id}>${pr.name}</option>`)}</select>`}<//>
    <${Field} label="Budget" name="budgetId" error=${errors.budgetId} hint="Needed only when several budgets fund the project.">
      ${(p) => html`<select ...${p} value=${budget} onChange=${(e) => setBudget(e.currentTarget.value)}>
        <option value="">The project's only budget</option>
        ${budgets.map((b) => html`<option value=${b.id}>${b.name}</option>`)}</select>`}<//>`;
}

function AssignForm({ row, projects, budgets, onDone, onClose }) {
  const [project, setProject] = useState("");
  const [budget, setBudget] = useState("");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!project) return setErrors({ projectId: "Choose the project this cost belongs to." });
    setErrors({});
    setBusy(true);
    try {
      const result = await mutate(ASSIGN_SPEND, { input: { unassignedSpendIds: [row.id], projectId: project,
        budgetId: budget || null } });
      const failure = result.items.find((i) => i.result.status === "FAILED");
      if (failure) setErrors({ form: failure.result.error?.message || "The row could not be recorded." });
      else onDone(`Recorded ${formatMoney(row.amount, row.currency)} as spend of ${projects.find((p) => p.id === project).name}.`);
    } catch (err) {
      const mapped = fieldErrors(err, ["projectId", "budgetId"]);
      setErrors(Object.keys(mapped).length ? mapped : { form: err.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="row-form" onSubmit=${submit} noValidate id="assign-form" aria-labelledby="assign-title">
    <h3 id="assign-title">Assign ${formatMoney(row.amount, row.currency)}${row.service ? ` of ${row.service}` : ""} to a project</h3>
    <div class="form-grid">
      <${ProjectPickers} projects=${projects} budgets=${budgets} project=${project} setProject=${setProject}
        budget=${budget} setBudget=${setBudget} errors=${errors} />
    </div>
    ${errors.form ? html`<p class="notice notice-error" role="alert">${errors.form}</p>` : null}
    <div class="actions">
      <button type="button" class="secondary" onClick=${onClose}>Close</button>
      <button type="submit" class="primary" id="assign-submit" disabled=${busy}>Assign</button>
    </div>
  </form>`;
}

function RuleForm({ row, projects, budgets, onCreated, onClose }) {
  const options = candidates(row);
  const [choice, setChoice] = useState(0);
  const [value, setValue] = useState(options[0]?.value || "");
  const [project, setProject] = useState("");
  const [budget, setBudget] = useState("");
  const [priority, setPriority] = useState("100");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const picked = options[choice];
  const submit = async (e) => {
    e.preventDefault();
    const local = {};
    if (!picked) local.match = "This row has no tag, service or sub-account to match.";
    if (!value.trim()) local.value = "Enter the value to match.";
    if (!project) local.projectId = "Choose the project matching rows go to.";
    if (!/^-?\d+$/.test(priority.trim())) local.priority = "A whole number; lower numbers are tried first.";
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const result = await mutate(CREATE_ROUTING_RULE, { input: { match: picked.match, key: picked.key,
        value: value.trim(), projectId: project, budgetId: budget || null, priority: Number(priority) } });
      onCreated(result.rule, budget || null);
    } catch (err) {
      const mapped = fieldErrors(err, ["match", "key", "value", "projectId", "budgetId", "priority"]);
      if (mapped.key) mapped.match = mapped.key;
      setErrors(Object.keys(mapped).length ? mapped : { form: err.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="row-form" onSubmit=${submit} noValidate id="rule-form" aria-labelledby="rule-title">
    <h3 id="rule-title">Make a routing rule from this row</h3>
    <p class="hint">Imported rows that match go to the project from now on.</p>
    <div class="form-grid">
      <${Field} label="Match on" name="match" error=${errors.match}>${(p) => html`<select ...${p} value=${String(choice)}
          onChange=${(e) => { const i = Number(e.currentTarget.value); setChoice(i); setValue(options[i].value); }}>
        ${options.map((o, i) => html`<option value=${String(i)}>${o.label}</option>`)}</select>`}<//>
      <${Field} label=${picked?.match === "tag" ? `Value of tag ${picked.key}` : "Value"} name="value" error=${errors.value}
        hint="Case and surrounding spaces are ignored.">${(p) => html`<input ...${p} value=${value}
        onInput=${(e) => setValue(e.currentTarget.value)} />`}<//>
      <${ProjectPickers} projects=${projects} budgets=${budgets} project=${project} setProject=${setProject}
        budget=${budget} setBudget=${setBudget} errors=${errors} />
      <${Field} label="Priority" name="priority" error=${errors.priority} hint="Lower numbers are tried first.">${(p) =>
        html`<input ...${p} type="number" inputmode="numeric" value=${priority} onInput=${(e) => setPriority(e.currentTarget.value)} />`}<//>
    </div>
    ${errors.form ? html`<p class="notice notice-error" role="alert">${errors.form}</p>` : null}
    <div class="actions">
      <button type="button" class="secondary" onClick=${onClose}>Close</button>
      <button type="submit" class="primary" id="rule-submit" disabled=${busy}>Create rule</button>
    </div>
  </form>`;
}

function tags(row) {
  if (!row.tags.length) return html`<span class="muted">—</span>`;
  return html`<ul class="chips">${row.tags.map((t) => html`<li class="tag">${t.key}=${t.value}</li>`)}</ul>`;
}

export function UnassignedPage({ onAuthLost }) {
  const { data, error, loading, reload } = useLoad(UNASSIGNED, { first: PAGE }, onAuthLost);
  const [more, setMore] = useState({ rows: [], page: null });
  const [open, setOpen] = useState(null); // {id, kind: "assign" | "rule"}
  const [notice, setNotice] = useState(null);
  const [offerApply, setOfferApply] = useState(null); // {budgetId} after a rule was made
  const [busy, setBusy] = useState(false);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const first = data.unassignedSpends;
  const rows = [...first.nodes, ...more.rows];
  const page = more.page || { ...first.pageInfo, totalCount: first.totalCount };
  const projects = data.projects.nodes;
  const budgets = data.budgets.nodes;
  const refresh = () => { setMore({ rows: [], page: null }); setOpen(null); reload(); };
  const loadMore = async () => {
    setBusy(true);
    try {
      const next = (await gql(UNASSIGNED, { first: PAGE, after: page.endCursor })).unassignedSpends;
      setMore({ rows: [...more.rows, ...next.nodes], page: { ...next.pageInfo, totalCount: next.totalCount } });
    } catch (err) {
      setNotice({ kind: "error", text: err.message });
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setBusy(true);
    try {
      const r = await mutate(APPLY_ROUTING_RULES, { input: { budgetId: offerApply?.budgetId || null } });
      const parts = [`${r.assigned} row${r.assigned === 1 ? "" : "s"} recorded as spend`];
      if (r.duplicates) parts.push(`${r.duplicates} already recorded`);
      if (r.failed) parts.push(`${r.failed} refused (${r.failures.slice(0, 3).join("; ")})`);
      parts.push(`${r.stillUnassigned} still unassigned`);
      setNotice({ kind: r.failed ? "warning" : "success", text: `Routed again: ${parts.join(", ")}.` });
      setOfferApply(null);
      refresh();
    } catch (err) {
      setNotice({ kind: "error", text: `Could not route the rows: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };
  const panel = (row) => {
    if (!open || open.id !== row.id) return null;
    const close = () => setOpen(null);
    const body = open.kind === "assign"
      ? html`<${AssignForm} row=${row} projects=${projects} budgets=${budgets} onClose=${close}
          onDone=${(text) => { setNotice({ kind: "success", text }); refresh(); }} />`
      : html`<${RuleForm} row=${row} projects=${projects} budgets=${budgets} onClose=${close}
          onCreated=${(rule, budgetId) => {
            setNotice({ kind: "success", text: `Rule made: ${rule.match}${rule.key ? ` ${rule.key}` : ""} = ${rule.value} → ${rule.project.name}.` });
            setOfferApply({ budgetId });
            setOpen(null);
          }} />`;
    return html`<tr class="row-panel" key=${`${row.id}-panel`}><td colspan="6">${body}</td></tr>`;
  };
  return html`<article aria-labelledby="unassigned-title" class="unassigned-page">
    <p class="crumbs"><${Link} href="/">Budgets<//> ›</p>
    <h1 id="unassigned-title">Import queue</h1>
    <p class="muted">Imported cost rows no routing rule claimed: assign each to a project, or make a rule that routes it and rows like it.</p>
    <${Notice} notice=${notice} />
    ${offerApply ? html`<div class="notice notice-info apply-offer" id="apply-offer">
        <p>Route the rows still in the queue again with the rules as they are now?</p>
        <div class="actions start">
          <button type="button" class="primary" id="apply-rules" disabled=${busy} onClick=${apply}>Apply routing rules</button>
          <button type="button" class="secondary" onClick=${() => setOfferApply(null)}>Not now</button>
        </div></div>` : null}
    <section class="card" aria-labelledby="queue-title">
      <h2 id="queue-title">${page.totalCount} row${page.totalCount === 1 ? "" : "s"} held</h2>
      ${rows.length === 0 ? html`<p class="muted" id="queue-empty">Nothing is waiting: every imported row found its project.</p>` : null}
      ${rows.length ? html`<div class="table-wrap"><table class="queue" id="queue">
        <thead><tr><th scope="col">Date</th><th scope="col" class="num">Amount</th><th scope="col">Service</th>
          <th scope="col">Tags</th><th scope="col">Why it is held</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${rows.map((row) => [
          html`<tr key=${row.id} data-unassigned-id=${row.id} class=${open?.id === row.id ? "is-open" : ""}>
            <td data-label="Date"><time datetime=${row.occurredAt}>${new Date(row.occurredAt).toLocaleDateString(undefined,
              { year: "numeric", month: "short", day: "numeric" })}</time></td>
            <td class="num" data-label="Amount">${formatMoney(row.amount, row.currency)}</td>
            <td data-label="Service"><span>${row.service || html`<span class="muted">—</span>`}
              ${row.subAccountName || row.subAccountId ? html`<br /><small class="muted">${row.subAccountName || row.subAccountId}</small>` : null}</span></td>
            <td data-label="Tags">${tags(row)}</td>
            <td data-label="Why" class="wrap">${row.reason}</td>
            <td class="row-actions">
              <button type="button" class="secondary assign" aria-expanded=${open?.id === row.id && open.kind === "assign" ? "true" : "false"}
                onClick=${() => setOpen({ id: row.id, kind: "assign" })}>Assign to project</button>
              <button type="button" class="secondary make-rule" title="Make a routing rule from this row" aria-expanded=${open?.id === row.id && open.kind === "rule" ? "true" : "false"}
                onClick=${() => setOpen({ id: row.id, kind: "rule" })}>Make a rule</button>
            </td>
          </tr>`,
          panel(row),
        ])}</tbody>
      </table></div>` : null}
      ${page.hasNextPage ? html`<div class="actions start"><button type="button" class="secondary" id="load-more-rows"
        disabled=${busy} onClick=${loadMore}>Load more</button></div>` : null}
    </section>
  </article>`;
}
