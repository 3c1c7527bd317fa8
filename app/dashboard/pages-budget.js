// One budget: its figures, the allocation table (edit, add, split), transfers, spend, reports.
import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import { fieldErrors, gql, mutate } from "./api.js";
import { formatMoney, fromMicros, parseAmount, toMicros } from "./money.js";
import { useLoad } from "./pages-budgets.js";
import { PeriodAlertLinks } from "./budget-links.js";
import { ServiceBars, TimelineChart } from "./charts.js";
import {
  ALLOCATE, ALLOCATE_MANY, APPROVE, BUDGET, CANCEL, CREATE_PROJECT, DIRECTORY, PROJECTS, RECORD_SPEND,
  REJECT, RELEASE, REQUEST_TRANSFER,
} from "./queries.js";
import { AmountInput, Confirm, Field, html, isOwner, Link, Money, Notice, periodText, Status } from "./ui.js";

const ACTING = new Set(["LEAD", "MEMBER"]);

function Figure({ label, value, currency, field, note }) {
  return html`<div class="figure"><dt>${label}</dt>
    <dd data-field=${field}>${formatMoney(value, currency)}</dd>${note ? html`<dd class="muted small">${note}</dd>` : null}</div>`;
}

function Figures({ budget, owner }) {
  const c = budget.currency;
  const f = budget.forecast;
  if (owner) {
    return html`<dl class="figures big" aria-label="Figures of this period">
      <${Figure} label="Budget" value=${budget.amount} currency=${c} field="amount" />
      <${Figure} label="Allocated" value=${budget.allocated} currency=${c} field="allocated" />
      <${Figure} label="Unallocated (the pool)" value=${budget.unallocated} currency=${c} field="unallocated" />
      <${Figure} label="Spent" value=${budget.spent} currency=${c} field="spent" />
      <${Figure} label="Remaining" value=${budget.remaining} currency=${c} field="remaining" />
      <${Figure} label="Projected spend" value=${f.projectedSpend} currency=${c} field="projected"
        note=${toMicros(f.projectedOverrun) > 0n ? `${formatMoney(f.projectedOverrun, c)} over` : "fits the budget"} />
    </dl>`;
  }
  return html`<dl class="figures big" aria-label="Figures you may see">
    <${Figure} label="Your allocation" value=${budget.allocated} currency=${c} field="allocated" note="your projects' envelopes" />
    <${Figure} label="Your spend" value=${budget.spent} currency=${c} field="spent" />
    <${Figure} label="The pool" value=${budget.unallocated} currency=${c} field="unallocated" note="unallocated money you may ask for" />
  </dl>`;
}

