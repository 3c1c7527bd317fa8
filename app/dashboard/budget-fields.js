// Form fields a budget's forms share (the new-budget form in pages-budgets.js, the settings
// form in pages-budget-edit.js): plain fields bound to a form object, the calendar fields and
// the policy fields. Names are the API's input names, so field errors land where it names them.
import { AmountInput, Field, html } from "./ui.js";

export const KINDS = ["GRANT", "MONTHLY", "QUARTERLY", "ANNUAL", "WEEKLY", "DAILY", "CUSTOM"];
export const WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
export const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
export const SLACK_PRIVACY = [
  ["AMOUNTS", "Amounts, no balances"],
  ["FULL", "Amounts and balances"],
  ["NONE", "No money"],
];
export const ROLLOVER = [
  ["NONE", "Nothing carries over"],
  ["CARRY_UNSPENT", "Unspent money carries over"],
  ["CARRY_ALL", "Everything carries over (overspend too)"],
];

export const capitalized = (word) => word[0] + word.slice(1).toLowerCase();
export const isOneTime = (kind) => kind === "GRANT" || kind === "CUSTOM";

/** "50, 80 100" -> {value: [50, 80, 100]}; whole numbers only (the API checks the range). */
export function parseThresholds(text) {
  const parts = String(text || "").split(/[,\s]+/).filter(Boolean);
  if (parts.some((p) => !/^\d+$/.test(p))) return { error: "Whole percents, e.g. 50, 80, 100." };
  return { value: parts.map(Number) };
}

/**
 * Field builders bound to one form: `kit.text("name", "Name")`, `kit.select(...)`,
 * `kit.check(...)`, `kit.amount(...)`, `kit.textarea(...)`. Each renders a labelled <Field>
 * whose error is errors[name].
 */
export function formKit({ form, setForm, errors, disabled = false, currency = "" }) {
  const put = (name, value) => setForm({ ...form, [name]: value });
  const on = (name) => (e) => put(name, e.currentTarget.value);
  return {
    text: (name, label, { type = "text", hint, className = "", disabled: off = false, ...rest } = {}) =>
      html`<${Field} label=${label} name=${name} error=${errors[name]} hint=${hint} className=${className}>
      ${(p) => html`<input ...${p} ...${rest} type=${type} value=${form[name] ?? ""} onInput=${on(name)}
        disabled=${disabled || off} />`}<//>`,
    textarea: (name, label, { hint, className = "wide" } = {}) => html`<${Field} label=${label}
        name=${name} error=${errors[name]} hint=${hint} className=${className}>
      ${(p) => html`<textarea ...${p} rows="2" value=${form[name] ?? ""} onInput=${on(name)}
        disabled=${disabled}></textarea>`}<//>`,
    select: (name, label, options, { hint, ...rest } = {}) => html`<${Field} label=${label}
        name=${name} error=${errors[name]} hint=${hint}>
      ${(p) => html`<select ...${p} value=${form[name] ?? ""} onChange=${on(name)}
          disabled=${disabled || rest.disabled}>
        ${options.map(([value, text]) => html`<option value=${value}>${text}</option>`)}</select>`}<//>`,
    amount: (name, label, { hint, allowZero = false } = {}) => html`<${Field} label=${label}
        name=${name} error=${errors[name]} hint=${hint}>
      ${(p) => html`<${AmountInput} ...${p} value=${form[name] ?? ""} currency=${currency}
        allowZero=${allowZero} disabled=${disabled} onInput=${(v) => put(name, v)} />`}<//>`,
    check: (name, label, { hint, ...rest } = {}) => html`<div class="field wide check-field
        ${errors[name] ? "has-error" : ""}" data-field-name=${name}>
      <label class="check"><input type="checkbox" name=${name} checked=${!!form[name]}
        disabled=${disabled || rest.disabled}
        aria-invalid=${errors[name] ? "true" : undefined}
        onChange=${(e) => put(name, e.currentTarget.checked)} /> ${label}</label>
      ${hint ? html`<small class="hint">${hint}</small>` : null}
      ${errors[name] ? html`<small class="field-error" role="alert">${errors[name]}</small>` : null}
    </div>`,
  };
}

/**
 * The calendar of a recurring budget: fiscal year start month (QUARTERLY, ANNUAL), reset day
 * (MONTHLY, QUARTERLY, ANNUAL), week start (WEEKLY), prorate the first period (recurring).
 * `locked`: the budget has started, so the API refuses changes (shown, not editable).
 */
export function CalendarFields({ kit, kind, locked = false }) {
  if (isOneTime(kind)) return null;
  const hint = undefined; // when locked, the fieldset says why once
  const fiscal = kind === "QUARTERLY" || kind === "ANNUAL";
  const monthly = fiscal || kind === "MONTHLY";
  return html`<fieldset class="wide calendar" aria-describedby=${locked ? "calendar-locked" : undefined}>
    <legend>Calendar</legend>
    ${locked ? html`<p class="hint" id="calendar-locked">Fixed: the budget has started (the calendar can change only until then).</p>` : null}
    <div class="form-grid">
      ${fiscal ? kit.select("fiscalYearStartMonth", "Fiscal year starts in",
        MONTHS.map((m, i) => [String(i + 1), m]), { disabled: locked, hint }) : null}
      ${monthly ? kit.text("resetDay", "Periods begin on day", { type: "number", min: "1", max: "28",
        inputmode: "numeric", disabled: locked, hint: hint || "1 to 28 of the month" }) : null}
      ${kind === "WEEKLY" ? kit.select("weekStart", "Weeks begin on",
        WEEKDAYS.map((d) => [d, capitalized(d)]), { disabled: locked, hint }) : null}
      ${kit.check("prorateFirstPeriod", "Prorate the first period (fund a partial first period by its share of days)",
        { disabled: locked })}
    </div>
  </fieldset>`;
}

/** Alerts, rollover, limits and Slack: the settings both forms offer. */
export function PolicyFields({ kit, kind, afterRollover = null }) {
  return html`
    ${kit.text("alertThresholds", "Alert thresholds (%)", { hint: "comma-separated, e.g. 50, 80, 100" })}
    ${isOneTime(kind) ? null : kit.select("rolloverPolicy", "Rollover", ROLLOVER)}
    ${afterRollover}
    ${kit.text("slackChannel", "Slack channel id (optional)", { hint: "e.g. C0123ABCD" })}
    ${kit.select("slackPrivacy", "What Slack posts show", SLACK_PRIVACY,
      { hint: "in the budget's Slack channel" })}
    ${kit.check("hardLimit", "Hard limit: refuse spend that would overdraw an allocation")}
    ${kit.check("enforcePacing", "Enforce pacing: refuse more than twice the daily drip in a day")}`;
}

/** The calendar part of a CreateBudgetInput / UpdateBudgetInput from a form (null: not sent). */
export function calendarInput(form, kind) {
  if (isOneTime(kind)) return {};
  const fiscal = kind === "QUARTERLY" || kind === "ANNUAL";
  const monthly = fiscal || kind === "MONTHLY";
  const out = {};
  if (fiscal && form.fiscalYearStartMonth) out.fiscalYearStartMonth = Number(form.fiscalYearStartMonth);
  if (monthly && String(form.resetDay || "").trim()) out.resetDay = Number(form.resetDay);
  if (kind === "WEEKLY" && form.weekStart) out.weekStart = form.weekStart;
  out.prorateFirstPeriod = !!form.prorateFirstPeriod;
  return out;
}
