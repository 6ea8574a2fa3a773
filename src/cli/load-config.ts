import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { type Config, TOOL_NAME, validateConfig } from "../core/config.js";
import { ConfigError } from "../core/errors.js";

/** XDG data home: `$XDG_DATA_HOME/mcp-mitm-mem0`, else `~/.local/share/mcp-mitm-mem0`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME?.trim() || join(env.HOME?.trim() || homedir(), ".local", "share");
  return join(base, TOOL_NAME);
}

/** XDG config home: `$XDG_CONFIG_HOME/mcp-mitm-mem0`, else `~/.config/mcp-mitm-mem0`. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), ".config");
  return join(base, TOOL_NAME);
}

export interface LoadedConfig {
  config: Config;
  /** Warnings for the person (e.g. `.env` permissions, a shared variable not understood). */
  warnings: string[];
  /** The `.env` file that was read, if any. */
  envFile: string | null;
}

/** Reads a `.env` file; a missing file is `null` unless `required`. */
export function readEnvFile(
  path: string,
  required = false,
  label = path,
): { values: Record<string, string>; warning: string | null } | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return null;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? "unreadable");
    throw new ConfigError(`${label}: cannot read ${path} (${why}); expected a file of KEY=value lines`);
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

/** Whether `dir` is a checkout of this tool (its own package.json), where a developer keeps its `.env`. */
function isOwnCheckout(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown };
    return pkg.name === TOOL_NAME;
  } catch {
    return false;
  }
}

/**
 * The `.env` files that belong to this tool, in the order they are looked
 * for: the data directory's, the config directory's, and the working
 * directory's only when it is a checkout of this project. A `.env` of any
 * other project is never read (Claude Code starts the MCP server in the
 * person's project, whose `.env` is for that project).
 */
export function envFileCandidates(env: NodeJS.ProcessEnv, cwd: string, dataDir: string): string[] {
  const files = [join(dataDir, ".env"), join(defaultConfigDir(env), ".env")];
  if (isOwnCheckout(cwd)) files.push(join(cwd, ".env"));
  return files;
}

/** Names of the command-line flags behind override variables, for messages. */
const FLAG_OF: Record<string, string> = { MEMORY_DATA_DIR: "--data-dir", MEMORY_LOG_LEVEL: "--debug" };

/**
 * Environment first, then one `.env` (`envFile` if given, which must exist;
 * else the first of `envFileCandidates`), then explicit overrides from
 * command-line flags.
 */
export function loadConfig(options: {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  envFile?: string;
  overrides?: Record<string, string | undefined>;
}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const overrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.overrides ?? {})) if (v !== undefined) overrides[k] = v;
  let envFile: string | null = null;
  let file: { values: Record<string, string>; warning: string | null } | null = null;
  if (options.envFile !== undefined) {
    envFile = resolve(cwd, options.envFile);
    file = readEnvFile(envFile, true, `--config ${options.envFile}`);
  } else {
    const dataDir = resolve(
      cwd,
      overrides.MEMORY_DATA_DIR ?? (env.MEMORY_DATA_DIR?.trim() || defaultDataDir(env)),
    );
    for (const candidate of envFileCandidates(env, cwd, dataDir)) {
      file = readEnvFile(candidate);
      if (file) {
        envFile = candidate;
        break;
      }
    }
  }
  const values = file?.values ?? {};
  const merged: Record<string, string | undefined> = { ...values, ...env, ...overrides };
  const sourceOf = (name: string): string => {
    if (name in overrides) return FLAG_OF[name] ?? "a command-line flag";
    if (env[name] !== undefined) return "the environment";
    if (name in values && envFile) return envFile;
    return "the environment";
  };
  const warnings: string[] = file?.warning ? [file.warning] : [];
  const config = validateConfig(merged, defaultDataDir(env), {
    sourceOf,
    warn: (w) => warnings.push(w),
    defaultClaudeDir: join(env.HOME?.trim() || homedir(), ".claude"),
  });
  config.dataDir = resolve(cwd, config.dataDir);
  return { config, warnings, envFile };
}
