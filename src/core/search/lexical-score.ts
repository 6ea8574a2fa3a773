import { stem } from "./stem.js";
import { wordTokens } from "./text-tokens.js";

/** One query term: its Porter stem and how rare it is in the store. */
export interface WeightedTerm {
  stem: string;
  /** Inverse document frequency (> 0). */
  idf: number;
}

/** BM25 constants (the usual ones; SQLite's bm25() uses the same). */
const K1 = 1.2;
const B = 0.75;
/** Share of the score that comes from weighted coverage; the rest is BM25 strength relative to the best hit. */
const COVERAGE_WEIGHT = 0.7;

/** Lucene's BM25 IDF: always positive, so a word in most memories still counts a little. */
export function inverseDocumentFrequency(docs: number, docsWithTerm: number): number {
  const n = Math.max(docs, docsWithTerm);
  return Math.log(1 + (n - docsWithTerm + 0.5) / (docsWithTerm + 0.5));
}

export interface TermMatch {
  /** Share of the query's IDF weight whose words occur in the text, in [0, 1]. */
  coverage: number;
  /** BM25 of the text for the query. */
  bm25: number;
}

/** Matches `terms` against the words of `text` by stem (Porter keeps first letters, so most words are skipped unstemmed). */
export function matchTerms(terms: readonly WeightedTerm[], text: string, avgTokens: number): TermMatch {
  const firstLetters = new Set(terms.map((t) => t.stem[0]));
  const counts = new Map<string, number>();
  const tokens = wordTokens(text);
  for (const token of tokens) {
    if (!firstLetters.has(token[0])) continue;
    const s = stem(token);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const lengthNorm = 1 - B + (B * tokens.length) / Math.max(avgTokens, 1);
  let covered = 0;
  let total = 0;
  let bm25 = 0;
  for (const term of terms) {
    total += term.idf;
    const tf = counts.get(term.stem) ?? 0;
    if (tf === 0) continue;
    covered += term.idf;
    bm25 += (term.idf * tf * (K1 + 1)) / (tf + K1 * lengthNorm);
  }
  return { coverage: total > 0 ? covered / total : 0, bm25 };
}

/**
 * Scores in (0, 1], higher is better, comparable across queries and store
 * sizes: mostly the IDF-weighted share of query words a memory contains, the
 * rest its BM25 relative to the best hit. (SQLite's raw bm25() is not usable
 * as a score: it clamps IDF to ~0 in small stores, so a perfect match in a
 * store of two memories would score ~1e-6 and any threshold would drop it.)
 */
export function lexicalScores(
  terms: readonly WeightedTerm[],
  texts: readonly string[],
  avgTokens: number,
): number[] {
  const matches = texts.map((text) => matchTerms(terms, text, avgTokens));
  const best = Math.max(0, ...matches.map((m) => m.bm25));
  const floor = 0.5 / Math.max(terms.length, 1);
  return matches.map((m) => {
    const relative = best > 0 ? m.bm25 / best : 1;
    const score = Math.max(m.coverage, floor) * (COVERAGE_WEIGHT + (1 - COVERAGE_WEIGHT) * relative);
    return Math.min(1, Math.max(score, Number.MIN_VALUE));
  });
}
