import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { type Config, validateConfig } from "../core/config.js";
import { ConfigError } from "../core/errors.js";

/** XDG data home: `$XDG_DATA_HOME/mcp-mitm-mem0`, else `~/.local/share/mcp-mitm-mem0`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME?.trim() || join(env.HOME?.trim() || homedir(), ".local", "share");
  return join(base, "mcp-mitm-mem0");
}

export interface LoadedConfig {
  config: Config;
  /** Warnings for the person (e.g. `.env` permissions). */
  warnings: string[];
  /** The `.env` file that was read, if any. */
  envFile: string | null;
}

/** Reads `.env` (if present) without overriding variables already set in the environment. */
export function readEnvFile(path: string): { values: Record<string, string>; warning: string | null } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { values: {}, warning: null };
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let warning: string | null = null;
  if (process.platform !== "win32") {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      warning = `${path} is readable by other users (mode ${mode.toString(8)}); it may hold MEM0_API_KEY. Run: chmod 600 ${path}`;
    }
  }
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnv(text))) if (typeof v === "string") values[k] = v;
  return { values, warning };
}

/**
 * Environment first, then `.env` in the working directory (or `envFile`),
 * then explicit overrides from command-line flags.
 */
export function loadConfig(options: {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  envFile?: string;
  overrides?: Record<string, string | undefined>;
}): LoadedConfig {
  const env = options.env ?? process.env;
  const envFile = resolve(options.cwd ?? process.cwd(), options.envFile ?? ".env");
  const { values, warning } = readEnvFile(envFile);
  const merged: Record<string, string | undefined> = { ...values, ...env };
  for (const [k, v] of Object.entries(options.overrides ?? {})) if (v !== undefined) merged[k] = v;
  const config = validateConfig(merged, defaultDataDir(env));
  config.dataDir = resolve(config.dataDir);
  return {
    config,
    warnings: warning ? [warning] : [],
    envFile: Object.keys(values).length > 0 ? envFile : null,
  };
}
