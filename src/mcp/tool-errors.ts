import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { errorMessage, isMemoryError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";

/** MCP's "resource not found" JSON-RPC error code (not in the SDK's enum). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * The one place that turns a thrown error into words a model can act on.
 * Never includes a stack trace; unexpected errors are logged (without
 * arguments, which may hold conversation text) and summarised.
 */
export function describeError(e: unknown): string {
  if (!isMemoryError(e))
    return `Unexpected error: ${sentence(errorMessage(e))} Retry once; if it fails again, tell the user.`;
  const msg = sentence(e.message);
  switch (e.code) {
    case "NOT_FOUND":
      return `${msg} Use search_memories or list_memories to find a valid memory id.`;
    case "INVALID_INPUT":
      return `Invalid input: ${msg}`;
    case "STORE_UNAVAILABLE":
      return `The memory store is unavailable: ${msg} Retry in a moment; if it keeps failing, tell the user.`;
    case "UPSTREAM_UNREACHABLE":
      return `The Mem0 Platform cannot be reached: ${msg} Memory is offline for now; retry later and tell the user.`;
    case "AUTH_REJECTED":
      return `The memory backend rejected its credentials: ${msg} The user must check MEM0_API_KEY; retrying will not help.`;
    case "UPSTREAM_ERROR":
      return `The memory backend returned an error: ${msg} Retry later.`;
    case "SCHEMA_TOO_NEW":
      return `${msg} The memory database was written by a newer mcp-mitm-mem0; the user must upgrade. Retrying will not help.`;
    case "CONFIG_INVALID":
      return `The memory server is misconfigured: ${msg} Tell the user; retrying will not help.`;
    case "CONFLICT":
      return `Conflict: ${msg} Read the memory again and retry.`;
    case "UNAVAILABLE":
      return msg;
    case "FORBIDDEN":
      return `Refused: ${msg} Retrying will not help.`;
    case "EMBEDDINGS_FAILED":
      return `The embeddings endpoint failed: ${msg} Search still works by words; tell the user to check EMBEDDINGS_URL.`;
  }
}

/** Capitalised, ending with a full stop, so that guidance can follow. */
function sentence(text: string): string {
  const t = text.trim();
  const cap = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : `${cap}.`;
}

/** A failed tool call as an `isError` result. */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** Maps anything thrown by a tool handler to an `isError` result. */
export function toolErrorFrom(e: unknown, tool: string, logger: Logger): CallToolResult {
  if (!isMemoryError(e)) {
    logger.error("mcp tool failed unexpectedly", { tool, error: e instanceof Error ? e.name : typeof e });
  } else if (e.code !== "NOT_FOUND" && e.code !== "INVALID_INPUT") {
    logger.warn("mcp tool failed", { tool, code: e.code });
  }
  return toolError(describeError(e));
}

/** For resources and prompts, whose failures travel as JSON-RPC errors. */
export function protocolErrorFrom(e: unknown, what: string, logger: Logger): McpError {
  if (e instanceof McpError) return e;
  if (isMemoryError(e) && e.code === "NOT_FOUND") return new McpError(RESOURCE_NOT_FOUND, describeError(e));
  if (isMemoryError(e) && (e.code === "INVALID_INPUT" || e.code === "FORBIDDEN"))
    return new McpError(ErrorCode.InvalidParams, describeError(e));
  logger.warn("mcp request failed", { what, code: isMemoryError(e) ? e.code : "UNEXPECTED" });
  return new McpError(ErrorCode.InternalError, describeError(e));
}
