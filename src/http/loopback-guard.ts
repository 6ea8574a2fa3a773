import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Checks shared by the servers that listen on loopback (the MCP Streamable
 * HTTP transport and the web page): Host and Origin must name this machine
 * (DNS-rebinding protection) and secrets are compared in constant time.
 */

/** Host names a loopback-only server answers to (DNS-rebinding protection). */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The host name of a `Host` header value, without the port; lower-case. */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.indexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

/** True when Host names this machine by a loopback name (a rebinding attack sends the attacker's name). */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  return hostHeader !== undefined && LOOPBACK_HOSTS.has(hostnameOf(hostHeader));
}

/** Browsers send Origin on cross-site requests: only loopback pages may talk to us. */
export function isAllowedOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time comparison of a presented secret with the expected one. */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header value; null for anything else. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== "string") return null;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
}

/** Constant-time check of an `Authorization: Bearer <token>` header value. */
export function hasBearerToken(header: string | string[] | undefined, token: string): boolean {
  const presented = bearerToken(header);
  return presented !== null && secretsEqual(presented, token);
}
