/**
 * What the hooks remember about each Claude Code session, so that a memory is
 * not added twice to one session (unless it changed since) and a short
 * prompt can be searched together with the ones before it. One small JSON
 * file per session in `<data dir>/hook-sessions/`, named by a hash of the
 * session id; bounded in entries per file and in files (the least recently
 * used go first). Unreadable state counts as empty: it only saves repeats.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../files/atomic-write.js";

/** Fingerprints kept per session (the oldest are dropped beyond it). */
export const MAX_SHOWN = 500;
/** Prompts kept per session, for searching with a short prompt's context. */
export const MAX_PROMPTS = 3;
/** Session files kept; beyond it the least recently written are removed. */
export const MAX_SESSIONS = 200;

export interface SessionState {
  /** Fingerprints (`id@updated_at`) of the memories already added, oldest first. */
  shown: string[];
  /** The session's latest prompts, oldest first, each at most 500 characters. */
  prompts: string[];
}

export function sessionsDir(dataDir: string): string {
  return join(dataDir, "hook-sessions");
}

function fileFor(dataDir: string, sessionId: string): string {
  const name = createHash("sha256").update(sessionId).digest("hex").slice(0, 32);
  return join(sessionsDir(dataDir), `${name}.json`);
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

export function readSessionState(dataDir: string, sessionId: string): SessionState {
  try {
    const raw = JSON.parse(readFileSync(fileFor(dataDir, sessionId), "utf8")) as Record<string, unknown>;
    return { shown: strings(raw.shown), prompts: strings(raw.prompts) };
  } catch {
    return { shown: [], prompts: [] };
  }
}

export function writeSessionState(dataDir: string, sessionId: string, state: SessionState): void {
  const dir = sessionsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const bounded: SessionState = {
    shown: state.shown.slice(-MAX_SHOWN),
    prompts: state.prompts.slice(-MAX_PROMPTS).map((p) => p.slice(0, 500)),
  };
  writeFileAtomic(fileFor(dataDir, sessionId), `${JSON.stringify(bounded)}\n`);
  pruneSessions(dir);
}

/** Removes the least recently written session files beyond MAX_SESSIONS. */
function pruneSessions(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  if (names.length <= MAX_SESSIONS) return;
  const dated = names.map((n) => {
    try {
      return { n, t: statSync(join(dir, n)).mtimeMs };
    } catch {
      return { n, t: 0 };
    }
  });
  dated.sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length - MAX_SESSIONS)) rmSync(join(dir, n), { force: true });
}
