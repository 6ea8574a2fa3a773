import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { tokenFingerprint } from "../../core/token-mask.js";

/**
 * Proxy authentication, required when the proxy listens beyond loopback (and
 * whenever PROXY_AUTH_TOKEN is set). The token is accepted as
 * - `Proxy-Authorization: Bearer <token>`, or
 * - `Proxy-Authorization: Basic base64(<any user>:<token>)` — what clients
 *   send for `HTTPS_PROXY=http://user:<token>@host:port`, or
 * - for reverse traffic only, a first path segment `/t/<token>` — for
 *   `ANTHROPIC_BASE_URL=http://host:port/t/<token>`, since such clients cannot
 *   always add a header (it is removed before forwarding).
 * `Proxy-Authorization` is hop-by-hop and never forwarded.
 */

export const TOKEN_PATH_PREFIX = "/t/";

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

export function tokenMatches(candidate: string, token: string): boolean {
  return timingSafeEqual(digest(candidate), digest(token));
}

/** The token carried by a Proxy-Authorization header value, if any. */
export function tokenFromProxyAuthorization(value: string | undefined): string | null {
  if (!value) return null;
  const [scheme, ...rest] = value.trim().split(/\s+/);
  const cred = rest.join(" ");
  if (!scheme || !cred) return null;
  if (scheme.toLowerCase() === "bearer") return cred;
  if (scheme.toLowerCase() === "basic") {
    const decoded = Buffer.from(cred, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? decoded : decoded.slice(colon + 1);
  }
  return null;
}

/**
 * Who a request through the proxy is, from the token it presented: null is
 * refused; `{}` is let in (the one PROXY_AUTH_TOKEN); `{ user }` is a
 * person's token in team mode, and that user is whose memory the traffic
 * becomes.
 */
export interface ProxyCaller {
  user?: string | undefined;
}

/** Decides a presented token; read per request (team mode reads the token file, so revocation is immediate). */
export type ProxyGate = (candidate: string) => ProxyCaller | null;

/** The single-token gate: PROXY_AUTH_TOKEN. */
export function sharedTokenGate(token: string): ProxyGate {
  return (candidate) => (tokenMatches(candidate, token) ? {} : null);
}

/** The caller a Proxy-Authorization header stands for, or null. */
export function proxyCaller(headers: IncomingHttpHeaders, gate: ProxyGate): ProxyCaller | null {
  const candidate = tokenFromProxyAuthorization(headers["proxy-authorization"]);
  return candidate === null ? null : gate(candidate);
}

export function proxyAuthorized(headers: IncomingHttpHeaders, token: string): boolean {
  return proxyCaller(headers, sharedTokenGate(token)) !== null;
}

/**
 * For reverse traffic: authorised by header, or by a `/t/<token>` path prefix
 * (returned stripped as `path`). `null` when not authorised.
 */
export function reverseAuthorized(
  headers: IncomingHttpHeaders,
  path: string,
  token: string,
): { path: string } | null {
  return reverseCaller(headers, path, sharedTokenGate(token));
}

/** reverseAuthorized for any gate: the path without its `/t/<token>` prefix, and who the caller is. */
export function reverseCaller(
  headers: IncomingHttpHeaders,
  path: string,
  gate: ProxyGate,
): ({ path: string } & ProxyCaller) | null {
  const byHeader = proxyCaller(headers, gate);
  if (byHeader) return { path, ...byHeader };
  if (!path.startsWith(TOKEN_PATH_PREFIX)) return null;
  const rest = path.slice(TOKEN_PATH_PREFIX.length);
  const slash = rest.search(/[/?]/);
  let candidate: string;
  try {
    candidate = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  } catch {
    return null;
  }
  const caller = gate(candidate);
  if (!caller) return null;
  const remaining = slash === -1 ? "/" : rest.slice(slash);
  return { path: remaining.startsWith("/") ? remaining : `/${remaining}`, ...caller };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1";
}

/**
 * What a refused request presented, for its security event: `missing_token`,
 * or `wrong_token` with the presented token's fingerprint (never the token).
 */
export function refusedToken(
  headers: IncomingHttpHeaders,
  path?: string,
): { reason: "missing_token" | "wrong_token"; presented?: string } {
  let candidate = tokenFromProxyAuthorization(headers["proxy-authorization"]);
  if (candidate === null && path?.startsWith(TOKEN_PATH_PREFIX)) {
    const rest = path.slice(TOKEN_PATH_PREFIX.length);
    const slash = rest.search(/[/?]/);
    candidate = slash === -1 ? rest : rest.slice(0, slash);
  }
  return candidate
    ? { reason: "wrong_token", presented: tokenFingerprint(candidate) }
    : { reason: "missing_token" };
}
