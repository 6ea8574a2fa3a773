import { createHmac } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Identity } from "../core/access.js";
import { tokenFingerprint } from "../core/token-mask.js";
import {
  bearerToken,
  hasBearerToken,
  isAllowedOrigin,
  isLoopbackHost,
  secretsEqual,
} from "../http/loopback-guard.js";
import type { SecurityEvents } from "../http/security-events.js";

/**
 * Who may use the page. The token (printed once as a login link) is traded
 * at `/login` for an HttpOnly, SameSite=Strict cookie; scripts may send it as
 * `Authorization: Bearer` instead. Every request must name a loopback Host
 * and come from no or a loopback Origin (DNS rebinding); every
 * state-changing request must also carry the CSRF token of the page it came
 * from. The cookie and the CSRF token are derived from the token, so
 * changing the token logs every browser out.
 */

export const SESSION_COOKIE = "mmm_session";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";
const SESSION_DAYS = 30;

export interface WebAuth {
  session: string;
  csrf: string;
}

export function deriveAuth(token: string): WebAuth {
  const mac = (label: string) => createHmac("sha256", token).update(label).digest("base64url");
  return { session: mac("mcp-mitm-mem0 web session v1"), csrf: mac("mcp-mitm-mem0 web csrf v1") };
}

/** `/login?token=…&next=/path` → the address a person opens once. */
export function loginUrl(baseUrl: string, token: string, next = "/"): string {
  const u = new URL("/login", baseUrl);
  u.searchParams.set("token", token);
  if (next !== "/") u.searchParams.set("next", next);
  return u.toString();
}

/** The peer's address, when the app runs on a socket (node-server puts the request in env). */
function peerOf(c: Context): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
    ?.remoteAddress;
}

function report(c: Context, security: SecurityEvents | null | undefined, reason: string, extra = {}) {
  security?.record("web_refused", { reason, peer: peerOf(c), method: c.req.method, ...extra });
}

function refuse(c: Context, status: 401 | 403, message: string) {
  const wantsHtml = (c.req.header("accept") ?? "").includes("text/html");
  if (wantsHtml) return c.html(refusalPage(status, message), status);
  return c.json({ error: message }, status);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function refusalPage(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} · memory</title><link rel="stylesheet" href="/assets/style.css"></head><body><main id="main" class="refusal"><h1>${status === 401 ? "Log in to see your memories" : "Refused"}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}

/** Host and Origin checks, before anything else runs. */
export function loopbackGuard(security?: SecurityEvents | null): MiddlewareHandler {
  return async (c, next) => {
    if (!isLoopbackHost(c.req.header("host"))) {
      report(c, security, "foreign_host", { host: (c.req.header("host") ?? "").slice(0, 100) });
      return refuse(c, 403, "Host must be 127.0.0.1 or localhost (this page is served on loopback only).");
    }
    if (!isAllowedOrigin(c.req.header("origin"))) {
      report(c, security, "foreign_origin", { origin: (c.req.header("origin") ?? "").slice(0, 100) });
      return refuse(c, 403, "Requests from other sites are refused.");
    }
    if (c.req.header("sec-fetch-site") === "cross-site") {
      report(c, security, "cross_site");
      return refuse(c, 403, "Requests from other sites are refused.");
    }
    await next();
  };
}

function isSafeNext(next: string | undefined): string {
  return next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

/** GET /login?token= : a right token sets the cookie and redirects; a wrong one is refused. */
export function loginHandler(token: string, auth: WebAuth, security?: SecurityEvents | null) {
  return (c: Context) => {
    const presented = c.req.query("token") ?? "";
    if (presented === "" || !secretsEqual(presented, token)) {
      if (presented === "") report(c, security, "missing_token");
      else report(c, security, "wrong_token", { presented: tokenFingerprint(presented) });
      return refuse(
        c,
        401,
        "This login link is not valid. Run `mcp-mitm-mem0 ui --print-link` for the current one.",
      );
    }
    setCookie(c, SESSION_COOKIE, auth.session, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_DAYS * 86_400,
    });
    c.header("referrer-policy", "no-referrer");
    return c.redirect(isSafeNext(c.req.query("next")), 303);
  };
}

export function isSignedIn(c: Context, token: string, auth: WebAuth): boolean {
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie !== undefined && secretsEqual(cookie, auth.session)) return true;
  return hasBearerToken(c.req.header("authorization"), token);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A state-changing request must carry the page's CSRF token (header or form field); null when it does. */
