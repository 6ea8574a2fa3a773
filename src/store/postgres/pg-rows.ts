import type { HistoryEvent, HistoryEventType, Memory, Metadata } from "../../core/types.js";

/** The `memories` columns every read selects (alias `m`). */
export const PG_MEMORY_COLUMNS =
  "m.pk, m.id, m.user_id, m.agent_id, m.app_id, m.run_id, m.memory, m.hash, m.metadata, m.categories, m.created_at, m.updated_at";

export interface PgMemoryRow {
  pk: string;
  id: string;
  user_id: string;
  agent_id: string | null;
  app_id: string | null;
  run_id: string | null;
  memory: string;
  hash: string;
  metadata: unknown;
  categories: unknown;
  created_at: string;
  updated_at: string;
}

export interface PgHistoryRow {
  id: string;
  memory_id: string;
  user_id: string;
  event: HistoryEventType;
  old_memory: string | null;
  new_memory: string | null;
  created_at: string;
}

const isObject = (v: unknown): v is Metadata => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === "string");

export function pgToMemory(row: PgMemoryRow): Memory {
  return {
    id: row.id,
    memory: row.memory,
    user_id: row.user_id,
    agent_id: row.agent_id,
    app_id: row.app_id,
    run_id: row.run_id,
    metadata: isObject(row.metadata) ? row.metadata : {},
    categories: isStringArray(row.categories) ? row.categories : [],
    hash: row.hash,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function pgToHistoryEvent(row: PgHistoryRow): HistoryEvent {
  return {
    id: row.id,
    memory_id: row.memory_id,
    user_id: row.user_id,
    event: row.event,
    old_memory: row.old_memory,
    new_memory: row.new_memory,
    created_at: row.created_at,
  };
}
