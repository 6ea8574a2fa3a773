import { z } from "zod";
import { ConfigError } from "./errors.js";

/**
 * Configuration, validated once from environment variables (plus an optional
 * `.env` file and command-line overrides) and passed down. Nothing deeper
 * reads `process.env`.
 */

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .transform((s, ctx) => {
    if (["1", "true", "yes", "on"].includes(s)) return true;
    if (["0", "false", "no", "off", ""].includes(s)) return false;
    ctx.addIssue({ code: "custom", message: `expected true/false, got "${s}"` });
    return z.NEVER;
  });

const port = z.coerce
  .number({ error: "expected a port number" })
  .int("expected a whole number")
  .min(0, "expected 0..65535")
  .max(65535, "expected 0..65535");

const positiveInt = z.coerce.number({ error: "expected a number" }).int("expected a whole number").min(1);

const url = z.url({ error: "expected a URL such as https://example.com" });

const hostList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h.length > 0),
  )
  .refine((a) => a.length > 0, "expected a comma-separated list of host names");

/** Environment variable name → schema. Optional ones may be absent. */
export const envSchema = z.object({
  MEM0_API_KEY: z.string().trim().min(1).optional(),
  MEM0_ORG_ID: z.string().trim().min(1).optional(),
  MEM0_PROJECT_ID: z.string().trim().min(1).optional(),
  MEM0_BASE_URL: url.default("https://api.mem0.ai"),
  MEM0_API_VERSION: z.enum(["v2", "v3"]).default("v3"),
  MEM0_INFER: bool.default(false),
  MEM0_TIMEOUT_MS: positiveInt.default(30_000),
  MEMORY_BACKEND: z.enum(["auto", "sqlite", "mem0"]).default("auto"),
  DEFAULT_USER_ID: z.string().trim().min(1).default("default_user"),
  DEFAULT_AGENT_ID: z.string().trim().min(1).default("claude-code"),
  DEFAULT_APP_ID: z.string().trim().min(1).optional(),
  MITM_HOST: z.string().trim().min(1).default("127.0.0.1"),
  MITM_PORT: port.default(8080),
  MCP_NAME: z.string().trim().min(1).default("memory-service"),
  MCP_HTTP_PORT: port.default(8765),
  MCP_HTTP_TOKEN: z.string().trim().min(16, "use at least 16 characters").optional(),
  WEB_PORT: port.default(8766),
  WEB_TOKEN: z.string().trim().min(16, "use at least 16 characters").optional(),
  DEBUG: bool.default(false),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).optional(),
  MEMORY_DATA_DIR: z.string().trim().min(1).optional(),
  UPSTREAM_URL: url.default("https://api.anthropic.com"),
  UPSTREAM_CA_FILE: z.string().trim().min(1).optional(),
  INTERCEPT_HOSTS: hostList.default(["api.anthropic.com"]),
  PROXY_AUTH_TOKEN: z.string().trim().min(16, "use at least 16 characters").optional(),
  REFLECTION_EVERY: positiveInt.default(5),
  /** Minutes without a request after which an unfinished episode is stored as incomplete. */
  EPISODE_IDLE_MINUTES: positiveInt.default(5),
  REFLECTION_MODEL: z.string().trim().min(1).optional(),
  /** Where the opt-in model reflection sends its Messages API request (default: UPSTREAM_URL). */
  REFLECTION_BASE_URL: url.optional(),
  ANTHROPIC_API_KEY: z.string().trim().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  backend: "sqlite" | "mem0";
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
  };
  mcp: { name: string; httpPort: number; httpToken?: string | undefined };
  /** The local web page (`ui`, and `start` unless --no-ui). */
  web: { port: number; token?: string | undefined };
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Holds the database and the CA. */
  dataDir: string;
  reflection: {
    every: number;
    model?: string | undefined;
    anthropicApiKey?: string | undefined;
    /** Messages API base URL for the opt-in model reflection (REFLECTION_BASE_URL, else UPSTREAM_URL). */
    baseUrl?: string | undefined;
  };
}

/** Turns zod issues into one message that names each bad variable. */
function describe(error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${i.path.join(".") || "(config)"}: ${i.message}`);
  return `invalid configuration:\n${lines.join("\n")}`;
}

/**
 * Validates raw variables. `defaultDataDir` is where data lives when
 * MEMORY_DATA_DIR is not set (the caller resolves XDG paths).
 */
export function validateConfig(raw: Record<string, string | undefined>, defaultDataDir: string): Config {
  // Empty strings count as unset, as most shells and .env files intend.
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = raw[key];
    if (v !== undefined && v.trim() !== "") cleaned[key] = v;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(describe(parsed.error));
  const env = parsed.data;
  let backend: "sqlite" | "mem0";
  if (env.MEMORY_BACKEND === "auto") backend = env.MEM0_API_KEY ? "mem0" : "sqlite";
  else backend = env.MEMORY_BACKEND;
  if (backend === "mem0" && !env.MEM0_API_KEY) {
    throw new ConfigError("invalid configuration:\n  MEMORY_BACKEND: mem0 needs MEM0_API_KEY to be set");
  }
  return {
    backend,
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
    },
    mcp: { name: env.MCP_NAME, httpPort: env.MCP_HTTP_PORT, httpToken: env.MCP_HTTP_TOKEN },
    web: { port: env.WEB_PORT, token: env.WEB_TOKEN },
    logLevel: env.LOG_LEVEL ?? (env.DEBUG ? "debug" : "info"),
    dataDir: env.MEMORY_DATA_DIR ?? defaultDataDir,
    reflection: {
      every: env.REFLECTION_EVERY,
      model: env.REFLECTION_MODEL,
      baseUrl: (env.REFLECTION_BASE_URL ?? env.UPSTREAM_URL).replace(/\/+$/, ""),
      anthropicApiKey: env.ANTHROPIC_API_KEY,
    },
  };
}
