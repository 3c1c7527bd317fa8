// Allot dashboard: plain JS over /graphql, no build step, no dependencies.
// Money arrives as exact decimal strings. It is formatted with string/BigInt arithmetic only;
// the one place it becomes a float is a pixel position in the timeline chart.
"use strict";

const TOKEN_KEY = "allot.token";
const SVG_NS = "http://www.w3.org/2000/svg";

// ---- GraphQL ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, { auth = false } = {}) {
    super(message);
    this.auth = auth;
  }
}

async function graphql(query, variables = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) throw new ApiError("Paste your API token above to start.", { auth: true });
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError(`Cannot reach the Allot server (${err.message}).`);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} ${response.statusText} without JSON.`);
  }
  if (body.errors && body.errors.length) {
    const text = body.errors.map((e) => e.message).join("; ");
    if (/authentication required|invalid token|unauthenticated/i.test(text)) {
      throw new ApiError(
        "The API token was not accepted. Paste the token printed by `allot demo` or `make run`.",
        { auth: true },
      );
    }
    throw new ApiError(text);
  }
  if (!response.ok) throw new ApiError(`The server answered ${response.status} ${response.statusText}.`);
  return body.data;
}

const VIEWER_AND_BUDGETS = `
  query Budgets {
    viewer { name isAdmin }
    budgets(first: 50) { totalCount nodes { id name currency status } }
  }`;

const BUDGET = `
  query Budget($id: ID!) {
    budget(id: $id) {
      id name currency amount allocated unallocated spent remaining percentUsed status dailyDrip
      currentPeriod { startDate endDate }
      forecast { burnRatePerDay projectedSpend projectedOverrun exhaustionDate runwayDays }
      allocations(first: 200) {
        totalCount
        nodes {
          id amount spent remaining percentUsed status dailyDrip runwayDays
          project { name slug }
        }
      }
      topSpenders(limit: 5) { id spent amount percentUsed project { name } }
      timeline { date cumulative ideal }
      serviceBreakdown { service amount count }
      transfers(status: PENDING) {
        nodes {
          id amount reason status createdAt viewerCanDecide fromPool toPool
          from { project { name } }
          to { project { name } }
          requestedBy { name }
        }
      }
    }
  }`;

const DECIDE = {
  approve: `mutation Approve($input: DecideTransferInput!) {
    result: approveTransfer(input: $input) {
      __typename
      ... on TransferDecided { transfer { id status } }
      ... on Error { code message }
    }
  }`,
  reject: `mutation Reject($input: DecideTransferInput!) {
    result: rejectTransfer(input: $input) {
      __typename
      ... on TransferDecided { transfer { id status } }
      ... on Error { code message }
    }
  }`,
};

// ---- Money, exactly ----------------------------------------------------------------------------

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** "1234.5" -> 1234500000n (micros). null when the text is not a plain decimal. */
function toMicros(text) {
  const m = DECIMAL.exec(String(text));
  if (!m) return null;
  const frac = (m[3] || "").padEnd(6, "0");
  if (frac.length > 6) return null; // the API never sends more than micros
  const micros = BigInt(m[2]) * 1000000n + BigInt(frac);
  return m[1] ? -micros : micros;
}

/** "30000" -> "30,000.00": cents rounded half-even (like the server's format_money). */
function formatMoney(text) {
  if (text === null || text === undefined) return "—";
  const micros = toMicros(text);
  if (micros === null) return String(text);
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  let cents = abs / 10000n;
  const rest = abs % 10000n;
  if (rest > 5000n || (rest === 5000n && cents % 2n === 1n)) cents += 1n;
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (cents % 100n).toString().padStart(2, "0");
  return `${negative && cents !== 0n ? "-" : ""}${whole}.${fraction}`;
}

function formatPercent(value) {
  return value === null || value === undefined ? "—" : `${value.toFixed(1)}%`;
}

function formatDays(value) {
  return value === null || value === undefined ? "—" : value.toFixed(1);
}

const STATUS_TEXT = { HEALTHY: "Healthy", WARNING: "Warning", CRITICAL: "Critical", EXHAUSTED: "Exhausted" };

// ---- DOM helpers ----------------------------------------------------------------------------------

const $ = (selector, root = document) => root.querySelector(selector);

/** el("td", {class: "num"}, "text", child): text always via textContent, never innerHTML. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "onclick") node.addEventListener("click", value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function band(status) {
  return el("span", { class: `band band-${String(status).toLowerCase()}` }, STATUS_TEXT[status] || status);
}

function setField(name, text) {
  for (const node of document.querySelectorAll(`[data-field="${name}"]`)) node.textContent = text;
}

function showMessage(text, kind = "info") {
  const box = $("#message");
  box.textContent = text;
  box.className = `message message-${kind}`;
  box.hidden = !text;
}

// ---- State and loading ------------------------------------------------------------------------

const state = { budgets: [], selected: null };

function selectedFromHash() {
  const id = decodeURIComponent(location.hash.replace(/^#/, ""));
  return id || null;
}

async function loadBudgets() {
  showMessage("");
  $("#viewer").textContent = "";
  let data;
  try {
    data = await graphql(VIEWER_AND_BUDGETS);
  } catch (err) {
    state.budgets = [];
    renderBudgetList();
    $("#budget").hidden = true;
    showMessage(err.message, err.auth ? "warning" : "error");
    return;
  }
  const { viewer, budgets } = data;
  $("#viewer").textContent = `Signed in as ${viewer.name}${viewer.isAdmin ? " (admin)" : ""}`;
  state.budgets = budgets.nodes;
  renderBudgetList();
  const wanted = selectedFromHash();
  if (wanted && state.budgets.some((b) => b.id === wanted)) await selectBudget(wanted);
  else if (state.budgets.length === 1) await selectBudget(state.budgets[0].id);
}

function renderBudgetList() {
  const list = $("#budgets");
  list.replaceChildren();
  for (const budget of state.budgets) {
    const current = budget.id === state.selected;
    const button = el(
      "button",
      { type: "button", class: "budget-button", "aria-current": current ? "true" : null,
        dataset: { budgetId: budget.id }, onclick: () => selectBudget(budget.id) },
      el("span", { class: "budget-label" }, budget.name),
      el("span", { class: "muted" }, ` ${budget.currency} `),
      band(budget.status),
    );
    list.append(el("li", {}, button));
  }
  $("#budgets-empty").hidden = state.budgets.length > 0 || !localStorage.getItem(TOKEN_KEY);
}

async function selectBudget(id) {
  state.selected = id;
  if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  renderBudgetList();
  await loadBudget();
}

async function loadBudget() {
  const section = $("#budget");
  section.setAttribute("aria-busy", "true");
  try {
    const data = await graphql(BUDGET, { id: state.selected });
    if (!data.budget) {
      section.hidden = true;
      showMessage("That budget does not exist or you may not see it.", "warning");
      return;
    }
    renderBudget(data.budget);
    section.hidden = false;
  } catch (err) {
    showMessage(err.message, err.auth ? "warning" : "error");
  } finally {
    section.removeAttribute("aria-busy");
  }
}

// ---- Rendering ----------------------------------------------------------------------------------

function renderBudget(b) {
  $("#budget-name").textContent = b.name;
  $("#budget-status").replaceWith(Object.assign(band(b.status), { id: "budget-status" }));
  $("#budget-period").textContent = `${b.currentPeriod.startDate} – ${b.currentPeriod.endDate}`;
  setField("currency", b.currency);
  for (const key of ["amount", "allocated", "unallocated", "spent", "remaining", "dailyDrip"]) {
    setField(key, formatMoney(b[key]));
  }
  setField("percentUsed", formatPercent(b.percentUsed));
  const f = b.forecast;
  setField("burnRatePerDay", formatMoney(f.burnRatePerDay));
  setField("projectedSpend", formatMoney(f.projectedSpend));
  setField("projectedOverrun", formatMoney(f.projectedOverrun));
  setField("exhaustionDate", f.exhaustionDate || "none this period");
  renderAllocations(b.allocations);
  renderTopSpenders(b.topSpenders);
  renderTimeline(b);
  renderServices(b.serviceBreakdown);
  renderTransfers(b.transfers.nodes);
}

function usageBar(percent) {
  const width = Math.max(0, Math.min(100, percent));
  return el(
    "span",
    { class: "usage" },
    el("span", { class: "bar", "aria-hidden": "true" },
      el("span", { class: `fill${percent > 100 ? " over" : ""}`, style: `width: ${width}%` })),
    el("span", { class: "usage-text" }, formatPercent(percent)),
  );
}

function renderAllocations(connection) {
  const body = $("#allocations tbody");
  body.replaceChildren();
  if (!connection.nodes.length) {
    body.append(el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No allocations yet.")));
    return;
  }
  for (const a of connection.nodes) {
    body.append(el(
      "tr",
      { dataset: { allocationId: a.id } },
      el("th", { scope: "row" }, a.project.name),
      el("td", { class: "num" }, formatMoney(a.amount)),
      el("td", { class: "num" }, formatMoney(a.spent)),
      el("td", { class: "num" }, formatMoney(a.remaining)),
      el("td", {}, usageBar(a.percentUsed)),
      el("td", {}, band(a.status)),
      el("td", { class: "num" }, formatMoney(a.dailyDrip)),
      el("td", { class: "num" }, formatDays(a.runwayDays)),
    ));
  }
}

function renderTopSpenders(allocations) {
  const list = $("#top-spenders");
  list.replaceChildren();
  if (!allocations.length) list.append(el("li", { class: "muted" }, "No spend yet."));
  for (const a of allocations) {
    list.append(el("li", {}, el("span", {}, a.project.name),
      el("span", { class: "num" }, `${formatMoney(a.spent)} of ${formatMoney(a.amount)}`)));
  }
}

function renderServices(rows) {
  const body = $("#services tbody");
  body.replaceChildren();
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 3, class: "muted" }, "No spend yet.")));
  for (const r of rows) {
    body.append(el("tr", {}, el("th", { scope: "row" }, r.service),
      el("td", { class: "num" }, formatMoney(r.amount)), el("td", { class: "num" }, r.count)));
  }
}

function side(isPool, allocation) {
  if (isPool) return "Pool";
  return allocation ? allocation.project.name : "(an allocation you cannot see)";
}

function renderTransfers(transfers) {
  const body = $("#transfers tbody");
  body.replaceChildren();
  if (!transfers.length) {
    body.append(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "Nothing waiting.")));
    return;
  }
  for (const t of transfers) {
    const label = `${formatMoney(t.amount)} from ${side(t.fromPool, t.from)} to ${side(t.toPool, t.to)}`;
    const actions = t.viewerCanDecide
      ? el("span", { class: "actions" },
        el("button", { type: "button", class: "approve", "aria-label": `Approve ${label}`,
          onclick: (e) => decide("approve", t.id, e.currentTarget) }, "Approve"),
        el("button", { type: "button", class: "reject secondary", "aria-label": `Reject ${label}`,
          onclick: (e) => decide("reject", t.id, e.currentTarget) }, "Reject"))
      : el("span", { class: "muted" }, "awaiting an owner");
    body.append(el(
      "tr",
      { dataset: { transferId: t.id } },
      el("td", {}, side(t.fromPool, t.from)),
      el("td", {}, side(t.toPool, t.to)),
      el("td", { class: "num" }, formatMoney(t.amount)),
      el("td", {}, t.reason),
      el("td", {}, t.requestedBy.name),
      el("td", {}, actions),
    ));
  }
}

async function decide(action, transferId, button) {
  const row = button.closest("tr");
  for (const b of row.querySelectorAll("button")) b.disabled = true;
  try {
    const { result } = await graphql(DECIDE[action], { input: { transferId } });
    if (result.transfer) {
      const verb = action === "approve" ? "approved" : "rejected";
      showMessage(`Transfer ${result.transfer.id} ${verb}: now ${result.transfer.status}.`, "success");
    } else {
      showMessage(`Could not ${action} the transfer — ${result.code}: ${result.message}`, "error");
    }
  } catch (err) {
    showMessage(err.message, err.auth ? "warning" : "error");
  }
  await loadBudget();
  await refreshBudgetStatuses();
}

async function refreshBudgetStatuses() {
  try {
    state.budgets = (await graphql(VIEWER_AND_BUDGETS)).budgets.nodes;
    renderBudgetList();
  } catch {
    // the figures above are already current; the list catches up at the next load
  }
}

// ---- Timeline chart (inline SVG) ------------------------------------------------------------------

function dayNumber(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 86400000;
}

function renderTimeline(b) {
  const figure = $("#timeline");
  figure.replaceChildren();
  const points = b.timeline;
  const W = 720, H = 240, left = 80, right = 16, top = 12, bottom = 28;
  const first = dayNumber(b.currentPeriod.startDate);
  const span = Math.max(1, dayNumber(b.currentPeriod.endDate) - first + 1);
  // What the period holds in all (allocated + pool): where the ideal line ends. Exact BigInt.
  const total = (toMicros(b.allocated) ?? 0n) + (toMicros(b.unallocated) ?? 0n);
  let max = total;
  for (const p of points) {
    const c = toMicros(p.cumulative) ?? 0n;
    if (c > max) max = c;
  }
  if (max <= 0n) max = 1n;
  // Pixels only: the float conversion is for drawing, never for figures shown as text.
  const x = (dayIndex) => left + ((W - left - right) * dayIndex) / span;
  const y = (micros) => top + (H - top - bottom) * (1 - Number(micros) / Number(max));

  const titleId = "timeline-svg-title", descId = "timeline-svg-desc";
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart",
    "aria-labelledby": `${titleId} ${descId}` });
  chart.append(svg("title", { id: titleId }, `Cumulative spend of ${b.name} against the straight-line ideal`));
  const last = points[points.length - 1];
  chart.append(svg("desc", { id: descId }, last
    ? `By ${last.date}: spent ${formatMoney(last.cumulative)} against an ideal of ${formatMoney(last.ideal)} ${b.currency}.`
    : "No days in the period yet."));

  // axes and grid
  for (const fraction of [0, 0.5, 1]) {
    const gy = top + (H - top - bottom) * (1 - fraction);
    chart.append(svg("line", { x1: left, x2: W - right, y1: gy, y2: gy, class: "grid" }));
    const micros = (max * BigInt(Math.round(fraction * 100))) / 100n;
    const whole = formatMoney((micros / 1000000n).toString()).replace(/\.00$/, "");
    chart.append(svg("text", { x: left - 6, y: gy + 4, class: "tick", "text-anchor": "end" }, whole));
  }
  chart.append(svg("text", { x: left, y: H - 8, class: "tick" }, b.currentPeriod.startDate));
  chart.append(svg("text", { x: W - right, y: H - 8, class: "tick", "text-anchor": "end" }, b.currentPeriod.endDate));

  // the ideal across the whole period (dashed), then cumulative spend so far
  chart.append(svg("line", { x1: x(0), y1: y(0n), x2: x(span), y2: y(total), class: "ideal" }));
  if (points.length) {
    const coords = [`${x(0).toFixed(1)},${y(0n).toFixed(1)}`];
    for (const p of points) {
      const i = dayNumber(p.date) - first + 1; // the end of that day
      coords.push(`${x(i).toFixed(1)},${y(toMicros(p.cumulative) ?? 0n).toFixed(1)}`);
    }
    chart.append(svg("polyline", { points: coords.join(" "), class: "spent" }));
    const [lx, ly] = coords[coords.length - 1].split(",");
    chart.append(svg("circle", { cx: lx, cy: ly, r: 3.5, class: "spent-dot" }));
  }
  figure.append(chart);
  figure.append(el("figcaption", {},
    el("span", { class: "key key-spent" }, "Cumulative spend"),
    el("span", { class: "key key-ideal" }, "Straight-line ideal"),
    last ? el("span", { class: "muted" }, ` — today ${formatMoney(last.cumulative)} vs ${formatMoney(last.ideal)}`) : null));
}

// ---- Token form and start ---------------------------------------------------------------------------

function start() {
  const input = $("#token");
  input.value = localStorage.getItem(TOKEN_KEY) || "";
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    loadBudgets();
  });
  $("#token-forget").addEventListener("click", () => {
    localStorage.removeItem(TOKEN_KEY);
    input.value = "";
    state.budgets = [];
    state.selected = null;
    renderBudgetList();
    $("#budget").hidden = true;
    $("#viewer").textContent = "";
    showMessage("Token forgotten.", "info");
  });
  $("#refresh").addEventListener("click", () => loadBudget());
  window.addEventListener("hashchange", () => {
    const id = selectedFromHash();
    if (id && id !== state.selected && state.budgets.some((b) => b.id === id)) selectBudget(id);
  });
  if (localStorage.getItem(TOKEN_KEY)) loadBudgets();
  else showMessage("Paste your API token above to start.", "info");
}

document.addEventListener("DOMContentLoaded", start);
