/**
 * Derived memories (preference, decision, solution, error, todo) in the
 * store: reading them back, and writing a candidate as a new memory or as an
 * update of the one it duplicates.
 */
import { z } from "zod";
import {
  categoriesFor,
  findMatch,
  isPerProject,
  mergeCandidate,
  newMeta,
} from "../core/insights/derived-merge.js";
import {
  type Candidate,
  DERIVED_TYPES,
  type DerivedMeta,
  type DerivedRecord,
} from "../core/insights/types.js";
import type { Memory } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";
import { DERIVED_SOURCE, listNewest } from "./turn-reader.js";

export { DERIVED_SOURCE };

const MAX_DERIVED = 20_000;

const metaSchema = z.looseObject({
  source: z.literal(DERIVED_SOURCE),
  type: z.enum(DERIVED_TYPES),
  insight_key: z.string().min(1),
  source_id: z.string(),
  source_ids: z.array(z.string()),
  count: z.number().int().min(1),
  app_ids: z.array(z.string()),
  run_ids: z.array(z.string()),
  first_seen: z.string(),
  last_seen: z.string(),
  confidence: z.number(),
  fields: z.record(z.string(), z.string()),
  status: z.enum(["open", "done"]).optional(),
  resolved_by: z.string().optional(),
});

/** A memory as a DerivedRecord, or null when it is not one (or its metadata was edited out of shape). */
export function toDerived(m: Memory): DerivedRecord | null {
  const parsed = metaSchema.safeParse(m.metadata);
  if (!parsed.success) return null;
  return { id: m.id, text: m.memory, meta: parsed.data as DerivedMeta };
}

export async function readDerived(store: MemoryStore, userId: string): Promise<DerivedRecord[]> {
  const memories = await listNewest(
    store,
    { user_id: userId, metadata: { source: DERIVED_SOURCE } },
    MAX_DERIVED,
  );
  return memories.map(toDerived).filter((r): r is DerivedRecord => r !== null);
}

export type SaveOutcome = "created" | "updated" | "unchanged";

/** JSON-safe metadata (drops undefined fields). */
function plain(meta: DerivedMeta): Record<string, unknown> {
  return JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
}

/**
 * Stores a candidate: merged into the memory it duplicates (count + 1, its
 * turn added to source_ids) or added as a new memory. `records` is the
 * caller's working set and is kept up to date.
 */
export async function saveCandidate(
  store: MemoryStore,
  userId: string,
  agentId: string,
  records: DerivedRecord[],
  c: Candidate,
): Promise<SaveOutcome> {
  const match = findMatch(records, c);
  if (match) return mergeInto(store, match, c);
  const meta = newMeta(c);
  const result = await store.add({
    user_id: userId,
    agent_id: agentId,
    app_id: isPerProject(c.type) ? (c.app_id ?? undefined) : undefined,
    memory: c.text,
    metadata: plain(meta),
    categories: categoriesFor(c.type),
    created_at: c.at,
  });
  if (!result.memory) return "unchanged";
  const stored = toDerived(result.memory);
  if (result.status === "duplicate") {
    // Another process stored the same text first: merge into it. A note with the same text that a
    // person wrote is left alone.
    if (!stored) return "unchanged";
    records.push(stored);
    return mergeInto(store, stored, c);
  }
  records.push(stored ?? { id: result.memory.id, text: c.text, meta });
  return "created";
}

async function mergeInto(store: MemoryStore, record: DerivedRecord, c: Candidate): Promise<SaveOutcome> {
  const merged = mergeCandidate(record.meta, c);
  if (!merged) return "unchanged";
  await store.update(record.id, { metadata: plain(merged) });
  record.meta = merged;
  return "updated";
}

/** Marks a todo done by a later turn. */
export async function closeTodo(store: MemoryStore, record: DerivedRecord, turnId: string): Promise<void> {
  const meta: DerivedMeta = { ...record.meta, status: "done", resolved_by: turnId };
  await store.update(record.id, { metadata: plain(meta) });
  record.meta = meta;
}
