/**
 * Runs LoCoMo retrieval on the real SQLite memory store: one fresh store per
 * conversation, every turn added as a memory (session date as created_at,
 * speaker and dia_id in metadata, the session as run_id), every question
 * searched within its conversation, recall@k of the evidence dia_ids.
 */
import { join } from "node:path";
import type { AddInput } from "../../src/core/types.js";
import type { MemoryStore } from "../../src/store/memory-store.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import type { LocomoConversation, LocomoTurn } from "./locomo-data.js";
import { elapsedMs } from "./percentile.js";

export const RECALL_KS = [1, 5, 10, 25] as const;
const USER = "locomo";

export interface QuestionResult {
  conversation: string;
  category: string;
  /** recall@k in [0, 1], one per RECALL_KS entry. */
  recall: number[];
  searchMs: number;
}

export interface ConversationResult {
  id: string;
  memories: number;
  ingestMs: number;
  /** Time `prepare` took (0 without one). */
  prepareMs: number;
  questions: QuestionResult[];
}

/** The memory text of one turn: who said it, what they said, and the image they shared. */
export function turnText(turn: LocomoTurn): string {
  const image = turn.imageCaption ? ` [shared an image: ${turn.imageCaption}]` : "";
  return `${turn.speaker}: ${turn.text}${image}`;
}

export function turnMemory(turn: LocomoTurn, userId: string = USER): AddInput {
  // Turns of one session are a second apart, in order (the proxy stores one memory per turn).
  const createdAt = new Date(Date.parse(turn.sessionDate) + turn.index * 1000).toISOString();
  return {
    user_id: userId,
    agent_id: "locomo",
    run_id: `session_${turn.session}`,
    memory: turnText(turn),
    created_at: createdAt,
    metadata: { speaker: turn.speaker, dia_id: turn.diaId },
  };
}

/** Share of `evidence` among the first k of `found`, for each k. */
export function recallAt(
  found: readonly string[],
  evidence: readonly string[],
  ks: readonly number[],
): number[] {
  return ks.map((k) => {
    const top = new Set(found.slice(0, k));
    return evidence.filter((id) => top.has(id)).length / evidence.length;
  });
}

export interface EvaluateOptions {
  /** A folder for the conversation's database file. */
  dir: string;
  /** Opens the store to measure (default: SqliteMemoryStore at dir/<id>.db). */
  openStore?: ((path: string) => MemoryStore | Promise<MemoryStore>) | undefined;
  /** Runs after the turns are added, before the questions (e.g. embedding every memory); timed apart. */
  prepare?: ((store: MemoryStore) => Promise<void>) | undefined;
}

export async function evaluateConversation(
  conv: LocomoConversation,
  opts: EvaluateOptions,
): Promise<ConversationResult> {
  const open = opts.openStore ?? ((path: string) => SqliteMemoryStore.open(path));
  const store = await open(join(opts.dir, `${conv.id.replace(/[^\w.-]/g, "_")}.db`));
  try {
    const start = process.hrtime.bigint();
    await store.addMany(conv.turns.map((t) => turnMemory(t)));
    const ingestMs = elapsedMs(start);
    const prepared = process.hrtime.bigint();
    if (opts.prepare) await opts.prepare(store);
    const prepareMs = opts.prepare ? elapsedMs(prepared) : 0;
    const questions: QuestionResult[] = [];
    const limit = Math.max(...RECALL_KS);
    for (const q of conv.questions) {
      if (q.evidence.length === 0) continue;
      const t0 = process.hrtime.bigint();
      const hits = await store.search(q.question, { filters: { user_id: USER }, limit });
      const searchMs = elapsedMs(t0);
      const found = hits.map((h) => String(h.metadata.dia_id ?? ""));
      questions.push({
        conversation: conv.id,
        category: q.category,
        recall: recallAt(found, q.evidence, RECALL_KS),
        searchMs,
      });
    }
    return { id: conv.id, memories: conv.turns.length, ingestMs, prepareMs, questions };
  } finally {
    await store.close();
  }
}

export interface RecallSummary {
  questions: number;
  "r@1": number;
  "r@5": number;
  "r@10": number;
  "r@25": number;
}

/** Mean recall@k in percent (one decimal) over the questions. */
export function summarise(results: readonly QuestionResult[]): RecallSummary {
  const mean = (i: number) =>
    results.length === 0 ? 0 : results.reduce((sum, r) => sum + (r.recall[i] ?? 0), 0) / results.length;
  const pct = (i: number) => Math.round(mean(i) * 1000) / 10;
  return { questions: results.length, "r@1": pct(0), "r@5": pct(1), "r@10": pct(2), "r@25": pct(3) };
}

export function byCategory(results: readonly QuestionResult[]): Record<string, RecallSummary> {
  const groups = new Map<string, QuestionResult[]>();
  for (const r of results) groups.set(r.category, [...(groups.get(r.category) ?? []), r]);
  const keys = [...groups.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return Object.fromEntries(keys.map((k) => [k, summarise(groups.get(k) ?? [])]));
}
