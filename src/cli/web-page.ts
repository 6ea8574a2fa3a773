/**
 * Starting the web page from a command (`ui`, and `start` unless --no-ui):
 * its token, the insights service, and the capture counters read from the
 * same files `status` reads (`proxy-status.json`, the outbox).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { teamMode } from "../auth/team-mode.js";
import { identify, identifyById } from "../auth/tokens.js";
import { Outbox, outboxPath } from "../capture/pipeline/outbox.js";
import { pidAlive, readProxyStatus } from "../capture/proxy/proxy-status.js";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { SecurityEvents } from "../http/security-events.js";
import { resolveToken } from "../http/token-file.js";
import { createInsights } from "../insights/index.js";
import { auditedAs } from "../store/audited-store.js";
import type { MemoryStore } from "../store/memory-store.js";
import type { CaptureCounters } from "../web/live-feed.js";
import { type RunningWebServer, startWebServer } from "../web/web-server.js";
import { clearWebStatus, writeWebStatus } from "../web/web-status.js";

export const WEB_TOKEN_FILE = "web-token";

/** The page's token: WEB_TOKEN, else `<dataDir>/web-token` (made, mode 0600, on first start). */
export function webToken(config: Config) {
  return resolveToken(config.dataDir, WEB_TOKEN_FILE, config.web.token);
}

/** The proxy's counters of its current (or last) run, and the outbox depth. */
export function captureCounters(dataDir: string): CaptureCounters | null {
  const s = readProxyStatus(dataDir);
  const path = outboxPath(dataDir);
  if (!s && !existsSync(path)) return null;
  let outbox = { pending: 0, done: 0, failed: 0 };
  if (existsSync(path)) {
    const reader = Outbox.open(path, { readonly: true });
    try {
      outbox = reader.counts();
    } finally {
      reader.close();
    }
  }
  const stats = (s?.stats ?? {}) as unknown as Record<string, number | undefined>;
  return {
    running: Boolean(s?.running && pidAlive(s.pid)),
    url: s?.url ?? null,
    counters: {
      exchanges: stats.exchanges ?? 0,
      // Episodes replace per-request turns; whichever this proxy counts.
      stored: stats.episodesStored ?? stats.turnsStored ?? 0,
      skippedNoise: stats.skippedNoise ?? 0,
      captureFailures: stats.captureFailures ?? 0,
    },
    outbox,
  };
}

export interface WebPage {
  server: RunningWebServer;
  /** The token was made just now: its login link is printed once. */
  generated: boolean;
  close(): Promise<void>;
}

export async function startWebPage(
  config: Config,
  store: MemoryStore,
  logger: Logger,
  port: number,
): Promise<WebPage> {
  const token = webToken(config);
  store = auditedAs(store, { entry: "web" });
  const dataDir = config.dataDir;
  // Team mode: the person's own token (tokens.json, read on every request) decides whose memories.
  const team = teamMode(config)
    ? {
        identify: (presented: string) => identify(dataDir, presented),
        byTokenId: (tokenId: string) => identifyById(dataDir, tokenId),
      }
    : undefined;
  const server = await startWebServer({
    team,
    store,
    userId: config.defaultUserId,
    token: token.token,
    logger,
    port,
    insights: async () => createInsights({ store, config, logger }).provider,
    readCounters: async () => captureCounters(config.dataDir),
    security: new SecurityEvents({ logger, component: "web", dataDir: config.dataDir }),
  });
  writeWebStatus(config.dataDir, { pid: process.pid, url: server.url, startedAt: new Date().toISOString() });
  return {
    server,
    generated: token.source === "generated",
    async close() {
      clearWebStatus(config.dataDir);
      await server.close();
    },
  };
}

/** Opens a URL in the person's browser (best effort, never fails the command). */
export function openInBrowser(url: string, logger: Logger): void {
  const command =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.on("error", () => logger.warn("could not open a browser; open the login link yourself"));
    child.unref();
  } catch {
    logger.warn("could not open a browser; open the login link yourself");
  }
}
