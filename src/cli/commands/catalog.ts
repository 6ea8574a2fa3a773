/**
 * Every command of the CLI, in the order `--help` lists them: its name, how
 * the help lists it, its description, and the module that defines it. A
 * command line loads only the module of the command it names (and, for
 * `--help`, none): start-up is on the hot path (hooks run a command on every
 * prompt), so nothing is imported that the command does not use.
 * test/cli/startup-imports.test.ts checks the listing against the modules.
 */
import type { RegisterCommand } from "../context.js";

type Loader = () => Promise<RegisterCommand[]>;

const MODULES = {
  start: async () => [(await import("./start.js")).registerStartCommand],
  stop: async () => [(await import("./stop.js")).registerStopCommand],
  status: async () => [(await import("./status.js")).registerStatusCommand],
  ui: async () => [(await import("./ui.js")).registerUiCommand],
  doctor: async () => [(await import("./doctor.js")).registerDoctorCommand],
  ca: async () => [(await import("./ca.js")).registerCaCommand],
  setup: async () => [(await import("./setup.js")).registerSetupCommand],
  mcp: async () => [(await import("./mcp.js")).registerMcpCommand],
  token: async () => [(await import("./token.js")).registerTokenCommands],
  write: async () => [(await import("./memory-write.js")).registerWriteCommands],
  read: async () => [(await import("./memory-read.js")).registerReadCommands],
  portability: async () => [(await import("./portability.js")).registerPortabilityCommands],
  transcripts: async () => [(await import("./transcripts.js")).registerWatchCommand],
  embeddings: async () => [(await import("./embeddings.js")).registerEmbeddingsCommands],
  audit: async () => [(await import("./audit.js")).registerAuditCommand],
  hook: async () => [(await import("./hook.js")).registerHookCommand],
  insights: async () => {
    const m = await import("./analyze.js");
    return [m.registerAnalyzeCommand, m.registerSuggestCommand];
  },
} satisfies Record<string, Loader>;

export interface CatalogEntry {
  name: string;
  /** How the command list in `--help` shows it. */
  term: string;
  description: string;
  module: keyof typeof MODULES;
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    name: "start",
    term: "start [options]",
    module: "start",
    description: "run the capture proxy (forward and reverse on one port) on the configured store",
  },
  {
    name: "stop",
    term: "stop [options]",
    module: "stop",
    description: "stop the capture proxy of this data directory (gracefully: streams in flight finish)",
  },
  {
    name: "status",
    term: "status [options]",
    module: "status",
    description: "is the capture proxy running, and what has it captured",
  },
  {
    name: "ui",
    term: "ui [options]",
    module: "ui",
    description: "serve the local web page for your memories on 127.0.0.1",
  },
  {
    name: "doctor",
    term: "doctor [options]",
    module: "doctor",
    description:
      "check the CA, .env, the proxy, this shell's routing, the store, the Mem0 key and Claude Code's setup (routing, MCP server, permissions, hooks)",
  },
  {
    name: "ca",
    term: "ca",
    module: "ca",
    description: "the certificate authority the proxy uses to intercept api.anthropic.com",
  },
  {
    name: "setup",
    term: "setup",
    module: "setup",
    description: "configure Claude Code in one step (claude-code); keep the proxy running at login (service)",
  },
  {
    name: "mcp",
    term: "mcp [options]",
    module: "mcp",
    description: "run the MCP server (stdio by default; --http for Streamable HTTP on 127.0.0.1)",
  },
  {
    name: "token",
    term: "token",
    module: "token",
    description: "team mode (AUTH_MODE=tokens): per-person tokens that decide the user: create, list, revoke",
  },
  { name: "add", term: "add [options] <text...>", module: "write", description: "remember something" },
  {
    name: "update",
    term: "update [options] <id>",
    module: "write",
    description: "change a memory's text, metadata or categories",
  },
  {
    name: "delete",
    term: "delete <id>",
    module: "write",
    description: "delete one memory (its history is kept)",
  },
  {
    name: "forget",
    term: "forget [options]",
    module: "write",
    description: "delete ALL of a user's memories and their history (the right to be forgotten)",
  },
  {
    name: "search",
    term: "search [options] <query...>",
    module: "read",
    description: "search memories (ranked full-text search)",
  },
  { name: "list", term: "list [options]", module: "read", description: "list memories, newest first" },
  { name: "show", term: "show [options] <id>", module: "read", description: "show one memory" },
  {
    name: "history",
    term: "history [options] <id>",
    module: "read",
    description: "show what happened to a memory (ADD, UPDATE, DELETE), oldest first",
  },
  {
    name: "stats",
    term: "stats [options]",
    module: "read",
    description: "count memories, users and history events",
  },
  {
    name: "export",
    term: "export [options]",
    module: "portability",
    description: "write a user's memories as JSONL (default) or JSON, for backup or moving elsewhere",
  },
  {
    name: "import",
    term: "import [options] [file]",
    module: "portability",
    description:
      "read memories written by export (JSONL or JSON), or --from claude-code: Claude Code's transcripts as episodes; running it twice adds nothing new",
  },
  {
    name: "watch",
    term: "watch [options] [dir]",
    module: "transcripts",
    description:
      "follow Claude Code's transcripts and store each episode as it completes (capture without the proxy)",
  },
  {
    name: "embeddings",
    term: "embeddings",
    module: "embeddings",
    description: "the optional dense search signal (EMBEDDINGS_URL + EMBEDDINGS_MODEL): status, backfill",
  },
  {
    name: "hook",
    term: "hook <event>",
    module: "hook",
    description:
      "what Claude Code's hooks run: SessionStart (a project briefing) or UserPromptSubmit (memories relevant to the prompt), JSON on stdin and stdout",
  },
  {
    name: "analyze",
    term: "analyze [options]",
    module: "insights",
    description:
      "analyse recent memories (captured conversations, added and imported memories): topics and how they shifted, recurring problems, preferences, decisions, unfinished work, activity per project (stored as the scope's reflection)",
  },
  {
    name: "suggest",
    term: "suggest [options]",
    module: "insights",
    description:
      "suggest up to 10 next actions: resume unfinished work, write down recurring fixes, settle contradicted decisions, follow repeated preferences",
  },
  {
    name: "audit",
    term: "audit [options]",
    module: "audit",
    description: "who read or changed which memories, when, through which entry point (never their text)",
  },
];

/** The description of a command, for the module that defines it. */
export function describeCommand(name: string): string {
  const entry = CATALOG.find((e) => e.name === name);
  if (!entry) throw new Error(`command ${name} is not in the catalog`);
  return entry.description;
}

/** The register functions of the module that defines `entry`. */
export function loadCommandModule(module: CatalogEntry["module"]): Promise<RegisterCommand[]> {
  return MODULES[module]();
}

/** Every module, in catalog order (for tests and for listing all commands with their options). */
export async function loadAllCommands(): Promise<RegisterCommand[]> {
  const modules = [...new Set(CATALOG.map((e) => e.module))];
  return (await Promise.all(modules.map((m) => MODULES[m]()))).flat();
}
