// A budget's periods (/budgets/bud_1/periods): every period with its figures (a closed one's are
// archived), closing the open period (owners) after a preview of what rolls over
// (Budget.rolloverPreview), and amounts planned for future periods (setPlannedAmount).
import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import { fieldErrors, gql, mutate } from "./api.js";
import { formatMoney, formatPercent, parseAmount } from "./money.js";
import { useLoad } from "./pages-budgets.js";
import { CLOSE_PERIOD, PERIODS, ROLLOVER_PREVIEW, SET_PLANNED_AMOUNT } from "./queries.js";
import { AmountInput, Field, html, isOwner, Link, Notice } from "./ui.js";
import { formatDay, formatWhen } from "./time.js";

const POLICY_TEXT = {
  NONE: "nothing carries over",
  CARRY_UNSPENT: "what is unspent carries over",
  CARRY_ALL: "what is left carries over, an overspend as a debt",
};

function dates(p) {
  return `${formatDay(p.startDate)} – ${formatDay(p.endDate)}`;
}

function PeriodsTable({ budget, owner }) {
  const c = budget.currency;
  const rows = [...budget.periods].reverse();
  return html`<section class="card" aria-labelledby="periods-title">
    <h2 id="periods-title">Every period</h2>
    ${owner ? null : html`<p class="muted small">For you, a period's funding is your projects' envelopes plus the pool.</p>`}
    <div class="table-wrap"><table class="periods" id="periods">
      <caption class="sr-only">Periods of ${budget.name}, newest first</caption>
      <thead><tr><th scope="col">Period</th><th scope="col">Status</th>
        <th scope="col" class="num">${owner ? "Funding" : "Yours + pool"}</th><th scope="col" class="num">Allocated</th>
        <th scope="col" class="num">Pool</th><th scope="col" class="num">Spent</th><th scope="col" class="num">Left</th>
        <th scope="col" class="num">Used</th></tr></thead>
      <tbody>${rows.map((p) => html`<tr key=${p.id} data-period-id=${p.id} data-status=${p.status}>
        <th scope="row" data-label="Period">${p.seq}. ${dates(p)}</th>
        <td data-label="Status"><span><span class="tag state-${p.status.toLowerCase()}">${p.status === "OPEN" ? "open" : "closed"}</span>
          ${p.closedAt ? html`<small class="muted closed-at">${formatWhen(p.closedAt)}</small>` : null}</span></td>
        <td class="num" data-label=${owner ? "Funding" : "Yours + pool"} data-field="amount">${formatMoney(p.amount, c)}</td>
        <td class="num" data-label="Allocated" data-field="allocated">${formatMoney(p.allocated, c)}</td>
        <td class="num" data-label="Pool" data-field="unallocated">${formatMoney(p.unallocated, c)}</td>
        <td class="num" data-label="Spent" data-field="spent">${formatMoney(p.spent, c)}</td>
        <td class="num" data-label="Left" data-field="remaining">${formatMoney(p.remaining, c)}</td>
        <td class="num" data-label="Used" data-field="percentUsed">${formatPercent(p.percentUsed)}</td>
      </tr>`)}</tbody>
    </table></div>
    <p class="muted small">A closed period's figures are archived as they were when it closed; “Left” of a closed
      period is what stayed in it (lapsed) rather than carry over.</p>
  </section>`;
}