async function csrfRefusal(
  c: Context,
  csrf: string,
  security: SecurityEvents | null | undefined,
): Promise<Response | null> {
  if (SAFE_METHODS.has(c.req.method)) return null;
  let presented = c.req.header(CSRF_HEADER);
  const type = c.req.header("content-type") ?? "";
  if (
    presented === undefined &&
    (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data"))
  ) {
    const form = await c.req.parseBody();
    const field = form[CSRF_FIELD];
    presented = typeof field === "string" ? field : undefined;
  }
  if (presented !== undefined && secretsEqual(presented, csrf)) return null;
  report(c, security, "csrf_failed");
  return refuse(
    c,
    403,
    "This request did not come from this page (CSRF check failed). Reload the page and try again.",
  );
}

/** Everything but /login and the static assets needs the cookie (or the bearer token), and CSRF on writes. */
export function requireSession(
  token: string,
  auth: WebAuth,
  security?: SecurityEvents | null,
): MiddlewareHandler {
  return async (c, next) => {
    if (!isSignedIn(c, token, auth)) {
      report(c, security, c.req.header("authorization") ? "wrong_token" : "not_signed_in");
      return refuse(
        c,
        401,
        "Open the login link that `mcp-mitm-mem0 ui` printed (or run `mcp-mitm-mem0 ui --print-link`).",
      );
    }
    const refused = await csrfRefusal(c, auth.csrf, security);
    if (refused) return refused;
    await next();
  };
}

/** Team mode: the CSRF check alone (the team door has already decided who the request is). */
export function requireCsrf(csrf: string, security?: SecurityEvents | null): MiddlewareHandler {
  return async (c, next) => {
    const refused = await csrfRefusal(c, csrf, security);
    if (refused) return refused;
    await next();
  };
}

// ---------------------------------------------------------------------------
// Team mode (AUTH_MODE=tokens): each person logs in with their own token.

/**
 * How the page tells who a request is in team mode. Both read the token file
 * on every call, so a revoked token (and every browser logged in with it) is
 * refused at its next request.
 */
export interface TeamDoor {
  /** The identity of a presented personal token; null when unknown or revoked. */
  identify(presented: string): Identity | null;
  /** The identity of a token by its fingerprint, while it is not revoked. */
  byTokenId(tokenId: string): Identity | null;
}

export const TEAM_SESSION_COOKIE = "mmm_team";

/**
 * Team mode's cookie names the token by its fingerprint and is signed with
 * the server's secret (the local web token, which never leaves this
 * machine): `<fingerprint>.<HMAC>`. It carries neither the token nor its hash.
 */
export function teamSessionCookie(secret: string, tokenId: string): string {
  return `${tokenId}.${createHmac("sha256", secret).update(`mcp-mitm-mem0 team session v1|${tokenId}`).digest("base64url")}`;
}

/** The page's CSRF token for one user in team mode. */
export function teamCsrf(secret: string, user: string): string {
  return createHmac("sha256", secret).update(`mcp-mitm-mem0 team csrf v1|${user}`).digest("base64url");
}

function teamCookieIdentity(c: Context, secret: string, door: TeamDoor): Identity | null {
  const cookie = getCookie(c, TEAM_SESSION_COOKIE);
  if (!cookie) return null;
  const tokenId = cookie.slice(0, cookie.indexOf("."));
  if (!/^[0-9a-f]{12}$/.test(tokenId) || !secretsEqual(cookie, teamSessionCookie(secret, tokenId)))
    return null;
  return door.byTokenId(tokenId);
}

/** Who a team-mode request is: its bearer token, else its session cookie; null when neither is valid now. */
export function teamIdentity(c: Context, secret: string, door: TeamDoor): Identity | null {
  const presented = bearerToken(c.req.header("authorization"));
  if (presented) return door.identify(presented);
  return teamCookieIdentity(c, secret, door);
}

function loginForm(message: string | null): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Log in · memory</title><link rel="stylesheet" href="/assets/style.css"></head><body><main id="main" class="refusal"><h1>Log in to see your memories</h1>${message ? `<p class="error">${escapeHtml(message)}</p>` : ""}<form method="post" action="/login"><p><label for="token">Your personal token (from <code>mcp-mitm-mem0 token create --user &lt;you&gt;</code>)</label></p><p><input id="token" name="token" type="password" autocomplete="current-password" required></p><p><button type="submit">Log in</button></p></form></main></body></html>`;
}

/**
 * Team mode's /login: GET with `?token=` (a link) or POST from the form sets
 * the signed cookie for that token; GET without a token shows the form.
 */
export function teamLoginHandler(secret: string, door: TeamDoor, security?: SecurityEvents | null) {
  return async (c: Context) => {
    let presented = c.req.query("token") ?? "";
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      presented = typeof form.token === "string" ? form.token.trim() : "";
    } else if (presented === "") {
      return c.html(loginForm(null), 200);
    }
    const identity = presented === "" ? null : door.identify(presented);
    if (!identity) {
      if (presented === "") report(c, security, "missing_token");
      else report(c, security, "wrong_token", { token: tokenFingerprint(presented) });
      const message =
        "This token is not valid: it is unknown or was revoked. Ask an admin for yours (`mcp-mitm-mem0 token create --user <you>`).";
      if ((c.req.header("accept") ?? "").includes("text/html")) return c.html(loginForm(message), 401);
      return c.json({ error: message }, 401);
    }
    setCookie(c, TEAM_SESSION_COOKIE, teamSessionCookie(secret, identity.tokenId), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_DAYS * 86_400,
    });
    c.header("referrer-policy", "no-referrer");
    return c.redirect(isSafeNext(c.req.query("next")), 303);
  };
}

/** Team mode: a request without a valid personal token (revoked included) is refused here. */
export function refuseUnknown(c: Context, security?: SecurityEvents | null) {
  report(c, security, c.req.header("authorization") ? "wrong_token" : "not_signed_in");
  return refuse(
    c,
    401,
    "Log in with your personal token at /login (team mode); a revoked token is refused at once.",
  );
}

/** The Content-Security-Policy: only this server's own scripts, styles and connections; no frames, no inline code. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("content-security-policy", CSP);
    c.header("x-content-type-options", "nosniff");
    c.header("x-frame-options", "DENY");
    // same-origin, not no-referrer: with no-referrer, browsers send "Origin: null" on form posts.
    c.header("referrer-policy", "same-origin");
    c.header("cross-origin-opener-policy", "same-origin");
    c.header("cross-origin-resource-policy", "same-origin");
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  };
}
