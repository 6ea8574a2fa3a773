import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Config, validateConfig } from "../../src/core/config.js";
import { silentLogger } from "../../src/core/logger.js";
import type { InsightsProvider } from "../../src/mcp/insights-provider.js";
import { createMcpServer } from "../../src/mcp/server.js";
import type { MemoryStore } from "../../src/store/memory-store.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";

export interface Harness {
  dir: string;
  config: Config;
  store: SqliteMemoryStore;
  client: Client;
  /** Calls a tool and returns the result (never throws for tool errors). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  insights?: InsightsProvider;
  /** Builds the analyser over the harness's own store (for the real insights service). */
  insightsFor?: (store: MemoryStore, config: Config) => InsightsProvider;
  /** Declare the roots capability and answer roots/list with these URIs. */
  roots?: string[];
  busyTimeoutMs?: number;
}

/** The SDK's Client connected over an in-memory transport to a server over `store`. */
export async function connectClient(
  store: MemoryStore,
  config: Config,
  options: Pick<HarnessOptions, "insights" | "roots"> = {},
): Promise<{ client: Client; server: McpServer }> {
  const server = createMcpServer({ store, config, logger: silentLogger, insights: options.insights });
  const client = new Client(
    { name: "test-client", version: "1.0.0" },
    options.roots ? { capabilities: { roots: { listChanged: true } } } : {},
  );
  const roots = options.roots;
  if (roots) {
    const { ListRootsRequestSchema } = await import("@modelcontextprotocol/sdk/types.js");
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: roots.map((uri) => ({ uri, name: uri })),
    }));
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return { client, server };
}

/** A real SQLite store in a temp dir, the real server, the SDK's Client over an in-memory transport. */
export async function openHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "mcp-test-"));
  const config = validateConfig({ MEMORY_DATA_DIR: dir, ...options.env }, dir);
  const store = SqliteMemoryStore.open(join(dir, "memories.db"), {
    logger: silentLogger,
    busyTimeoutMs: options.busyTimeoutMs,
  });
  const insights = options.insightsFor ? options.insightsFor(store, config) : options.insights;
  const { client, server } = await connectClient(store, config, { ...options, insights });
  return {
    dir,
    config,
    store,
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async close() {
      await client.close();
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The text of a tool result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  if (first?.type !== "text") throw new Error("expected a text block");
  return first.text;
}

/** Structured content, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary fields
export function dataOf(result: CallToolResult): any {
  if (result.isError) throw new Error(`tool failed: ${textOf(result)}`);
  return result.structuredContent;
}

/** Error results: isError, a message, and never a stack trace. */
export function errorTextOf(result: CallToolResult): string {
  if (!result.isError) throw new Error(`expected an error, got: ${JSON.stringify(result.structuredContent)}`);
  const text = textOf(result);
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(text) || /\bat .+\.(js|ts):\d+/.test(text)) {
    throw new Error(`error text contains a stack trace: ${text}`);
  }
  return text;
}
