// A project across its budgets, and one transfer (deep links from Slack messages).
import { useEffect, useState } from "./vendor/hooks.mjs";
import { gql, mutate } from "./api.js";
import { TimelineChart } from "./charts.js";
import { formatDays, formatMoney } from "./money.js";
import { useLoad } from "./pages-budgets.js";
import { APPROVE, CANCEL, PROJECT, REJECT, TRANSFER, TRANSFER_PAGE } from "./queries.js";
import { formatDay, formatWhen } from "./time.js";
import { Confirm, html, Link, Notice, Status } from "./ui.js";

const STATUS_WORD = { PENDING: "Pending", APPLIED: "Applied", REJECTED: "Rejected", CANCELLED: "Cancelled", EXPIRED: "Expired" };
const MAX_PAGES = 20;

/** The viewer's own requests touching the project (the API filters them; pages in id order). */
function useTransfers(projectId, onAuthLost, tick) {
  const [state, setState] = useState({ nodes: null, error: null });
  useEffect(() => {
    let live = true;
    (async () => {
      const nodes = [];
      let after = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const { transfers } = await gql(TRANSFER_PAGE, { projectId, after });
        nodes.push(...transfers.nodes);
        if (!transfers.pageInfo.hasNextPage) break;
        after = transfers.pageInfo.endCursor;
      }
      return nodes;
    })().then(
      (nodes) => live && setState({ nodes, error: null }),
      (error) => {
        if (!live) return;
        if (error.kind === "auth") onAuthLost();
        setState({ nodes: null, error });
      },
    );
    return () => {
      live = false;
    };
  }, [projectId, tick]);
  return state;
}

function side(t, which, projectId) {
  if (t[`${which}Pool`]) return "the pool";
  const p = t[which]?.project;
  if (!p) return "another project";
  return p.id === projectId ? html`<strong>${p.name}</strong>` : p.name;
}

/** The viewer's own requests in this budget that move money into or out of the project. */
function YourRequests({ requests, error, currency, projectId, budgetName, onCancel }) {
  const headingId = `requests-${requests.budgetId}`;
  let body;
  if (error) body = html`<p class="small muted">Your requests could not be loaded: ${error.message}</p>`;
  else if (!requests.nodes) body = html`<p class="small muted" aria-busy="true">Loading your requests…</p>`;
  else if (!requests.nodes.length) body = html`<p class="small muted">You have not asked to move money in or out of this project here.</p>`;
  else {
    body = html`<ul class="transfers requests">${requests.nodes.map((t) => html`<li key=${t.id} data-transfer-id=${t.id} class="request">
      <p><${Link} href=${`/transfers/${t.id}`} aria-label=${`Transfer ${t.id}: ${formatMoney(t.amount, currency)}`}><strong>${formatMoney(t.amount, currency)}</strong><//>
        ${" "}${side(t, "from", projectId)} → ${side(t, "to", projectId)}</p>
      <p class="small muted"><span class=${`tag state-${t.status.toLowerCase()}`} data-field="status">${STATUS_WORD[t.status] || t.status}</span>
        ${" "}asked ${formatWhen(t.createdAt)}${t.decidedAt && t.status !== "PENDING" ? `, ${(STATUS_WORD[t.status] || t.status).toLowerCase()} ${formatWhen(t.decidedAt)}` : ""}</p>
      ${t.reason ? html`<p class="small">“${t.reason}”</p>` : null}
      ${t.status === "PENDING" ? html`<div class="actions">
        <button type="button" class="secondary cancel" onClick=${() => onCancel(t)}
          aria-label=${`Cancel request ${t.id} (${formatMoney(t.amount, currency)}) in ${budgetName}`}>Cancel request</button></div>` : null}
    </li>`)}</ul>`;
  }
  return html`<section class="your-requests" aria-labelledby=${headingId}>
    <h3 id=${headingId}>Your requests</h3>${body}</section>`;
}

export function ProjectPage({ id, onAuthLost }) {
  const { data, error, loading, reload } = useLoad(PROJECT, { id }, onAuthLost, [id]);
  const [tick, setTick] = useState(0);
  const transfers = useTransfers(id, onAuthLost, tick);
  const [cancelling, setCancelling] = useState(null);
  const [notice, setNotice] = useState(null);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const project = data.project;
  if (!project) return html`<${Notice} notice=${{ kind: "warning", text: "That project does not exist or you may not see it." }} />`;
  const viewerId = data.viewer.id;
  const touches = (t) => t.from?.project?.id === project.id || t.to?.project?.id === project.id;
  const mine = (transfers.nodes || []).filter((t) => t.requestedBy.id === viewerId && touches(t));
  const requestsIn = (budgetId) => ({
    budgetId,
    nodes: transfers.nodes ? mine.filter((t) => t.budgetId === budgetId).reverse() : null,
  });
  const currencyOf = (t) => project.allocations.find((a) => a.budget.id === t.budgetId)?.budget.currency;
  const cancel = async () => {
    const t = cancelling;
    try {
      const result = await mutate(CANCEL, { input: { transferId: t.id } });
      setNotice({ kind: "success", text: `Your request ${t.id} (${formatMoney(t.amount, currencyOf(t))}): ${(STATUS_WORD[result.transfer.status] || result.transfer.status).toLowerCase()}.` });
    } catch (err) {
      setNotice({ kind: "error", text: `Could not cancel ${t.id}: ${err.message}` });
    }
    setCancelling(null);
    setTick((n) => n + 1);
    reload();
  };
  const cancellingCurrency = cancelling ? currencyOf(cancelling) : undefined;
  return html`<article aria-labelledby="project-name" class="project-page">
    <p class="crumbs"><${Link} href="/">Budgets<//> ›</p>
    <h1 id="project-name">${project.name}</h1>
    <p class="muted">${project.myRole ? `Your role: ${project.myRole.toLowerCase()}` : "You see this project as a budget owner"}</p>
    <${Notice} notice=${notice} />
    ${project.allocations.length === 0 ? html`<p class="muted">No budget funds this project in a period you may see.</p>` : null}
    <ul class="cards project-cards">${project.allocations.map((a) => {
      const c = a.budget.currency;
      return html`<li class="card" key=${a.id} data-allocation-id=${a.id}>
        <h2><${Link} href=${`/budgets/${a.budget.id}`}>${a.budget.name}<//></h2>
        <p class="muted">${formatDay(a.budget.currentPeriod.startDate)} – ${formatDay(a.budget.currentPeriod.endDate)}</p>
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
        <${TimelineChart} points=${a.timeline} currency=${c} id=${`timeline-${a.id}`} height=${160} />
        <${YourRequests} requests=${requestsIn(a.budget.id)} error=${transfers.error} currency=${c}
          projectId=${project.id} budgetName=${a.budget.name} onCancel=${setCancelling} />
      </li>`;
    })}</ul>
    ${cancelling ? html`<${Confirm} title=${`Cancel your request ${cancelling.id}?`}
      body=${`${formatMoney(cancelling.amount, cancellingCurrency)} from ${cancelling.fromPool ? "the pool" : cancelling.from?.project?.name || "another project"} to ${cancelling.toPool ? "the pool" : cancelling.to?.project?.name || "another project"}: “${cancelling.reason}”. The owners will no longer see it.`}
      confirmLabel="Cancel the request" danger
      onConfirm=${cancel} onCancel=${() => setCancelling(null)} />` : null}
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
