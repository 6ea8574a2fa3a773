import { fileURLToPath } from "node:url";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { RootsListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../core/logger.js";

/**
 * The project (`app_id`) a new memory belongs to when the call does not name
 * one: the first `file://` root the MCP client offers, else the configured
 * default. Best effort: a client without roots, or one that fails to answer,
 * just leaves the configured default in place.
 */
export interface ProjectContext {
  current(): Promise<string | undefined>;
}

/** How long to wait for a client's `roots/list` answer before using the default. */
const ROOTS_TIMEOUT_MS = 5_000;

/** The path of the first `file://` root, or undefined. */
export function projectFromRoots(roots: { uri: string }[]): string | undefined {
  for (const root of roots) {
    if (!root.uri.startsWith("file://")) continue;
    try {
      return fileURLToPath(root.uri);
    } catch {
      // A malformed file URL (e.g. a remote host) is not a local project.
    }
  }
  return undefined;
}

export function trackClientRoots(
  server: Server,
  fallback: string | undefined,
  logger: Logger,
): ProjectContext {
  let fromRoots: string | undefined;
  let pending: Promise<void> | undefined;

  const clientOffersRoots = () => server.getClientCapabilities()?.roots !== undefined;

  const refresh = (): Promise<void> => {
    pending = server
      .listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS })
      .then((result) => {
        fromRoots = projectFromRoots(result.roots);
        logger.debug("mcp client roots", { roots: result.roots.length, project: fromRoots !== undefined });
      })
      .catch((e: unknown) => {
        logger.debug("mcp client roots unavailable", { error: e instanceof Error ? e.message : String(e) });
      });
    return pending;
  };

  const previous = server.oninitialized;
  server.oninitialized = () => {
    previous?.();
    if (clientOffersRoots()) void refresh();
  };
  server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    if (clientOffersRoots()) await refresh();
  });

  return {
    async current() {
      if (pending === undefined && clientOffersRoots()) void refresh();
      if (pending !== undefined) await pending;
      return fromRoots ?? fallback;
    },
  };
}
