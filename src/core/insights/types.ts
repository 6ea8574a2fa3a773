/**
 * Shapes shared by the pure insight code. Nothing here does I/O: the glue in
 * `src/insights/` reads memories from the store, turns them into these plain
 * records, and writes back what the pure code decides.
 */

/** The typed memories that extraction derives from conversation turns. */
export const DERIVED_TYPES = ["preference", "decision", "solution", "error", "todo"] as const;
export type DerivedType = (typeof DERIVED_TYPES)[number];

/** One stored conversation turn, as the analyser needs it. */
export interface TurnRecord {
  /** The memory id of the turn. */
  id: string;
  /** Project (working directory), when known. */
  app_id: string | null;
  /** Session, when known. */
  run_id: string | null;
  /** ISO-8601 UTC. */
  created_at: string;
  /** The person's words in this turn (tool results removed). */
  user: string;
  /** Tool results sent back with the user message (command output, file contents). */
  tool_results: string;
  /** The assistant's reply (text and summarised tool calls). */
  assistant: string;
  /** An episode in which a failed call was followed by the same kind of call succeeding, then an answer. */
  recovered?: boolean | undefined;
  /** `episode` / `turn` (captured) or `note` (added or imported); unset counts as a captured turn. */
  kind?: "episode" | "turn" | "note" | undefined;
}

/** What one turn yields for one derived type, before it is merged with what is stored. */
export interface Candidate {
  type: DerivedType;
  /** Deduplication key: the same key is the same memory. */
  key: string;
  /** The memory text for a new memory (e.g. "Preference: use pnpm instead of npm"). */
  text: string;
  /** Type-specific structured fields (e.g. `choice`, `signature`, `problem`). */
  fields: Record<string, string>;
  /** How sure the pattern is, 0..1, for a single mention. */
  confidence: number;
  /** The turn it came from. */
  source_id: string;
  app_id: string | null;
  run_id: string | null;
  /** When it was said (the turn's time). */
  at: string;
}

/** The metadata the extractor keeps on a derived memory (a plain JSON object). */
export interface DerivedMeta {
  source: "insights";
  type: DerivedType;
  insight_key: string;
  /** The first turn it came from. */
  source_id: string;
  /** Every turn it came from (capped, newest kept). */
  source_ids: string[];
  /** How many turns stated it. */
  count: number;
  app_ids: string[];
  run_ids: string[];
  first_seen: string;
  last_seen: string;
  confidence: number;
  fields: Record<string, string>;
  /** Todos: `open` until later work in the same project says it is done. */
  status?: "open" | "done" | undefined;
  /** Todos: the turn that closed it. */
  resolved_by?: string | undefined;
}

/** A derived memory as read back from the store. */
export interface DerivedRecord {
  id: string;
  text: string;
  meta: DerivedMeta;
}

export type InsightKind =
  | "topic"
  | "topic_shift"
  | "recurring_problem"
  | "preference"
  | "decision"
  | "unfinished_work"
  | "project_activity";

export interface Insight {
  kind: InsightKind;
  /** A short headline. */
  title: string;
  /** One or two sentences a person can act on. */
  description: string;
  /** 0..1. */
  confidence: number;
  /** Named counts (mentions, sessions, turns ...). */
  counts: Record<string, number>;
  /** The memories (turns and derived memories) this rests on. */
  memory_ids: string[];
  /** The project it is about, when it is about one. */
  app_id?: string | undefined;
}

export type SuggestionKind =
  | "resume_work"
  | "document_fix"
  | "investigate_error"
  | "resolve_contradiction"
  | "follow_preference";

export interface Suggestion {
  kind: SuggestionKind;
  /** What to do, concretely. */
  action: string;
  /** Why: the evidence in words. */
  reason: string;
  /** The memories it rests on. */
  memory_ids: string[];
  /** Higher first. */
  priority: number;
}

/** The scope and window an analysis covered. */
export interface AnalysisWindow {
  user_id: string;
  app_id: string | null;
  /** Turns in the recent window. */
  turns: number;
  /** Turns in the user's history used as the background. */
  history_turns: number;
  /** The window's memories by kind: captured episodes, older captured turns, notes (added or imported). */
  kinds: { episode: number; turn: number; note: number };
  /** The user's history by kind. */
  history_kinds: { episode: number; turn: number; note: number };
  /** Typed memories (preferences, decisions, errors, solutions, todos) derived from them, in scope. */
  derived: number;
  from: string | null;
  to: string | null;
}

export interface Analysis {
  window: AnalysisWindow;
  insights: Insight[];
  /** `offline` or `model:<name>`. */
  source: string;
  generated_at: string;
}
