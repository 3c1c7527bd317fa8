// Instants and days for people, in the browser's locale and time zone.

/** An ISO instant: "2 Dec 2026, 14:05"; "—" for none. */
export function formatWhen(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  return at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** An ISO day ("2026-12-01", the budget's local day): "1 Dec 2026", never shifted by a zone. */
export function formatDay(day) {
  if (!day) return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return String(day);
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return at.toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });
}
