import { join } from "node:path";
import {
  bool,
  type ConfigLogLevel,
  hostList,
  httpUrl,
  LOG_LEVELS,
  lenientDebug,
  lenientLogLevel,
  nonNegativeInt,
  oneOf,
  port,
  positiveInt,
  secretText,
  text,
  type ValueKind,
} from "./config-values.js";
import { ConfigError } from "./errors.js";

/**
 * Configuration, validated once from environment variables (plus an optional
 * `.env` file and command-line overrides) and passed down. Nothing deeper
 * reads `process.env`.
 */

/** The program's name, as `DEBUG` namespaces name it. */
export const TOOL_NAME = "mcp-mitm-mem0";

/** A relevance score from 0 to 1 (search scores are in (0, 1]). */
const unitScore: ValueKind<number> = {
  parse(raw) {
    const n = Number(raw.trim());
    return Number.isFinite(n) && n >= 0 && n <= 1
      ? { ok: true, value: n }
      : { ok: false, expected: "a number from 0 to 1" };
  },
};

/** The dense search signal's weight: a number from 0 to 10. */
const denseWeight: ValueKind<number> = {
  parse(raw) {
    const n = Number(raw.trim());
    return Number.isFinite(n) && n >= 0 && n <= 10
      ? { ok: true, value: n }
      : { ok: false, expected: "a number from 0 to 10" };
  },
};

/** Environment variable name → how its value is read, and its default. */
export const ENV_VARS = {
  MEM0_API_KEY: { kind: secretText() },
  MEM0_ORG_ID: { kind: text },
  MEM0_PROJECT_ID: { kind: text },
  MEM0_BASE_URL: { kind: httpUrl, default: "https://api.mem0.ai" },
  MEM0_API_VERSION: { kind: oneOf(["v2", "v3"]), default: "v3" },
  MEM0_INFER: { kind: bool, default: false },
  MEM0_TIMEOUT_MS: { kind: positiveInt, default: 30_000 },
  MEMORY_BACKEND: { kind: oneOf(["auto", "sqlite", "mem0", "postgres"]), default: "auto" },
  /** libpq URL of the PostgreSQL backend; may hold a password, so it is masked like a key. */
  DATABASE_URL: { kind: secretText() },
  DATABASE_TIMEOUT_MS: { kind: positiveInt, default: 10_000 },
  DEFAULT_USER_ID: { kind: text, default: "default_user" },
  DEFAULT_AGENT_ID: { kind: text, default: "claude-code" },
  DEFAULT_APP_ID: { kind: text },
  MITM_HOST: { kind: text, default: "127.0.0.1" },
  MITM_PORT: { kind: port, default: 8080 },
  MCP_NAME: { kind: text, default: "memory-service" },
  MCP_HTTP_PORT: { kind: port, default: 8765 },
  MCP_HTTP_TOKEN: { kind: secretText(16) },
  WEB_PORT: { kind: port, default: 8766 },
  WEB_TOKEN: { kind: secretText(16) },
  /** This tool's own log level; strict, and it wins over the shared LOG_LEVEL and DEBUG. */
  MEMORY_LOG_LEVEL: { kind: oneOf(LOG_LEVELS) },
  MEMORY_DATA_DIR: { kind: text },
  /** Days the audit of memory access (audit.jsonl in the data directory) keeps its lines. */
  AUDIT_RETENTION_DAYS: { kind: positiveInt, default: 90 },
  UPSTREAM_URL: { kind: httpUrl, default: "https://api.anthropic.com" },
  UPSTREAM_CA_FILE: { kind: text },
  INTERCEPT_HOSTS: { kind: hostList, default: ["api.anthropic.com"] },
  PROXY_AUTH_TOKEN: { kind: secretText(16) },
  /** Team mode: "tokens" makes every network entry point take per-person tokens (`token create`). */
  AUTH_MODE: { kind: oneOf(["local", "tokens"]), default: "local" },
  REFLECTION_EVERY: { kind: positiveInt, default: 5 },
  /** Minutes without a request after which an unfinished episode is stored as incomplete. */
  EPISODE_IDLE_MINUTES: { kind: positiveInt, default: 5 },
  /** KiB the proxy keeps in reserve in the data directory, given up when the disk fills so captured turns still fit; 0: none. */
  DISK_RESERVE_KB: { kind: nonNegativeInt, default: 4096 },
  /** Proxy-side recall: add relevant memories to forwarded /v1/messages requests (opt-in). */
  MEMORY_INJECT: { kind: oneOf(["on", "off"]), default: "off" },
  MEMORY_INJECT_MAX_CHARS: { kind: positiveInt, default: 1500 },
  MEMORY_INJECT_TIMEOUT_MS: { kind: positiveInt, default: 100 },
  REFLECTION_MODEL: { kind: text },
  /** Where the opt-in model reflection sends its Messages API request (default: UPSTREAM_URL). */
  REFLECTION_BASE_URL: { kind: httpUrl },
  ANTHROPIC_API_KEY: { kind: secretText() },
  /** Optional OpenAI-compatible embeddings endpoint (Ollama, LM Studio, llama.cpp, vLLM): adds a dense signal to search. */
  EMBEDDINGS_URL: { kind: httpUrl },
  EMBEDDINGS_MODEL: { kind: text },
  EMBEDDINGS_API_KEY: { kind: secretText() },
  /** Weight of the dense bonus next to the lexical score (0 turns it off; default 0.1). */
  EMBEDDINGS_WEIGHT: { kind: denseWeight },
  EMBEDDINGS_TIMEOUT_MS: { kind: positiveInt, default: 2000 },
  /** Claude Code's own setting: where it keeps its transcripts (`<dir>/projects`). */
  CLAUDE_CONFIG_DIR: { kind: text },
  /** At most this many characters of notes per injection (hooks). */
  RECALL_MAX_CHARS: { kind: positiveInt, default: 1500 },
  /** The search score a memory needs to be added to a prompt. */
  RECALL_MIN_SCORE: { kind: unitScore, default: 0.45 },
  /** A hook that has not answered after this long prints nothing and exits 0. */
  HOOK_TIMEOUT_MS: { kind: positiveInt, default: 3000 },
} satisfies Record<string, { kind: ValueKind<unknown>; default?: unknown }>;

