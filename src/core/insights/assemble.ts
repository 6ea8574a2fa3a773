/**
 * The offline analysis: every insight kind, from the recent window of turns,
 * the user's history (the background) and the derived memories.
 */
import {
  inScope,
  openTodos,
  problemInsight,
  recurringProblems,
  statementInsight,
  todoInsight,
} from "./memory-insights.js";
import { projectActivityInsights } from "./project-activity.js";
import { indexPhrases, topicInsights, topicShiftInsight, weeklyPhrases } from "./topics.js";
import type { Analysis, DerivedRecord, Insight, TurnRecord } from "./types.js";

export interface AnalysisInput {
  user_id: string;
  app_id: string | null;
  /** The most recent turns in scope, oldest first. */
  window: readonly TurnRecord[];
  /** The user's history (all projects), oldest first; includes the window. */
  history: readonly TurnRecord[];
  /** The user's derived memories (all projects). */
  derived: readonly DerivedRecord[];
  now: string;
}

/** Caps per kind, so that one kind cannot crowd out the rest. */
export const LIMITS = { topics: 6, problems: 8, preferences: 10, decisions: 10, todos: 10 } as const;

export interface AnalysisResult extends Analysis {
  /** Top phrases per ISO week of the window. */
  timeline: { week: string; turns: number; phrases: string[] }[];
  /** Why the opt-in model reflection was not used, when it was tried and failed. */
  model_fallback?: string | undefined;
}

/** Memories by kind (a record without a kind is an older captured turn). */
export function countKinds(turns: readonly TurnRecord[]): { episode: number; turn: number; note: number } {
  const out = { episode: 0, turn: 0, note: 0 };
  for (const t of turns) out[t.kind ?? "turn"]++;
  return out;
}

function byLastSeen(a: DerivedRecord, b: DerivedRecord): number {
  return b.meta.count - a.meta.count || (a.meta.last_seen < b.meta.last_seen ? 1 : -1);
}

export function analyse(input: AnalysisInput): AnalysisResult {
  const { window, history, app_id } = input;
  const background = history.length > 0 ? history : window;
  const idx = indexPhrases(background.concat(window));
  const scoped = inScope(input.derived, app_id);
  const insights: Insight[] = [];

  insights.push(...topicInsights(window, background, idx, LIMITS.topics));
  const shift = topicShiftInsight(window, background, idx);
  if (shift) insights.push(shift);

  for (const p of recurringProblems(scoped).slice(0, LIMITS.problems)) insights.push(problemInsight(p));

  // Preferences are the person's, wherever they were said.
  const prefs = input.derived.filter((r) => r.meta.type === "preference").sort(byLastSeen);
  for (const r of prefs.slice(0, LIMITS.preferences)) insights.push(statementInsight(r, input.derived));
  const decisions = scoped.filter((r) => r.meta.type === "decision").sort(byLastSeen);
  for (const r of decisions.slice(0, LIMITS.decisions)) insights.push(statementInsight(r, input.derived));

  for (const r of openTodos(scoped, background).slice(0, LIMITS.todos)) insights.push(todoInsight(r));

  const activity = projectActivityInsights(window, background, idx);
  insights.push(...activity.filter((i) => app_id === null || i.app_id === app_id));

  return {
    window: {
      user_id: input.user_id,
      app_id,
      turns: window.length,
      history_turns: background.length,
      kinds: countKinds(window),
      history_kinds: countKinds(background),
      derived: scoped.length,
      from: window[0]?.created_at ?? null,
      to: window.at(-1)?.created_at ?? null,
    },
    insights,
    source: "offline",
    generated_at: input.now,
    timeline: weeklyPhrases(window, background, idx),
  };
}
