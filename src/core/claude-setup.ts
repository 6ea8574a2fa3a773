/**
 * What `setup claude-code` changes in Claude Code's JSON files, as pure
 * functions: parse a settings file (a malformed one is refused with its line),
 * compute the wanted entries (routing `env`, the MCP server, read tools in
 * `permissions.allow`, the hooks), apply them as a list of recorded changes,
 * and take those changes back out of a file that was edited since.
 */
import { MemoryError } from "./errors.js";

export type JsonObject = { [key: string]: unknown };
export type Route = "base-url" | "proxy" | "none";
export type Scope = "user" | "project";

/** The MCP tools that only read: allowed without asking. Every other tool (writes, deletions, analyses that store a reflection) is left to ask. */
export const READ_TOOLS = ["search_memories", "list_memories", "get_memory", "memory_history"] as const;

/** The Claude Code events the hook command answers. */
export const HOOK_EVENTS = ["SessionStart", "UserPromptSubmit"] as const;

/** The routing variables setup may write in Claude Code's `env`. */
export const ROUTING_KEYS = ["ANTHROPIC_BASE_URL", "HTTPS_PROXY", "NODE_EXTRA_CA_CERTS", "NO_PROXY"] as const;

/** Seconds Claude Code waits for our hook before going on without it. */
export const HOOK_TIMEOUT_SECONDS = 10;

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/**
 * Parses a JSON settings file that must hold an object. Whitespace only is an
 * empty object. Anything else is refused with the file, the line and what was
 * wrong, so that nothing is overwritten.
 */
export function parseJsonObject(text: string, file: string): JsonObject {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : text.trimEnd().length;
    const { line, column } = lineCol(text, offset);
    const what = message
      .replace(/\s*in JSON at position \d+.*$/, "")
      .replace(/, ".*" is not valid JSON$/, "");
    throw new MemoryError(
      "INVALID_INPUT",
      `${file}:${line}:${column}: not valid JSON (${what}); fix or move the file and run setup again — it was left untouched`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MemoryError(
      "INVALID_INPUT",
      `${file}:1:1: expected a JSON object ({ ... }) but found ${Array.isArray(parsed) ? "an array" : typeof parsed}; it was left untouched`,
    );
  }
  return parsed as JsonObject;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function getPath(doc: JsonObject, path: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as JsonObject)[key];
  }
  return cur;
}

/** The object at `path`, created (and any non-object in the way refused) when missing. */
function objectAt(doc: JsonObject, path: readonly string[], file: string): JsonObject {
  let cur = doc;
  for (const key of path) {
    const next = cur[key];
    if (next === undefined) cur[key] = {};
    else if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw new MemoryError(
        "INVALID_INPUT",
        `${file}: "${path.join(".")}" must be an object but is ${Array.isArray(next) ? "an array" : typeof next}; it was left untouched`,
      );
    }
    cur = cur[key] as JsonObject;
  }
  return cur;
}

function arrayAt(doc: JsonObject, path: readonly string[], file: string): unknown[] {
  const parent = objectAt(doc, path.slice(0, -1), file);
  const key = path.at(-1) as string;
  if (parent[key] === undefined) parent[key] = [];
  const arr = parent[key];
  if (!Array.isArray(arr)) {
    throw new MemoryError(
      "INVALID_INPUT",
      `${file}: "${path.join(".")}" must be an array but is ${typeof arr}; it was left untouched`,
    );
  }
  return arr;
}

/** One change setup made (or would make) to one file, enough to show it and to take it back. */
export type Change =
  | { kind: "set"; path: string[]; before?: unknown; after: unknown }
  | { kind: "unset"; path: string[]; before: unknown }
  | { kind: "add"; path: string[]; item: unknown }
  | { kind: "replace"; path: string[]; before: unknown; after: unknown };

/** What setup wants in one file. `same` recognises an older entry of ours to replace. */
export type Want =
  | { kind: "set"; path: string[]; value: unknown }
  | { kind: "unset"; path: string[] }
  | { kind: "add"; path: string[]; item: unknown; same?: (existing: unknown) => boolean };

