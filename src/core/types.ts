/**
 * The memory model. It follows the Mem0 Platform's shape so that the SQLite
 * store and the Mem0 backend are interchangeable behind `MemoryStore`.
 */

/** Free-form JSON metadata attached to a memory. */
export type Metadata = Record<string, unknown>;

export interface Memory {
  /** UUID. */
  id: string;
  /** The remembered text. */
  memory: string;
  /** Whose memory this is. Never optional: no read crosses users. */
  user_id: string;
  /** Which agent stored it (default `claude-code`). */
  agent_id: string | null;
  /** The project (e.g. the working directory of a Claude Code session). */
  app_id: string | null;
  /** The session. */
  run_id: string | null;
  metadata: Metadata;
  categories: string[];
  /** md5 of the normalised text (Mem0 uses md5 too); duplicates share it. */
  hash: string;
  /** ISO-8601 UTC. */
  created_at: string;
  /** ISO-8601 UTC. */
  updated_at: string;
}

export interface ScoredMemory extends Memory {
  /** Higher is better, in (0, 1]. */
  score: number;
}

export type HistoryEventType = "ADD" | "UPDATE" | "DELETE";

export interface HistoryEvent {
  id: string;
  memory_id: string;
  user_id: string;
  event: HistoryEventType;
  old_memory: string | null;
  new_memory: string | null;
  /** ISO-8601 UTC. */
  created_at: string;
}

/** Who and where. `user_id` is always required. */
export interface Scope {
  user_id: string;
  agent_id?: string | undefined;
  app_id?: string | undefined;
  run_id?: string | undefined;
}

export interface MemoryFilters extends Scope {
  /** A memory matches when it has at least one of these categories. */
  categories?: string[] | undefined;
  /** Every key must equal the value (top-level metadata keys). */
  metadata?: Record<string, string | number | boolean> | undefined;
  /** Inclusive lower bound on created_at (ISO-8601). */
  created_after?: string | undefined;
  /** Exclusive upper bound on created_at (ISO-8601). */
  created_before?: string | undefined;
}

export interface ChatMessage {
  role: "user" | "assistant" | "system";
  content: string;
}

export interface AddInput extends Scope {
  /** The text to remember. */
  memory: string;
  metadata?: Metadata | undefined;
  categories?: string[] | undefined;
  /**
   * The original messages, for backends that extract memories on their own
   * (Mem0 with `infer`). The SQLite store stores `memory` verbatim.
   */
  messages?: ChatMessage[] | undefined;
  /** Keep an existing id (import). */
  id?: string | undefined;
  /** Keep an original time (import, benchmark). ISO-8601. */
  created_at?: string | undefined;
  updated_at?: string | undefined;
}

export type AddStatus = "created" | "duplicate" | "pending";

export interface AddResult {
  /** `duplicate`: the same user already has this text; `memory` is that one. */
  status: AddStatus;
  memory: Memory | null;
  /** Backend event id for asynchronous adds (Mem0). */
  event_id?: string | undefined;
}

export interface SearchOptions {
  filters: MemoryFilters;
  /** Default 10. */
  limit?: number | undefined;
  /** Drop results whose score is below this (0..1). */
  threshold?: number | undefined;
}

export interface ListOptions {
  filters: MemoryFilters;
  /** Default 50. */
  limit?: number | undefined;
  /** Opaque cursor from a previous page's `next_cursor`. */
  cursor?: string | undefined;
}

export interface MemoryPage {
  memories: Memory[];
  next_cursor: string | null;
}

export interface UpdatePatch {
  memory?: string | undefined;
  /** Replaces the metadata object when given. */
  metadata?: Metadata | undefined;
  categories?: string[] | undefined;
}

export interface StoreStats {
  backend: string;
  memories: number;
  users: number;
  history_events: number;
  oldest: string | null;
  newest: string | null;
  /** Per-user memory counts, largest first (at most 20). */
  by_user: { user_id: string; memories: number }[];
  /** Bytes on disk for local stores. */
  size_bytes?: number | undefined;
}