/**
 * Variables many programs share: read leniently (an unknown value is a
 * warning, never a failure), because a person's shell or another tool sets
 * them for its own purposes.
 */
export const SHARED_VARS = ["DEBUG", "LOG_LEVEL"] as const;

type Vars = typeof ENV_VARS;
type ValueOf<K extends keyof Vars> = Vars[K]["kind"] extends ValueKind<infer T> ? T : never;
export type Env = {
  [K in keyof Vars]: Vars[K] extends { default: unknown } ? ValueOf<K> : ValueOf<K> | undefined;
};

export interface Config {
  backend: "sqlite" | "mem0" | "postgres";
  /** The PostgreSQL backend (MEMORY_BACKEND=postgres). */
  postgres: { url?: string | undefined; timeoutMs: number };
  mem0: {
    apiKey?: string | undefined;
    orgId?: string | undefined;
    projectId?: string | undefined;
    baseUrl: string;
    /** Which Mem0 endpoint family to use (v3 by default; v2 = /v1 add, /v2 search and list). */
    apiVersion?: "v2" | "v3" | undefined;
    /** Let Mem0 extract memories with its LLM (true) or store the text verbatim (false, default). */
    infer?: boolean | undefined;
    /** Per-request timeout in milliseconds. */
    timeoutMs?: number | undefined;
  };
  defaultUserId: string;
  defaultAgentId: string;
  defaultAppId?: string | undefined;
  proxy: {
    host: string;
    port: number;
    upstreamUrl: string;
    upstreamCaFile?: string | undefined;
    interceptHosts: string[];
    authToken?: string | undefined;
    /** An unfinished episode with no request for this long is stored as incomplete. */
    episodeIdleMs: number;
    /** Bytes of `<dataDir>/disk-reserve`, released when the disk is full (0: no reserve). */
    diskReserveBytes: number;
    /** Proxy-side recall (MEMORY_INJECT=on); null when off. */
    inject?: { maxChars: number; timeoutMs: number } | null | undefined;
  };
  mcp: { name: string; httpPort: number; httpToken?: string | undefined };
  /** "tokens": team mode, per-person tokens decide the user (see src/auth/). */
  authMode: "local" | "tokens";
  /** The local web page (`ui`, and `start` unless --no-ui). */
  web: { port: number; token?: string | undefined };
  logLevel: ConfigLogLevel;
  /** Holds the database and the CA. */
  dataDir: string;
  /** The audit of memory access: how many days its lines are kept. */
  audit: { retentionDays: number };
  /** Claude Code's transcripts: `$CLAUDE_CONFIG_DIR/projects`, else `~/.claude/projects`. */
  claudeProjectsDir: string;
  reflection: {
    every: number;
    model?: string | undefined;
    anthropicApiKey?: string | undefined;
    /** Messages API base URL for the opt-in model reflection (REFLECTION_BASE_URL, else UPSTREAM_URL). */
    baseUrl?: string | undefined;
  };
  /** What recall adds to Claude's context (the Claude Code hooks). */
  recall: {
    /** Characters per injection, the whole block included. */
    maxChars: number;
    /** The score a search result needs to be added to a prompt. */
    minScore: number;
    /** A hook gives up (prints nothing, exits 0) after this long. */
    hookTimeoutMs: number;
  };
  /** The optional embeddings endpoint; null when EMBEDDINGS_URL is not set (search is lexical). */
  embeddings: {
    url: string;
    model: string;
    apiKey?: string | undefined;
    weight?: number | undefined;
    /** How long a search waits for the query's vector before answering lexically. */
    queryTimeoutMs: number;
  } | null;
}

