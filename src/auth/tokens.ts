import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Identity } from "../core/access.js";
import { TEAM_PREFIX } from "../core/access.js";
import { ConfigError, InvalidInputError } from "../core/errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";

/**
 * Team mode's tokens: one per person, kept in `<dataDir>/tokens.json`
 * (mode 0600) as SHA-256 hashes, never as the token. A file beside the
 * store rather than a table in it, so that it works the same on every
 * backend (SQLite, the Mem0 Platform, PostgreSQL) and the servers that check
 * it (MCP HTTP, the web page, the proxy) need no store round trip for it.
 * The token is 32 random bytes, so a fast hash is enough (nothing to guess
 * from it); the file is read again on every check, so that a revoked token
 * stops working at the next request.
 */

export const TOKENS_FILE = "tokens.json";
const TOKEN_PREFIX = "mmm_";
const VERSION = 1;

export interface TokenRecord {
  /** The fingerprint: the first 12 hex digits of the hash (what `token list` shows). */
  id: string;
  /** SHA-256 of the token, hex. */
  hash: string;
  user: string;
  admin: boolean;
  teams: string[];
  label?: string | undefined;
  created_at: string;
  revoked_at?: string | undefined;
}

interface TokensFile {
  version: number;
  tokens: TokenRecord[];
}

export function tokensPath(dataDir: string): string {
  return join(dataDir, TOKENS_FILE);
}

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function isRecord(x: unknown): x is TokenRecord {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Record<string, unknown>;
  return (
    typeof r.id === "string" &&
    typeof r.hash === "string" &&
    /^[0-9a-f]{64}$/.test(r.hash) &&
    typeof r.user === "string" &&
    typeof r.admin === "boolean" &&
    Array.isArray(r.teams) &&
    r.teams.every((t) => typeof t === "string") &&
    typeof r.created_at === "string"
  );
}

/** Every token, revoked ones too. A missing file is no tokens; a damaged one is a clear error, never "no tokens". */
export function readTokens(dataDir: string): TokenRecord[] {
  const path = tokensPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${path} is not valid JSON; it is written by \`mcp-mitm-mem0 token\` only`);
  }
  const file = parsed as Partial<TokensFile>;
  if (file.version !== VERSION || !Array.isArray(file.tokens) || !file.tokens.every(isRecord))
    throw new ConfigError(
      `${path} is not a version ${VERSION} token file; it is written by \`mcp-mitm-mem0 token\` only`,
    );
  return file.tokens;
}

function writeTokens(dataDir: string, tokens: TokenRecord[]): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(tokensPath(dataDir), `${JSON.stringify({ version: VERSION, tokens }, null, 2)}\n`);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

function checkName(what: string, value: string): void {
  if (!NAME.test(value))
    throw new InvalidInputError(
      `${what} "${value}" is not accepted: use 1-100 letters, digits, ".", "_", "@" or "-", starting with a letter or digit`,
    );
}

export interface CreateTokenOptions {
  user: string;
  admin?: boolean;
  teams?: string[];
  label?: string | undefined;
  now?: Date;
}

/** A new token for the user: the record (saved) and the token itself, which is never stored. */
export function createToken(
  dataDir: string,
  options: CreateTokenOptions,
): { token: string; record: TokenRecord } {
  if (options.user.startsWith(TEAM_PREFIX))
    throw new InvalidInputError(`--user must not start with "${TEAM_PREFIX}" (a team's scope: use --team)`);
  checkName("--user", options.user);
  const teams = [...new Set(options.teams ?? [])];
  for (const t of teams) checkName("--team", t);
  const tokens = readTokens(dataDir);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const hash = hashOf(token);
  const record: TokenRecord = {
    id: hash.slice(0, 12),
    hash,
    user: options.user,
    admin: options.admin ?? false,
    teams,
    ...(options.label ? { label: options.label } : {}),
    created_at: (options.now ?? new Date()).toISOString(),
  };
  writeTokens(dataDir, [...tokens, record]);
  return { token, record };
}

/** Revokes by fingerprint (or a unique prefix of at least 6 digits); returns what was revoked. */
export function revokeToken(dataDir: string, fingerprint: string, now = new Date()): TokenRecord {
  const tokens = readTokens(dataDir);
  const wanted = fingerprint.trim().toLowerCase();
  if (!/^[0-9a-f]{6,12}$/.test(wanted))
    throw new InvalidInputError(
      `"${fingerprint}" is not a token fingerprint: give the 12 hex digits \`token list\` shows (at least 6)`,
    );
  const matches = tokens.filter((t) => t.id.startsWith(wanted));
  if (matches.length === 0)
    throw new InvalidInputError(`no token has the fingerprint ${wanted} (see \`token list\`)`);
  if (matches.length > 1)
    throw new InvalidInputError(`${matches.length} tokens start with ${wanted}: give more digits`);
  const match = matches[0] as TokenRecord;
  if (!match.revoked_at) match.revoked_at = now.toISOString();
  writeTokens(dataDir, tokens);
  return match;
}

/** The identity a presented token stands for, or null (unknown, malformed or revoked). Reads the file every time. */
export function identify(dataDir: string, presented: string | null | undefined): Identity | null {
  if (!presented?.startsWith(TOKEN_PREFIX)) return null;
  const hash = Buffer.from(hashOf(presented), "hex");
  for (const t of readTokens(dataDir)) {
    if (t.revoked_at) continue;
    const stored = Buffer.from(t.hash, "hex");
    if (stored.length === hash.length && timingSafeEqual(stored, hash))
      return { tokenId: t.id, user: t.user, admin: t.admin, teams: t.teams };
  }
  return null;
}

/** The identity of a token by its fingerprint while it is not revoked (a web session's cookie names it). Reads the file every time. */
export function identifyById(dataDir: string, tokenId: string): Identity | null {
  const t = readTokens(dataDir).find((r) => r.id === tokenId && !r.revoked_at);
  return t ? { tokenId: t.id, user: t.user, admin: t.admin, teams: t.teams } : null;
}