function ClosePreview({ budget, onClosed, onCancel, setNotice }) {
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  useEffect(() => {
    gql(ROLLOVER_PREVIEW, { id: budget.id }).then(
      (d) => setPreview(d.budget?.rolloverPreview || false),
      (err) => setError(err.message),
    );
  }, []);
  useEffect(() => {
    if (heading.current) heading.current.focus();
  }, [preview]);
  const c = budget.currency;
  const period = budget.currentPeriod;
  const close = async () => {
    setBusy(true);
    try {
      const r = await mutate(CLOSE_PERIOD, { input: { budgetId: budget.id } });
      const next = r.nextPeriod;
      setNotice({
        kind: "success",
        text: `Period ${r.closedPeriod.seq} closed (${dates(r.closedPeriod)}), spent ${formatMoney(r.closedPeriod.spent, c)}. `
          + (next ? `Period ${next.seq} is open: ${dates(next)}, ${formatMoney(next.amount, c)}.` : "The budget has ended: no period follows."),
      });
      onClosed();
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  };
  return html`<section class="card close-preview" id="close-preview" aria-labelledby="close-title">
    <h2 id="close-title" tabindex="-1" ref=${heading}>Close period ${period.seq} (${dates(period)})?</h2>
    ${error ? html`<p class="notice notice-error" role="alert" id="close-error">${error}</p>` : null}
    ${preview === null && !error ? html`<p class="muted" aria-busy="true">Working out what rolls over…</p>` : null}
    ${preview === false ? html`<p class="notice notice-warning">This budget has ended: there is no open period to close.</p>` : null}
    ${preview ? html`
      ${preview.closesEarly ? html`<p class="notice notice-warning" id="closes-early">The period is not over yet: closing now ends it
        today, and the next regular period opens at once. Spend dated in the days left lands in the open period.</p>` : null}
      <p id="next-period">${preview.nextPeriodStart
        ? html`Next: a period from <strong>${formatDay(preview.nextPeriodStart)}</strong> to <strong>${formatDay(preview.nextPeriodEnd)}</strong>${
          preview.skippedPeriods ? ` (${preview.skippedPeriods} whole period${preview.skippedPeriods === 1 ? "" : "s"} skipped)` : ""}.`
        : html`<strong>The budget ends</strong> with this period: nothing carries anywhere.`}</p>
      <p class="muted small">Rollover: ${POLICY_TEXT[preview.pool.policy] || preview.pool.policy}${budget.rolloverCap ? `, at most ${formatMoney(budget.rolloverCap, c)} each` : ""}.</p>
      <div class="table-wrap"><table class="rollover" id="rollover">
        <caption class="sr-only">What each envelope and the pool would carry</caption>
        <thead><tr><th scope="col">Envelope</th><th scope="col" class="num">Left now</th><th scope="col" class="num">Carries over</th>
          <th scope="col" class="num">Lapses</th><th scope="col" class="num">Next period</th></tr></thead>
        <tbody>
          ${preview.allocations.nodes.map((e) => html`<tr key=${e.allocation.id} data-allocation-id=${e.allocation.id}>
            <th scope="row" data-label="Envelope">${e.allocation.project.name}${e.policy !== preview.pool.policy
              ? html` <span class="tag">${e.policy.toLowerCase().replace("_", " ")}</span>` : null}</th>
            <td class="num" data-label="Left now">${formatMoney(e.remaining, c)}</td>
            <td class="num" data-label="Carries over" data-field="carried">${formatMoney(e.carried, c)}</td>
            <td class="num" data-label="Lapses">${formatMoney(e.lapsed, c)}</td>
            <td class="num" data-label="Next period">${e.nextAmount === null ? "—" : formatMoney(e.nextAmount, c)}</td>
          </tr>`)}
          <tr class="pool-row" data-pool>
            <th scope="row" data-label="Envelope">The pool (unallocated)</th>
            <td class="num" data-label="Left now">${formatMoney(preview.pool.remaining, c)}</td>
            <td class="num" data-label="Carries over" data-field="carried">${formatMoney(preview.pool.carried, c)}</td>
            <td class="num" data-label="Lapses">${formatMoney(preview.pool.lapsed, c)}</td>
            <td class="num" data-label="Next period">—</td>
          </tr>
        </tbody>
      </table></div>
      <p class="muted small">Pending transfers and open reservations of this period expire when it closes.</p>` : null}
    <div class="actions">
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
      ${preview ? html`<button type="button" class="danger" id="confirm-close" disabled=${busy} onClick=${close}>Close period ${period.seq}</button>` : null}
    </div>
  </section>`;
}

function PlannedAmounts({ budget, onChanged }) {
  const c = budget.currency;
  const next = budget.rolloverPreview?.nextPeriodStart || "";
  const [periodStart, setPeriodStart] = useState(next);
  const [amount, setAmount] = useState("");
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const send = async (start, value) => {
    setErrors({});
    try {
      await mutate(SET_PLANNED_AMOUNT, { input: { budgetId: budget.id, periodStart: start, amount: value } });
      setNotice({ kind: "success", text: value === null
        ? `The plan for ${formatDay(start)} is removed: that period gets the budget's amount.`
        : `The period from ${formatDay(start)} will open with ${formatMoney(value, c)}.` });
      setAmount("");
      onChanged();
    } catch (err) {
      const found = fieldErrors(err, ["periodStart", "amount"]);
      setErrors(found);
      setNotice({ kind: "error", text: `Could not set the plan: ${err.message}` });
    }
  };
  const submit = (e) => {
    e.preventDefault();
    const found = {};
    if (!periodStart) found.periodStart = "Choose the first day of a future period.";
    const parsed = parseAmount(amount, { allowZero: true });
    if (parsed.error) found.amount = parsed.error;
    setErrors(found);
    if (Object.keys(found).length) return setNotice(null);
    send(periodStart, parsed.value);
  };
  return html`<section class="card" aria-labelledby="plans-title" id="plans">
    <h2 id="plans-title">Planned amounts</h2>
    <p class="muted small">A future period can open with another pool than the budget's amount (what rolls over comes on top).
      The open period's amount is changed in the budget's settings.</p>
    ${budget.plannedAmounts.length ? html`<ul class="plans">${budget.plannedAmounts.map((p) => {
      const applied = p.periodStart <= budget.currentPeriod.startDate;
      return html`<li key=${p.periodStart} data-period-start=${p.periodStart}>
        <span>Period from ${formatDay(p.periodStart)}: <strong>${formatMoney(p.amount, c)}</strong>${applied ? html` <span class="tag">applied</span>` : null}</span>
        ${applied ? null : html`<button type="button" class="secondary" aria-label=${`Remove the plan for ${formatDay(p.periodStart)}`}
          onClick=${() => send(p.periodStart, null)}>Remove</button>`}</li>`;
    })}</ul>`
      : html`<p class="muted">No plans: every period opens with the budget's amount.</p>`}
    <${Notice} notice=${notice} />
    <form onSubmit=${submit} id="plan-form" noValidate>
      <div class="form-grid">
        <${Field} label="Period starting" name="periodStart" error=${errors.periodStart}
          hint=${next ? `the next one starts ${formatDay(next)}` : "the first day of a future period"}>${(p) =>
          html`<input ...${p} type="date" value=${periodStart} onInput=${(e) => setPeriodStart(e.currentTarget.value)} />`}<//>
        <${Field} label="Its pool" name="amount" error=${errors.amount} hint="e.g. 12,000 or 12k">${(p) =>
          html`<${AmountInput} ...${p} value=${amount} currency=${c} allowZero onInput=${setAmount} />`}<//>
      </div>
      <button type="submit" class="primary" id="plan-submit">Set the planned amount</button>
    </form>
  </section>`;
}

export function PeriodsPage({ id, viewer, onAuthLost }) {
  const { data, error, loading, reload } = useLoad(PERIODS, { id }, onAuthLost);
  const [closing, setClosing] = useState(false);
  const [notice, setNotice] = useState(null);
  const closeButton = useRef(null);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const budget = data.budget;
  if (!budget) return html`<${Notice} notice=${{ kind: "warning", text: "That budget does not exist or you may not see it." }} />`;
  const owner = isOwner(viewer, budget);
  const current = budget.currentPeriod;
  const open = current.status === "OPEN";
  const recurring = Boolean(budget.rolloverPreview?.nextPeriodStart) || budget.plannedAmounts.length > 0;
  const cancel = () => {
    setClosing(false);
    setTimeout(() => closeButton.current && closeButton.current.focus(), 0);
  };
  return html`<article aria-labelledby="periods-heading" class="periods-page">
    <p class="crumbs"><${Link} href="/">Budgets<//> › <${Link} href=${`/budgets/${budget.id}`}>${budget.name}<//> ›</p>
    <h1 id="periods-heading">Periods</h1>
    <${Notice} notice=${notice} />
    <section class="card current-period" aria-labelledby="current-title">
      <h2 id="current-title">${open ? "The open period" : "The last period"}</h2>
      <p id="current-period">Period ${current.seq}: ${dates(current)} · <span class=${`tag state-${open ? "open" : "closed"}`}>${open ? "open" : "closed"}</span></p>
      ${!open ? html`<p class="muted">This budget has ended: no period is open.</p>` : null}
      ${open && owner && !budget.archivedAt && !closing ? html`<button type="button" class="secondary" id="close-period"
          ref=${closeButton} onClick=${() => { setNotice(null); setClosing(true); }}>Close this period…</button>
        <p class="muted small">You see what rolls over before anything changes.</p>` : null}
      ${open && !owner ? html`<p class="muted small">The budget's owners close its periods; it also closes by itself at its end.</p>` : null}
    </section>
    ${closing ? html`<${ClosePreview} budget=${budget} setNotice=${setNotice} onCancel=${cancel}
      onClosed=${() => { setClosing(false); reload(); }} />` : null}
    <${PeriodsTable} budget=${budget} owner=${owner} />
    ${owner && recurring ? html`<${PlannedAmounts} key=${current.id} budget=${budget} onChanged=${reload} />` : null}
  </article>`;
}
