import { createHash, randomUUID } from "node:crypto";
import { wordTokens } from "../../src/core/search/text-tokens.js";
import type { StubRecord } from "./mem0-stub-filters.js";

/**
 * The in-memory data of the Mem0 stand-in: memories, their history (kept
 * after a single delete, purged with a bulk delete) and asynchronous add
 * events processed in arrival order.
 */

export interface StubHistory {
  id: string;
  memory_id: string;
  user_id: string | null;
  event: "ADD" | "UPDATE" | "DELETE";
  old_memory: string | null;
  new_memory: string | null;
  input: { role: string; content: string }[];
  atMs: number;
}

export interface StubEvent {
  id: string;
  status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED";
  payload: Record<string, unknown>;
  results: { id: string; event: "ADD"; memory: string }[];
  polls: number;
  createdMs: number;
  completedMs: number | null;
}

export interface AddPayload {
  messages: { role: string; content: string }[];
  user_id?: string | undefined;
  agent_id?: string | undefined;
  app_id?: string | undefined;
  run_id?: string | undefined;
  metadata?: Record<string, unknown> | null | undefined;
  infer?: boolean | undefined;
  timestamp?: number | undefined;
}

/** Mem0 sends microsecond times with an offset; so does the stub. */
export function mem0Time(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "000+00:00");
}

export class StubState {
  readonly records = new Map<string, StubRecord>();
  readonly history: StubHistory[] = [];
  readonly events = new Map<string, StubEvent>();
  private readonly queue: string[] = [];
  private lastMs = 0;
  /** While true, queued adds stay PENDING (the platform is "busy"). */
  holdEvents = false;
  /** The next this-many queued adds end FAILED without writing anything. */
  failEvents = 0;

  /** Strictly increasing wall-clock milliseconds, so arrival order is creation order. */
  now(): number {
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    return this.lastMs;
  }

  enqueue(payload: AddPayload): StubEvent {
    const event: StubEvent = {
      id: randomUUID(),
      status: "PENDING",
      payload: payload as unknown as Record<string, unknown>,
      results: [],
      polls: 0,
      createdMs: this.now(),
      completedMs: null,
    };
    this.events.set(event.id, event);
    this.queue.push(event.id);
    return event;
  }

  /** Processes queued adds in order (unless held). */
  drain(): void {
    while (!this.holdEvents && this.queue.length > 0) {
      const event = this.events.get(this.queue.shift() as string) as StubEvent;
      if (this.failEvents > 0) {
        this.failEvents--;
        event.status = "FAILED";
        event.completedMs = this.now();
        continue;
      }
      event.results = this.store(event.payload as unknown as AddPayload);
      event.status = "SUCCEEDED";
      event.completedMs = this.now();
    }
  }

  /**
   * Writes the memories of one add. Verbatim (infer false): one memory per
   * message. "Inference" here is a stand-in without an LLM: one memory per
   * user message. With both user_id and agent_id, Mem0 keeps user messages
   * under the user and assistant messages under the agent (separate records).
   */
  store(p: AddPayload): { id: string; event: "ADD"; memory: string }[] {
    const out: { id: string; event: "ADD"; memory: string }[] = [];
    for (const message of p.messages) {
      if (p.infer !== false && message.role !== "user") continue;
      const split = p.user_id !== undefined && p.agent_id !== undefined;
      const asAgent = split && message.role === "assistant";
      const ms = p.timestamp !== undefined ? p.timestamp * 1000 : this.now();
      const record: StubRecord = {
        id: randomUUID(),
        memory: message.content,
        user_id: asAgent ? null : (p.user_id ?? null),
        agent_id: split && !asAgent ? null : (p.agent_id ?? null),
        app_id: p.app_id ?? null,
        run_id: p.run_id ?? null,
        metadata: p.metadata ?? null,
        categories: [],
        createdMs: ms,
        updatedMs: ms,
      };
      this.records.set(record.id, record);
      this.record(record, "ADD", null, record.memory, p.messages);
      out.push({ id: record.id, event: "ADD", memory: record.memory });
    }
    return out;
  }

  record(
    r: StubRecord,
    event: StubHistory["event"],
    old: string | null,
    next: string | null,
    input: StubHistory["input"] = [],
  ) {
    this.history.push({
      id: randomUUID(),
      memory_id: r.id,
      user_id: r.user_id,
      event,
      old_memory: old,
      new_memory: next,
      input,
      atMs: this.now(),
    });
  }

  /** Removes memories (bulk delete): their history goes with them. */
  purge(ids: Set<string>): void {
    for (const id of ids) this.records.delete(id);
    for (let i = this.history.length - 1; i >= 0; i--) {
      if (ids.has((this.history[i] as StubHistory).memory_id)) this.history.splice(i, 1);
    }
  }
}

/** Share of the query's distinct words found in the text, in [0, 1]. */
export function overlapScore(query: string, text: string): number {
  const wanted = new Set(wordTokens(query));
  if (wanted.size === 0) return 0;
  const have = new Set(wordTokens(text));
  let hit = 0;
  for (const w of wanted) if (have.has(w)) hit++;
  return hit / wanted.size;
}

export function toWire(r: StubRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: r.id,
    memory: r.memory,
    user_id: r.user_id,
    agent_id: r.agent_id,
    app_id: r.app_id,
    run_id: r.run_id,
    metadata: r.metadata,
    categories: r.categories,
    hash: createHash("md5").update(r.memory).digest("hex"),
    created_at: mem0Time(r.createdMs),
    updated_at: mem0Time(r.updatedMs),
    ...extra,
  };
}
