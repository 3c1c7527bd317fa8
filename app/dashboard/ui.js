// Shared components: money, status, form fields, confirmation dialogs, links.
import { h } from "./vendor/preact.mjs";
import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";
import { formatMoney, parseAmount, toMicros } from "./money.js";

export const html = htm.bind(h);

const STATUS_TEXT = {
  HEALTHY: "Healthy",
  WARNING: "Warning",
  CRITICAL: "Critical",
  EXHAUSTED: "Exhausted",
  AT_RISK: "At risk",
};

/**
 * The band a person should see: the API's band of what is left, made worse when the forecast
 * runs over (projectedOverrun > 0) or the runway is under a week. Returns {band, why}.
 */
export function assess(status, { forecast = null, runwayDays = null, currency = "" } = {}) {
  const overrun = forecast ? toMicros(forecast.projectedOverrun) : null;
  if (status !== "HEALTHY") return { band: status, why: "" };
  if (overrun !== null && overrun > 0n) {
    return {
      band: "AT_RISK",
      why: `projected ${formatMoney(forecast.projectedOverrun, currency)} over by the period end`,
    };
  }
  const runway = runwayDays ?? forecast?.runwayDays;
  if (runway !== null && runway !== undefined && runway < 7) {
    return { band: "AT_RISK", why: `${Number(runway).toFixed(1)} days of runway at this pace` };
  }
  return { band: status, why: "" };
}

export function Status({ status, forecast, runwayDays, currency }) {
  const { band, why } = assess(status, { forecast, runwayDays, currency });
  return html`<span class="status"><span class="band band-${band.toLowerCase()}" data-status=${band}
    >${STATUS_TEXT[band] || band}</span>${why ? html`<small class="why">${why}</small>` : null}</span>`;
}

export function Money({ value, currency }) {
  return html`<span class="money">${formatMoney(value, currency)}</span>`;
}

/** An in-app link: pushState navigation (app.js listens for clicks on a[data-link]). */
export function Link({ href, children, ...rest }) {
  return html`<a href=${href} data-link ...${rest}>${children}</a>`;
}

let fieldSeq = 0;
function useId(prefix) {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}

/** A labelled form field with its error (aria-describedby) and an optional hint. */
export function Field({ label, name, error, hint, children, className = "" }) {
  const id = useId(name || "f");
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ");
  const control = children({ id, name, "aria-invalid": error ? "true" : undefined,
    "aria-describedby": described || undefined });
  return html`<div class="field ${className} ${error ? "has-error" : ""}" data-field-name=${name}>
    <label for=${id}>${label}</label>
    ${control}
    ${hint ? html`<small id=${hintId} class="hint">${hint}</small>` : null}
    ${error ? html`<small id=${errorId} class="field-error" role="alert">${error}</small>` : null}
  </div>`;
}

/** A money input: people type "$1,250.50" or "5k"; shows what it understood. */
export function AmountInput({ value, onInput, currency, allowZero = false, ...props }) {
  const parsed = value ? parseAmount(value, { allowZero }) : null;
  return html`<span class="amount-input">
    <input type="text" inputmode="decimal" autocomplete="off" value=${value}
      onInput=${(e) => onInput(e.currentTarget.value)} ...${props} />
    ${parsed && parsed.value !== undefined && formatMoney(parsed.value, "") !== value.trim()
      ? html`<small class="understood" aria-live="polite">= ${formatMoney(parsed.value, currency)}</small>`
      : null}
  </span>`;
}

/** A modal confirmation (<dialog>): focus moves in and back; Escape cancels. */
export function Confirm({ title, body, confirmLabel, danger = false, withNote = false, onConfirm, onCancel }) {
  const ref = useRef(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    const before = document.activeElement;
    if (dialog && !dialog.open) dialog.showModal();
    return () => before && before.focus && before.focus();
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onConfirm(note);
    } finally {
      setBusy(false);
    }
  };
  return html`<dialog ref=${ref} class="confirm" aria-labelledby="confirm-title"
      onCancel=${(e) => { e.preventDefault(); onCancel(); }}>
    <form onSubmit=${submit}>
      <h2 id="confirm-title">${title}</h2>
      <p>${body}</p>
      ${withNote
        ? html`<${Field} label="Note (optional)" name="note">${(p) =>
            html`<textarea ...${p} rows="2" value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>`}<//>`
        : null}
      <div class="actions">
        <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
        <button type="submit" class=${danger ? "danger" : "primary"} disabled=${busy}
          data-confirm>${confirmLabel}</button>
      </div>
    </form>
  </dialog>`;
}

export function Notice({ notice }) {
  if (!notice) return null;
  return html`<p class="notice notice-${notice.kind || "info"}" role=${notice.kind === "error" ? "alert" : "status"}
    id="message">${notice.text}</p>`;
}

export function periodText(budget) {
  const p = budget.currentPeriod || {};
  const kind = budget.periodKind ? budget.periodKind[0] + budget.periodKind.slice(1).toLowerCase() : "";
  return `${kind} · ${p.startDate || budget.startDate} – ${p.endDate || budget.endDate || "open"}`;
}

export function isOwner(viewer, budget) {
  return Boolean(viewer && (viewer.isAdmin || (budget.owners || []).some((o) => o.id === viewer.id)));
}
