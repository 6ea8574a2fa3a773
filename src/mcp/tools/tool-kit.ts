import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Access, assertAccess, type Identity } from "../../core/access.js";
import type { Config } from "../../core/config.js";
import { InvalidInputError, MemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Memory } from "../../core/types.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { InsightsProvider } from "../insights-provider.js";
import type { ProjectContext } from "../project-context.js";
import { toolErrorFrom } from "../tool-errors.js";

/** What every tool handler gets. */
export interface ToolDeps {
  store: MemoryStore;
  config: Config;
  logger: Logger;
  insights?: InsightsProvider | undefined;
  project: ProjectContext;
  /** Team mode: the token's identity (its user is `config.defaultUserId`). */
  identity?: Identity | undefined;
}

/** A successful result: a readable text block plus the structured content. */
export function ok<T extends Record<string, unknown>>(text: string, structured: T): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

/** Runs a handler; anything it throws becomes an `isError` result. */
export async function guarded(
  deps: ToolDeps,
  tool: string,
  fn: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (e) {
    return toolErrorFrom(e, tool, deps.logger);
  }
}

/**
 * The user a call acts for: the one named, else the default (in team mode,
 * the token's user). The one refusal point of the MCP tools, resources and
 * prompts: in team mode a user the token may not `access` is FORBIDDEN.
 */
export function userOrDefault(deps: ToolDeps, userId: string | undefined, access: Access = "read"): string {
  const user = userId ?? deps.config.defaultUserId;
  assertAccess(deps.identity, user, access);
  return user;
}

/**
 * A user the caller named explicitly must exist (have at least one memory),
 * so that a misspelt id gets an error instead of a silently empty answer.
 * The default user may be empty: that is a fresh install.
 */
export async function requireKnownUser(
  deps: ToolDeps,
  userId: string | undefined,
  access: Access = "read",
): Promise<string> {
  const user = userOrDefault(deps, userId, access);
  if (userId === undefined || user === deps.config.defaultUserId) return user;
  const page = await deps.store.list({ filters: { user_id: user }, limit: 1 });
  if (page.memories.length === 0) {
    throw new InvalidInputError(
      `no memories exist for user_id "${user}". Check the spelling, or omit user_id to use the default user`,
    );
  }
  return user;
}

/** The memory with this id if it belongs to the user; NOT_FOUND otherwise. */
export async function ownedMemory(deps: ToolDeps, id: string, userId: string): Promise<Memory> {
  const memory = await deps.store.get(id, userId);
  if (memory === null) throw new MemoryError("NOT_FOUND", `memory ${id} was not found for user ${userId}`);
  return memory;
}

/** "1 memory", "3 memories". */
export function countOf(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const memoryCount = (n: number) => countOf(n, "memory", "memories");