/** Applies the wanted entries to a copy of `doc`; returns the new document and what changed (nothing when already so). */
export function applyWants(
  doc: JsonObject,
  wants: readonly Want[],
  file: string,
): { doc: JsonObject; changes: Change[] } {
  const next = clone(doc);
  const changes: Change[] = [];
  for (const w of wants) {
    const current = getPath(next, w.path);
    if (w.kind === "set") {
      if (deepEqual(current, w.value)) continue;
      objectAt(next, w.path.slice(0, -1), file)[w.path.at(-1) as string] = clone(w.value);
      changes.push(
        current === undefined
          ? { kind: "set", path: w.path, after: clone(w.value) }
          : { kind: "set", path: w.path, before: clone(current), after: clone(w.value) },
      );
    } else if (w.kind === "unset") {
      if (current === undefined) continue;
      const parent = getPath(next, w.path.slice(0, -1)) as JsonObject;
      delete parent[w.path.at(-1) as string];
      changes.push({ kind: "unset", path: w.path, before: clone(current) });
    } else {
      const arr = arrayAt(next, w.path, file);
      if (arr.some((x) => deepEqual(x, w.item))) continue;
      const i = w.same ? arr.findIndex((x) => w.same?.(x)) : -1;
      if (i >= 0) {
        changes.push({ kind: "replace", path: w.path, before: clone(arr[i]), after: clone(w.item) });
        arr[i] = clone(w.item);
      } else {
        arr.push(clone(w.item));
        changes.push({ kind: "add", path: w.path, item: clone(w.item) });
      }
    }
  }
  return { doc: next, changes };
}

/** Deletes empty objects and arrays along `path` that `original` did not have. */
function prune(doc: JsonObject, path: readonly string[], original: JsonObject): void {
  for (let n = path.length; n > 0; n--) {
    const p = path.slice(0, n);
    const v = getPath(doc, p);
    if (v === undefined) continue;
    const empty = Array.isArray(v)
      ? v.length === 0
      : typeof v === "object" && v !== null && !Object.keys(v).length;
    if (!empty || getPath(original, p) !== undefined) return;
    delete (getPath(doc, p.slice(0, -1)) as JsonObject)[p.at(-1) as string];
  }
}

/**
 * Takes setup's changes back out of a file that was edited after setup wrote
 * it (Claude Code rewrites `~/.claude.json` all the time): each entry setup
 * set goes back to what it was, unless it was changed since; items setup
 * added are removed; everything else in the file stays.
 */
export function revertChanges(
  current: JsonObject,
  changes: readonly Change[],
  original: JsonObject,
): JsonObject {
  const doc = clone(current);
  for (const c of [...changes].reverse()) {
    const parentPath = c.path.slice(0, -1);
    const key = c.path.at(-1) as string;
    const parent = getPath(doc, parentPath);
    if (c.kind === "set" || c.kind === "unset") {
      if (typeof parent !== "object" || parent === null || Array.isArray(parent)) {
        if (c.kind === "unset") objectAt(doc, parentPath, "(undo)")[key] = clone(c.before);
        continue;
      }
      const obj = parent as JsonObject;
      if (c.kind === "set") {
        if (!deepEqual(obj[key], c.after)) continue;
        if (c.before === undefined) delete obj[key];
        else obj[key] = clone(c.before);
      } else if (obj[key] === undefined) obj[key] = clone(c.before);
    } else {
      const arr = getPath(doc, c.path);
      if (!Array.isArray(arr)) continue;
      const target = c.kind === "add" ? c.item : c.after;
      const i = arr.findIndex((x) => deepEqual(x, target));
      if (i < 0) continue;
      if (c.kind === "add") arr.splice(i, 1);
      else arr[i] = clone(c.before);
    }
    prune(doc, c.path, original);
  }
  return doc;
}

/** A value shown in setup's output: a token in a URL or variable masked. */
export function maskValue(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s.replace(/\/t\/[^/\s"]+/g, "/t/****").replace(/\/\/([^:@/\s"]+):[^@/\s"]+@/g, "//$1:****@");
}

/** One line per change, for the person. */
export function describeChange(c: Change): string {
  const where = c.path.join(".");
  switch (c.kind) {
    case "set":
      return c.before === undefined
        ? `  + ${where} = ${maskValue(c.after)}`
        : `  ~ ${where}: ${maskValue(c.before)} → ${maskValue(c.after)}`;
    case "unset":
      return `  - ${where} (was ${maskValue(c.before)})`;
    case "add":
      return `  + ${where}: ${maskValue(c.item)}`;
    case "replace":
      return `  ~ ${where}: ${maskValue(c.before)} → ${maskValue(c.after)}`;
  }
}

/** A path or word for a POSIX shell command line, in double quotes (as Claude Code's own examples do). */
export function shellDoubleQuote(s: string): string {
  return `"${s.replace(/(["\\$`])/g, "\\$1")}"`;
}

function shellSingleQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface SetupInputs {
  scope: Scope;
  route: Route;
  /** The MCP server's name in Claude Code (tool names become mcp__<name>__<tool>). */
  serverName: string;
  nodePath: string;
  cliPath: string;
  /** Global options for every command setup writes (e.g. `--config /abs/.env`). */
  globalArgs: string[];
  /** Variables every command setup writes runs with: the data directory, port, backend... */
  env: Record<string, string>;
  /** http://127.0.0.1:PORT */
  proxyUrl: string;
  /** What ANTHROPIC_BASE_URL gets (the proxy URL, with `/t/<token>` when the proxy needs one). */
  baseUrl: string;
  /** What HTTPS_PROXY gets. */
  httpsProxy: string;
  /** What NODE_EXTRA_CA_CERTS gets for the proxy route (the CA, or a bundle holding it and the one kept). */
  caBundle: string;
  /** NO_PROXY to write (loopback added to one already set), or undefined to leave it. */
  noProxy?: string | undefined;
  /** Whether a value is one of ours (points at this proxy, or at a file of its CA directory). */
  isOurs: (key: string, value: string) => boolean;
}

/** The MCP server entry, as `claude mcp add --transport stdio` writes it. */
export function mcpServerEntry(i: SetupInputs): JsonObject {
  return { type: "stdio", command: i.nodePath, args: [i.cliPath, ...i.globalArgs, "mcp"], env: { ...i.env } };
}

/** The hook command line for one event: works from any shell and folder. */
export function hookCommand(i: SetupInputs, event: string): string {
  const prefix = Object.entries(i.env)
    .map(([k, v]) => `${k}=${shellSingleQuote(v)} `)
    .join("");
  const args = i.globalArgs.map(shellDoubleQuote).join(" ");
  return `${prefix}${shellDoubleQuote(i.nodePath)} ${shellDoubleQuote(i.cliPath)}${args ? ` ${args}` : ""} hook ${event}`;
}

/** Whether a hook group in Claude Code's settings is one setup wrote (for this event), perhaps with other paths. */
export function isOurHookGroup(group: unknown, event: string): boolean {
  const hooks = (group as { hooks?: unknown } | null)?.hooks;
  if (!Array.isArray(hooks)) return false;
  return hooks.some((h) => {
    const command = (h as { command?: unknown } | null)?.command;
    return (
      typeof command === "string" &&
      command.endsWith(` hook ${event}`) &&
      (command.includes("mcp-mitm-mem0") || command.includes("/dist/cli/main.js"))
    );
  });
}

/** The `permissions.allow` rules for the read tools of the server named `serverName`. */
export function readToolRules(serverName: string): string[] {
  return READ_TOOLS.map((tool) => `mcp__${serverName}__${tool}`);
}

/** Whether a CLI path is this tool's (a global install, or a checkout's built CLI). */
function isOurCli(path: string): boolean {
  return path.includes("mcp-mitm-mem0") || path.endsWith("/dist/cli/main.js");
}

/** Whether an entry of `mcpServers` starts this tool's MCP server (as setup, `claude mcp add` or the README write it). */
export function isOurMcpEntry(entry: unknown): boolean {
  if (typeof entry !== "object" || entry === null) return false;
  const { command, args } = entry as { command?: unknown; args?: unknown };
  if (typeof command !== "string" || !Array.isArray(args) || args.at(-1) !== "mcp") return false;
  return isOurCli(command) || (typeof args[0] === "string" && isOurCli(args[0]));
}

/** What a command line setup wrote (an MCP entry, a hook) runs: the program, the CLI, the data directory it names. */
export interface CommandParts {
  /** The program started: Node (or the CLI itself when installed on PATH). */
  program: string;
  /** The CLI's path, when Node runs it (null: the program is the CLI). */
  cliPath: string | null;
  /** MEMORY_DATA_DIR or --data-dir it sets (null: neither, the default applies). */
  dataDir: string | null;
  /** A --config file it passes. */
  configFile: string | null;
  env: Record<string, string>;
}

function partsOf(program: string, rest: string[], env: Record<string, string>): CommandParts {
  const cliPath = isOurCli(program) ? null : (rest[0] ?? null);
  const after = cliPath === null ? rest : rest.slice(1);
  const flagValue = (flag: string) => {
    const i = after.indexOf(flag);
    return i >= 0 ? (after[i + 1] ?? null) : null;
  };
  return {
    program,
    cliPath,
    dataDir: flagValue("--data-dir") ?? env.MEMORY_DATA_DIR ?? null,
    configFile: flagValue("--config"),
    env,
  };
}

