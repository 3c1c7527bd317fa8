// Charts drawn by uPlot (vendored, vendor/VENDOR.md): the budget's timeline (cumulative spend
// against the straight-line ideal) and its spend by service (bars). uPlot draws on a canvas
// and sizes it through element.style, which the page's Content-Security-Policy allows; each
// chart has a text alternative (role="img" with a label, and the figures stay in tables).
import uPlot from "./vendor/uplot.mjs";
import { useEffect, useRef } from "./vendor/hooks.mjs";
import { formatMoney } from "./money.js";
import { html } from "./ui.js";

const HEIGHT = 220;
const INK = "#1b1f24";
const GRID = "#e4e7eb";
const ACCENT = "#0b57a4";
const IDEAL = "#8a5300";
const DAY = 86400;
const DAY_STEPS = [1, 2, 3, 7, 14, 30.4375, 61, 91.3, 182.6, 365.25].map((d) => Math.round(d * DAY));
const DAY_LABEL = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const LONG_DAY = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" });

/** Axis labels: "$12k", "$1.2M" (compact), in the budget's currency. */
function compact(currency) {
  let format;
  try {
    format = new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
  } catch {
    format = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  }
  return (value) => format.format(value);
}

function axis(extra = {}) {
  return { stroke: INK, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, ...extra };
}

/** A uPlot chart in a div that follows its container's width (390 px phones included). */
function useChart(build, deps, height = HEIGHT) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = () => Math.max(200, Math.floor(el.clientWidth));
    const chart = build(width(), el);
    let last = width();
    const resize = new ResizeObserver(() => {
      const now = width();
      if (now !== last) {
        last = now;
        chart.setSize({ width: now, height });
      }
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, deps);
  return box;
}

/**
 * Cumulative spend vs the ideal pace, one point a day of the current period. `id` names the
 * figure (several charts on one page need their own), `height` makes a smaller one.
 */
export function TimelineChart({ points, currency, id = "timeline-chart", height = HEIGHT }) {
  const xs = points.map((p) => Date.parse(`${p.date}T00:00:00Z`) / 1000);
  const spent = points.map((p) => Number(p.cumulative));
  const ideal = points.map((p) => Number(p.ideal));
  const money = compact(currency);
  const box = useChart((width, el) => new uPlot({
    width, height,
    // The days are the budget's local days, drawn at UTC midnight: splits align with them.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    scales: {
      // One point (the period's first day) still gets a day either side.
      x: { time: true, range: (u, min, max) => (min === max ? [min - DAY, max + DAY] : [min, max]) },
      y: { range: (u, min, max) => [0, Math.max(max, 1) * 1.05] },
    },
    axes: [
      // Whole days only (the points are days), labelled "Dec 1".
      axis({ incrs: DAY_STEPS, space: 56, values: (u, splits) => splits.map((ts) => DAY_LABEL.format(new Date(ts * 1000))) }),
      axis({ size: 64, values: (u, splits) => splits.map(money) }),
    ],
    series: [
      {},
      { label: "Spent so far", stroke: ACCENT, width: 2, fill: "rgba(11, 87, 164, 0.08)", value: (u, v) => (v == null ? "" : formatMoney(String(v), currency)) },
      { label: "Ideal pace", stroke: IDEAL, width: 2, dash: [6, 4], value: (u, v) => (v == null ? "" : formatMoney(String(v), currency)) },
    ],
  }, [xs, spent, ideal], el), [JSON.stringify(points), currency, height], height);
  if (!points.length) return null;
  const last = points[points.length - 1];
  const label = `Cumulative spend ${formatMoney(last.cumulative, currency)} against ${formatMoney(last.ideal, currency)} at the ideal pace on ${LONG_DAY.format(new Date(`${last.date}T00:00:00Z`))}.`;
  return html`<figure class="chart timeline-chart" id=${id} role="img" aria-label=${label}>
    <div ref=${box} class="chart-box"></div>
    <figcaption class="small muted">${label}</figcaption>
  </figure>`;
}

/** This period's spend by service, largest first, as bars. */
export function ServiceBars({ services, currency }) {
  const names = services.map((s) => s.service || "(none)");
  const xs = names.map((_, i) => i);
  const amounts = services.map((s) => Number(s.amount));
  const money = compact(currency);
  const box = useChart((width, el) => new uPlot({
    width, height: HEIGHT,
    cursor: { show: false },
    legend: { show: false },
    scales: {
      x: { time: false, range: () => [-0.5, names.length - 0.5] },
      y: { range: (u, min, max) => [0, Math.max(max, 1) * 1.1] },
    },
    axes: [
      axis({ grid: { show: false }, splits: () => xs, values: (u, splits) => splits.map((i) => shorten(names[i] ?? "")) }),
      axis({ size: 64, values: (u, splits) => splits.map(money) }),
    ],
    series: [{}, { label: "Spent", fill: ACCENT, stroke: ACCENT, paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
  }, [xs, amounts], el), [JSON.stringify(services), currency]);
  if (!services.length) return null;
  const label = `Spend by service: ${services.map((s, i) => `${names[i]} ${formatMoney(s.amount, currency)}`).join(", ")}.`;
  return html`<figure class="chart" id="services-chart" role="img" aria-label=${label}>
    <div ref=${box} class="chart-box"></div>
  </figure>`;
}

function shorten(name) {
  return name.length > 12 ? `${name.slice(0, 11)}…` : name;
}
