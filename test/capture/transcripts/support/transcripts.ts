import { appendFileSync, cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SESSIONS } from "../../support/session-replay.js";

/**
 * The recorded sessions as Claude Code wrote them
 * (test/fixtures/claude-code/sessions/transcripts, see its README), copied
 * into a temp folder shaped like `~/.claude/projects`.
 */

export const FIXTURE_PROJECTS = join(SESSIONS, "transcripts");
export const PROJECT = "/home/dev/acme-api";
export const SLUG = "-home-dev-acme-api";

export const AGENTIC = "d41c6f09-ae56-45ae-ba8c-dcda0703766c";
export const FIX = "200c8d9c-0721-4698-ae86-81d4f8014434";
export const SUBAGENT = "27cba72f-d6ee-4f73-a53c-78684272c060";
export const ALL_SESSIONS = [AGENTIC, FIX, SUBAGENT];

export function fixturePath(session: string): string {
  return join(FIXTURE_PROJECTS, SLUG, `${session}.jsonl`);
}

/** The fixture's lines (without line endings). */
export function fixtureLines(session: string): string[] {
  return readFileSync(fixturePath(session), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** Copies every fixture transcript (sub-agents included) into `<dir>/projects`; returns that folder. */
export function copyProjects(dir: string): string {
  const projects = join(dir, "projects");
  cpSync(FIXTURE_PROJECTS, projects, { recursive: true });
  return projects;
}

export function transcriptIn(projects: string, session: string, slug = SLUG): string {
  return join(projects, slug, `${session}.jsonl`);
}

export function writeLines(path: string, lines: readonly string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
}

export function appendLines(path: string, lines: readonly string[]): void {
  appendFileSync(path, lines.map((l) => `${l}\n`).join(""));
}

/** Sets a file's modification time `ms` into the past (a session nobody writes to any more). */
export function age(path: string, ms: number): void {
  const t = new Date(Date.now() - ms);
  utimesSync(path, t, t);
}

interface Entry {
  type?: string;
  uuid?: string;
  timestamp?: string;
  message?: { id?: string; role?: string; usage?: Record<string, unknown>; content?: unknown };
}

export function entries(session: string): Entry[] {
  return fixtureLines(session).map((l) => JSON.parse(l) as Entry);
}

/** Usage summed over the distinct assistant messages of `entries` (one entry per block repeats it). */
export function usageOf(list: readonly Entry[]): Record<string, number> {
  const seen = new Set<string>();
  const sum: Record<string, number> = {};
  for (const e of list) {
    const m = e.message;
    if (e.type !== "assistant" || !m?.id || seen.has(m.id)) continue;
    seen.add(m.id);
    for (const k of ["input_tokens", "output_tokens"]) sum[k] = (sum[k] ?? 0) + Number(m.usage?.[k] ?? 0);
  }
  return sum;
}
