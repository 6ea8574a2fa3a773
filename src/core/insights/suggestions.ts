/**
 * Concrete next actions from the derived memories: resume unfinished work,
 * write down the fix for a recurring error (or find one), settle a decision
 * that was later contradicted, follow a preference the person had to repeat.
 * Each names the memories it rests on.
 */
import { projectName } from "./extract-candidates.js";
import { inScope, laterContradiction, openTodos, recurringProblems } from "./memory-insights.js";
import type { DerivedRecord, Suggestion, TurnRecord } from "./types.js";

export const MAX_SUGGESTIONS = 10;
/** No kind takes more than this many of the ten places. */
const PER_KIND = 4;

function statement(r: DerivedRecord): string {
  return r.text.replace(/^[^:]*:\s*/, "");
}

function where(r: DerivedRecord): string {
  const names = r.meta.app_ids.map((a) => projectName(a) ?? a);
  return names.length > 0 ? names.join(", ") : "your projects";
}

function sources(...rs: DerivedRecord[]): string[] {
  return [...new Set(rs.flatMap((r) => [r.id, ...r.meta.source_ids.slice(-5)]))];
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

export function suggestActions(input: {
  app_id: string | null;
  derived: readonly DerivedRecord[];
  /** Turns to check open todos against (newest work may have closed them). */
  turns: readonly TurnRecord[];
  now: string;
}): Suggestion[] {
  const scoped = inScope(input.derived, input.app_id);
  const out: Suggestion[] = [];
  const ageDays = (iso: string) => Math.max(0, (Date.parse(input.now) - Date.parse(iso)) / 86_400_000);

  for (const p of recurringProblems(scoped)) {
    const sig = p.error.meta.fields.signature ?? statement(p.error);
    const sessions = p.error.meta.run_ids.length;
    const fix = p.solutions.at(-1);
    if (fix) {
      out.push({
        kind: "document_fix",
        action: `Write down the fix for "${sig}" where the next session will read it (e.g. CLAUDE.md in ${where(p.error)}): ${fix.meta.fields.fix ?? statement(fix)}`,
        reason: `It happened in ${sessions} sessions${p.recurredAfterFix ? " and came back after it was fixed" : ""}; the fix was confirmed on ${day(fix.meta.last_seen)}.`,
        memory_ids: sources(p.error, fix),
        priority: 0.8 + (p.recurredAfterFix ? 0.1 : 0) + Math.min(0.05, sessions * 0.01),
      });
    } else {
      out.push({
        kind: "investigate_error",
        action: `Find the root cause of "${sig}" instead of working around it again.`,
        reason: `It happened ${p.error.meta.count} times in ${sessions} sessions (${where(p.error)}) and no fix was ever confirmed.`,
        memory_ids: sources(p.error),
        priority: 0.7 + Math.min(0.05, sessions * 0.01),
      });
    }
  }

  const statements = input.derived.filter((r) => r.meta.type === "decision" || r.meta.type === "preference");
  for (const r of inScope(statements, input.app_id)) {
    const later = laterContradiction(r, input.derived);
    if (!later) continue;
    out.push({
      kind: "resolve_contradiction",
      action: `Settle which ${r.meta.type} holds in ${where(r)}: "${statement(r)}" (${day(r.meta.last_seen)}) or the later "${statement(later)}" (${day(later.meta.last_seen)}), and update the notes that still say the old one.`,
      reason: `The later ${later.meta.type} rules out what the earlier one chose.`,
      memory_ids: sources(r, later),
      priority: 0.75,
    });
  }

  for (const r of openTodos(scoped, input.turns)) {
    const age = ageDays(r.meta.last_seen);
    out.push({
      kind: "resume_work",
      action: `Resume unfinished work in ${where(r)}: ${r.meta.fields.task ?? statement(r)}`,
      reason: `Raised on ${day(r.meta.last_seen)}${r.meta.count > 1 ? ` (${r.meta.count} times)` : ""}; no later turn says it was done.`,
      memory_ids: sources(r),
      // Recent and repeated work first.
      priority: 0.55 + Math.min(0.15, 0.05 * (r.meta.count - 1)) + (age < 14 ? 0.1 : 0),
    });
  }

  const prefs = input.derived.filter(
    (r) => r.meta.type === "preference" && r.meta.count >= 2 && !laterContradiction(r, input.derived),
  );
  for (const r of prefs.sort((a, b) => b.meta.count - a.meta.count)) {
    out.push({
      kind: "follow_preference",
      action: `Follow this preference without being asked (and keep it in CLAUDE.md or memory): ${statement(r)}`,
      reason: `You stated it ${r.meta.count} times in ${r.meta.run_ids.length} sessions, the last on ${day(r.meta.last_seen)}.`,
      memory_ids: sources(r),
      priority: 0.5 + Math.min(0.2, 0.04 * r.meta.count),
    });
  }

  out.sort((a, b) => b.priority - a.priority || (a.action < b.action ? -1 : 1));
  const perKind = new Map<string, number>();
  const picked: Suggestion[] = [];
  for (const s of out) {
    const n = perKind.get(s.kind) ?? 0;
    if (n >= PER_KIND) continue;
    perKind.set(s.kind, n + 1);
    picked.push({ ...s, priority: Math.round(s.priority * 100) / 100 });
    if (picked.length >= MAX_SUGGESTIONS) break;
  }
  return picked;
}
