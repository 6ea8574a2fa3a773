import type { HistoryEvent, HistoryEventType, Memory, Metadata } from "../../core/types.js";

/** The `memories` columns every read selects (table alias `m`). */
export const MEMORY_COLUMNS =
  "m.pk, m.id, m.user_id, m.agent_id, m.app_id, m.run_id, m.memory, m.hash, m.metadata, m.categories, m.created_at, m.updated_at";

/** One memory by its id (ids are unique across users). */
export const MEMORY_BY_ID = `SELECT ${MEMORY_COLUMNS} FROM memories AS m WHERE m.id = ?`;

export interface MemoryRow {
  pk: number;
  id: string;
  user_id: string;
  agent_id: string | null;
  app_id: string | null;
  run_id: string | null;
  memory: string;
  hash: string;
  metadata: string;
  categories: string;
  created_at: string;
  updated_at: string;
}

export interface HistoryRow {
  id: string;
  memory_id: string;
  user_id: string;
  event: HistoryEventType;
  old_memory: string | null;
  new_memory: string | null;
  created_at: string;
}

function parseJson<T>(text: string, check: (v: unknown) => v is T, fallback: T): T {
  try {
    const value: unknown = JSON.parse(text);
    return check(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

const isObject = (v: unknown): v is Metadata => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === "string");

/** A row (or the values just written) as the Mem0-shaped `Memory`. */
export function toMemory(row: Omit<MemoryRow, "pk">): Memory {
  return {
    id: row.id,
    memory: row.memory,
    user_id: row.user_id,
    agent_id: row.agent_id,
    app_id: row.app_id,
    run_id: row.run_id,
    metadata: parseJson(row.metadata, isObject, {}),
    categories: parseJson(row.categories, isStringArray, []),
    hash: row.hash,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toHistoryEvent(row: HistoryRow): HistoryEvent {
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
