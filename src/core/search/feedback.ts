/**
 * Pseudo-relevance feedback (RM3-style): words that the best hits of a query
 * share, beyond the query's own, become extra query terms. They only add to
 * a memory's BM25 strength, never to its coverage of the query's words, so
 * scores keep the query's own scale (see lexical-score.ts): a memory with
 * every query word still scores at least 0.7. Pure: the store supplies the
 * hits' texts and the words' document counts. Measured on LoCoMo
 * (bench:locomo, docs/search.md): about +1 point of recall@5 and @10.
 */
import type { WeightedTerm } from "./lexical-score.js";
import { stem } from "./stem.js";
import { STOP_WORDS } from "./stop-words.js";
import { wordTokens } from "./text-tokens.js";

/** The chosen values (tuned on LoCoMo conv-26, conv-30, conv-41; flat around them). */
export const FEEDBACK = {
  /** The best hits whose words feed the expansion. */
  docs: 3,
  /** Expansion words added to the query. */
  words: 5,
  /** An expansion word weighs this times its IDF at most (scaled by its share of the feedback). */
  weight: 1,
  /** A word must occur in at least this many memories: one found only in a single hit adds nothing new. */
  minDocs: 2,
} as const;

/** One feedback document: its text and how much it counts (its score relative to the best). */
export interface FeedbackDoc {
  text: string;
  weight: number;
}

/** A candidate expansion word: its stem, one surface form (what the full-text index is asked), its weight. */
export interface FeedbackWord {
  stem: string;
  term: string;
  weight: number;
}

const MIN_WORD_CHARS = 3;
const DIGITS = /^\d+$/;

/**
 * The relevance model of the feedback documents: P(w | R) ∝ Σ_d weight(d) ·
 * tf(w, d) / |d|, over words that are not stop words, numbers, shorter than
 * 3 letters, or query stems. Returns the `max` heaviest, heaviest first (ties
 * by stem, so the result is deterministic).
 */
export function relevanceModel(
  docs: readonly FeedbackDoc[],
  queryStems: ReadonlySet<string>,
  max: number,
): FeedbackWord[] {
  const words = new Map<string, FeedbackWord>();
  for (const doc of docs) {
    if (!(doc.weight > 0)) continue;
    const tokens = wordTokens(doc.text);
    if (tokens.length === 0) continue;
    const share = doc.weight / tokens.length;
    for (const token of tokens) {
      if (token.length < MIN_WORD_CHARS || STOP_WORDS.has(token) || DIGITS.test(token)) continue;
      const s = stem(token);
      if (queryStems.has(s)) continue;
      const word = words.get(s);
      if (word) word.weight += share;
      else words.set(s, { stem: s, term: token, weight: share });
    }
  }
  return [...words.values()]
    .sort((a, b) => b.weight - a.weight || (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0))
    .slice(0, Math.max(0, max));
}

/**
 * The expansion terms: relevance-model words that occur in at least
 * `FEEDBACK.minDocs` memories, ranked by weight × IDF, the best
 * `FEEDBACK.words`, each weighing `FEEDBACK.weight` × its IDF × its rank
 * value relative to the best. `idf[i]` and `docs[i]` belong to `words[i]`.
 */
export function expansionTerms(
  words: readonly FeedbackWord[],
  idf: readonly number[],
  docs: readonly number[],
): WeightedTerm[] {
  const ranked = words
    .map((word, i) => ({ word, idf: idf[i] ?? 0, value: word.weight * (idf[i] ?? 0) }))
    .filter((x, i) => (docs[i] ?? 0) >= FEEDBACK.minDocs && x.value > 0)
    .sort((a, b) => b.value - a.value || (a.word.stem < b.word.stem ? -1 : 1))
    .slice(0, FEEDBACK.words);
  const best = ranked[0]?.value ?? 1;
  return ranked.map((x) => ({
    stem: x.word.stem,
    idf: FEEDBACK.weight * x.idf * (x.value / best),
    expansion: true,
  }));
}
