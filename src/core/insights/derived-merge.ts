/**
 * Deduplication of derived memories: which stored memory a new candidate is
 * the same as, and how the two merge (count, sources, sessions, projects).
 * Merging the same source twice changes nothing, so extraction is idempotent.
 */
import { completionSentences } from "./extract-candidates.js";
import { jaccard, tokenize } from "./text.js";
import type { Candidate, DerivedMeta, DerivedRecord, DerivedType, TurnRecord } from "./types.js";

/** Newest sources kept per derived memory. */
export const MAX_SOURCES = 200;

/** The seed's default categories plus the type. */
export function categoriesFor(type: DerivedType): string[] {
  switch (type) {
    case "preference":
      return ["preferences", "preference"];
    case "decision":
      return ["architecture", "decision"];
    case "solution":
      return ["debugging", "solution"];
    case "error":
      return ["debugging", "error"];
    case "todo":
      return ["coding", "todo"];
  }
}

/** Types whose memories belong to one project (the key names it); the others are the user's. */
export function isPerProject(type: DerivedType): boolean {
  return type === "decision" || type === "todo";
}

/** How similar two statements of the same type must be to count as one. */
const FUZZY: Record<DerivedType, number> = {
  preference: 0.75,
  decision: 0.75,
  todo: 0.6,
  solution: 0.5,
  error: 1.01,
};

function keyTokens(type: DerivedType, key: string): string[] {
  const body = isPerProject(type) ? key.split(":").slice(2).join(":") : key.slice(type.length + 1);
  return tokenize(type === "solution" ? (body.split("|")[1] ?? "") : body);
}

/** The stored memory a candidate is the same as: equal key, else a close enough one of the same type and scope. */
export function findMatch(records: readonly DerivedRecord[], c: Candidate): DerivedRecord | undefined {
  const exact = records.find((r) => r.meta.insight_key === c.key);
  if (exact) return exact;
  const threshold = FUZZY[c.type];
  if (threshold > 1) return undefined;
  const ct = keyTokens(c.type, c.key);
  if (ct.length === 0) return undefined;
  let best: { r: DerivedRecord; sim: number } | undefined;
  for (const r of records) {
    if (r.meta.type !== c.type) continue;
    if (isPerProject(c.type) && r.meta.insight_key.split(":")[1] !== c.key.split(":")[1]) continue;
    if (c.type === "solution" && r.meta.fields.problem_key !== c.fields.problem_key) continue;
    // Close wording is not enough: "use postgres for the queue instead of sqlite" is not "use sqlite for the queue".
    if (!sameSubject(c.fields, r.meta.fields)) continue;
    const sim = jaccard(ct, keyTokens(r.meta.type, r.meta.insight_key));
    if (sim >= threshold && (!best || sim > best.sim)) best = { r, sim };
  }
  return best?.r;
}

function addUnique(list: readonly string[], v: string | null, cap = Number.POSITIVE_INFINITY): string[] {
  if (v === null || list.includes(v)) return [...list];
  const out = [...list, v];
  return out.length > cap ? out.slice(out.length - cap) : out;
}

/** What a statement is about: the choice, the object of a rule, or the task. */
function subjectOf(fields: Record<string, string>): string[] {
  return tokenize(fields.choice ?? fields.object ?? fields.task ?? fields.fix ?? "");
}

function sameSubject(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a.polarity !== b.polarity || a.verb !== b.verb) return false;
  const ta = subjectOf(a);
  const tb = subjectOf(b);
  return ta.length === 0 || tb.length === 0 || jaccard(ta, tb) >= 0.5;
}

export function newMeta(c: Candidate): DerivedMeta {
  const meta: DerivedMeta = {
    source: "insights",
    type: c.type,
    insight_key: c.key,
    source_id: c.source_id,
    source_ids: [c.source_id],
    count: 1,
    app_ids: c.app_id ? [c.app_id] : [],
    run_ids: c.run_id ? [c.run_id] : [],
    first_seen: c.at,
    last_seen: c.at,
    confidence: c.confidence,
    fields: { ...c.fields },
  };
  if (c.type === "todo") meta.status = "open";
  return meta;
}

/** The merged metadata, or null when this source was merged before (nothing to do). */
export function mergeCandidate(meta: DerivedMeta, c: Candidate): DerivedMeta | null {
  if (meta.source_id === c.source_id || meta.source_ids.includes(c.source_id)) return null;
  const count = meta.count + 1;
  const merged: DerivedMeta = {
    ...meta,
    source_ids: addUnique(meta.source_ids, c.source_id, MAX_SOURCES),
    count,
    app_ids: addUnique(meta.app_ids, c.app_id),
    run_ids: addUnique(meta.run_ids, c.run_id, MAX_SOURCES),
    first_seen: [meta.first_seen, c.at].sort()[0]!,
    last_seen: [meta.last_seen, c.at].sort()[1]!,
    // Each independent statement raises confidence a little, up to 0.98.
    confidence: Math.min(
      0.98,
      Math.round((Math.max(meta.confidence, c.confidence) + 0.05 * (count - 1)) * 100) / 100,
    ),
    fields: c.at >= meta.last_seen ? { ...meta.fields, ...c.fields } : { ...c.fields, ...meta.fields },
  };
  // A todo stated again after it was closed is open again.
  if (meta.type === "todo" && meta.status === "done" && c.at > meta.last_seen) {
    merged.status = "open";
    merged.resolved_by = undefined;
  }
  return merged;
}

/** At least this share of the todo's words (and two words) must be in a completion sentence. */
const CLOSE_OVERLAP = 0.6;

/**
 * True when `turn` (later, same project) says the todo's work was done.
 * `done` is the turn's completion sentences, when the caller has them already.
 */
export function closesTodo(todo: DerivedMeta, turn: TurnRecord, done?: readonly string[]): boolean {
  if (todo.type !== "todo" || todo.status === "done") return false;
  if (turn.created_at <= todo.last_seen || todo.source_ids.includes(turn.id)) return false;
  const sameProject = turn.app_id === null ? todo.app_ids.length === 0 : todo.app_ids.includes(turn.app_id);
  if (!sameProject) return false;
  const task = new Set(tokenize(todo.fields.task ?? ""));
  if (task.size < 2) return false;
  return (done ?? completionSentences(turn)).some((s) => {
    const words = new Set(tokenize(s));
    let hit = 0;
    for (const t of task) if (words.has(t)) hit++;
    return hit >= 2 && hit / task.size >= CLOSE_OVERLAP;
  });
}
