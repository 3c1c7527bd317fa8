// A budget's settings (/budgets/<id>/edit, owners and admins): every field updateBudget takes,
// the owners (addBudgetOwner / removeBudgetOwner, by e-mail), archive / restore and delete.
import { useState } from "./vendor/hooks.mjs";
import { fieldErrors, mutate } from "./api.js";
import {
  CalendarFields, calendarInput, capitalized, formKit, isOneTime, parseThresholds, PolicyFields,
} from "./budget-fields.js";
import { formatMoney, parseAmount } from "./money.js";
import { navigate } from "./nav.js";
import { useLoad } from "./pages-budgets.js";
import {
  ADD_BUDGET_OWNER, ARCHIVE_BUDGET, BUDGET_SETTINGS, DELETE_BUDGET, REMOVE_BUDGET_OWNER,
  RESTORE_BUDGET, UPDATE_BUDGET,
} from "./queries.js";
import { Confirm, Field, html, isOwner, Link, Notice } from "./ui.js";

/** The API's input names this form has a field for (ValidationError.field lands on them). */
const FIELDS = ["name", "description", "amount", "endDate", "timezone", "alertThresholds",
  "rolloverPolicy", "rolloverCap", "hardLimit", "enforcePacing", "allowSelfApproval",
  "autoApproveBelow", "transferExpiryDays", "slackChannel", "slackPrivacy",
  "fiscalYearStartMonth", "resetDay", "weekStart", "prorateFirstPeriod"];

const LABELS = {
  name: "name", description: "description", amount: "amount", endDate: "end date", timezone: "time zone",
  alertThresholds: "alert thresholds", rolloverPolicy: "rollover", rolloverCap: "rollover cap",
  hardLimit: "hard limit", enforcePacing: "pacing", allowSelfApproval: "self-approval",
  autoApproveBelow: "auto-approval", transferExpiryDays: "request expiry", slackChannel: "Slack channel",
  slackPrivacy: "Slack privacy", fiscalYearStartMonth: "fiscal year start", resetDay: "reset day",
  weekStart: "week start", prorateFirstPeriod: "proration",
};

/** A section's own message (the page's Notice has id="message"; one per page). */
function Message({ notice, id }) {
  if (!notice) return null;
  return html`<p class="notice notice-${notice.kind || "info"}" id=${id}
    role=${notice.kind === "error" ? "alert" : "status"}>${notice.text}</p>`;
}

const money = (value) => (value === null || value === undefined ? "" : formatMoney(value, ""));

function formOf(b) {
  return {
    name: b.name, description: b.description || "", amount: money(b.amount), endDate: b.endDate || "",
    timezone: b.timezone, alertThresholds: b.alertThresholds.join(", "), rolloverPolicy: b.rolloverPolicy,
    rolloverCap: money(b.rolloverCap), hardLimit: b.hardLimit, enforcePacing: b.enforcePacing,
    allowSelfApproval: b.allowSelfApproval, autoApproveBelow: money(b.autoApproveBelow),
    transferExpiryDays: b.transferExpiryDays === null ? "" : String(b.transferExpiryDays),
    slackChannel: b.slackChannel || "", slackPrivacy: b.slackPrivacy,
    fiscalYearStartMonth: String(b.fiscalYearStartMonth || 1), resetDay: b.resetDay ? String(b.resetDay) : "",
    weekStart: b.weekStart || "MONDAY", prorateFirstPeriod: b.prorateFirstPeriod,
  };
}

