/**
 * Reads conversation turns (memories the capture pipeline stored, category
 * `conversation`) from the store, page by page, newest first.
 */
import { byTime, type ConversationMemoryLike, toTurnRecords } from "../core/insights/turn-record.js";
import type { TurnRecord } from "../core/insights/types.js";
import type { Memory, MemoryFilters } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";

export const CONVERSATION_CATEGORY = "conversation";
const PAGE = 500;

/** Up to `max` memories matching `filters`, newest first. */
export async function listNewest(store: MemoryStore, filters: MemoryFilters, max: number): Promise<Memory[]> {
  const out: Memory[] = [];
  let cursor: string | undefined;
  while (out.length < max) {
    const page = await store.list({ filters, limit: Math.min(PAGE, max - out.length), cursor });
    out.push(...page.memories);
    if (!page.next_cursor || page.memories.length === 0) break;
    cursor = page.next_cursor;
  }
  return out;
}

/** Conversation memories only: captured turns, not notes a person added. */
export function isConversation(m: Memory): boolean {
  return m.categories.includes(CONVERSATION_CATEGORY) && m.metadata.type !== "reflection";
}

export async function listConversations(
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
  const filters: MemoryFilters = { ...scope, categories: [CONVERSATION_CATEGORY] };
  return (await listNewest(store, filters, max)).filter(isConversation);
}

function asLike(m: Memory): ConversationMemoryLike {
  return { id: m.id, memory: m.memory, app_id: m.app_id, run_id: m.run_id, created_at: m.created_at };
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
  /** The most recent `limit` turns in scope, oldest first. */
  window: TurnRecord[];
  /** The user's history (all projects, capped), oldest first, including the window. */
  history: TurnRecord[];
}

/** Reads the analysis window (in scope) and the user's history (the background). */
export async function readTurnSets(
  store: MemoryStore,
  opts: { user_id: string; app_id: string | null; limit: number; historyCap: number },
): Promise<TurnSets> {
  const history = await listConversations(store, { user_id: opts.user_id }, opts.historyCap);
  const scoped = opts.app_id === null ? history : history.filter((m) => m.app_id === opts.app_id);
  // The project may be older than the capped history: then read its turns on their own.
  const windowMemories =
    scoped.length >= opts.limit || history.length < opts.historyCap
      ? scoped.slice(0, opts.limit)
      : await listConversations(
          store,
          { user_id: opts.user_id, app_id: opts.app_id ?? undefined },
          opts.limit,
        );
  const all = recordsOf([...history, ...windowMemories]);
  const windowIds = new Set(windowMemories.map((m) => m.id));
  return { window: all.filter((t) => windowIds.has(t.id)), history: all };
}
