import { Hono } from "hono";
import { errorMessage, isMemoryError } from "../core/errors.js";
import { eventRoutes } from "./routes/event-routes.js";
import { insightsRoutes } from "./routes/insights-routes.js";
import { privacyRoutes } from "./routes/privacy-routes.js";
import { readRoutes } from "./routes/read-routes.js";
import { writeRoutes } from "./routes/write-routes.js";
import {
  loginHandler,
  loopbackGuard,
  refuseUnknown,
  requireCsrf,
  requireSession,
  securityHeaders,
  type TeamDoor,
  teamIdentity,
  teamLoginHandler,
} from "./web-auth.js";
import type { WebContext } from "./web-context.js";

const STATUS_FOR: Record<string, 400 | 403 | 404 | 409 | 503> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  FORBIDDEN: 403,
  STORE_UNAVAILABLE: 503,
  UPSTREAM_UNREACHABLE: 503,
  UNAVAILABLE: 503,
};

function serveAssets(app: Hono, assets: WebContext["assets"]): void {
  app.get("/assets/:name", (c) => {
    const file = assets.files.get(c.req.param("name"));
    if (!file) return c.text("not found", 404);
    const hashed =
      c.req.param("name") !== "style.css" &&
      (c.req.query("v") !== undefined || /\.[\w-]{8}\.css$/.test(c.req.param("name")));
    c.header("cache-control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    c.header("etag", file.etag);
    c.header("content-type", file.type);
    if (c.req.header("if-none-match") === file.etag) return c.body(null, 304);
    if ((c.req.header("accept-encoding") ?? "").includes("gzip")) {
      c.header("content-encoding", "gzip");
      c.header("vary", "accept-encoding");
      return c.body(new Uint8Array(file.gzip));
    }
    return c.body(new Uint8Array(file.body));
  });
}

function mountPages(app: Hono, w: WebContext): void {
  readRoutes(app, w);
  writeRoutes(app, w);
  insightsRoutes(app, w);
  privacyRoutes(app, w);
  eventRoutes(app, w);

  app.onError((e, c) => {
    const status = isMemoryError(e) ? (STATUS_FOR[e.code] ?? 500) : 500;
    if (status === 500)
      w.logger.error("web request failed", { error: e instanceof Error ? e.name : "error" });
    const message = status === 500 ? "Something went wrong on the server; see its log." : errorMessage(e);
    if ((c.req.header("accept") ?? "").includes("text/html"))
      return c.html(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error · memory</title><link rel="stylesheet" href="/assets/style.css"></head><body><main id="main"><h1>${status}</h1><p class="error">${message.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)}</p><p><a href="/">Back to search</a></p></main></body></html>`,
        status,
      );
    return c.json({ error: message }, status);
  });
}

/** The web page as a Hono app (tests call `app.request()`; the server puts it on a socket). */
export function createWebApp(w: WebContext): Hono {
  const app = new Hono();
  app.use("*", securityHeaders());
  app.use("*", loopbackGuard(w.security));
  serveAssets(app, w.assets);
  app.get("/login", loginHandler(w.token, w.auth, w.security));
  app.use("*", requireSession(w.token, w.auth, w.security));
  mountPages(app, w);
  return app;
}

/** One user's pages in team mode: behind the team door, with that user's CSRF token. */
export function createUserApp(w: WebContext): Hono {
  const app = new Hono();
  app.use("*", requireCsrf(w.auth.csrf, w.security));
  mountPages(app, w);
  return app;
}

export interface TeamWebOptions {
  door: TeamDoor;
  /** Signs the session cookies and CSRF tokens (the local web token). */
  secret: string;
  assets: WebContext["assets"];
  security?: WebContext["security"];
  /** The pages of one user (made on first use, kept while it is used). */
  appFor(user: string): Hono;
}

/**
 * Team mode's page: every request's personal token (bearer, or the cookie
 * its login set) decides the user, and the request goes to that user's
 * pages, which read and write only that user's memories. The token file is
 * read on every request: a revoked token stops at once.
 */
export function createTeamWebApp(options: TeamWebOptions): Hono {
  const app = new Hono();
  app.use("*", securityHeaders());
  app.use("*", loopbackGuard(options.security));
  serveAssets(app, options.assets);
  const login = teamLoginHandler(options.secret, options.door, options.security);
  app.get("/login", login);
  app.post("/login", login);
  app.all("*", (c) => {
    const identity = teamIdentity(c, options.secret, options.door);
    if (!identity) return refuseUnknown(c, options.security);
    return options.appFor(identity.user).fetch(c.req.raw, { ...(c.env as object), identity });
  });
  return app;
}
