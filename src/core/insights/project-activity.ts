/**
 * Per-project activity: turns, sessions, first and last day, how much of the
 * recent window it took, and the phrases that set the project apart from the
 * user's other work.
 */
import { projectName } from "./extract-candidates.js";
import { countPhrases, pickPhrases, weightedLogOdds } from "./key-phrases.js";
import type { PhraseIndex } from "./topics.js";
import type { Insight, TurnRecord } from "./types.js";

const MAX_IDS = 5;

export function projectActivityInsights(
  window: readonly TurnRecord[],
  history: readonly TurnRecord[],
  idx: PhraseIndex,
): Insight[] {
  const byProject = new Map<string, TurnRecord[]>();
  for (const t of history) {
    const key = t.app_id ?? "";
    byProject.set(key, [...(byProject.get(key) ?? []), t]);
  }
  const inWindow = new Set(window.map((t) => t.id));
  const all = countPhrases(history.map((t) => idx.get(t.id) ?? new Set<string>()));
  const out: Insight[] = [];
  for (const [app, turns] of byProject) {
    const others = history.filter((t) => (t.app_id ?? "") !== app);
    const mine = countPhrases(turns.map((t) => idx.get(t.id) ?? new Set<string>()));
    const rest = countPhrases(others.map((t) => idx.get(t.id) ?? new Set<string>()));
    const phrases =
      others.length > 0 ? pickPhrases(weightedLogOdds(mine, rest, all), 3, 1.96).map((p) => p.phrase) : [];
    const sessions = new Set(turns.flatMap((t) => (t.run_id ? [t.run_id] : []))).size;
    const recent = turns.filter((t) => inWindow.has(t.id)).length;
    const first = turns[0]!.created_at.slice(0, 10);
    const last = turns.at(-1)!.created_at.slice(0, 10);
    const name = app ? (projectName(app) ?? app) : "(no project)";
    const about = phrases.length > 0 ? ` Mostly about ${phrases.map((p) => `"${p}"`).join(", ")}.` : "";
    out.push({
      kind: "project_activity",
      title: name,
      description: `${turns.length} memories${sessions > 0 ? ` in ${sessions} session(s)` : ""} from ${first} to ${last}; ${recent} of the ${window.length} recent ones.${about}`,
      confidence: 1,
      counts: { turns: turns.length, sessions, recent_turns: recent },
      memory_ids: turns.slice(-MAX_IDS).map((t) => t.id),
      app_id: app || undefined,
    });
  }
  return out.sort(
    (a, b) =>
      (b.counts.recent_turns ?? 0) - (a.counts.recent_turns ?? 0) ||
      (b.counts.turns ?? 0) - (a.counts.turns ?? 0),
  );
}
