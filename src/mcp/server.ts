import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Identity } from "../core/access.js";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { auditedAs } from "../store/audited-store.js";
import type { MemoryStore } from "../store/memory-store.js";
import type { InsightsProvider } from "./insights-provider.js";
import { SERVER_INSTRUCTIONS } from "./instructions.js";
import { trackClientRoots } from "./project-context.js";
import { registerPrompts } from "./prompts.js";
import { registerResources } from "./resources.js";
import { registerInsightTools } from "./tools/insight-tools.js";
import { registerReadTools } from "./tools/read-tools.js";
import type { ToolDeps } from "./tools/tool-kit.js";
import { registerWriteTools } from "./tools/write-tools.js";

export interface McpServerDeps {
  store: MemoryStore;
  config: Config;
  logger: Logger;
  insights?: InsightsProvider | undefined;
  /** Team mode: who this session's token belongs to; it becomes the default user and bounds every user_id. */
  identity?: Identity | undefined;
}

/** The package version, reported to clients. */
export const SERVER_VERSION = "0.1.0";

/**
 * One MCP server (one per client connection) over a shared store. The
 * transport is attached by the caller (`connect`).
 */
export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: deps.config.mcp.name, title: "Long-term memory (mcp-mitm-mem0)", version: SERVER_VERSION },
    {
      instructions: SERVER_INSTRUCTIONS,
      capabilities: { tools: {}, resources: {}, prompts: {} },
    },
  );
  const logger = deps.logger.child({ component: "mcp" });
  // Messages of parse errors can quote the offending input: only the kind at warn, the text at debug.
  server.server.onerror = (e) => {
    logger.warn("mcp protocol error", { error: e.name });
    logger.debug("mcp protocol error detail", { message: e.message });
  };
  // In team mode the token's user is the default user, so that resources and prompts follow it too.
  const config = deps.identity ? { ...deps.config, defaultUserId: deps.identity.user } : deps.config;
  const toolDeps: ToolDeps = {
    ...deps,
    // The audit log records a team-mode session's calls as the token's user's.
    store: deps.identity ? auditedAs(deps.store, { entry: "mcp", actor: deps.identity.user }) : deps.store,
    config,
    logger,
    project: trackClientRoots(server.server, deps.config.defaultAppId, logger),
  };
  registerReadTools(server, toolDeps);
  registerWriteTools(server, toolDeps);
  registerInsightTools(server, toolDeps);
  registerResources(server, toolDeps);
  registerPrompts(server, toolDeps);
  return server;
}
