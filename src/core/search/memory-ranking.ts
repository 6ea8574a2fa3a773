/**
 * Ranks candidate memories for one query: lexical match of the memory and,
 * with less weight, of its neighbours in the same session (a reply is about
 * what was said just before it), then two time signals (see time-intent.ts).
 * Pure: the store fetches the candidates and their neighbours.
 */
import {
  matchFields,
  queryTermCount,
  type StemCounter,
  scoreMatches,
  stemCounter,
  type TermMatch,
  type WeightedTerm,
  type WeightedText,
} from "./lexical-score.js";
import { inWindow, mentionsTime, type TimeIntent } from "./time-intent.js";

/** The memories just before and after one memory in its session, nearest first. */
export interface Neighbours {
  before: readonly string[];
  after: readonly string[];
}

export interface RankCandidate {
  text: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  neighbours: Neighbours;
}

/**
 * How much the words of the neighbours count, nearest first (the memory's own
 * words count 1). Measured on LoCoMo (bench:locomo): the turn before matters
 * more than the turn after, and a question just before counts extra, since
 * what answers it is about it.
 */
export const NEIGHBOUR_WEIGHTS = { before: [0.5, 0.3], after: [0.3, 0.2], questionBefore: 0.4 } as const;
/** How many neighbours on each side feed a memory's context. */
export const NEIGHBOURS_PER_SIDE = 2;
/** Only the start of a long neighbour is context. */
export const NEIGHBOUR_MAX_CHARS = 500;
/**
 * A memory that ends by asking something scores this much lower: it hands the
 * topic to the reply, which is what states the facts (and which has the
 * question's words as context). LoCoMo: a quarter of the turns, an eighth of
 * the evidence.
 */
export const ENDS_WITH_QUESTION_PENALTY = 0.2;
/** A "when" question: memories that state a time score this much higher. */
const STATES_TIME_BOOST = 0.4;
/** A query naming a date: memories written around that date score this much higher. */
const NAMED_DATE_BOOST = 1;

/** The memory's own text and its neighbours' beginnings, with their weights. */
export function weightedTexts(candidate: RankCandidate): WeightedText[] {
  const fields: WeightedText[] = [{ text: candidate.text, weight: 1 }];
  const side = (texts: readonly string[], weights: readonly number[], isBefore: boolean) => {
    texts.slice(0, weights.length).forEach((full, i) => {
      const text = full.length > NEIGHBOUR_MAX_CHARS ? full.slice(0, NEIGHBOUR_MAX_CHARS) : full;
      const asks = isBefore && i === 0 && text.includes("?");
      fields.push({ text, weight: (weights[i] ?? 0) + (asks ? NEIGHBOUR_WEIGHTS.questionBefore : 0) });
    });
  };
  side(candidate.neighbours.before, NEIGHBOUR_WEIGHTS.before, true);
  side(candidate.neighbours.after, NEIGHBOUR_WEIGHTS.after, false);
  return fields;
}

/** Multiplier in (0, maxBoost(intent)]: the time signals, and whether the memory ends by asking. */
function signals(candidate: RankCandidate, intent: TimeIntent): number {
  let factor = candidate.text.trimEnd().endsWith("?") ? 1 - ENDS_WITH_QUESTION_PENALTY : 1;
  if (intent.asksWhen && mentionsTime(candidate.text)) factor *= 1 + STATES_TIME_BOOST;
  if (intent.window && inWindow(candidate.createdAt, intent.window)) factor *= 1 + NAMED_DATE_BOOST;
  return factor;
}

function maxBoost(intent: TimeIntent): number {
  return (intent.asksWhen ? 1 + STATES_TIME_BOOST : 1) * (intent.window ? 1 + NAMED_DATE_BOOST : 1);
}

/**
 * Each candidate's match of `terms` over its own text and its neighbours'
 * (BM25F, see lexical-score.ts). `own[i]`, when given, is candidate i's
 * match of the same terms over its own text alone (matchTerms): used as is
 * for a candidate without neighbours, whose match that is.
 */
export function candidateMatches(
  terms: readonly WeightedTerm[],
  candidates: readonly RankCandidate[],
  avgTokens: number,
  count: StemCounter = stemCounter(terms),
  own: readonly (TermMatch | undefined)[] = [],
): TermMatch[] {
  return candidates.map((c, i) => {
    const known = own[i];
    if (known && c.neighbours.before.length === 0 && c.neighbours.after.length === 0) return known;
    return matchFields(terms, weightedTexts(c), avgTokens, count);
  });
}

/**
 * Adds the BM25 strength of expansion terms' matches to the query's matches
 * (coverage stays the query's): the same as matching all terms at once, since
 * BM25F sums over terms, at the cost of counting only the expansion terms.
 */
export function withExpansion(matches: readonly TermMatch[], expansion: readonly TermMatch[]): TermMatch[] {
  return matches.map((m, i) => ({ coverage: m.coverage, bm25: m.bm25 + (expansion[i]?.bm25 ?? 0) }));
}

/** Scores in (0, 1] from each candidate's match (`rankScores` given the matches). */
export function scoreCandidates(
  matches: readonly TermMatch[],
  queryTerms: number,
  intent: TimeIntent,
  candidates: readonly RankCandidate[],
): number[] {
  const lexical = scoreMatches(matches, queryTerms);
  const top = maxBoost(intent);
  return candidates.map((c, i) => Math.max(((lexical[i] ?? 0) * signals(c, intent)) / top, Number.MIN_VALUE));
}

/**
 * Scores in (0, 1], one per candidate. Without time signals a memory with
 * every query word scores at least 0.56 (0.7 unless it ends with a question)
 * and the best match up to 1; with them, the score is divided by the largest
 * boost the query allows, so it stays in range.
 */
export function rankScores(
  terms: readonly WeightedTerm[],
  intent: TimeIntent,
  candidates: readonly RankCandidate[],
  avgTokens: number,
  count: StemCounter = stemCounter(terms),
): number[] {
  return scoreCandidates(
    candidateMatches(terms, candidates, avgTokens, count),
    queryTermCount(terms),
    intent,
    candidates,
  );
}
