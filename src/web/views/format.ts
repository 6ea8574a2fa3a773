/** Small display helpers shared by the views. Pure. */

/** "2025-06-03 14:05" in UTC (the store's times are UTC). */
export function shortTime(iso: string): string {
  return iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso;
}

/** A session id shortened for display (full id in the title). */
export function shortId(id: string | null, n = 8): string {
  if (!id) return "(no session)";
  return id.length > n + 1 ? `${id.slice(0, n)}…` : id;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

/** Link to a page with a query string, dropping empty values. */
export function href(path: string, params: Record<string, string | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}