/** What changed, as an UpdateBudgetInput (only the changed settings), or {errors}. */
function changes(form, initial, budget, locked) {
  const input = {};
  const errors = {};
  const changed = (name) => form[name] !== initial[name];
  const amountOf = (name, options) => {
    const parsed = parseAmount(form[name], options);
    if (parsed.error) errors[name] = parsed.error;
    else input[name] = parsed.value;
  };
  if (changed("name")) {
    if (!form.name.trim()) errors.name = "Give the budget a name.";
    else input.name = form.name.trim();
  }
  if (changed("description")) input.description = form.description.trim();
  if (changed("amount")) amountOf("amount");
  if (changed("endDate")) {
    if (!form.endDate) errors.endDate = "Pick the new last day (an end date cannot be removed here).";
    else input.endDate = form.endDate;
  }
  if (changed("timezone")) input.timezone = form.timezone.trim();
  if (changed("alertThresholds")) {
    const parsed = parseThresholds(form.alertThresholds);
    if (parsed.error) errors.alertThresholds = parsed.error;
    else input.alertThresholds = parsed.value;
  }
  if (changed("rolloverPolicy")) input.rolloverPolicy = form.rolloverPolicy;
  if (changed("rolloverCap")) {
    if (!form.rolloverCap.trim()) input.rolloverCap = null; // removes the cap
    else amountOf("rolloverCap", { allowZero: true });
  }
  for (const flag of ["hardLimit", "enforcePacing", "allowSelfApproval"]) {
    if (changed(flag)) input[flag] = form[flag];
  }
  if (changed("autoApproveBelow")) {
    if (!form.autoApproveBelow.trim()) errors.autoApproveBelow = "Enter an amount (it cannot be removed here).";
    else amountOf("autoApproveBelow");
  }
  if (changed("transferExpiryDays")) {
    if (!/^\d+$/.test(form.transferExpiryDays.trim())) errors.transferExpiryDays = "A whole number of days, 1 to 365.";
    else input.transferExpiryDays = Number(form.transferExpiryDays);
  }
  if (changed("slackChannel")) {
    if (!form.slackChannel.trim()) errors.slackChannel = "Enter a channel id (it cannot be removed here).";
    else input.slackChannel = form.slackChannel.trim();
  }
  if (changed("slackPrivacy")) input.slackPrivacy = form.slackPrivacy;
  if (!locked) {
    const now = calendarInput(form, budget.periodKind);
    const before = calendarInput(initial, budget.periodKind);
    for (const [key, value] of Object.entries(now)) if (value !== before[key]) input[key] = value;
  }
  return { input, errors };
}

