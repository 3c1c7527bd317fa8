// A project across its budgets, and one transfer (deep links from Slack messages).
import { useState } from "./vendor/hooks.mjs";
import { mutate } from "./api.js";
import { formatDays, formatMoney } from "./money.js";
import { useLoad } from "./pages-budgets.js";
import { APPROVE, PROJECT, REJECT, TRANSFER } from "./queries.js";
import { Confirm, html, Link, Notice, Status } from "./ui.js";

export function ProjectPage({ id, onAuthLost }) {
  const { data, error, loading } = useLoad(PROJECT, { id }, onAuthLost);
  if (loading) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const project = data.project;
  if (!project) return html`<${Notice} notice=${{ kind: "warning", text: "That project does not exist or you may not see it." }} />`;
  return html`<article aria-labelledby="project-name">
    <p class="crumbs"><${Link} href="/">Budgets<//> ›</p>
    <h1 id="project-name">${project.name}</h1>
    <p class="muted">${project.myRole ? `Your role: ${project.myRole.toLowerCase()}` : "You see this project as a budget owner"}</p>
    ${project.allocations.length === 0 ? html`<p class="muted">No budget funds this project in a period you may see.</p>` : null}
    <ul class="cards">${project.allocations.map((a) => {
      const c = a.budget.currency;
      return html`<li class="card" key=${a.id} data-allocation-id=${a.id}>
        <h2><${Link} href=${`/budgets/${a.budget.id}`}>${a.budget.name}<//></h2>
        <p class="muted">${a.budget.currentPeriod.startDate} – ${a.budget.currentPeriod.endDate}</p>
        <${Status} status=${a.status} forecast=${a.forecast} runwayDays=${a.runwayDays} currency=${c} />
        <dl class="figures">
          <div><dt>${project.myRole ? "Your allocation" : "Allocation"}</dt><dd>${formatMoney(a.amount, c)}</dd></div>
          <div><dt>Spent</dt><dd>${formatMoney(a.spent, c)}</dd></div>
          <div><dt>Remaining</dt><dd>${formatMoney(a.remaining, c)}</dd></div>
          <div><dt>Runway</dt><dd>${formatDays(a.runwayDays)}</dd></div>
          <div><dt>The pool</dt><dd>${formatMoney(a.budget.unallocated, c)}</dd></div>
          <div><dt>Pace</dt><dd>${(a.pace || "").replace("_", " ").toLowerCase()}</dd></div>
        </dl>
        ${a.serviceBreakdown.length ? html`<p class="small muted">By service: ${a.serviceBreakdown.map((s) => `${s.service || "(none)"} ${formatMoney(s.amount, c)}`).join(" · ")}</p>` : null}
      </li>`;
    })}</ul>
  </article>`;
}

export function TransferPage({ id, onAuthLost }) {
  const { data, error, loading, reload } = useLoad(TRANSFER, { id }, onAuthLost);
  const [deciding, setDeciding] = useState(null);
  const [notice, setNotice] = useState(null);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const t = data.node;
  if (!t || !t.id) return html`<${Notice} notice=${{ kind: "warning", text: "That transfer does not exist or you may not see it." }} />`;
  const side = (s) => (t[`${s}Pool`] ? "the pool" : t[s]?.project ? html`<${Link} href=${`/projects/${t[s].project.id}`}>${t[s].project.name}<//>` : "another project");
  const decide = async (note) => {
    try {
      const r = await mutate(deciding === "approve" ? APPROVE : REJECT, { input: { transferId: t.id, note: note || null } });
      setNotice({ kind: "success", text: `Transfer ${t.id}: ${r.transfer.status}.` });
    } catch (err) {
      setNotice({ kind: "error", text: `Could not ${deciding}: ${err.message}` });
    }
    setDeciding(null);
    reload();
  };
  return html`<article aria-labelledby="transfer-title" class="narrow">
    <p class="crumbs"><${Link} href=${`/budgets/${t.budgetId}`}>The budget<//> ›</p>
    <h1 id="transfer-title">Transfer ${t.id}</h1>
    <${Notice} notice=${notice} />
    <dl class="facts card">
      <dt>Amount</dt><dd data-field="amount">${formatMoney(t.amount)}</dd>
      <dt>From</dt><dd>${side("from")}</dd><dt>To</dt><dd>${side("to")}</dd>
      <dt>Reason</dt><dd>${t.reason}</dd>
      <dt>Status</dt><dd data-field="status">${t.status}</dd>
      <dt>Requested</dt><dd>${t.requestedBy.name}, ${new Date(t.createdAt).toLocaleString()}</dd>
      ${t.decidedBy ? html`<dt>Decided</dt><dd>${t.decidedBy.name}${t.decidedAt ? `, ${new Date(t.decidedAt).toLocaleString()}` : ""}${t.decisionNote ? ` — “${t.decisionNote}”` : ""}</dd>` : null}
    </dl>
    ${t.viewerCanDecide ? html`<div class="actions">
      <button type="button" class="primary approve" onClick=${() => setDeciding("approve")}>Approve</button>
      <button type="button" class="danger reject" onClick=${() => setDeciding("reject")}>Reject</button></div>` : null}
    ${deciding ? html`<${Confirm} title=${`${deciding === "approve" ? "Approve" : "Reject"} transfer ${t.id}?`} body=${t.reason}
      confirmLabel=${deciding === "approve" ? "Approve" : "Reject"} danger=${deciding === "reject"} withNote
      onConfirm=${decide} onCancel=${() => setDeciding(null)} />` : null}
  </article>`;
}
