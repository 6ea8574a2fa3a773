import type { Context } from "hono";
import type { Identity } from "../core/access.js";
import type { Insight, Suggestion } from "../core/insights/types.js";
import type { Logger } from "../core/logger.js";
import type { SecurityEvents } from "../http/security-events.js";
import type { MemoryStore } from "../store/memory-store.js";
import type { AssetSet } from "./assets.js";
import type { Catalog } from "./catalog.js";
import type { FlashMessages } from "./flash-messages.js";
import type { LiveFeed } from "./live-feed.js";
import type { UndoDeletes } from "./undo-deletes.js";
import type { WebAuth } from "./web-auth.js";

/** The insights service as the page uses it (the command that starts the page passes it in). */
export interface WebInsights {
  analyze(opts: { user_id: string; app_id?: string | undefined }): Promise<{ data: unknown }>;
  suggest(opts: { user_id: string; app_id?: string | undefined }): Promise<{ data: unknown }>;
}

export type { Insight, Suggestion };

/** Everything a route needs; built once per server. */
export interface WebContext {
  store: MemoryStore;
  /** Whose memories the page shows (in team mode, the token's user: one context per user). */
  userId: string;
  /** Team mode is on: forget, export and import are bounded by the request's identity. */
  team?: boolean | undefined;
  token: string;
  auth: WebAuth;
  catalog: Catalog;
  live: LiveFeed;
  undo: UndoDeletes;
  flash: FlashMessages;
  assets: AssetSet;
  logger: Logger;
  insights: (() => Promise<WebInsights>) | null;
  now: () => Date;
  /** Where refused requests are recorded (absent in tests that call the app directly). */
  security?: SecurityEvents | null | undefined;
}

/**
 * Team mode: who this request is (decided by the team door from the
 * request's personal token or cookie, passed to the user's app in env);
 * undefined when one person uses the page.
 */
export function requestIdentity(c: Context): Identity | undefined {
  return (c.env as { identity?: Identity } | undefined)?.identity;
}

/** A fetch() from the page's script (JSON answers) rather than a plain form post (redirects). */
export function fromScript(c: Context): boolean {
  return c.req.header("x-requested-with") === "fetch";
}
