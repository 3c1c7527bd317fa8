// The spend list of one allocation (/budgets/<id>/spend?project=prj_3): paged with the
// connection's cursor, filtered by service and local dates (Allocation.spends arguments), with
// the record-spend form of the budget page and voidSpend (with a reason) where allowed.
import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import { gql, mutate } from "./api.js";
import { formatMoney } from "./money.js";
import { RecordSpend } from "./pages-budget.js";
import { useLoad } from "./pages-budgets.js";
import { ALLOCATION_SPENDS, SPEND_BUDGET, VOID_SPEND } from "./queries.js";
import { Field, html, isOwner, Link, Notice } from "./ui.js";

const PAGE = 25;
const ACTING = new Set(["LEAD", "MEMBER"]);

function when(instant) {
  const d = new Date(instant);
  return { date: d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }),
    title: d.toLocaleString() };
}

function state(spend) {
  if (spend.correctionKind) {
    const of = spend.corrects ? ` of ${spend.corrects.id}` : "";
    return html`<span class="tag tag-correction">${spend.correctionKind.toLowerCase()}${of}</span>
      ${spend.correctionReason ? html`<small class="muted"> “${spend.correctionReason}”</small>` : null}`;
  }
  if (spend.voided) {
    return html`<span class="tag tag-voided">voided</span>
      <small class="muted"> ${spend.voidedBy ? `by ${spend.voidedBy.name}` : ""}${spend.voidReason ? ` — “${spend.voidReason}”` : ""}</small>`;
  }
  return html`<span class="muted">recorded</span>`;
}

