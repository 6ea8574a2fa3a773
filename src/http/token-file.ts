import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ResolvedToken {
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
 * A server's secret: `fromEnv` if set, else the one in `<dataDir>/<fileName>`,
 * else a new random one saved there (mode 0600) so that what uses it keeps
 * working across restarts.
 */
export function resolveToken(dataDir: string, fileName: string, fromEnv: string | undefined): ResolvedToken {
  if (fromEnv) return { token: fromEnv, source: "env" };
  const path = join(dataDir, fileName);
  const existing = readExisting(path);
  if (existing) return { token: existing, source: "file", path };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, source: "generated", path };
}