/** The allocation table. Owners edit amounts in place (saved together, all or nothing). */
function Allocations({ budget, owner, onChanged, setNotice, onMove }) {
  const c = budget.currency;
  const rows = budget.allocations.nodes;
  const [drafts, setDrafts] = useState({});
  const [noteDrafts, setNoteDrafts] = useState({});
  const [releasing, setReleasing] = useState(null); // the row whose release waits for a confirmation
  const [dragging, setDragging] = useState(null); // the allocation id being dragged
  const [dropOn, setDropOn] = useState(null);
  const [selected, setSelected] = useState({});
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);

  // Real-time check against the pool: the increase of every edited row must fit in it.
  let delta = 0n;
  let invalid = false;
  const changed = [];
  for (const row of rows) {
    const text = drafts[row.id];
    if (text === undefined) continue;
    const parsed = parseAmount(text, { allowZero: true });
    if (parsed.error) {
      invalid = true;
      continue;
    }
    const diff = parsed.micros - toMicros(row.amount);
    if (diff !== 0n) {
      delta += diff;
      changed.push({ row, amount: parsed.value });
    }
  }
  const poolAfter = toMicros(budget.unallocated) - delta;
  const overPool = poolAfter < 0n;
  const notesChanged = rows.filter((row) => noteDrafts[row.id] !== undefined && noteDrafts[row.id].trim() !== (row.notes || ""));
  const dirty = changed.length + notesChanged.length;

  const save = async () => {
    setBusy(true);
    setErrors({});
    try {
      if (changed.length) {
        await mutate(ALLOCATE_MANY, {
          input: {
            budgetId: budget.id,
            split: "EXPLICIT",
            items: changed.map(({ row, amount }) => ({ projectId: row.project.id, amount })),
          },
        });
      }
      setDrafts({});
      // Notes go with `allocate` (a split item has none), at the amount just saved.
      for (const row of notesChanged) {
        const amount = changed.find((ch) => ch.row.id === row.id)?.amount ?? row.amount;
        try {
          await mutate(ALLOCATE, { input: { budgetId: budget.id, projectId: row.project.id, amount, notes: noteDrafts[row.id].trim() } });
        } catch (err) {
          setErrors({ [`note-${row.id}`]: err.message });
          throw err;
        }
      }
      setNoteDrafts({});
      setNotice({ kind: "success", text: `Saved ${dirty} allocation${dirty === 1 ? "" : "s"}.` });
      onChanged();
    } catch (err) {
      const m = /^items\[(\d+)\]/.exec(err.field || "");
      if (m && changed[Number(m[1])]) setErrors({ [changed[Number(m[1])].row.id]: err.message });
      setNotice({ kind: "error", text: `Could not save: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };

  const chosen = rows.filter((r) => selected[r.id]);
  return html`<section aria-labelledby="alloc-title" class="card">
    <h2 id="alloc-title">${owner ? "Allocations" : "Your allocations"}</h2>
    ${rows.length === 0 ? html`<p class="muted">No project is funded yet.</p>` : null}
    <div class="table-wrap">
    <table class="allocations" id="allocations">
      <thead><tr>
        ${owner ? html`<th scope="col"><input type="checkbox" id="select-all" aria-label="Select every project"
          checked=${rows.length > 0 && rows.every((r) => selected[r.id])}
          onChange=${(e) => setSelected(e.currentTarget.checked ? Object.fromEntries(rows.map((r) => [r.id, true])) : {})} /></th>` : null}
        <th scope="col">Project</th><th scope="col" class="num">Allocated</th><th scope="col" class="num">Spent</th>
        <th scope="col" class="num">Remaining</th><th scope="col" class="num">Used</th><th scope="col">Status</th>

      </tr></thead>
      <tbody>${rows.map((row) => html`<tr key=${row.id} data-allocation-id=${row.id}
        class=${[dragging === row.id ? "dragging" : "", dropOn === row.id && dragging !== row.id ? "drop-target" : ""].join(" ").trim() || undefined}
        draggable=${owner ? "true" : undefined}
        onDragStart=${owner ? (e) => { e.dataTransfer.setData("application/x-allot-allocation", row.id); e.dataTransfer.effectAllowed = "move"; setDragging(row.id); } : undefined}
        onDragEnd=${owner ? () => { setDragging(null); setDropOn(null); } : undefined}
        onDragOver=${owner ? (e) => { if (e.dataTransfer.types.includes("application/x-allot-allocation")) { e.preventDefault(); setDropOn(row.id); } } : undefined}
        onDragLeave=${owner ? () => setDropOn((d) => (d === row.id ? null : d)) : undefined}
        onDrop=${owner ? (e) => {
          e.preventDefault();
          const from = e.dataTransfer.getData("application/x-allot-allocation");
          setDragging(null); setDropOn(null);
          if (from && from !== row.id) onMove({ from, to: row.id, focus: "amount" });
        } : undefined}>
        ${owner ? html`<td class="select"><input type="checkbox" aria-label=${`Select ${row.project.name}`} checked=${!!selected[row.id]}
          onChange=${(e) => setSelected({ ...selected, [row.id]: e.currentTarget.checked })} /></td>` : null}
        <th scope="row"><${Link} href=${`/projects/${row.project.id}`}>${row.project.name}<//>
          ${!owner && row.project.myRole ? html` <span class="tag">your allocation</span>` : null}
          ${owner
            ? html`<label class="sr-only" for=${`note-${row.id}`}>Notes for ${row.project.name}</label>
              <input id=${`note-${row.id}`} class="note" maxlength="2000" value=${noteDrafts[row.id] ?? (row.notes || "")}
                placeholder="Add a note" onInput=${(e) => setNoteDrafts({ ...noteDrafts, [row.id]: e.currentTarget.value })} />
              ${errors[`note-${row.id}`] ? html`<small class="field-error" role="alert">${errors[`note-${row.id}`]}</small>` : null}`
            : row.notes ? html`<p class="note small muted">${row.notes}</p>` : null}
          ${owner ? html`<div class="row-actions">
            <button type="button" class="link-button move" aria-label=${`Move money from ${row.project.name}…`}
              onClick=${() => onMove({ from: row.id, to: "pool", focus: "to" })}>Move money…</button>
            ${toMicros(row.remaining) > 0n ? html`<button type="button" class="link-button release"
              aria-label=${`Release ${row.project.name}'s allocation`} onClick=${() => setReleasing(row)}>Release</button>` : null}
          </div>` : null}</th>
        <td class="num" data-label="Allocated">${owner
          ? html`<label class="sr-only" for=${`amt-${row.id}`}>Amount for ${row.project.name}</label>
              <${AmountInput} id=${`amt-${row.id}`} class="amount" currency=${c} allowZero
                value=${drafts[row.id] ?? formatMoney(row.amount, "")} aria-invalid=${errors[row.id] ? "true" : undefined}
                onInput=${(v) => setDrafts({ ...drafts, [row.id]: v })} />
              ${errors[row.id] ? html`<small class="field-error" role="alert">${errors[row.id]}</small>` : null}`
          : formatMoney(row.amount, c)}</td>
        <td class="num" data-label="Spent">${formatMoney(row.spent, c)}</td>
        <td class="num" data-label="Remaining">${formatMoney(row.remaining, c)}</td>
        <td class="num" data-label="Used"><span class="bar" aria-hidden="true"><span ref=${(el) => el && (el.style.width = `${Math.min(100, row.percentUsed)}%`)}></span></span>
          ${row.percentUsed.toFixed(1)}%</td>
        <td data-label="Status"><${Status} status=${row.status} forecast=${row.forecast} runwayDays=${row.runwayDays} currency=${c} /></td>
      </tr>`)}</tbody>
    </table>
    </div>
    ${owner && rows.length
      ? html`<div class="table-foot" aria-live="polite">
          <p id="pool-after" class=${overPool ? "over" : ""}>
            ${changed.length
              ? html`Unallocated after these changes: <strong>${formatMoney(fromMicros(poolAfter), c)}</strong>
                  ${overPool ? html` — that is more than the pool holds (${formatMoney(budget.unallocated, c)}).` : null}`
              : html`Edit amounts in the table; the pool holds ${formatMoney(budget.unallocated, c)}.`}
          </p>
          <button type="button" class="primary" id="save-allocations" disabled=${busy || invalid || overPool || !dirty}
            onClick=${save}>Save changes</button>
          ${dirty ? html`<button type="button" class="secondary" onClick=${() => { setDrafts({}); setNoteDrafts({}); }}>Undo</button>` : null}
        </div>
        <p class="small muted drag-hint">To move money between projects, drag a row onto another, or use “Move money…”.</p>`
      : null}
    ${releasing ? html`<${Confirm} title=${`Release ${releasing.project.name}'s allocation?`}
      body=${toMicros(releasing.spent) > 0n
        ? `${formatMoney(releasing.remaining, c)} goes back to the pool; the envelope keeps what it spent (${formatMoney(releasing.spent, c)}).`
        : `${formatMoney(releasing.remaining, c)} goes back to the pool and ${releasing.project.name} leaves this budget's table (it spent nothing).`}
      confirmLabel="Release" danger
      onConfirm=${async () => {
        const row = releasing;
        try {
          await mutate(RELEASE, { input: { allocationId: row.id } });
          setNotice({ kind: "success", text: `Released ${formatMoney(row.remaining, c)} from ${row.project.name} to the pool.` });
          onChanged();
        } catch (err) {
          setNotice({ kind: "error", text: `Could not release ${row.project.name}: ${err.message}` });
        } finally {
          setReleasing(null);
        }
      }} onCancel=${() => setReleasing(null)} />` : null}
    ${owner ? html`<${Split} budget=${budget} chosen=${chosen} onDone=${() => { setSelected({}); onChanged(); }} setNotice=${setNotice} />` : null}
    ${owner ? html`<${AddProject} budget=${budget} onDone=${onChanged} setNotice=${setNotice} />` : null}
  </section>`;
}

/** Bulk split over the selected rows: EQUAL (a total in equal shares) or PERCENT. */
function Split({ budget, chosen, onDone, setNotice }) {
  const [mode, setMode] = useState("EQUAL");
  const [total, setTotal] = useState("");
  const [percents, setPercents] = useState({});
  const [error, setError] = useState(null);
  if (!chosen.length) return html`<p class="muted small">Select projects in the table to split an amount among them.</p>`;
  const submit = async (e) => {
    e.preventDefault();
    const parsed = parseAmount(total);
    if (parsed.error) return setError(parsed.error);
    // The split sets the selected envelopes: what they hold now returns to the pool first.
    const room = chosen.reduce((sum, row) => sum + toMicros(row.amount), toMicros(budget.unallocated));
    if (parsed.micros > room) {
      return setError(`At most ${formatMoney(fromMicros(room), budget.currency)}: the pool plus what these projects hold.`);
    }
    const items = chosen.map((row) => ({ projectId: row.project.id,
      ...(mode === "PERCENT" ? { percent: String(percents[row.id] || "0").replace("%", "").trim() } : {}) }));
    setError(null);
    try {
      await mutate(ALLOCATE_MANY, { input: { budgetId: budget.id, split: mode, total: parsed.value, items } });
      setNotice({ kind: "success", text: `Split ${formatMoney(parsed.value, budget.currency)} over ${chosen.length} projects.` });
      onDone();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<form class="split" onSubmit=${submit} aria-labelledby="split-title" id="split-form">
    <h3 id="split-title">Split over ${chosen.length} selected project${chosen.length === 1 ? "" : "s"}</h3>
    <fieldset class="inline"><legend>How</legend>
      <label class="check"><input type="radio" name="split" value="EQUAL" checked=${mode === "EQUAL"} onChange=${() => setMode("EQUAL")} /> Equal shares</label>
      <label class="check"><input type="radio" name="split" value="PERCENT" checked=${mode === "PERCENT"} onChange=${() => setMode("PERCENT")} /> By percent</label>
    </fieldset>
    <${Field} label="Total to divide" name="total" error=${error}>${(p) =>
      html`<${AmountInput} ...${p} value=${total} currency=${budget.currency} onInput=${setTotal} />`}<//>
    ${mode === "PERCENT" ? chosen.map((row) => html`<${Field} key=${row.id} label=${`${row.project.name} (%)`} name=${`pct-${row.id}`}>
      ${(p) => html`<input ...${p} inputmode="decimal" value=${percents[row.id] || ""}
        onInput=${(e) => setPercents({ ...percents, [row.id]: e.currentTarget.value })} />`}<//>`) : null}
    <button type="submit" class="primary" id="split-submit">Split</button>
  </form>`;
}

/** Fund a project: pick one, or create it inline. */
function AddProject({ budget, onDone, setNotice }) {
  const [open, setOpen] = useState(false);
  const [projects, setProjects] = useState(null);
  const [choice, setChoice] = useState("new");
  const [name, setName] = useState("");
  const [amount, setAmount] = useState("");
  const [errors, setErrors] = useState({});
  const funded = new Set(budget.allocations.nodes.map((a) => a.project.id));
  const show = async () => {
    setOpen(true);
    try {
      setProjects((await gql(PROJECTS)).projects.nodes.filter((p) => !funded.has(p.id)));
    } catch {
      setProjects([]);
    }
  };
  if (!open) return html`<button type="button" class="secondary" id="add-project" onClick=${show}>Fund a project</button>`;
  const isNew = choice === "new";
  const submit = async (e) => {
    e.preventDefault();
    const local = {};
    const parsed = parseAmount(amount);
    if (parsed.error) local.amount = parsed.error;
    else if (parsed.micros > toMicros(budget.unallocated)) local.amount = `The pool holds ${formatMoney(budget.unallocated, budget.currency)}.`;
    if (isNew && !name.trim()) local.name = "Name the new project.";
    setErrors(local);
    if (Object.keys(local).length) return;
    try {
      let projectId = choice;
      if (isNew) {
        try {
          projectId = (await mutate(CREATE_PROJECT, { input: { name: name.trim() } })).project.id;
        } catch (err) {
          setErrors(err.field ? { name: err.message } : { form: err.message });
          return;
        }
      }
      await mutate(ALLOCATE, { input: { budgetId: budget.id, projectId, amount: parsed.value } });
      setNotice({ kind: "success", text: `Funded ${isNew ? name.trim() : "the project"} with ${formatMoney(parsed.value, budget.currency)}.` });
      setName(""); setAmount(""); setChoice("new");
      onDone();
      setProjects((projects || []).filter((p) => p.id !== projectId));
    } catch (err) {
      setErrors({ ...fieldErrors(err, ["amount"]), form: err.field ? null : err.message });
    }
  };
  return html`<form class="add-project" onSubmit=${submit} id="add-project-form" aria-labelledby="add-title">
    <h3 id="add-title">Fund a project</h3>
    <${Field} label="Project" name="project">${(p) => html`<select ...${p} value=${choice} onChange=${(e) => setChoice(e.currentTarget.value)}>
      <option value="new">A new project…</option>
      ${(projects || []).map((pr) => html`<option value=${pr.id}>${pr.name}</option>`)}</select>`}<//>
    ${isNew ? html`<${Field} label="New project's name" name="name" error=${errors.name}>${(p) =>
      html`<input ...${p} value=${name} onInput=${(e) => setName(e.currentTarget.value)} />`}<//>` : null}
    <${Field} label="Amount" name="amount" error=${errors.amount}>${(p) =>
      html`<${AmountInput} ...${p} value=${amount} currency=${budget.currency} onInput=${setAmount} />`}<//>
    ${errors.form ? html`<p class="notice notice-error" role="alert">${errors.form}</p>` : null}
    <div class="actions">
      <button type="button" class="secondary" onClick=${() => setOpen(false)}>Close</button>
      <button type="submit" class="primary" id="add-project-submit">Fund</button>
    </div>
  </form>`;
}

function sideName(t, side) {
  if (t[`${side}Pool`]) return "the pool";
  return t[side]?.project?.name || "another project";
}

function Transfers({ budget, viewer, onChanged, setNotice }) {
  const [deciding, setDeciding] = useState(null); // {transfer, verb}
  const c = budget.currency;
  const nodes = budget.transfers.nodes;
  const pending = nodes.filter((t) => t.status === "PENDING");
  const done = nodes.filter((t) => t.status !== "PENDING");
  const decide = async (note) => {
    const { transfer, verb } = deciding;
    try {
      const result = verb === "cancel"
        ? await mutate(CANCEL, { input: { transferId: transfer.id } })
        : await mutate(verb === "approve" ? APPROVE : REJECT, { input: { transferId: transfer.id, note: note || null } });
      setNotice({ kind: "success", text: `Transfer ${transfer.id}: ${result.transfer.status}.` });
    } catch (err) {
      setNotice({ kind: "error", text: `Could not ${verb}: ${err.message} (${err.code || "error"})` });
    }
    setDeciding(null);
    onChanged();
  };
  return html`<section class="card" aria-labelledby="transfers-title">
    <h2 id="transfers-title">Transfer requests</h2>
    ${pending.length === 0 ? html`<p class="muted">Nothing is waiting.</p>` : null}
    <ul class="transfers" id="pending">${pending.map((t) => html`<li key=${t.id} data-transfer-id=${t.id} class="transfer">
      <p><strong>${formatMoney(t.amount, c)}</strong> from ${sideName(t, "from")} to ${sideName(t, "to")}</p>
      <p class="muted">“${t.reason}” — ${t.requestedBy.name}, <${Link} href=${`/transfers/${t.id}`}>${t.id}<//></p>
      ${t.viewerCanDecide ? html`<div class="actions">
        <button type="button" class="primary approve" onClick=${() => setDeciding({ transfer: t, verb: "approve" })}>Approve</button>
        <button type="button" class="danger reject" onClick=${() => setDeciding({ transfer: t, verb: "reject" })}>Reject</button>
      </div>` : html`<p class="small muted">Waiting for an owner.</p>`}
      ${t.requestedBy.id === viewer.id ? html`<div class="actions">
        <button type="button" class="secondary cancel" onClick=${() => setDeciding({ transfer: t, verb: "cancel" })}>Cancel my request</button>
      </div>` : null}
    </li>`)}</ul>
    ${done.length ? html`<details><summary>History (${done.length})</summary><ul class="transfers">
      ${done.map((t) => html`<li key=${t.id} data-transfer-id=${t.id}>${formatMoney(t.amount, c)} ${sideName(t, "from")} → ${sideName(t, "to")}:
        <span class="tag">${t.status}</span> ${t.decidedBy ? `by ${t.decidedBy.name}` : ""} <${Link} href=${`/transfers/${t.id}`}>${t.id}<//></li>`)}
    </ul></details>` : null}
    ${deciding ? html`<${Confirm} title=${{ approve: "Approve this transfer?", reject: "Reject this transfer?", cancel: "Cancel your request?" }[deciding.verb]}
      body=${`${formatMoney(deciding.transfer.amount, c)} from ${sideName(deciding.transfer, "from")} to ${sideName(deciding.transfer, "to")}: “${deciding.transfer.reason}”`}
      confirmLabel=${{ approve: "Approve", reject: "Reject", cancel: "Cancel the request" }[deciding.verb]}
      danger=${deciding.verb !== "approve"} withNote=${deciding.verb !== "cancel"}
      onConfirm=${decide} onCancel=${() => setDeciding(null)} />` : null}
  </section>`;
}

function RequestTransfer({ budget, owner, directory, onChanged, setNotice, prefill }) {
  const c = budget.currency;
  const mine = budget.allocations.nodes.filter((a) => owner || ACTING.has(a.project.myRole));
  const targets = owner ? budget.allocations.nodes.map((a) => ({ id: a.id, name: a.project.name }))
    : (directory || []).map((d) => ({ id: d.id, name: d.projectName }));
  const [from, setFrom] = useState(prefill?.from ?? (mine.length ? mine[0].id : "pool"));
  const [to, setTo] = useState(prefill?.to ?? "pool");
  const form = useRef(null);
  useEffect(() => {
    // Opened from the allocation table (a row dropped on another, or "Move money…").
    if (!prefill || !form.current) return;
    form.current.scrollIntoView({ block: "nearest" });
    const field = form.current.querySelector(`[data-field-name="${prefill.focus || "amount"}"] input, [data-field-name="${prefill.focus || "amount"}"] select`);
    if (field) field.focus();
  }, []);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState({});
  const known = Object.fromEntries(budget.allocations.nodes.map((a) => [a.id, a]));
  const parsed = amount ? parseAmount(amount) : null;
  const before = (id) => (id === "pool" ? budget.unallocated : known[id]?.amount);
  const preview = (id, sign) => {
    const b = before(id);
    if (b === undefined || !parsed || parsed.error) return null;
    return `${formatMoney(b, c)} → ${formatMoney(fromMicros(toMicros(b) + sign * parsed.micros), c)}`;
  };
  const submit = async (e) => {
    e.preventDefault();
    const local = {};
    if (!parsed || parsed.error) local.amount = parsed ? parsed.error : "Enter an amount.";
    if (!reason.trim()) local.reason = "Say why: the owners read it.";
    if (from === to) local.to = "Pick another side.";
    setErrors(local);
    if (Object.keys(local).length) return;
    const input = { amount: parsed.value, reason: reason.trim(), budgetId: budget.id,
      fromPool: from === "pool", toPool: to === "pool",
      fromAllocationId: from === "pool" ? null : from, toAllocationId: to === "pool" ? null : to };
    try {
      const result = await mutate(REQUEST_TRANSFER, { input });
      setNotice({ kind: "success", text: `Transfer ${result.transfer.id}: ${result.transfer.status}.` });
      setAmount(""); setReason("");
      onChanged();
    } catch (err) {
      const mapped = fieldErrors(err, ["amount", "reason"]);
      setErrors(Object.keys(mapped).length ? mapped : { form: err.message });
    }
  };
  const option = (a) => html`<option value=${a.id}>${a.name}</option>`;
  return html`<form class="card" onSubmit=${submit} id="transfer-form" aria-labelledby="move-title" ref=${form}>
    <h2 id="move-title">Move money</h2>
    <div class="form-grid">
      <${Field} label="From" name="from" hint=${preview(from, -1n)}>${(p) => html`<select ...${p} value=${from} onChange=${(e) => setFrom(e.currentTarget.value)}>
        <option value="pool">The pool (unallocated)</option>${mine.map((a) => option({ id: a.id, name: a.project.name }))}</select>`}<//>
      <${Field} label="To" name="to" error=${errors.to} hint=${preview(to, 1n)}>${(p) => html`<select ...${p} value=${to} onChange=${(e) => setTo(e.currentTarget.value)}>
        <option value="pool">The pool (unallocated)</option>${targets.map(option)}</select>`}<//>
      <${Field} label="Amount" name="amount" error=${errors.amount}>${(p) =>
        html`<${AmountInput} ...${p} value=${amount} currency=${c} onInput=${setAmount} />`}<//>
      <${Field} label="Reason" name="reason" error=${errors.reason} className="wide">${(p) =>
        html`<input ...${p} value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />`}<//>
    </div>
    ${errors.form ? html`<p class="notice notice-error" role="alert" id="transfer-error">${errors.form}</p>` : null}
    <button type="submit" class="primary" id="transfer-submit">${owner ? "Move" : "Request"}</button>
  </form>`;
}

export function RecordSpend({ budget, owner, onChanged, setNotice }) {
  const c = budget.currency;
  const allowed = budget.allocations.nodes.filter((a) => owner || ACTING.has(a.project.myRole));
  const [project, setProject] = useState(allowed.length ? allowed[0].project.id : "");
  const [amount, setAmount] = useState("");
  const [service, setService] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState({});
  if (!allowed.length) return null;
  const submit = async (e) => {
    e.preventDefault();
    const parsed = parseAmount(amount);
    if (parsed.error) return setErrors({ amount: parsed.error });
    setErrors({});
    try {
      await mutate(RECORD_SPEND, { input: { budgetId: budget.id, projectId: project, amount: parsed.value,
        service: service.trim() || null, description: description.trim() || null } });
      setNotice({ kind: "success", text: `Recorded ${formatMoney(parsed.value, c)} of spend.` });
      setAmount(""); setDescription("");
      onChanged();
    } catch (err) {
      const mapped = fieldErrors(err, ["amount", "service", "description"]);
      setErrors(Object.keys(mapped).length ? mapped : { form: err.message });
    }
  };
  return html`<form class="card" onSubmit=${submit} id="spend-form" aria-labelledby="spend-title">
    <h2 id="spend-title">Record spend</h2>
    <div class="form-grid">
      <${Field} label="Project" name="projectId">${(p) => html`<select ...${p} value=${project} onChange=${(e) => setProject(e.currentTarget.value)}>
        ${allowed.map((a) => html`<option value=${a.project.id}>${a.project.name}</option>`)}</select>`}<//>
      <${Field} label="Amount" name="amount" error=${errors.amount}>${(p) =>
        html`<${AmountInput} ...${p} value=${amount} currency=${c} onInput=${setAmount} />`}<//>
      <${Field} label="Service (optional)" name="service" error=${errors.service}>${(p) =>
        html`<input ...${p} value=${service} placeholder="aws-ec2" onInput=${(e) => setService(e.currentTarget.value)} />`}<//>
      <${Field} label="Description (optional)" name="description" error=${errors.description}>${(p) =>
        html`<input ...${p} value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} />`}<//>
    </div>
    ${errors.form ? html`<p class="notice notice-error" role="alert">${errors.form}</p>` : null}
    <button type="submit" class="primary" id="spend-submit">Record</button>
  </form>`;
}

function Reports({ budget }) {
  const base = `/reports/${budget.id}`;
  const links = [["summary.pdf", "Grant report (PDF)"], ["allocations.csv", "Allocations (CSV)"],
    ["spend.csv", "Spend (CSV)"], ["journal.csv", "Journal (CSV)"], ["spend.json", "Spend (JSON)"]];
  return html`<section class="card" aria-labelledby="reports-title"><h2 id="reports-title">Reports</h2>
    <ul class="downloads">${links.map(([file, label]) => html`<li><a href=${`${base}/${file}`} download>${label}</a></li>`)}</ul>
  </section>`;
}

function Services({ budget }) {
  if (!budget.serviceBreakdown.length) return null;
  return html`<section class="card" aria-labelledby="services-title"><h2 id="services-title">Spend by service</h2>
    <${ServiceBars} services=${budget.serviceBreakdown} currency=${budget.currency} />
    <table id="services"><tbody>${budget.serviceBreakdown.map((s) => html`<tr><th scope="row">${s.service || "(none)"}</th>
      <td class="num">${formatMoney(s.amount, budget.currency)}</td></tr>`)}</tbody></table></section>`;
}

function Timeline({ budget }) {
  if (!budget.timeline?.length) return null;
  return html`<section class="card" aria-labelledby="timeline-title"><h2 id="timeline-title">Spend this period</h2>
    <${TimelineChart} points=${budget.timeline} currency=${budget.currency} />
  </section>`;
}

/** Links to the budget's spend list and (owners) its settings (pages-spend.js, pages-budget-edit.js). */
function BudgetLinks({ budget, owner }) {
  return html`<p class="page-links">
    ${budget.archivedAt ? html`<span class="band band-warning" id="budget-archived">Archived: read-only</span>` : null}
    <${Link} href=${`/budgets/${budget.id}/spend`} class="button secondary" id="spend-link">Spend list<//>
    ${owner ? html`<${Link} href=${`/budgets/${budget.id}/edit`} class="button secondary" id="edit-budget-link">Edit budget<//>` : null}
  </p>`;
}

export function BudgetPage({ id, viewer, onAuthLost }) {
  const { data, error, loading, reload } = useLoad(BUDGET, { id }, onAuthLost);
  const [notice, setNotice] = useState(null);
  const [move, setMove] = useState(null); // the transfer form, prefilled from the table
  const budget = data?.budget;
  const owner = budget ? isOwner(viewer, budget) : false;
  const dir = useLoad(DIRECTORY, { budgetId: id }, onAuthLost);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  if (!budget) return html`<${Notice} notice=${{ kind: "warning", text: "That budget does not exist or you may not see it." }} />`;
  const changed = () => { reload(); dir.reload(); };
  const onMove = (m) => setMove({ ...m, n: (move?.n || 0) + 1 });
  return html`<article class="budget" aria-labelledby="budget-name">
    <p class="crumbs"><${Link} href="/">Budgets<//> ›</p>
    <div class="page-head">
      <h1 id="budget-name">${budget.name}</h1>
      <span id="budget-status"><${Status} status=${budget.status} forecast=${budget.forecast} currency=${budget.currency} /></span>
      <${BudgetLinks} budget=${budget} owner=${owner} />
    </div>
    <p class="muted">${periodText(budget)}${owner ? "" : " · you see your projects and the pool"}</p>
    <${PeriodAlertLinks} budget=${budget} />
    <${Notice} notice=${notice} />
    <${Figures} budget=${budget} owner=${owner} />
    <div class="columns">
      <div class="col-main">
        <${Allocations} budget=${budget} owner=${owner} onChanged=${changed} setNotice=${setNotice} onMove=${onMove} />
        <${Timeline} budget=${budget} />
        <${Transfers} budget=${budget} viewer=${viewer} onChanged=${changed} setNotice=${setNotice} />
      </div>
      <div class="col-side">
        <${RequestTransfer} key=${`t-${budget.allocations.totalCount}-${move?.n || 0}`} budget=${budget} owner=${owner} prefill=${move}
          directory=${dir.data?.allocationDirectory} onChanged=${changed} setNotice=${setNotice} />
        <${RecordSpend} key=${`s-${budget.allocations.totalCount}`} budget=${budget} owner=${owner} onChanged=${changed} setNotice=${setNotice} />
        <${Services} budget=${budget} />
        <${Reports} budget=${budget} />
      </div>
    </div>
  </article>`;
}
