/**
 * Incremental extraction: finds the conversation turns not yet processed,
 * derives typed memories from them, and merges those into the store.
 * Idempotent (a turn already in a memory's source_ids changes nothing) and
 * serialised per process, so the capture hook and a CLI run may overlap.
 */
import { closesTodo } from "../core/insights/derived-merge.js";
import { completionSentences, extractCandidates } from "../core/insights/extract-candidates.js";
import type { DerivedRecord, TurnRecord } from "../core/insights/types.js";
import type { Logger } from "../core/logger.js";
import type { Memory } from "../core/types.js";
import type { MemoryStore } from "../store/memory-store.js";
import { closeTodo, readDerived, saveCandidate } from "./derived-store.js";
import { advance, type ExtractionStateStore, scanStart } from "./extraction-state.js";
import { listAnalysable, recordsOf } from "./turn-reader.js";

export interface ExtractionCounts {
  processed: number;
  created: number;
  updated: number;
}

/** Earlier turns of a session that a fix confirmation looks back over. */
const LOOKBACK = 6;
/** Turns read per scan; a larger backlog is worked off by the following calls. */
const MAX_SCAN = 100_000;
/**
 * During a long run the state is saved this often (ms), so a crash keeps most of the progress.
 * By time, not by turns: each save reads and rewrites the whole state file (every turn id of the
 * last day), so a save per few hundred turns made a large run quadratic.
 */
const SAVE_EVERY_MS = 2000;

export interface ExtractorDeps {
  store: MemoryStore;
  state: ExtractionStateStore;
  logger: Logger;
  agentId: string;
}

/** Earlier memories of the sessions whose first scanned memory has no predecessor loaded. */
async function sessionContext(store: MemoryStore, userId: string, scanned: Memory[]): Promise<Memory[]> {
  const firstOf = new Map<string, Memory>();
  for (const m of scanned) {
    if (m.run_id === null) continue;
    const f = firstOf.get(m.run_id);
    if (!f || m.created_at < f.created_at) firstOf.set(m.run_id, m);
  }
  const out: Memory[] = [];
  for (const [runId, first] of firstOf) {
    out.push(
      ...(await listAnalysable(
        store,
        { user_id: userId, run_id: runId, created_before: first.created_at },
        LOOKBACK,
      )),
    );
  }
  return out;
}

export function createExtractor(deps: ExtractorDeps) {
  const { store, state, logger } = deps;
  const running = new Map<string, Promise<ExtractionCounts>>();

  async function run(userId: string): Promise<ExtractionCounts> {
    let current = state.get(userId);
    const scanned = await listAnalysable(
      store,
      { user_id: userId, created_after: scanStart(current) },
      MAX_SCAN,
    );
    const todo = scanned.filter((m) => current.recent[m.id] === undefined);
    const counts: ExtractionCounts = { processed: 0, created: 0, updated: 0 };
    if (todo.length === 0) return counts;

    const context = await sessionContext(store, userId, scanned);
    const turns = recordsOf([...context, ...scanned]);
    const pending = new Set(todo.map((m) => m.id));
    const records: DerivedRecord[] = await readDerived(store, userId);
    const bySession = new Map<string, TurnRecord[]>();
    let processed = new Map<string, string>();
    let savedAt = Date.now();

    for (const turn of turns) {
      const session = turn.run_id ?? `turn:${turn.id}`;
      const previous = bySession.get(session) ?? [];
      if (pending.has(turn.id)) {
        for (const c of extractCandidates(turn, previous.slice(-LOOKBACK))) {
          const outcome = await saveCandidate(store, userId, deps.agentId, records, c);
          if (outcome === "created") counts.created++;
          else if (outcome === "updated") counts.updated++;
        }
        const done = completionSentences(turn);
        for (const r of done.length > 0 ? records : []) {
          if (r.meta.type === "todo" && closesTodo(r.meta, turn, done)) {
            await closeTodo(store, r, turn.id);
            counts.updated++;
          }
        }
        counts.processed++;
        processed.set(turn.id, turn.created_at);
        if (processed.size > 0 && Date.now() - savedAt >= SAVE_EVERY_MS) {
          current = advance(current, processed);
          state.set(userId, current);
          processed = new Map();
          savedAt = Date.now();
        }
      }
      bySession.set(session, [...previous.slice(-LOOKBACK), turn]);
    }
    state.set(userId, advance(current, processed));
    logger.debug("insights extraction finished", { ...counts });
    return counts;
  }

  /** Extracts from the user's unprocessed turns; concurrent calls for one user share one run. */
  function extractNew(userId: string): Promise<ExtractionCounts> {
    const inFlight = running.get(userId);
    // A call made while a run is going waits for it, then runs again for what arrived meanwhile.
    const next = (inFlight ? inFlight.catch(() => undefined).then(() => run(userId)) : run(userId)).finally(
      () => {
        if (running.get(userId) === next) running.delete(userId);
      },
    );
    running.set(userId, next);
    return next;
  }

  return { extractNew };
}
