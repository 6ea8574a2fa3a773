/**
 * Main topics of the recent turns and how they shift over time, from key
 * phrases weighted against the user's whole history (see key-phrases.ts).
 */
import {
  countPhrases,
  pickPhrases,
  turnPhrases,
  type WeightedPhrase,
  weightedLogOdds,
} from "./key-phrases.js";
import type { Insight, TurnRecord } from "./types.js";

/** A turn's phrases are computed once per analysis. */
export type PhraseIndex = Map<string, Set<string>>;

export function indexPhrases(turns: readonly TurnRecord[]): PhraseIndex {
  const idx: PhraseIndex = new Map();
  for (const t of turns) if (!idx.has(t.id)) idx.set(t.id, turnPhrases(t));
  return idx;
}

function counts(turns: readonly TurnRecord[], idx: PhraseIndex) {
  return countPhrases(turns.map((t) => idx.get(t.id) ?? new Set<string>()));
}

/** Below this many history turns outside the window, there is no background to weigh against. */
const MIN_REST = 10;
const MAX_IDS = 10;

function turnsWith(phrase: string, turns: readonly TurnRecord[], idx: PhraseIndex): TurnRecord[] {
  return turns.filter((t) => idx.get(t.id)?.has(phrase));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Ranks window phrases: against the rest of the history when there is one, else by spread over the window. */
export function rankWindowPhrases(
  window: readonly TurnRecord[],
  history: readonly TurnRecord[],
  idx: PhraseIndex,
): { ranked: WeightedPhrase[]; method: "log-odds" | "tf-idf" } {
  const inWindow = new Set(window.map((t) => t.id));
  const rest = history.filter((t) => !inWindow.has(t.id));
  const target = counts(window, idx);
  if (rest.length >= MIN_REST) {
    const restCounts = counts(rest, idx);
    const bg = counts([...window, ...rest], idx);
    return { ranked: weightedLogOdds(target, restCounts, bg), method: "log-odds" };
  }
  // No background: phrases spread over several turns but not in nearly all of them.
  const ranked: WeightedPhrase[] = [];
  for (const [phrase, df] of target.df) {
    if (df < 2) continue;
    const idf = Math.log((target.docs + 1) / df);
    ranked.push({ phrase, z: df * idf * (phrase.includes(" ") ? 1.5 : 1), target: df, rest: 0 });
  }
  ranked.sort((a, b) => b.z - a.z || (a.phrase < b.phrase ? -1 : 1));
  return { ranked, method: "tf-idf" };
}

/** The main topics of the window: up to `n` insights with the turns they rest on. */
export function topicInsights(
  window: readonly TurnRecord[],
  history: readonly TurnRecord[],
  idx: PhraseIndex,
  n = 6,
): Insight[] {
  const { ranked, method } = rankWindowPhrases(window, history, idx);
  const minZ = method === "log-odds" ? 1.96 : 0;
  return pickPhrases(ranked, n, minZ).map((p) => {
    const hits = turnsWith(p.phrase, window, idx);
    // Notes and older turns may have no session: only real sessions are counted.
    const sessions = new Set(hits.flatMap((t) => (t.run_id ? [t.run_id] : []))).size;
    const projects = new Set(hits.map((t) => t.app_id ?? "")).size;
    const confidence =
      method === "log-odds" ? Math.min(0.95, 0.5 + 0.1 * p.z) : Math.min(0.8, 0.3 + 0.1 * p.target);
    const share = `${p.target} of ${window.length} recent memories`;
    const description =
      method === "log-odds"
        ? `"${p.phrase}" comes up in ${share}, against ${p.rest} of ${history.length - window.length} earlier ones: more than your history predicts (z=${round(p.z)}).`
        : `"${p.phrase}" comes up in ${share}${sessions > 0 ? ` across ${sessions} session(s)` : ""}.`;
    return {
      kind: "topic" as const,
      title: p.phrase,
      description,
      confidence: round(confidence),
      counts: { turns: p.target, earlier_turns: p.rest, sessions, projects },
      memory_ids: hits.slice(-MAX_IDS).map((t) => t.id),
    };
  });
}

/**
 * How the focus moved inside the window: its earlier and later halves (by
 * time) compared with each other, with the whole history as the prior.
 */
export function topicShiftInsight(
  window: readonly TurnRecord[],
  history: readonly TurnRecord[],
  idx: PhraseIndex,
): Insight | null {
  if (window.length < 8) return null;
  const mid = Math.floor(window.length / 2);
  const early = window.slice(0, mid);
  const late = window.slice(mid);
  const bg = counts(history.length > 0 ? history : window, idx);
  const lateC = counts(late, idx);
  const earlyC = counts(early, idx);
  const rising = pickPhrases(weightedLogOdds(lateC, earlyC, bg, { minTarget: 2 }), 3, 1.96);
  const fading = pickPhrases(weightedLogOdds(earlyC, lateC, bg, { minTarget: 2 }), 3, 1.96);
  if (rising.length === 0 || fading.length === 0) return null;
  const from = early[0]!.created_at.slice(0, 10);
  const to = late.at(-1)!.created_at.slice(0, 10);
  const ids = new Set<string>();
  for (const p of fading) for (const t of turnsWith(p.phrase, early, idx).slice(-3)) ids.add(t.id);
  for (const p of rising) for (const t of turnsWith(p.phrase, late, idx).slice(-3)) ids.add(t.id);
  const z = Math.min(...rising.map((r) => r.z), ...fading.map((f) => f.z));
  return {
    kind: "topic_shift",
    title: `from ${fading.map((f) => f.phrase).join(", ")} to ${rising.map((r) => r.phrase).join(", ")}`,
    description: `Between ${from} and ${to} the focus moved away from ${fading.map((f) => `"${f.phrase}"`).join(", ")} (earlier memories) towards ${rising.map((r) => `"${r.phrase}"`).join(", ")} (later ones).`,
    confidence: round(Math.min(0.9, 0.4 + 0.1 * z)),
    counts: {
      earlier_turns: early.length,
      later_turns: late.length,
      rising: rising.length,
      fading: fading.length,
    },
    memory_ids: [...ids],
  };
}

/** Top phrases per ISO week of the window (for the data, not an insight of its own). */
export function weeklyPhrases(
  window: readonly TurnRecord[],
  history: readonly TurnRecord[],
  idx: PhraseIndex,
): { week: string; turns: number; phrases: string[] }[] {
  const weeks = new Map<string, TurnRecord[]>();
  for (const t of window) {
    const w = isoWeek(t.created_at);
    const list = weeks.get(w) ?? [];
    list.push(t);
    weeks.set(w, list);
  }
  const bg = counts(history.length > 0 ? history : window, idx);
  return [...weeks.entries()].map(([week, turns]) => {
    const inWeek = new Set(turns.map((t) => t.id));
    const rest = counts(
      window.filter((t) => !inWeek.has(t.id)),
      idx,
    );
    const ranked = rest.docs > 0 ? weightedLogOdds(counts(turns, idx), rest, bg) : [];
    return { week, turns: turns.length, phrases: pickPhrases(ranked, 3, 1).map((p) => p.phrase) };
  });
}

/** "2025-W09" for an ISO-8601 time. */
export function isoWeek(iso: string): string {
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3);
  const year = d.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week =
    1 + Math.round(((d.getTime() - jan4.getTime()) / 86_400_000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}