export interface ValidateOptions {
  /** Where a variable's value came from, for messages ("the environment", a file, a flag). */
  sourceOf?: (name: string) => string;
  /** Receives warnings about lenient variables (DEBUG, LOG_LEVEL) whose value was not understood. */
  warn?: (message: string) => void;
  /** Claude Code's folder when CLAUDE_CONFIG_DIR is not set (the caller passes `~/.claude`). */
  defaultClaudeDir?: string;
}

function quoted(name: string, raw: string, secret: boolean | undefined): string {
  if (secret) return name;
  const shown = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
  return `${name}=${JSON.stringify(shown)}`;
}

/** Reads every known variable, collecting one message per bad value. */
function readVars(raw: Record<string, string | undefined>, sourceOf: (name: string) => string): Env {
  const problems: string[] = [];
  const env: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_VARS) as [
    string,
    { kind: ValueKind<unknown>; default?: unknown },
  ][]) {
    const v = raw[name];
    // Empty strings count as unset, as most shells and .env files intend.
    if (v === undefined || v.trim() === "") {
      env[name] = spec.default;
      continue;
    }
    const parsed = spec.kind.parse(v);
    if (parsed.ok) env[name] = parsed.value;
    else
      problems.push(
        `  ${quoted(name, v, spec.kind.secret)} (from ${sourceOf(name)}): expected ${parsed.expected}`,
      );
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
  return env as Env;
}

/** MEMORY_LOG_LEVEL, else the shared LOG_LEVEL, else the shared DEBUG, else info. */
function logLevelFrom(
  env: Env,
  raw: Record<string, string | undefined>,
  sourceOf: (name: string) => string,
  warn: (message: string) => void,
): ConfigLogLevel {
  if (env.MEMORY_LOG_LEVEL) return env.MEMORY_LOG_LEVEL;
  const level = raw.LOG_LEVEL?.trim();
  if (level) {
    const known = lenientLogLevel(level);
    if (known) return known;
    warn(
      `ignoring ${quoted("LOG_LEVEL", level, false)} (from ${sourceOf("LOG_LEVEL")}): expected one of ${LOG_LEVELS.join(", ")}; using info (MEMORY_LOG_LEVEL sets this tool's level alone)`,
    );
  }
  const debug = raw.DEBUG?.trim();
  if (debug) {
    const on = lenientDebug(debug, TOOL_NAME);
    if (on === true) return "debug";
    if (on === null) {
      warn(
        `ignoring ${quoted("DEBUG", debug, false)} (from ${sourceOf("DEBUG")}): expected true/false or a list of debug namespaces (${TOOL_NAME} or * turns debug logs on)`,
      );
    }
  }
  return "info";
}

/**
 * Validates raw variables. `defaultDataDir` is where data lives when
 * MEMORY_DATA_DIR is not set (the caller resolves XDG paths).
 */
