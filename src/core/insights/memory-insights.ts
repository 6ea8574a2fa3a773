/**
 * Insights that rest on derived memories: recurring problems (and whether a
 * confirmed fix exists), stated preferences and decisions (and which were
 * later contradicted), and unfinished work.
 */
import { closesTodo } from "./derived-merge.js";
import { completionSentences, projectName } from "./extract-candidates.js";
import { jaccard, tokenize } from "./text.js";
import type { DerivedRecord, Insight, TurnRecord } from "./types.js";

const MAX_SOURCE_IDS = 8;

/** The derived memories first, then the turns they came from (newest sources of each). */
function ids(r: DerivedRecord, ...more: DerivedRecord[]): string[] {
  const all = [r, ...more];
  const out = [...all.map((m) => m.id), ...all.flatMap((m) => m.meta.source_ids.slice(-MAX_SOURCE_IDS))];
  return [...new Set(out)];
}

/** " in 2 session(s)", or "" when none was recorded (notes have no session). */
function inSessions(n: number): string {
  return n > 0 ? ` in ${n} session(s)` : "";
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

function projects(r: DerivedRecord): string {
  const names = r.meta.app_ids.map((a) => projectName(a) ?? a);
  return names.length > 0 ? names.join(", ") : "no project";
}

/** Memories whose projects include `appId` (all when no project is asked for). */
export function inScope(records: readonly DerivedRecord[], appId: string | null): DerivedRecord[] {
  return appId === null ? [...records] : records.filter((r) => r.meta.app_ids.includes(appId));
}

/** Solutions per problem key. */
function solutionsByProblem(records: readonly DerivedRecord[]): Map<string, DerivedRecord[]> {
  const map = new Map<string, DerivedRecord[]>();
  for (const r of records) {
    if (r.meta.type !== "solution") continue;
    const k = r.meta.fields.problem_key;
    if (!k) continue;
    map.set(k, [...(map.get(k) ?? []), r]);
  }
  return map;
}

export interface ProblemStatus {
  error: DerivedRecord;
  solutions: DerivedRecord[];
  /** The error was seen again after its latest confirmed fix. */
  recurredAfterFix: boolean;
}

/** Errors seen in at least two sessions (or three times), newest first, with their fixes. */
export function recurringProblems(records: readonly DerivedRecord[]): ProblemStatus[] {
  const fixes = solutionsByProblem(records);
  return records
    .filter((r) => r.meta.type === "error" && (r.meta.run_ids.length >= 2 || r.meta.count >= 3))
    .map((error) => {
      const solutions = fixes.get(error.meta.insight_key) ?? [];
      const lastFix =
        solutions
          .map((s) => s.meta.last_seen)
          .sort()
          .at(-1) ?? "";
      return { error, solutions, recurredAfterFix: solutions.length > 0 && error.meta.last_seen > lastFix };
    })
    .sort(
      (a, b) =>
        b.error.meta.run_ids.length - a.error.meta.run_ids.length || b.error.meta.count - a.error.meta.count,
    );
}

export function problemInsight(p: ProblemStatus): Insight {
  const { error, solutions } = p;
  const sig = error.meta.fields.signature ?? error.text;
  const sessions = error.meta.run_ids.length;
  const fix = solutions.at(-1)?.meta.fields.fix;
  const status = fix
    ? `Solved (confirmed) by: ${fix}.${p.recurredAfterFix ? " It came back after that fix." : ""}`
    : "No confirmed fix on record.";
  return {
    kind: "recurring_problem",
    title: sig,
    description: `Seen ${error.meta.count} times${inSessions(sessions)} (${projects(error)}), ${day(error.meta.first_seen)} to ${day(error.meta.last_seen)}. ${status}`,
    confidence: Math.min(0.95, Math.round((0.5 + 0.1 * sessions) * 100) / 100),
    counts: {
      occurrences: error.meta.count,
      sessions,
      projects: error.meta.app_ids.length,
      solutions: solutions.length,
      solved: fix ? 1 : 0,
      recurred_after_fix: p.recurredAfterFix ? 1 : 0,
    },
    memory_ids: ids(error, ...solutions),
  };
}

/** What a statement chose and what it ruled out, for contradiction checks. */
function choiceOf(r: DerivedRecord): { chose: string[]; ruled: string[]; purpose: string[] } {
  const f = r.meta.fields;
  if (r.meta.type === "preference") {
    if (f.polarity === "never" || f.polarity === "avoid")
      return { chose: [], ruled: tokenize(f.object ?? ""), purpose: [] };
    return {
      chose: tokenize(f.choice ?? f.object ?? ""),
      ruled: tokenize(f.over ?? ""),
      purpose: f.verb ? [f.verb] : [],
    };
  }
  return {
    chose: tokenize(f.choice ?? ""),
    ruled: tokenize(f.replaced ?? ""),
    purpose: tokenize(f.purpose ?? ""),
  };
}

function overlaps(a: string[], b: string[]): boolean {
  return a.length > 0 && b.length > 0 && jaccard(a, b) >= 0.5;
}

/**
 * A later statement of the same type (and project, for decisions) that rules
 * out what this one chose, or chooses differently for the same purpose.
 */
export function laterContradiction(
  r: DerivedRecord,
  all: readonly DerivedRecord[],
): DerivedRecord | undefined {
  const mine = choiceOf(r);
  if (mine.chose.length === 0) return undefined;
  return all
    .filter(
      (other) =>
        other.id !== r.id && other.meta.type === r.meta.type && other.meta.last_seen > r.meta.last_seen,
    )
    .filter(
      (other) => r.meta.type !== "decision" || other.meta.app_ids.some((a) => r.meta.app_ids.includes(a)),
    )
    .find((other) => {
      const theirs = choiceOf(other);
      if (overlaps(theirs.ruled, mine.chose)) return true;
      return (
        overlaps(theirs.purpose, mine.purpose) &&
        theirs.chose.length > 0 &&
        !overlaps(theirs.chose, mine.chose)
      );
    });
}

export function statementInsight(r: DerivedRecord, all: readonly DerivedRecord[]): Insight {
  const kind = r.meta.type === "preference" ? "preference" : "decision";
  const later = laterContradiction(r, all);
  const statement = r.text.replace(/^[^:]*:\s*/, "");
  const sessions = r.meta.run_ids.length;
  const said = `Stated ${r.meta.count} time(s)${inSessions(sessions)} (${projects(r)}), last on ${day(r.meta.last_seen)}.`;
  const contradicted = later
    ? ` Later contradicted on ${day(later.meta.last_seen)} by "${later.text.replace(/^[^:]*:\s*/, "")}".`
    : "";
  return {
    kind,
    title: statement,
    description: `${said}${contradicted}`,
    confidence: later ? Math.round(r.meta.confidence * 50) / 100 : r.meta.confidence,
    counts: {
      mentions: r.meta.count,
      sessions,
      projects: r.meta.app_ids.length,
      contradicted: later ? 1 : 0,
    },
    memory_ids: later ? ids(r, later) : ids(r),
  };
}

/** Todos still open: not marked done, and no later turn in the same project says they were done. */
export function openTodos(records: readonly DerivedRecord[], turns: readonly TurnRecord[]): DerivedRecord[] {
  const finishing = turns
    .map((turn) => ({ turn, done: completionSentences(turn) }))
    .filter((t) => t.done.length > 0);
  return records
    .filter((r) => r.meta.type === "todo" && r.meta.status !== "done")
    .filter((r) => !finishing.some((t) => closesTodo(r.meta, t.turn, t.done)))
    .sort((a, b) => (a.meta.last_seen < b.meta.last_seen ? 1 : -1));
}

export function todoInsight(r: DerivedRecord): Insight {
  const task = r.meta.fields.task ?? r.text;
  return {
    kind: "unfinished_work",
    title: task,
    description: `Raised ${r.meta.count} time(s) in ${projects(r)}, last on ${day(r.meta.last_seen)}; no later turn says it was done.`,
    confidence: r.meta.confidence,
    counts: { mentions: r.meta.count, sessions: r.meta.run_ids.length },
    memory_ids: ids(r),
  };
}
