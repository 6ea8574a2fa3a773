import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { Logger } from "../core/logger.js";
import type { SecurityEvents } from "../http/security-events.js";
import type { MemoryStore } from "../store/memory-store.js";
import { loadAssets } from "./assets.js";
import { Catalog } from "./catalog.js";
import { FlashMessages } from "./flash-messages.js";
import { type CaptureCounters, LiveFeed } from "./live-feed.js";
import { UndoDeletes } from "./undo-deletes.js";
import { createWebApp } from "./web-app.js";
import { deriveAuth, loginUrl } from "./web-auth.js";
import type { WebContext, WebInsights } from "./web-context.js";

export interface WebServerOptions {
  store: MemoryStore;
  userId: string;
  token: string;
  logger: Logger;
  /** 0 picks a free port. Always on 127.0.0.1. */
  port: number;
  insights?: (() => Promise<WebInsights>) | undefined;
  readCounters?: (() => Promise<CaptureCounters | null>) | undefined;
  /** Poll interval for new memories (default 1 s on SQLite, 10 s on remote backends). */
  pollMs?: number | undefined;
  /** Rebuild the catalog this often (default 10 minutes). */
  rescanMs?: number | undefined;
  now?: () => Date;
  /** Where refused requests are recorded. */
  security?: SecurityEvents | undefined;
}

export interface RunningWebServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** The address to open once; it carries the token. */
  loginUrl(next?: string): string;
  context: WebContext;
  close(): Promise<void>;
}

export async function startWebServer(o: WebServerOptions): Promise<RunningWebServer> {
  const logger = o.logger.child({ component: "web" });
  const assets = loadAssets();
  const catalog = new Catalog(o.store, o.userId, logger);
  const live = new LiveFeed({
    store: o.store,
    userId: o.userId,
    catalog,
    logger,
    readCounters: o.readCounters,
    pollMs: o.pollMs ?? (o.store.backend === "sqlite" ? 1000 : 10_000),
  });
  const context: WebContext = {
    store: o.store,
    userId: o.userId,
    token: o.token,
    auth: deriveAuth(o.token),
    catalog,
    live,
    undo: new UndoDeletes(),
    flash: new FlashMessages(),
    assets,
    logger,
    insights: o.insights ?? null,
    now: o.now ?? (() => new Date()),
    security: o.security ?? null,
  };
  const app = createWebApp(context);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: o.port, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  catalog
    .rescan()
    .catch((e: unknown) => logger.warn("reading memories for the page failed", { error: (e as Error).name }));
  live.start();
  const rescan = setInterval(() => void catalog.rescan().catch(() => {}), o.rescanMs ?? 600_000);
  rescan.unref();
  logger.info("web page ready", { port });
  return {
    url,
    port,
    loginUrl: (next) => loginUrl(url, o.token, next),
    context,
    async close() {
      clearInterval(rescan);
      o.security?.close();
      live.stop();
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