export function validateConfig(
  raw: Record<string, string | undefined>,
  defaultDataDir: string,
  options: ValidateOptions = {},
): Config {
  const sourceOf = options.sourceOf ?? (() => "the environment");
  const env = readVars(raw, sourceOf);
  let backend: "sqlite" | "mem0" | "postgres";
  if (env.MEMORY_BACKEND === "auto") backend = env.MEM0_API_KEY ? "mem0" : "sqlite";
  else backend = env.MEMORY_BACKEND;
  if ((env.EMBEDDINGS_URL === undefined) !== (env.EMBEDDINGS_MODEL === undefined)) {
    throw new ConfigError(
      "invalid configuration:\n  EMBEDDINGS_URL and EMBEDDINGS_MODEL: set both (the endpoint and the model it serves) or neither",
    );
  }
  if (backend === "mem0" && !env.MEM0_API_KEY) {
    throw new ConfigError(
      `invalid configuration:\n  MEMORY_BACKEND=mem0 (from ${sourceOf("MEMORY_BACKEND")}) needs MEM0_API_KEY to be set`,
    );
  }
  if (backend === "postgres" && !env.DATABASE_URL) {
    throw new ConfigError(
      `invalid configuration:\n  MEMORY_BACKEND=postgres (from ${sourceOf("MEMORY_BACKEND")}) needs DATABASE_URL ` +
        "(a libpq URL such as postgresql://user:password@host:5432/memories?sslmode=require)",
    );
  }
  const logLevel = logLevelFrom(env, raw, sourceOf, options.warn ?? (() => {}));
  return {
    backend,
    postgres: { url: env.DATABASE_URL, timeoutMs: env.DATABASE_TIMEOUT_MS },
    mem0: {
      apiKey: env.MEM0_API_KEY,
      orgId: env.MEM0_ORG_ID,
      projectId: env.MEM0_PROJECT_ID,
      baseUrl: env.MEM0_BASE_URL.replace(/\/+$/, ""),
      apiVersion: env.MEM0_API_VERSION,
      infer: env.MEM0_INFER,
      timeoutMs: env.MEM0_TIMEOUT_MS,
    },
    defaultUserId: env.DEFAULT_USER_ID,
    defaultAgentId: env.DEFAULT_AGENT_ID,
    defaultAppId: env.DEFAULT_APP_ID,
    proxy: {
      host: env.MITM_HOST,
      port: env.MITM_PORT,
      upstreamUrl: env.UPSTREAM_URL.replace(/\/+$/, ""),
      upstreamCaFile: env.UPSTREAM_CA_FILE,
      interceptHosts: env.INTERCEPT_HOSTS,
      authToken: env.PROXY_AUTH_TOKEN,
      episodeIdleMs: env.EPISODE_IDLE_MINUTES * 60_000,
      diskReserveBytes: env.DISK_RESERVE_KB * 1024,
      inject:
        env.MEMORY_INJECT === "on"
          ? { maxChars: env.MEMORY_INJECT_MAX_CHARS, timeoutMs: env.MEMORY_INJECT_TIMEOUT_MS }
          : null,
    },
    mcp: { name: env.MCP_NAME, httpPort: env.MCP_HTTP_PORT, httpToken: env.MCP_HTTP_TOKEN },
    web: { port: env.WEB_PORT, token: env.WEB_TOKEN },
    authMode: env.AUTH_MODE,
    claudeProjectsDir: join(
      env.CLAUDE_CONFIG_DIR ?? options.defaultClaudeDir ?? join(defaultDataDir, ".claude"),
      "projects",
    ),
    logLevel,
    dataDir: env.MEMORY_DATA_DIR ?? defaultDataDir,
    audit: { retentionDays: env.AUDIT_RETENTION_DAYS },
    reflection: {
      every: env.REFLECTION_EVERY,
      model: env.REFLECTION_MODEL,
      baseUrl: (env.REFLECTION_BASE_URL ?? env.UPSTREAM_URL).replace(/\/+$/, ""),
      anthropicApiKey: env.ANTHROPIC_API_KEY,
    },
    recall: {
      maxChars: env.RECALL_MAX_CHARS,
      minScore: env.RECALL_MIN_SCORE,
      hookTimeoutMs: env.HOOK_TIMEOUT_MS,
    },
    embeddings:
      env.EMBEDDINGS_URL && env.EMBEDDINGS_MODEL
        ? {
            url: env.EMBEDDINGS_URL,
            model: env.EMBEDDINGS_MODEL,
            apiKey: env.EMBEDDINGS_API_KEY,
            weight: env.EMBEDDINGS_WEIGHT,
            queryTimeoutMs: env.EMBEDDINGS_TIMEOUT_MS,
          }
        : null,
  };
}
