/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not
 * forwarded; every other header passes unchanged, in order and with its
 * original case. Headers are handled as Node's flat `rawHeaders` arrays
 * (`[name, value, name, value, ...]`).
 */

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Names listed in `Connection` headers (they are hop-by-hop too). */
function connectionTokens(raw: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== "connection") continue;
    for (const t of (raw[i + 1] ?? "").split(",")) {
      const name = t.trim().toLowerCase();
      if (name) out.add(name);
    }
  }
  return out;
}

/**
 * `raw` without hop-by-hop headers and without the names in `drop`
 * (lower-case). `extra` pairs are appended.
 */
export function endToEndHeaders(
  raw: readonly string[],
  drop: ReadonlySet<string> = new Set(),
  extra: readonly string[] = [],
): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || drop.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  out.push(...extra);
  return out;
}

/** Lower-cased name → value; repeated headers joined with ", " (capture only; never forwarded). */
export function headerRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}