/** The parts of an MCP server entry of ours. */
export function mcpEntryParts(entry: JsonObject): CommandParts {
  const env: Record<string, string> = {};
  const raw = entry.env;
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) if (typeof v === "string") env[k] = v;
  }
  const args = Array.isArray(entry.args) ? entry.args.filter((a): a is string => typeof a === "string") : [];
  return partsOf(String(entry.command), args, env);
}

/**
 * Splits a hook command line as a POSIX shell would for the words setup
 * writes (leading NAME=value assignments, then words in single or double
 * quotes or bare); null when it holds anything else (pipes, `$(...)`,
 * `&&`...), which doctor cannot vouch for.
 */
export function splitCommandLine(line: string): { env: Record<string, string>; words: string[] } | null {
  const words: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === " " || line[i] === "\t")) i++;
    if (i >= n) break;
    let word = "";
    while (i < n && line[i] !== " " && line[i] !== "\t") {
      const ch = line[i] as string;
      if (ch === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) return null;
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        i++;
        while (i < n && line[i] !== '"') {
          if (line[i] === "\\" && i + 1 < n && '"\\$`'.includes(line[i + 1] as string)) i++;
          else if (line[i] === "$" || line[i] === "`") return null;
          word += line[i];
          i++;
        }
        if (i >= n) return null;
        i++;
      } else if (ch === "\\" && i + 1 < n) {
        word += line[i + 1];
        i += 2;
      } else if (/[|&;<>()$`\\*?[\]{}~#!]/.test(ch)) {
        return null;
      } else {
        word += ch;
        i++;
      }
    }
    words.push(word);
  }
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) {
    const w = words.shift() as string;
    const eq = w.indexOf("=");
    env[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return { env, words };
}

/** The parts of a hook command of ours for `event` (null: not one setup's shape could have written). */
export function hookCommandParts(command: string, event: string): CommandParts | null {
  const split = splitCommandLine(command);
  if (!split || split.words.length < 3) return null;
  const { env, words } = split;
  if (words.at(-1) !== event || words.at(-2) !== "hook") return null;
  const [program, ...rest] = words.slice(0, -2);
  return program === undefined ? null : partsOf(program, rest, env);
}

/** What setup wants in the settings file (`env`, `permissions.allow`, `hooks`). */
export function settingsWants(i: SetupInputs, current: JsonObject): Want[] {
  const wants: Want[] = [];
  const env = (getPath(current, ["env"]) ?? {}) as Record<string, unknown>;
  const want: Record<string, string> = {};
  if (i.route === "base-url") {
    want.ANTHROPIC_BASE_URL = i.baseUrl;
    if (i.noProxy !== undefined) want.NO_PROXY = i.noProxy;
  } else if (i.route === "proxy") {
    want.HTTPS_PROXY = i.httpsProxy;
    want.NODE_EXTRA_CA_CERTS = i.caBundle;
  }
  for (const key of ROUTING_KEYS) {
    if (want[key] !== undefined) wants.push({ kind: "set", path: ["env", key], value: want[key] });
    else if (key !== "NO_PROXY" && typeof env[key] === "string" && i.isOurs(key, env[key] as string)) {
      // A route chosen before that points at this proxy: the other route replaces it.
      wants.push({ kind: "unset", path: ["env", key] });
    }
  }
  for (const rule of readToolRules(i.serverName)) {
    wants.push({ kind: "add", path: ["permissions", "allow"], item: rule });
  }
  for (const event of HOOK_EVENTS) {
    wants.push({
      kind: "add",
      path: ["hooks", event],
      item: { hooks: [{ type: "command", command: hookCommand(i, event), timeout: HOOK_TIMEOUT_SECONDS }] },
      same: (g) => isOurHookGroup(g, event),
    });
  }
  return wants;
}

/** What setup wants where the MCP server is registered (`~/.claude.json` or `.mcp.json`). */
export function mcpWants(i: SetupInputs): Want[] {
  return [{ kind: "set", path: ["mcpServers", i.serverName], value: mcpServerEntry(i) }];
}

/** For `--scope project`: the server of `.mcp.json` approved in `.claude/settings.local.json`, as Claude Code records an approval. */
export function approvalWants(i: SetupInputs): Want[] {
  return [{ kind: "add", path: ["enabledMcpjsonServers"], item: i.serverName }];
}
