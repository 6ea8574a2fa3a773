/**
 * Reads the memories the analyser looks at, page by page, newest first:
 * every memory of the user except what the analyser itself wrote (derived
 * memories and reflections). Captured episodes and turns (category
 * `conversation`) and notes (memories added with `add` / `add_memory`, or
 * imported) all count.
 */
import {
  type AnalysedKind,
  byTime,
  type ConversationMemoryLike,
  toTurnRecords,
} from "../core/insights/turn-record.js";
import type { TurnRecord } from "../core/insights/types.js";
import type { Memory, MemoryFilters } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";

export const CONVERSATION_CATEGORY = "conversation";
const PAGE = 500;
/** Metadata marker of every derived memory (see derived-store.ts). */
export const DERIVED_SOURCE = "insights";

/**
 * Up to `max` memories matching `filters` (and `keep`, when given), newest
 * first. With `keep`, at most `max + skipCap` memories are read.
 */
export async function listNewest(
  store: MemoryStore,
  filters: MemoryFilters,
  max: number,
  keep?: (m: Memory) => boolean,
  skipCap = 25_000,
): Promise<Memory[]> {
  const out: Memory[] = [];
  let cursor: string | undefined;
  let skipped = 0;
  while (out.length < max) {
    const page = await store.list({ filters, limit: Math.min(PAGE, max - out.length), cursor });
    for (const m of page.memories) {
      if (!keep || keep(m)) out.push(m);
      else skipped++;
    }
    if (!page.next_cursor || page.memories.length === 0 || skipped > skipCap) break;
    cursor = page.next_cursor;
  }
  return out.slice(0, max);
}

/** A captured conversation memory (episode or older per-request turn). */
export function isConversation(m: Memory): boolean {
  return m.categories.includes(CONVERSATION_CATEGORY) && m.metadata.type !== "reflection";
}

/** What the analyser wrote itself: derived memories and reflections are never read back as material. */
export function isAnalyserOutput(m: Memory): boolean {
  return m.metadata.source === DERIVED_SOURCE || m.metadata.type === "reflection";
}

/** What the analyser reads: every memory of the user except its own output. */
export function isAnalysable(m: Memory): boolean {
  return !isAnalyserOutput(m);
}

/** The kind of an analysable memory: a captured episode, an older captured turn, or a note. */
export function kindOf(m: Memory): AnalysedKind {
  if (!isConversation(m)) return "note";
  return m.metadata.kind === "episode" || /\nTrace:\n- /.test(m.memory) ? "episode" : "turn";
}

/** The user's analysable memories in a scope, newest first. */
export async function listAnalysable(
  store: MemoryStore,
  scope: {
    user_id: string;
    app_id?: string | undefined;
    run_id?: string | undefined;
    created_after?: string;
    created_before?: string;
  },
  max: number,
): Promise<Memory[]> {
  return listNewest(store, { ...scope }, max, isAnalysable);
}

function asLike(m: Memory): ConversationMemoryLike {
  return {
    id: m.id,
    memory: m.memory,
    app_id: m.app_id,
    run_id: m.run_id,
    created_at: m.created_at,
    kind: kindOf(m),
  };
}

/**
 * Turn records for memories of any mix of sessions, oldest first. Turns of
 * the same session inform each other (a user part after a tool call is tool output).
 */
export function recordsOf(memories: readonly Memory[]): TurnRecord[] {
  const unique = new Map(memories.map((m) => [m.id, m]));
  return toTurnRecords([...unique.values()].map(asLike).sort(byTime));
}

export interface TurnSets {
  /** The most recent `limit` memories in scope, oldest first. */
  window: TurnRecord[];
  /** The user's history (all projects, capped), oldest first, including the window. */
  history: TurnRecord[];
}

/** Reads the analysis window (in scope) and the user's history (the background). */
export async function readTurnSets(
  store: MemoryStore,
  opts: { user_id: string; app_id: string | null; limit: number; historyCap: number },
): Promise<TurnSets> {
  const history = await listAnalysable(store, { user_id: opts.user_id }, opts.historyCap);
  const scoped = opts.app_id === null ? history : history.filter((m) => m.app_id === opts.app_id);
  // The project may be older than the capped history: then read its memories on their own.
  const windowMemories =
    scoped.length >= opts.limit || history.length < opts.historyCap
      ? scoped.slice(0, opts.limit)
      : await listAnalysable(store, { user_id: opts.user_id, app_id: opts.app_id ?? undefined }, opts.limit);
  const all = recordsOf([...history, ...windowMemories]);
  const windowIds = new Set(windowMemories.map((m) => m.id));
  return { window: all.filter((t) => windowIds.has(t.id)), history: all };
}
