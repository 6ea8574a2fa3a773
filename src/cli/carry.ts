/**
 * What a command that this one writes or starts (the MCP entry and hooks
 * `setup` writes, the proxy `start --background` detaches, the service
 * `setup service` installs) needs to see the same configuration: the data
 * directory, the non-secret variables of this tool set here, and a
 * `--config` file that would not be found from another folder.
 */
import { join } from "node:path";
import { ENV_VARS } from "../core/config.js";
import { defaultConfigDir } from "./load-config.js";

/** Variables that hold a secret: never written into another program's files. */
export const isSecretVar = (name: string) => /KEY|TOKEN/.test(name);
/** Not carried: the data directory is given explicitly; Claude Code's own variable; this shell's log level. */
const NOT_CARRIED = new Set(["MEMORY_DATA_DIR", "CLAUDE_CONFIG_DIR", "MEMORY_LOG_LEVEL"]);

/** `MEMORY_DATA_DIR` plus every non-secret variable of this tool set in `env`; the secrets set are named apart. */
export function carriedEnv(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): { env: Record<string, string>; secrets: string[] } {
  const out: Record<string, string> = { MEMORY_DATA_DIR: dataDir };
  const secrets: string[] = [];
  for (const name of Object.keys(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || NOT_CARRIED.has(name)) continue;
    if (isSecretVar(name)) secrets.push(name);
    else out[name] = value;
  }
  return { env: out, secrets };
}

/** `--config FILE` when the configuration came from a file the command would not find by itself. */
export function carriedGlobalArgs(envFile: string | null, dataDir: string, env: NodeJS.ProcessEnv): string[] {
  if (envFile === null) return [];
  if (envFile === join(dataDir, ".env") || envFile === join(defaultConfigDir(env), ".env")) return [];
  return ["--config", envFile];
}