/** A modal asking why a spend is voided (the reason is required by the API). */
function VoidDialog({ spend, currency, onDone, onCancel }) {
  const ref = useRef(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const before = document.activeElement;
    if (ref.current && !ref.current.open) ref.current.showModal();
    return () => before && before.focus && before.focus();
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    if (!reason.trim()) return setError("Say why: it is kept with the correction and in the journal.");
    setBusy(true);
    try {
      await mutate(VOID_SPEND, { input: { spendId: spend.id, reason: reason.trim() } });
      onDone(`Voided ${spend.id} (${formatMoney(spend.amount, currency)}).`);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<dialog ref=${ref} class="confirm" aria-labelledby="void-title"
      onCancel=${(e) => { e.preventDefault(); onCancel(); }}>
    <form onSubmit=${submit} noValidate id="void-form">
      <h2 id="void-title">Void this spend?</h2>
      <p>${formatMoney(spend.amount, currency)}${spend.service ? ` on ${spend.service}` : ""}${spend.description ? ` — ${spend.description}` : ""}:
        a reversing record gives it back to the allocation. The spend itself stays in the list, marked voided.</p>
      <${Field} label="Reason" name="reason" error=${error}>${(p) => html`<textarea ...${p} rows="2" required
        value=${reason} onInput=${(e) => setReason(e.currentTarget.value)}></textarea>`}<//>
      <div class="actions">
        <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
        <button type="submit" class="danger" disabled=${busy} data-confirm>Void the spend</button>
      </div>
    </form>
  </dialog>`;
}

function SpendTable({ allocation, currency, canVoid, filters, tick, setNotice, onChanged }) {
  const [rows, setRows] = useState([]);
  const [page, setPage] = useState(null); // {totalCount, hasNextPage, endCursor}
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(true);
  const [voiding, setVoiding] = useState(null);
  const variables = {
    id: allocation.id, first: PAGE, service: filters.service || null,
    fromDate: filters.fromDate || null, toDate: filters.toDate || null,
  };
  const load = async (after, keep) => {
    setBusy(true);
    try {
      const data = await gql(ALLOCATION_SPENDS, { ...variables, after });
      const spends = data.node.spends;
      setRows(keep ? [...keep, ...spends.nodes] : spends.nodes);
      setPage({ totalCount: spends.totalCount, ...spends.pageInfo });
      setError(null);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => { load(null, null); }, [allocation.id, filters.service, filters.fromDate, filters.toDate, tick]);

  const done = (text) => {
    setVoiding(null);
    setNotice({ kind: "success", text });
    onChanged();
  };
  return html`<section class="card" aria-labelledby="spend-list-title">
    <h2 id="spend-list-title">Spend of ${allocation.project.name}</h2>
    ${error ? html`<p class="notice notice-error" role="alert">${error}</p>` : null}
    <p class="muted small" id="spend-count" aria-live="polite">${page
      ? page.totalCount === 0 ? "No spend matches." : `Showing ${rows.length} of ${page.totalCount}.`
      : "Loading…"}</p>
    ${rows.length ? html`<div class="table-wrap"><table class="spends" id="spends">
      <thead><tr><th scope="col">Date</th><th scope="col" class="num">Amount</th><th scope="col">Service</th>
        <th scope="col">Description</th><th scope="col">Source</th><th scope="col">State</th>
        ${canVoid ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
      <tbody>${rows.map((s) => {
        const t = when(s.occurredAt);
        const voidable = canVoid && !s.voided && !s.correctionKind;
        return html`<tr key=${s.id} data-spend-id=${s.id} class=${s.voided ? "is-voided" : s.correctionKind ? "is-correction" : ""}>
          <td data-label="Date"><time datetime=${s.occurredAt} title=${t.title}>${t.date}</time></td>
          <td class="num" data-label="Amount"><span class="amount-text">${formatMoney(s.amount, currency)}</span></td>
          <td data-label="Service">${s.service || html`<span class="muted">—</span>`}</td>
          <td data-label="Description" class="wrap">${s.description || html`<span class="muted">—</span>`}</td>
          <td data-label="Source">${s.source}</td>
          <td data-label="State" class="state"><span>${state(s)}</span></td>
          ${canVoid ? html`<td class="row-actions">${voidable
            ? html`<button type="button" class="secondary void" aria-label=${`Void ${formatMoney(s.amount, currency)} of ${t.date}`}
                onClick=${() => setVoiding(s)}>Void</button>` : null}</td>` : null}
        </tr>`;
      })}</tbody>
    </table></div>` : null}
    ${page && page.hasNextPage
      ? html`<div class="actions start"><button type="button" class="secondary" id="load-more" disabled=${busy}
          onClick=${() => load(page.endCursor, rows)}>Load more</button></div>`
      : null}
    ${voiding ? html`<${VoidDialog} spend=${voiding} currency=${currency} onDone=${done} onCancel=${() => setVoiding(null)} />` : null}
  </section>`;
}

function initialProject() {
  return new URLSearchParams(location.search).get("project") || "";
}

export function SpendPage({ id, viewer, onAuthLost }) {
  const { data, error, loading, reload } = useLoad(SPEND_BUDGET, { id }, onAuthLost);
  const [project, setProject] = useState(initialProject);
  const [filters, setFilters] = useState({ service: "", fromDate: "", toDate: "" });
  const [notice, setNotice] = useState(null);
  const [tick, setTick] = useState(0);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const budget = data?.budget;
  if (!budget) return html`<${Notice} notice=${{ kind: "warning", text: "That budget does not exist or you may not see it." }} />`;
  const owner = isOwner(viewer, budget);
  const allocations = budget.allocations.nodes;
  const allocation = allocations.find((a) => a.project.id === project) || allocations[0];
  const canVoid = Boolean(allocation && !budget.archivedAt && (owner || ACTING.has(allocation.project.myRole)));
  const services = allocation
    ? [...new Set(allocation.serviceBreakdown.map((s) => s.service).filter(Boolean))].sort()
    : [];
  const pick = (value) => {
    setProject(value);
    setFilters({ ...filters, service: "" });
    history.replaceState(null, "", `/budgets/${budget.id}/spend?project=${encodeURIComponent(value)}`);
  };
  const filter = (name) => (e) => setFilters({ ...filters, [name]: e.currentTarget.value });
  const badRange = filters.fromDate && filters.toDate && filters.toDate < filters.fromDate;
  const changed = () => { setTick((t) => t + 1); reload(); };
  return html`<article aria-labelledby="spend-title" class="spend-page">
    <p class="crumbs"><${Link} href="/">Budgets<//> › <${Link} href=${`/budgets/${budget.id}`}>${budget.name}<//> ›</p>
    <h1 id="spend-title">Spend</h1>
    <${Notice} notice=${notice} />
    ${allocations.length === 0
      ? html`<p class="muted">No project ${owner ? "is funded" : "of yours is funded"} by this budget yet.</p>`
      : html`<div class="columns">
      <div class="col-main">
        <form class="filters card" id="spend-filters" aria-label="Filter the spend" onSubmit=${(e) => e.preventDefault()}>
          <${Field} label="Project" name="project">${(p) => html`<select ...${p} value=${allocation.project.id}
            onChange=${(e) => pick(e.currentTarget.value)}>
            ${allocations.map((a) => html`<option value=${a.project.id}>${a.project.name}</option>`)}</select>`}<//>
          <${Field} label="Service" name="service">${(p) => html`<select ...${p} value=${filters.service} onChange=${filter("service")}>
            <option value="">Every service</option>
            ${services.map((s) => html`<option value=${s}>${s}</option>`)}</select>`}<//>
          <${Field} label="From" name="fromDate">${(p) => html`<input ...${p} type="date" value=${filters.fromDate}
            onInput=${filter("fromDate")} />`}<//>
          <${Field} label="To" name="toDate" error=${badRange ? "The last day comes before the first." : null}>${(p) =>
            html`<input ...${p} type="date" value=${filters.toDate} onInput=${filter("toDate")} />`}<//>
          ${filters.service || filters.fromDate || filters.toDate
            ? html`<div class="field"><span class="label-space" aria-hidden="true"> </span><button type="button" class="secondary" id="clear-filters"
                onClick=${() => setFilters({ service: "", fromDate: "", toDate: "" })}>Clear filters</button></div>`
            : null}
        </form>
        ${badRange ? null : html`<${SpendTable} allocation=${allocation} currency=${budget.currency} canVoid=${canVoid}
          filters=${filters} tick=${tick} setNotice=${setNotice} onChanged=${changed} />`}
      </div>
      <div class="col-side">
        <dl class="figures card" aria-label=${`${allocation.project.name} this period`}>
          <div><dt>${owner ? "Allocated" : "Your allocation"}</dt><dd>${formatMoney(allocation.amount, budget.currency)}</dd></div>
          <div><dt>Spent</dt><dd>${formatMoney(allocation.spent, budget.currency)}</dd></div>
        </dl>
        ${budget.archivedAt ? html`<p class="notice notice-warning">This budget is archived: read-only.</p>`
          : html`<${RecordSpend} key=${allocation.id} budget=${{ ...budget, allocations: { nodes: [allocation, ...allocations.filter((a) => a !== allocation)] } }} owner=${owner} onChanged=${changed} setNotice=${setNotice} />`}
      </div>
    </div>`}
  </article>`;
}
