/**
 * Key phrases of a set of turns, weighted against a background (the user's
 * whole history): the weighted log-odds ratio with an informative Dirichlet
 * prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"). A phrase scores
 * high when the recent turns use it more than the history would predict, so
 * words that are everywhere in coding sessions ("function", "test") sink on
 * their own, without a fixed keyword list. Counts are per turn (document
 * frequency), so one long pasted log does not dominate.
 */
import { VERB_S } from "./statement-patterns.js";
import { isStopword, prose } from "./text.js";
import { assistantProse } from "./turn-record.js";
import type { TurnRecord } from "./types.js";

/** Size of the Dirichlet prior as a share of the background's total count. */
export const PRIOR_SHARE = 0.1;

const WORD = /[a-z][a-z0-9_]*(?:[-.:/+#][a-z0-9_]+)*/g;

/**
 * Words that are never a topic although they are not stopwords: hedges and
 * chat filler, days, times of day, ordinals ("second Thursday").
 */
const FILLER = new Set(
  `honestly basically actually literally definitely probably obviously apparently seriously totally
quick question questions quickly pretty super stuff bit lot lots guess idea ideas today tomorrow yesterday
tonight morning afternoon evening night week weeks weekend month months year years day days minute minutes
hour hours moment second third fourth fifth monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december sometimes anyway
everything anything nothing someone somebody everyone thanks cheers sorry hey`.split(/\s+/),
);

/** A verb after a noun ("the kingfisher lives", "the service keeps failing"): ends the phrase, is not a topic. */
const CLAUSE_VERB = new RegExp(
  `^(?:${VERB_S.split("|")
    .filter((v) => !v.includes(" "))
    .join("|")})$`,
);

/** True when a word cannot be (part of) a topic phrase. */
function notTopical(w: string): boolean {
  return (
    w.length < 3 ||
    w.length > 40 ||
    isStopword(w) ||
    FILLER.has(w) ||
    CLAUSE_VERB.test(w) ||
    /^[a-z]?\d/.test(w)
  );
}

/** Unigrams and bigrams of adjacent content words (a stopword breaks a bigram). */
export function phrasesOf(text: string): Set<string> {
  const out = new Set<string>();
  let prev: string | null = null;
  let lastEnd = -1;
  const lower = text.toLowerCase();
  for (const m of lower.matchAll(WORD)) {
    const w = m[0];
    const start = m.index ?? 0;
    const gap = lower.slice(lastEnd, start);
    lastEnd = start + w.length;
    if (notTopical(w)) {
      prev = null;
      continue;
    }
    out.add(w);
    // Only words separated by spaces or a hyphen form a phrase; punctuation ends it.
    if (prev !== null && /^[\s-]+$/.test(gap) && !gap.includes("\n")) out.add(`${prev} ${w}`);
    prev = w;
  }
  return out;
}

/** The phrases of one turn: the person's words and the reply's prose (no code, no tool calls, no tool output). */
export function turnPhrases(turn: TurnRecord): Set<string> {
  return phrasesOf(`${prose(turn.user)}\n${prose(assistantProse(turn.assistant))}`);
}

/** Document frequencies over turns. */
export function countPhrases(sets: Iterable<Set<string>>): { df: Map<string, number>; docs: number } {
  const df = new Map<string, number>();
  let docs = 0;
  for (const s of sets) {
    docs++;
    for (const p of s) df.set(p, (df.get(p) ?? 0) + 1);
  }
  return { df, docs };
}

export interface WeightedPhrase {
  phrase: string;
  /** z-score of the log-odds ratio (target vs the rest); > 1.96 is notable at 95%. */
  z: number;
  /** Turns of the target that contain it. */
  target: number;
  /** Turns of the comparison set that contain it. */
  rest: number;
}

/**
 * Log-odds of each phrase in `target` against `rest`, with a prior from
 * `background` (target + rest, or the whole history) scaled to `priorSize`
 * (default: PRIOR_SHARE of the background's total count).
 * Only phrases in at least `minTarget` target turns are scored.
 */
export function weightedLogOdds(
  target: { df: Map<string, number>; docs: number },
  rest: { df: Map<string, number>; docs: number },
  background: { df: Map<string, number>; docs: number },
  opts: { minTarget?: number; priorSize?: number } = {},
): WeightedPhrase[] {
  const minTarget = opts.minTarget ?? 2;
  let bgTotal = 0;
  for (const v of background.df.values()) bgTotal += v;
  let tTotal = 0;
  for (const v of target.df.values()) tTotal += v;
  let rTotal = 0;
  for (const v of rest.df.values()) rTotal += v;
  if (bgTotal === 0 || tTotal === 0) return [];
  // A tenth of the background: enough to steady rare phrases, not so much that it drowns a real shift.
  const a0 = opts.priorSize ?? Math.max(bgTotal * PRIOR_SHARE, 50);
  const out: WeightedPhrase[] = [];
  for (const [phrase, yt] of target.df) {
    if (yt < minTarget) continue;
    const yr = rest.df.get(phrase) ?? 0;
    // Every phrase of the target is in the background when the caller passes a superset; floor it anyway.
    const a = Math.max(a0 * ((background.df.get(phrase) ?? yt) / bgTotal), 0.01);
    const lt = Math.log((yt + a) / (tTotal + a0 - yt - a));
    const lr = Math.log((yr + a) / (rTotal + a0 - yr - a));
    const variance = 1 / (yt + a) + 1 / (yr + a);
    out.push({ phrase, z: (lt - lr) / Math.sqrt(variance), target: yt, rest: yr });
  }
  return out.sort((x, y) => y.z - x.z || y.target - x.target || (x.phrase < y.phrase ? -1 : 1));
}

/**
 * Picks the top phrases, dropping a word when a chosen phrase contains it
 * (prefer "connection pool" over "pool") and a phrase whose words are
 * all covered by better ones.
 */
export function pickPhrases(ranked: readonly WeightedPhrase[], n: number, minZ: number): WeightedPhrase[] {
  const chosen: WeightedPhrase[] = [];
  const candidates = ranked.filter((r) => r.z >= minZ);
  for (const r of candidates) {
    if (chosen.length >= n) break;
    const words = r.phrase.split(" ");
    const covered = chosen.some((c) => {
      const cw = c.phrase.split(" ");
      return (
        words.every((w) => cw.includes(w)) ||
        (cw.length === 1 && words.includes(cw[0]!) && c.target <= r.target)
      );
    });
    if (covered) {
      // A bigram at least as frequent as a chosen unigram replaces it.
      const idx = chosen.findIndex(
        (c) => !c.phrase.includes(" ") && words.includes(c.phrase) && c.target <= r.target,
      );
      if (idx >= 0 && words.length > 1) chosen[idx] = r;
      continue;
    }
    chosen.push(r);
  }
  // Replacing may have left duplicates of a bigram; keep the first.
  const seen = new Set<string>();
  return chosen.filter((c) => !seen.has(c.phrase) && seen.add(c.phrase));
}
