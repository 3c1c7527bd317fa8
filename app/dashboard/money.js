// Money for people: exact decimal strings in and out (the API's Decimal), never floats.

const PLAIN = /^(\d+)(?:\.(\d*))?$/;
const SCALE = { k: 1000n, m: 1000000n };
export const MAX_DECIMALS = 6; // the API keeps micros

/** "1234.5" -> 1234500000n (micros); null when the text is not a plain decimal. */
export function toMicros(text) {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(String(text));
  if (!m) return null;
  const frac = (m[3] || "").padEnd(6, "0").slice(0, 6);
  const micros = BigInt(m[2]) * 1000000n + BigInt(frac);
  return m[1] ? -micros : micros;
}

/** 1234500000n -> "1234.5" (the API's form). */
export function fromMicros(micros) {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = abs / 1000000n;
  const frac = (abs % 1000000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

/**
 * What a person typed ("$1,250.50", "5k", "1.2m", "€ 3 000", "250") -> {value: "1250.5"} or
 * {error: "..."}. Negative amounts are refused; zero only with {allowZero: true}.
 */
export function parseAmount(input, { allowZero = false } = {}) {
  let text = String(input ?? "").trim().toLowerCase();
  if (!text) return { error: "Enter an amount." };
  if (text.startsWith("-") || text.startsWith("(")) return { error: "The amount cannot be negative." };
  text = text.replace(/^[a-z]{3}\s+/, "").replace(/\s+[a-z]{3}$/, "");
  text = text.replace(/^[$€£¥]\s*/, "").replace(/[\s\u00a0_']/g, "");
  let scale = 1n;
  const suffix = text.slice(-1);
  if (SCALE[suffix]) {
    scale = SCALE[suffix];
    text = text.slice(0, -1);
  }
  if (/,\d{3}(?!\d)/.test(text) || !text.includes(".")) text = text.replace(/,(?=\d{3}(?!\d))/g, "");
  const m = PLAIN.exec(text);
  if (!m) return { error: "Type an amount such as 1,250.50 or 5k." };
  const frac = m[2] || "";
  let micros = BigInt(m[1]) * 1000000n + BigInt(frac.padEnd(6, "0").slice(0, 6) || "0");
  if (frac.length > MAX_DECIMALS) return { error: `At most ${MAX_DECIMALS} decimals.` };
  micros *= scale;
  if (micros === 0n && !allowZero) return { error: "The amount must be more than 0." };
  return { value: fromMicros(micros), micros };
}

const symbols = new Map();
function symbol(currency) {
  if (!currency) return "";
  if (!symbols.has(currency)) {
    let shown = `${currency} `;
    try {
      const part = new Intl.NumberFormat("en-US", { style: "currency", currency })
        .formatToParts(0)
        .find((p) => p.type === "currency");
      if (part) shown = part.value.length === 1 ? part.value : `${part.value} `;
    } catch {
      /* an unknown code: shown as is */
    }
    symbols.set(currency, shown);
  }
  return symbols.get(currency);
}

/** "30000", "USD" -> "$30,000.00": cents rounded half-even (like the server's format_money). */
export function formatMoney(text, currency = "") {
  if (text === null || text === undefined) return "—";
  const micros = typeof text === "bigint" ? text : toMicros(text);
  if (micros === null) return String(text);
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  let cents = abs / 10000n;
  const rest = abs % 10000n;
  if (rest > 5000n || (rest === 5000n && cents % 2n === 1n)) cents += 1n;
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (cents % 100n).toString().padStart(2, "0");
  return `${negative && cents !== 0n ? "-" : ""}${symbol(currency)}${whole}.${fraction}`;
}

export function formatPercent(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`;
}

export function formatDays(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} days`;
}
