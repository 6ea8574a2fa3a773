import { MemoryError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Mem0HttpClient } from "./http-client.js";

/**
 * Mem0 adds are asynchronous: the answer is usually `{status: "PENDING",
 * event_id}` and `GET /v1/event/{id}/` says when the write finished
 * (`SUCCEEDED` / `FAILED`) and which memories it produced. Some answers are
 * already final (verbatim writes, `async_mode: false`) and carry memory ids.
 */

export type AddOutcome =
  | { kind: "pending"; eventId: string }
  | { kind: "done"; memoryIds: string[] }
  | { kind: "failed"; reason: string };

type Raw = Record<string, unknown>;

const PENDING = new Set(["PENDING", "RUNNING", "QUEUED"]);

/** Memory ids of ADD results (results without an `event` field count as adds). */
function addedIds(results: unknown[]): string[] {
  const ids: string[] = [];
  for (const r of results) {
    if (!r || typeof r !== "object") continue;
    const item = r as Raw;
    const event = typeof item.event === "string" ? item.event.toUpperCase() : "ADD";
    const id =
      typeof item.id === "string" ? item.id : typeof item.memory_id === "string" ? item.memory_id : null;
    if (event === "ADD" && id) ids.push(id);
  }
  return ids;
}

/** Reads the answer of `POST /v3/memories/add/` or `POST /v1/memories/`. */
export function parseAddAnswer(body: unknown): AddOutcome {
  const items: unknown[] = Array.isArray(body) ? body : [];
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Raw;
    const status = typeof b.status === "string" ? b.status.toUpperCase() : null;
    if (typeof b.event_id === "string" && (status === null || PENDING.has(status))) {
      return { kind: "pending", eventId: b.event_id };
    }
    if (status === "FAILED") return { kind: "failed", reason: String(b.message ?? b.error ?? "add failed") };
    if (Array.isArray(b.results)) items.push(...b.results);
  }
  const pending = items.find(
    (i) => i && typeof i === "object" && typeof (i as Raw).event_id === "string" && !(i as Raw).id,
  ) as Raw | undefined;
  if (pending) return { kind: "pending", eventId: pending.event_id as string };
  return { kind: "done", memoryIds: addedIds(items) };
}

/** Reads `GET /v1/event/{id}/`. */
export function parseEvent(body: unknown): AddOutcome | { kind: "waiting" } {
  if (!body || typeof body !== "object") return { kind: "waiting" };
  const b = body as Raw;
  const status = typeof b.status === "string" ? b.status.toUpperCase() : "";
  if (status === "SUCCEEDED")
    return { kind: "done", memoryIds: addedIds(Array.isArray(b.results) ? b.results : []) };
  if (status === "FAILED") {
    const meta = (b.metadata ?? {}) as Raw;
    return { kind: "failed", reason: String(meta.error ?? b.error ?? "Mem0 could not process the memory") };
  }
  return { kind: "waiting" };
}

export interface PollOptions {
  /** Give up (and report `pending`) after this long. */
  budgetMs: number;
  /** First wait; doubles up to `maxIntervalMs`. */
  firstIntervalMs: number;
  maxIntervalMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * Polls an event with bounded exponential backoff. Returns the final outcome,
 * or `pending` when the budget runs out (the write may still finish later).
 */
export async function pollAddEvent(
  http: Mem0HttpClient,
  eventId: string,
  opts: PollOptions,
  logger: Logger,
): Promise<AddOutcome> {
  const deadline = opts.now() + opts.budgetMs;
  let interval = opts.firstIntervalMs;
  for (let poll = 0; ; poll++) {
    const answer = await http.send({
      method: "GET",
      path: `/v1/event/${encodeURIComponent(eventId)}/`,
      idempotent: true,
      allow404: true,
    });
    const outcome = answer.status === 404 ? { kind: "waiting" as const } : parseEvent(answer.body);
    if (outcome.kind !== "waiting") {
      logger.debug("mem0 add event settled", { event_id: eventId, outcome: outcome.kind, polls: poll + 1 });
      return outcome;
    }
    const left = deadline - opts.now();
    if (left <= 0) {
      logger.info("mem0 add still pending; not waiting longer", { event_id: eventId, polls: poll + 1 });
      return { kind: "pending", eventId };
    }
    await opts.sleep(Math.min(interval, left));
    interval = Math.min(opts.maxIntervalMs, interval * 2);
  }
}

export function addFailure(reason: string): MemoryError {
  return new MemoryError("UPSTREAM_ERROR", `Mem0 could not store the memory: ${reason.slice(0, 300)}`);
}
