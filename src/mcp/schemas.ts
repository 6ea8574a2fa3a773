import { z } from "zod";
import { displayPath } from "../core/episodes/display-path.js";
import type { HistoryEvent, Memory, ScoredMemory } from "../core/types.js";

/** Limits on what a client may send. Messages say how to fix the call. */
export const LIMITS = {
  queryChars: 2_000,
  memoryChars: 20_000,
  messages: 100,
  searchResults: 50,
  pageSize: 100,
  analyzeMemories: 200,
  idChars: 200,
} as const;

export const userIdInput = z
  .string()
  .trim()
  .min(1, "user_id must not be empty; omit it to use the default user")
  .max(LIMITS.idChars, `user_id is at most ${LIMITS.idChars} characters`);

export const memoryIdInput = z
  .string()
  .trim()
  .min(1, "memory_id must not be empty; copy an id from search_memories or list_memories")
  .max(LIMITS.idChars, "memory_id is too long; copy an id from search_memories or list_memories");

export const scopeIdInput = (name: string) =>
  z
    .string()
    .trim()
    .min(1, `${name} must not be empty; omit it instead`)
    .max(1_000, `${name} is at most 1,000 characters`);

export const metadataInput = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 10_000, "metadata is at most 10,000 characters of JSON");

export const categoriesInput = z
  .array(z.string().trim().min(1).max(100))
  .max(20, "at most 20 categories")
  .describe("Category labels, e.g. preference, decision, solution");

/** Limit with a clear range in the message. */
export function limitInput(max: number, fallback: number) {
  const msg = `limit must be a whole number from 1 to ${max}`;
  return z
    .number({ error: msg })
    .int(msg)
    .min(1, msg)
    .max(max, `${msg}; use a smaller limit (and a cursor where offered)`)
    .default(fallback);
}

/** Dates for created_at filters: a date or a date-time with offset. */
export const isoTimeInput = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: "expected an ISO-8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z",
});

export const memoryOutput = z.object({
  id: z.string(),
  memory: z.string(),
  user_id: z.string(),
  agent_id: z.string().nullable(),
  app_id: z.string().nullable(),
  run_id: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  categories: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type MemoryOutput = z.infer<typeof memoryOutput>;

/**
 * A search hit as a model sees it: the text (bounded; `get_memory` has the
 * rest), where and when it is from, and only metadata a model can use (no
 * keys, no token usage). Five hits fit in about 2.5 kB.
 */
export const searchHitOutput = z.object({
  id: z.string(),
  memory: z.string(),
  score: z.number(),
  project: z.string().nullable(),
  session: z.string().nullable(),
  created_at: z.string(),
  /** true when `memory` was cut; `get_memory` returns the whole text. */
  truncated: z.boolean(),
  /** kind, complete, files_changed (a few, relative to the project) — what helps judge a hit. */
  metadata: z.record(z.string(), z.unknown()),
});
export type SearchHitOutput = z.infer<typeof searchHitOutput>;

/** Bound on a hit's text in search results. */
export const SEARCH_HIT_TEXT_CHARS = 200;
const HIT_FILES_MAX = 5;

function cutText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let cut = max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return { text: `${text.slice(0, cut).trimEnd()}…`, truncated: true };
}

export function toSearchHit(m: ScoredMemory): SearchHitOutput {
  const { text, truncated } = cutText(m.memory, SEARCH_HIT_TEXT_CHARS);
  const metadata: Record<string, unknown> = {};
  const md = m.metadata;
  if (typeof md.kind === "string") metadata.kind = md.kind;
  else if (typeof md.source === "string") metadata.source = md.source;
  if (md.complete === false) metadata.complete = false;
  if (Array.isArray(md.files_changed) && md.files_changed.length > 0) {
    metadata.files_changed = md.files_changed
      .slice(0, HIT_FILES_MAX)
      .map((f) => (typeof f === "string" ? displayPath(f, m.app_id) : f));
  }
  return {
    id: m.id,
    memory: text,
    score: Math.round(m.score * 100) / 100,
    project: m.app_id,
    session: m.run_id,
    created_at: m.created_at,
    truncated,
    metadata,
  };
}

export const historyEventOutput = z.object({
  id: z.string(),
  event: z.enum(["ADD", "UPDATE", "DELETE"]),
  old_memory: z.string().nullable(),
  new_memory: z.string().nullable(),
  created_at: z.string(),
});
export type HistoryEventOutput = z.infer<typeof historyEventOutput>;

/** Exactly the fields of `memoryOutput` (output schemas reject extra keys). */
export function toMemoryOutput(m: Memory): MemoryOutput {
  return {
    id: m.id,
    memory: m.memory,
    user_id: m.user_id,
    agent_id: m.agent_id,
    app_id: m.app_id,
    run_id: m.run_id,
    metadata: m.metadata,
    categories: m.categories,
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
}

export function toHistoryOutput(e: HistoryEvent): HistoryEventOutput {
  return {
    id: e.id,
    event: e.event,
    old_memory: e.old_memory,
    new_memory: e.new_memory,
    created_at: e.created_at,
  };
}
