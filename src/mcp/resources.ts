import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { accessRefusal } from "../core/access.js";
import type { Memory } from "../core/types.js";
import { markdownMemory, markdownMemoryList } from "./render.js";
import { toHistoryOutput, toMemoryOutput } from "./schemas.js";
import { protocolErrorFrom, RESOURCE_NOT_FOUND } from "./tool-errors.js";
import { type ToolDeps, userOrDefault } from "./tools/tool-kit.js";

const MARKDOWN = "text/markdown";
/** Memories per page when reading `memory://{user_id}`. */
export const USER_PAGE_SIZE = 50;
const RECENT = 10;

export const userUri = (userId: string, cursor?: string) =>
  `memory://${encodeURIComponent(userId)}${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`;
export const memoryUri = (id: string) => `memory://memory/${encodeURIComponent(id)}`;

function markdown(uri: URL, text: string): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: MARKDOWN, text }] };
}

function decode(part: string, what: string): string {
  try {
    const value = decodeURIComponent(part);
    if (value.length > 0) return value;
  } catch {
    // fall through
  }
  throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: the ${what} in the URI is not valid`);
}

function label(m: Memory): string {
  const oneLine = m.memory.replace(/\s+/g, " ");
  return oneLine.length > 60 ? `${oneLine.slice(0, 59)}…` : oneLine;
}

export function registerResources(server: McpServer, deps: ToolDeps): void {
  const { store, config, logger } = deps;
  const recentOfDefaultUser = () => store.list({ filters: { user_id: config.defaultUserId }, limit: RECENT });
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw protocolErrorFrom(e, what, logger);
    }
  };

  server.registerResource(
    "recent",
    "memory://recent",
    {
      title: "Recent memories",
      description: `The ${RECENT} most recent memories of the default user`,
      mimeType: MARKDOWN,
    },
    (uri) =>
      guard("memory://recent", async () => {
        const page = await recentOfDefaultUser();
        const title = `Recent memories of ${config.defaultUserId}`;
        return markdown(uri, markdownMemoryList(title, page.memories.map(toMemoryOutput)));
      }),
  );

  server.registerResource(
    "user-memories",
    new ResourceTemplate("memory://{user_id}", {
      list: async () => ({
        resources: [
          {
            uri: userUri(config.defaultUserId),
            name: `Memories of ${config.defaultUserId}`,
            mimeType: MARKDOWN,
          },
        ],
      }),
    }),
    {
      title: "All memories of a user",
      description: `Newest first, ${USER_PAGE_SIZE} a page; the page ends with the URI of the next (…?cursor=…)`,
      mimeType: MARKDOWN,
    },
    (uri) =>
      guard("memory://{user_id}", async () => {
        const user = userOrDefault(deps, decode(uri.host, "user id"));
        const cursor = uri.searchParams.get("cursor") ?? undefined;
        const page = await store.list({ filters: { user_id: user }, limit: USER_PAGE_SIZE, cursor });
        if (page.memories.length === 0 && cursor === undefined && user !== config.defaultUserId) {
          throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: no memories exist for user "${user}"`);
        }
        const footer = page.next_cursor ? `Next page: ${userUri(user, page.next_cursor)}` : undefined;
        const title = `Memories of ${user}${cursor ? " (continued)" : ""}`;
        return markdown(uri, markdownMemoryList(title, page.memories.map(toMemoryOutput), footer));
      }),
  );

  server.registerResource(
    "memory",
    new ResourceTemplate("memory://memory/{id}", {
      list: async () => {
        const page = await recentOfDefaultUser();
        return {
          resources: page.memories.map((m) => ({ uri: memoryUri(m.id), name: label(m), mimeType: MARKDOWN })),
        };
      },
    }),
    { title: "One memory", description: "One memory with its details and history", mimeType: MARKDOWN },
    (uri, variables) =>
      guard("memory://memory/{id}", async () => {
        const raw = Array.isArray(variables.id) ? variables.id.join(",") : variables.id;
        const id = decode(raw ?? "", "memory id");
        const memory = await store.get(id);
        // In team mode another user's memory is as absent as a missing one.
        if (
          memory === null ||
          (deps.identity && accessRefusal(deps.identity, memory.user_id, "read") !== null)
        )
          throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: no memory with id ${id}`);
        const history = (await store.history(id)).map(toHistoryOutput);
        return markdown(uri, markdownMemory(toMemoryOutput(memory), history));
      }),
  );
}
