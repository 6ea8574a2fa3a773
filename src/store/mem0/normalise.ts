import { MemoryError } from "../../core/errors.js";
import type { HistoryEvent, HistoryEventType, Memory, ScoredMemory } from "../../core/types.js";
import { memoryHash } from "../memory-hash.js";
import { META, splitMetadata } from "./metadata-keys.js";

/**
 * Mem0 answers → our memory model, so MCP tools and the CLI see the same
 * shapes on both backends. Tolerant of the documented variants (`memory` or
 * `text`, missing `updated_at`, timestamps with offsets).
 */

type Raw = Record<string, unknown>;

function asRecord(value: unknown, what: string): Raw {
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Raw;
  throw new MemoryError("UPSTREAM_ERROR", `Mem0 sent an unexpected ${what}`);
}

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Any date Mem0 sends (offsets, microseconds, epoch seconds) as ISO-8601 UTC. */
export function isoUtc(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value !== "string" || value === "") return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : null;
}

/** A Mem0 memory object as ours. `fallbackUserId` covers answers that omit user_id. */
export function toMemory(value: unknown, fallbackUserId?: string): Memory {
  const raw = asRecord(value, "memory object");
  const id = str(raw.id);
  const data = raw.data && typeof raw.data === "object" ? (raw.data as Raw) : {};
  const text =
    typeof raw.memory === "string" ? raw.memory : typeof raw.text === "string" ? raw.text : data.memory;
  if (!id || typeof text !== "string")
    throw new MemoryError("UPSTREAM_ERROR", "Mem0 sent a memory without id or text");
  const { user, reserved } = splitMetadata(raw.metadata);
  const created = exactCreatedAt(isoUtc(raw.created_at), isoUtc(reserved[META.createdAt]));
  return {
    id,
    memory: text,
    user_id: str(raw.user_id) ?? fallbackUserId ?? "",
    agent_id: str(reserved[META.agentId]) ?? str(raw.agent_id),
    app_id: str(reserved[META.appId]) ?? str(raw.app_id),
    run_id: str(reserved[META.runId]) ?? str(raw.run_id),
    metadata: user,
    categories: stringList(reserved[META.categories]) ?? stringList(raw.categories) ?? [],
    hash: str(reserved[META.hash]) ?? memoryHash(text),
    created_at: created,
    updated_at: isoUtc(raw.updated_at) ?? created,
  };
}

/** Our exact time when it agrees with Mem0's to the second (Mem0 may not have honoured it). */
function exactCreatedAt(mem0: string | null, ours: string | null): string {
  if (mem0 === null) return ours ?? new Date(0).toISOString();
  if (ours !== null && Math.floor(Date.parse(ours) / 1000) === Math.floor(Date.parse(mem0) / 1000))
    return ours;
  return mem0;
}

/** Mem0 scores are in [0, 1] (older ones could exceed it); ours are in (0, 1]. */
export function clampScore(score: unknown): number {
  const n = typeof score === "number" && Number.isFinite(score) ? score : 0;
  return Math.min(1, Math.max(n, 1e-6));
}

export function toScoredMemory(value: unknown, fallbackUserId?: string): ScoredMemory {
  return { ...toMemory(value, fallbackUserId), score: clampScore(asRecord(value, "search result").score) };
}

/** The list inside any of Mem0's envelopes: a bare array, `{results}` or `{memories}`. */
export function resultsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object") {
    const b = body as Raw;
    if (Array.isArray(b.results)) return b.results;
    if (Array.isArray(b.memories)) return b.memories;
  }
  throw new MemoryError("UPSTREAM_ERROR", "Mem0 sent an unexpected list answer");
}

const EVENTS = new Set<HistoryEventType>(["ADD", "UPDATE", "DELETE"]);

/** History entries, oldest first; entries of other kinds (NOOP) are dropped. */
export function toHistory(body: unknown, memoryId: string, fallbackUserId?: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const entry of resultsOf(body)) {
    const raw = asRecord(entry, "history entry");
    const event = typeof raw.event === "string" ? (raw.event.toUpperCase() as HistoryEventType) : null;
    if (!event || !EVENTS.has(event)) continue;
    out.push({
      id: str(raw.id) ?? `${memoryId}:${out.length}`,
      memory_id: str(raw.memory_id) ?? memoryId,
      user_id: str(raw.user_id) ?? fallbackUserId ?? "",
      event,
      old_memory: typeof raw.old_memory === "string" ? raw.old_memory : null,
      new_memory: typeof raw.new_memory === "string" ? raw.new_memory : null,
      created_at: isoUtc(raw.created_at) ?? new Date(0).toISOString(),
    });
  }
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.created_at.localeCompare(b.e.created_at) || a.i - b.i)
    .map(({ e }) => e);
}
