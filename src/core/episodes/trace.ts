/**
 * One tool call → one short trace line and the facts it adds (files read or
 * changed, commands, tools). The key argument only (a path, a command, a
 * URL, a query); a tool result's body never. Pure.
 */
import { isObject } from "../capture/message-accumulator.js";
import { redact } from "../capture/redaction.js";
import { displayPath } from "./display-path.js";
import type { EpisodeFacts } from "./types.js";

/** Bound on one trace line and on a key argument. */
export const TRACE_LINE_MAX_CHARS = 200;
const ERROR_MAX_CHARS = 160;

/** This project's own MCP tools: their calls are recall, their results never stored. */
const MEMORY_TOOLS = new Set([
  "search_memories",
  "list_memories",
  "get_memory",
  "memory_history",
  "add_memory",
  "update_memory",
  "delete_memory",
  "delete_all_memories",
  "analyze_conversations",
  "suggest_next_actions",
]);

const READ_TOOLS = new Set(["Read", "NotebookRead"]);
const WRITE_TOOLS = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);
const SUBAGENT_TOOLS = new Set(["Agent", "Task"]);

function oneLine(text: string, max = TRACE_LINE_MAX_CHARS): string {
  const flat = text
    .replace(/\s*\n\s*/g, " ⏎ ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function str(input: Record<string, unknown>, ...names: string[]): string | null {
  for (const n of names) {
    const v = input[n];
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  return null;
}

/** `mcp__memory__search_memories` → `{ server: "memory", tool: "search_memories" }`. */
export function mcpToolName(name: string): { server: string; tool: string } | null {
  if (!name.startsWith("mcp__")) return null;
  const rest = name.slice(5);
  const sep = rest.indexOf("__");
  if (sep <= 0) return null;
  return { server: rest.slice(0, sep), tool: rest.slice(sep + 2) };
}

/** Whether a tool call is this project's own memory tool (recall). */
export function isRecallTool(name: string, input: Record<string, unknown>): boolean {
  const mcp = mcpToolName(name);
  if (mcp && MEMORY_TOOLS.has(mcp.tool)) return true;
  if (name === "ReadMcpResourceTool") {
    const uri = str(input, "uri");
    return uri?.startsWith("memory://") ?? false;
  }
  return false;
}

export interface TracedCall {
  line: string;
  /** true for recall calls: their result is never kept, not even an error line. */
  recall: boolean;
  subagent: boolean;
}

/** The trace line of a call, adding what it touched to `facts`. Strings are redacted. */
export function traceCall(
  name: string,
  rawInput: unknown,
  project: string | null,
  facts: EpisodeFacts,
): TracedCall {
  const input = isObject(rawInput) ? rawInput : {};
  const tool = oneLine(name, 100);
  if (!facts.tools.includes(tool)) facts.tools.push(tool);
  const clean = (s: string) => oneLine(redact(s));
  const addUnique = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };

  if (isRecallTool(name, input)) {
    const query = str(input, "query", "topic", "uri", "id", "memory_id");
    return { line: query ? `recalled: ${clean(query)}` : "recalled", recall: true, subagent: false };
  }
  const path = str(input, "file_path", "notebook_path", "path");
  if (READ_TOOLS.has(name) && path) {
    const p = clean(path);
    addUnique(facts.files_read, p);
    return { line: `${name} ${displayPath(p, project)}`, recall: false, subagent: false };
  }
  if (WRITE_TOOLS.has(name) && path) {
    const p = clean(path);
    addUnique(facts.files_changed, p);
    return { line: `${name} ${displayPath(p, project)}`, recall: false, subagent: false };
  }
  if (name === "Bash" || name === "BashOutput" || name === "PowerShell") {
    const command = str(input, "command");
    if (command) {
      const c = clean(command);
      addUnique(facts.commands, c);
      return { line: `${name}: ${c}`, recall: false, subagent: false };
    }
  }
  if (SUBAGENT_TOOLS.has(name)) {
    const what = str(input, "description", "subagent_type") ?? "sub-agent";
    return { line: `${name}: ${clean(what)}`, recall: false, subagent: true };
  }
  if (name === "Grep" || name === "Glob") {
    const pattern = str(input, "pattern");
    const where = str(input, "path");
    const line = `${name} ${pattern ? JSON.stringify(clean(pattern)) : ""}${where ? ` in ${displayPath(clean(where), project)}` : ""}`;
    return { line: oneLine(line), recall: false, subagent: false };
  }
  const mcp = mcpToolName(name);
  const key =
    str(input, "url", "query", "command", "file_path", "path", "pattern", "prompt", "description") ??
    firstStringField(input);
  const label = mcp ? `${mcp.server}/${mcp.tool}` : tool;
  return { line: key ? `${label}: ${clean(key)}` : label, recall: false, subagent: false };
}

/** The first short string argument of a tool unknown to the trace (`get_weather {city}` → the city). */
function firstStringField(input: Record<string, unknown>): string | null {
  for (const v of Object.values(input)) if (typeof v === "string" && v.trim() !== "") return v;
  return null;
}

/** The text of a tool_result's content (only to read its first line; never stored whole). */
export function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (isObject(p) && p.type === "text" && typeof p.text === "string" ? p.text : ""))
    .filter((s) => s !== "")
    .join("\n");
}

/**
 * The first informative line of a result: its first non-empty line, and when
 * that is only `Exit code N` the next one too. Redacted and bounded.
 */
export function firstLine(text: string, max = ERROR_MAX_CHARS): string {
  const lines = text
    .split(/\r?\n/, 8)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  let out = lines[0] ?? "";
  if (/^exit code \d+$/i.test(out) && lines[1]) out = `${out}: ${lines[1]}`;
  return oneLine(redact(out), max);
}
