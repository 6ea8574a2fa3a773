import { Hono } from "hono";
import { errorMessage, isMemoryError } from "../core/errors.js";
import { eventRoutes } from "./routes/event-routes.js";
import { insightsRoutes } from "./routes/insights-routes.js";
import { privacyRoutes } from "./routes/privacy-routes.js";
import { readRoutes } from "./routes/read-routes.js";
import { writeRoutes } from "./routes/write-routes.js";
import { loginHandler, loopbackGuard, requireSession, securityHeaders } from "./web-auth.js";
import type { WebContext } from "./web-context.js";

const STATUS_FOR: Record<string, 400 | 404 | 409 | 503> = {
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STORE_UNAVAILABLE: 503,
  UPSTREAM_UNREACHABLE: 503,
  UNAVAILABLE: 503,
};

/** The web page as a Hono app (tests call `app.request()`; the server puts it on a socket). */
export function createWebApp(w: WebContext): Hono {
  const app = new Hono();
  app.use("*", securityHeaders());
  app.use("*", loopbackGuard(w.security));

  app.get("/assets/:name", (c) => {
    const file = w.assets.files.get(c.req.param("name"));
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
  app.get("/login", loginHandler(w.token, w.auth, w.security));

  app.use("*", requireSession(w.token, w.auth, w.security));
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
  return app;
}
