import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../core/config.js";

export const TOKEN_FILE = "mcp-http-token";

export interface HttpToken {
  token: string;
  /** Where it came from: the environment, the token file, or generated just now (and saved). */
  source: "env" | "file" | "generated";
  path?: string | undefined;
}

function readExisting(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if (text.length < 16) return undefined;
  // Keep it private even if someone loosened the mode.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return text;
}

/**
 * The bearer token for `mcp --http`: MCP_HTTP_TOKEN if set, else the one in
 * `<dataDir>/mcp-http-token`, else a new random one saved there (mode 0600)
 * so that client configurations keep working across restarts.
 */
export function resolveHttpToken(config: Pick<Config, "dataDir" | "mcp">): HttpToken {
  if (config.mcp.httpToken) return { token: config.mcp.httpToken, source: "env" };
  const path = join(config.dataDir, TOKEN_FILE);
  const existing = readExisting(path);
  if (existing) return { token: existing, source: "file", path };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, source: "generated", path };
}
