import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Logger } from "../core/logger.js";
import type { SecurityEvents } from "../http/security-events.js";
import { auditedAs } from "../store/audited-store.js";
import type { MemoryStore } from "../store/memory-store.js";
import { loadAssets } from "./assets.js";
import { Catalog } from "./catalog.js";
import { FlashMessages } from "./flash-messages.js";
import { type CaptureCounters, LiveFeed } from "./live-feed.js";
import { UndoDeletes } from "./undo-deletes.js";
import { createTeamWebApp, createUserApp, createWebApp } from "./web-app.js";
import { deriveAuth, loginUrl, type TeamDoor, teamCsrf } from "./web-auth.js";
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
  /**
   * Team mode: each person logs in with their own token and sees only
   * their own memories (`userId` is then unused); `token` signs the cookies.
   */
  team?: TeamDoor | undefined;
}

/** Team mode keeps the pages (catalog, live feed) of at most this many users at once. */
const MAX_TEAM_USERS = 32;

export interface RunningWebServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** The address to open once; it carries the token. */
  loginUrl(next?: string): string;
  /** The single user's context (not in team mode: see contextFor). */
  readonly context: WebContext;
  /** The context of a user's pages (in team mode, once that user has used the page). */
  contextFor(user: string): WebContext | undefined;
  close(): Promise<void>;
}

interface UserPages {
  context: WebContext;
  app: Hono;
  rescan: NodeJS.Timeout;
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const logger = options.logger.child({ component: "web" });
  const assets = loadAssets();

  /** Everything the pages of one user need: that user's catalog, live feed, undo and messages. */
  const pagesFor = (userId: string, team: boolean): UserPages => {
    const store = team ? auditedAs(options.store, { entry: "web", actor: userId }) : options.store;
    const catalog = new Catalog(store, userId, logger);
    const live = new LiveFeed({
      store,
      userId,
      catalog,
      logger,
      readCounters: options.readCounters,
      pollMs: options.pollMs ?? (options.store.backend === "sqlite" ? 1000 : 10_000),
    });
    const context: WebContext = {
      store,
      userId,
      team,
      token: options.token,
      auth: team ? { session: "", csrf: teamCsrf(options.token, userId) } : deriveAuth(options.token),
      catalog,
      live,
      undo: new UndoDeletes(),
      flash: new FlashMessages(),
      assets,
      logger,
      insights: options.insights ?? null,
      now: options.now ?? (() => new Date()),
      security: options.security ?? null,
    };
    catalog
      .rescan()
      .catch((e: unknown) =>
        logger.warn("reading memories for the page failed", { error: (e as Error).name }),
      );
    live.start();
    const rescan = setInterval(() => void catalog.rescan().catch(() => {}), options.rescanMs ?? 600_000);
    rescan.unref();
    return { context, app: team ? createUserApp(context) : createWebApp(context), rescan };
  };

  const users = new Map<string, UserPages>();
  const stopPages = (p: UserPages) => {
    clearInterval(p.rescan);
    p.context.live.stop();
  };
  const single = options.team ? null : pagesFor(options.userId, false);
  const teamApp = options.team
    ? createTeamWebApp({
        door: options.team,
        secret: options.token,
        assets,
        security: options.security ?? null,
        appFor: (user) => {
          let p = users.get(user);
          if (p) {
            users.delete(user); // most recently used last
          } else {
            p = pagesFor(user, true);
            if (users.size >= MAX_TEAM_USERS) {
              const [oldest, pages] = users.entries().next().value as [string, UserPages];
              users.delete(oldest);
              stopPages(pages);
            }
          }
          users.set(user, p);
          return p.app;
        },
      })
    : null;
  const app = (single?.app ?? teamApp) as Hono;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  logger.info("web page ready", { port, team: Boolean(options.team) });
  return {
    url,
    port,
    loginUrl: (next) => loginUrl(url, options.token, next),
    get context(): WebContext {
      if (!single) throw new Error("team mode has one context per user: use contextFor(user)");
      return single.context;
    },
    contextFor: (user) => (single && user === options.userId ? single.context : users.get(user)?.context),
    async close() {
      options.security?.close();
      if (single) stopPages(single);
      for (const p of users.values()) stopPages(p);
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
