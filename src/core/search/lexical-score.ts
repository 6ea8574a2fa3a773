import { stem } from "./stem.js";
import { wordTokens } from "./text-tokens.js";

/** A full-text hit: its text and SQLite's bm25() value (negative; lower is better). */
export interface LexicalHit {
  text: string;
  bm25: number;
}

/** Share of the score that comes from coverage (how many query words a memory has). */
const COVERAGE_WEIGHT = 0.7;

/**
 * Share of the query's stems found among the stems of `text`, in [0, 1].
 * Porter keeps a word's first letter, so words that cannot match are skipped unstemmed.
 */
export function stemCoverage(queryStems: readonly string[], text: string): number {
  if (queryStems.length === 0) return 0;
  const wanted = new Set(queryStems);
  const firstLetters = new Set(queryStems.map((s) => s[0]));
  const found = new Set<string>();
  for (const token of wordTokens(text)) {
    if (!firstLetters.has(token[0])) continue;
    const s = stem(token);
    if (wanted.has(s)) {
      found.add(s);
      if (found.size === wanted.size) break;
    }
  }
  return found.size / wanted.size;
}

/**
 * Scores in (0, 1], higher is better, comparable across queries and store sizes:
 * mostly the share of query words a memory contains, the rest its BM25 strength
 * relative to the best hit. (Raw BM25 alone is not usable as a score: SQLite
 * clamps its IDF to ~0 in small stores, so a perfect match in a store of two
 * memories would score ~1e-6 and any threshold would drop it.)
 */
export function lexicalScores(queryStems: readonly string[], hits: readonly LexicalHit[]): number[] {
  const strengths = hits.map((h) => Math.max(-h.bm25, 0));
  const best = Math.max(0, ...strengths);
  const floor = 0.5 / Math.max(queryStems.length, 1);
  return hits.map((hit, i) => {
    const relative = best > 0 ? (strengths[i] ?? 0) / best : 1;
    const coverage = Math.max(stemCoverage(queryStems, hit.text), floor);
    const score = coverage * (COVERAGE_WEIGHT + (1 - COVERAGE_WEIGHT) * relative);
    return Math.min(1, Math.max(score, Number.MIN_VALUE));
  });
}