function Settings({ budget, onSaved }) {
  const [initial, setInitial] = useState(() => formOf(budget));
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const archived = Boolean(budget.archivedAt);
  const locked = new Date().toISOString().slice(0, 10) >= budget.startDate;
  const kit = formKit({ form, setForm, errors, disabled: archived, currency: budget.currency });
  const kind = budget.periodKind;

  const submit = async (e) => {
    e.preventDefault();
    const { input, errors: local } = changes(form, initial, budget, locked);
    setErrors(local);
    if (Object.keys(local).length) {
      setNotice({ kind: "error", text: "Please correct the fields marked below." });
      return;
    }
    if (!Object.keys(input).length) {
      setNotice({ kind: "info", text: "Nothing changed." });
      return;
    }
    setBusy(true);
    try {
      const result = await mutate(UPDATE_BUDGET, { input: { budgetId: budget.id, ...input } });
      const saved = formOf(result.budget);
      setInitial(saved);
      setForm(saved);
      setNotice({ kind: "success", text: `Saved the ${Object.keys(input).map((k) => LABELS[k] || k).join(", ")}.` });
      onSaved(result.budget);
    } catch (err) {
      const mapped = fieldErrors(err, FIELDS);
      setErrors(mapped);
      setNotice({ kind: "error", text: `Could not save: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="card" onSubmit=${submit} noValidate id="budget-edit-form" aria-labelledby="settings-title">
    <h2 id="settings-title">Settings</h2>
    <${Notice} notice=${notice} />
    ${archived ? html`<p class="notice notice-warning" id="archived-note">This budget is archived, so its settings
      cannot change: restore it (below) first.</p>` : null}
    <div class="form-grid">
      ${kit.text("name", "Name", { autocomplete: "off" })}
      ${kit.amount("amount", "Amount of each period", { hint: "The open period is funded or defunded by the difference." })}
      ${kit.text("endDate", isOneTime(kind) ? "End date (last day)" : "End date (optional)", { type: "date" })}
      ${kit.text("timezone", "Time zone", { hint: "IANA name, e.g. America/New_York" })}
      <${PolicyFields} kit=${kit} kind=${kind} afterRollover=${isOneTime(kind) ? null : kit.amount("rolloverCap",
        "Rollover cap (optional)", { allowZero: true, hint: "The most one envelope carries over; empty: no cap." })} />
      <fieldset class="wide approval">
        <legend>Approval policy</legend>
        <div class="form-grid">
          ${kit.amount("autoApproveBelow", "Auto-approve requests from the pool below",
            { hint: "Empty: every request waits for an owner." })}
          ${kit.text("transferExpiryDays", "Pending requests expire after (days)",
            { type: "number", min: "1", max: "365", inputmode: "numeric", hint: "Empty: never." })}
          ${kit.check("allowSelfApproval", "An owner may approve their own request")}
        </div>
      </fieldset>
      <${CalendarFields} kit=${kit} kind=${kind} locked=${locked || archived} />
      ${kit.textarea("description", "Description (optional)")}
    </div>
    <div class="actions">
      <${Link} href=${`/budgets/${budget.id}`} class="button secondary">Back to the budget<//>
      <button type="submit" class="primary" id="save-budget" disabled=${busy || archived}>Save changes</button>
    </div>
  </form>`;
}

function Owners({ budget, viewer, onChanged }) {
  const [email, setEmail] = useState("");
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [removing, setRemoving] = useState(null);
  const archived = Boolean(budget.archivedAt);
  const add = async (e) => {
    e.preventDefault();
    const wanted = email.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(wanted)) return setError("Enter the person's e-mail address.");
    setError(null);
    try {
      await mutate(ADD_BUDGET_OWNER, { input: { budgetId: budget.id, email: wanted } });
      setNotice({ kind: "success", text: `${wanted} is now an owner.` });
      setEmail("");
      onChanged();
    } catch (err) {
      setError(err.code === "NOT_FOUND" && /user/i.test(err.message)
        ? `Nobody with the e-mail ${wanted} has an Allot account.` : err.message);
    }
  };
  const remove = async () => {
    try {
      await mutate(REMOVE_BUDGET_OWNER, { input: { budgetId: budget.id, userId: removing.id } });
      setNotice({ kind: "success", text: `${removing.name} is no longer an owner.` });
      onChanged();
    } catch (err) {
      setNotice({ kind: "error", text: `Could not remove ${removing.name}: ${err.message}` });
    }
    setRemoving(null);
  };
  return html`<section class="card" aria-labelledby="owners-title">
    <h2 id="owners-title">Owners</h2>
    <p class="hint">Owners allocate, decide transfer requests and change these settings.</p>
    <${Message} notice=${notice} id="owners-message" />
    <ul class="owners" id="owners">${budget.owners.map((o) => html`<li key=${o.id} data-user-id=${o.id}>
      <span><strong>${o.name}</strong>${o.id === viewer.id ? " (you)" : ""}<br /><small class="muted">${o.email}</small></span>
      ${budget.owners.length > 1 && !archived
        ? html`<button type="button" class="secondary remove-owner" aria-label=${`Remove ${o.name} as owner`}
            onClick=${() => setRemoving(o)}>Remove</button>`
        : null}
    </li>`)}</ul>
    ${archived ? null : html`<form onSubmit=${add} noValidate id="add-owner-form" class="inline-form">
      <${Field} label="Add an owner by e-mail" name="email" error=${error}>${(p) => html`<input ...${p}
        type="email" autocomplete="off" value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />`}<//>
      <button type="submit" class="secondary" id="add-owner">Add owner</button>
    </form>`}
    ${removing ? html`<${Confirm} title=${`Remove ${removing.name}?`} danger confirmLabel="Remove owner"
      body=${`${removing.name} will no longer manage ${budget.name}.`} onConfirm=${remove}
      onCancel=${() => setRemoving(null)} />` : null}
  </section>`;
}

function Lifecycle({ budget, onChanged }) {
  const [asking, setAsking] = useState(null); // "archive" | "restore" | "delete"
  const [notice, setNotice] = useState(null);
  const archived = Boolean(budget.archivedAt);
  const act = async () => {
    const verb = asking;
    const input = { budgetId: budget.id };
    try {
      if (verb === "delete") {
        await mutate(DELETE_BUDGET, { input });
        setAsking(null);
        navigate("/");
        return;
      }
      await mutate(verb === "archive" ? ARCHIVE_BUDGET : RESTORE_BUDGET, { input });
      setNotice({ kind: "success", text: verb === "archive" ? "Archived: the budget is read-only now." : "Restored." });
      onChanged();
    } catch (err) {
      setNotice({ kind: "error", text: `Could not ${verb} the budget: ${err.message}` });
    }
    setAsking(null);
  };
  const dialogs = {
    archive: ["Archive this budget?", `${budget.name} becomes read-only and leaves the budgets list; you can restore it.`, "Archive", true],
    restore: ["Restore this budget?", `${budget.name} comes back to the budgets list and can change again.`, "Restore", false],
    delete: ["Delete this budget?", `${budget.name} is deleted for good. Only a budget that never moved money can be deleted; otherwise archive it.`, "Delete for good", true],
  };
  const d = asking ? dialogs[asking] : null;
  return html`<section class="card" aria-labelledby="lifecycle-title">
    <h2 id="lifecycle-title">Archive or delete</h2>
    <${Message} notice=${notice} id="lifecycle-message" />
    <p class="hint">${archived
      ? `Archived ${new Date(budget.archivedAt).toLocaleDateString()}: read-only and left out of the budgets list.`
      : "Archiving makes the budget read-only and hides it from the list; restoring undoes it."}</p>
    <div class="actions start">
      ${archived
        ? html`<button type="button" class="primary" id="restore-budget" onClick=${() => setAsking("restore")}>Restore</button>`
        : html`<button type="button" class="secondary" id="archive-budget" onClick=${() => setAsking("archive")}>Archive</button>`}
      <button type="button" class="danger" id="delete-budget" onClick=${() => setAsking("delete")}>Delete</button>
    </div>
    ${d ? html`<${Confirm} title=${d[0]} body=${d[1]} confirmLabel=${d[2]} danger=${d[3]} onConfirm=${act}
      onCancel=${() => setAsking(null)} />` : null}
  </section>`;
}

export function EditBudgetPage({ id, viewer, onAuthLost }) {
  const { data, error, loading, reload } = useLoad(BUDGET_SETTINGS, { id }, onAuthLost);
  const [saved, setSaved] = useState(null);
  if (loading && !data) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  if (error) return html`<${Notice} notice=${{ kind: "error", text: error.message }} />`;
  const budget = data?.budget ? { ...data.budget, ...(saved || {}) } : null;
  if (!budget) return html`<${Notice} notice=${{ kind: "warning", text: "That budget does not exist or you may not see it." }} />`;
  const crumbs = html`<p class="crumbs"><${Link} href="/">Budgets<//> › <${Link} href=${`/budgets/${budget.id}`}>${budget.name}<//> ›</p>`;
  if (!isOwner(viewer, budget)) {
    return html`<article class="narrow" aria-labelledby="edit-title">${crumbs}
      <h1 id="edit-title">Budget settings</h1>
      <${Notice} notice=${{ kind: "warning", text: "Only the budget's owners and admins change its settings." }} />
    </article>`;
  }
  const kind = capitalized(budget.periodKind);
  return html`<article class="narrow edit-budget" aria-labelledby="edit-title">
    ${crumbs}
    <div class="page-head">
      <h1 id="edit-title">Settings of ${budget.name}</h1>
      ${budget.archivedAt ? html`<span class="band band-warning" id="archived-badge">Archived</span>` : null}
    </div>
    <p class="muted">${kind} · ${budget.currency} · from ${budget.startDate}</p>
    <${Settings} key=${`${budget.archivedAt}`} budget=${budget} onSaved=${(b) => setSaved(b)} />
    <${Owners} budget=${budget} viewer=${viewer} onChanged=${() => { setSaved(null); reload(); }} />
    <${Lifecycle} budget=${budget} onChanged=${() => { setSaved(null); reload(); }} />
  </article>`;
}
