import { quoteFtsString } from "./fts-query.js";

/** A query term and how many memories contain it. */
export interface TermFrequency {
  term: string;
  docs: number;
}

/**
 * One full-text lookup: `bm25` ranks every match (cost grows with the number
 * of matches), `newest` walks matches from the newest memory back and stops
 * early (cost bounded by the limit).
 */
export interface CandidateQuery {
  match: string;
  order: "bm25" | "newest";
}

/** BM25-ranking is used for at most this many matching memories (summed over terms) per query. */
export const BM25_MATCH_BUDGET = 1000;
/** "At least all but one word" expressions are built for up to this many terms. */
const MAX_TERMS_FOR_NEAR_ALL = 6;

const anyOf = (terms: readonly string[]) => terms.map(quoteFtsString).join(" OR ");
const allOf = (terms: readonly string[]) => terms.map(quoteFtsString).join(" AND ");

/**
 * FTS5 expression matching memories that contain at least all but one of
 * `terms` (at least two). FTS5 reads each occurrence of a word in an
 * expression as its own walk of the index, so instead of the plain OR of
 * every "all but word i" (n × (n − 1) occurrences) the terms are split in
 * halves A and B: all of A and all but one of B, or all but one of A and
 * all of B (6 terms: 16 occurrences instead of 30). The same memories match.
 */
export function allButOneOf(terms: readonly string[]): string {
  if (terms.length <= 2) return anyOf(terms);
  const half = Math.floor(terms.length / 2);
  const a = terms.slice(0, half);
  const b = terms.slice(half);
  // "All but one" of a single term is every memory: that side is just the other half's "all".
  const left = b.length === 1 ? `(${allOf(a)})` : `(${allOf(a)}) AND (${allButOneOf(b)})`;
  const right = a.length === 1 ? `(${allOf(b)})` : `(${allButOneOf(a)}) AND (${allOf(b)})`;
  return `(${left}) OR (${right})`;
}

/** Which memories one lookup matches: any of the terms, all of them, or all but one. */
export interface CandidateTermSet {
  mode: "any" | "all" | "allButOne";
  terms: string[];
  order: "bm25" | "newest";
}

/**
 * Which full-text lookups find the candidates for one search, with bounded work.
 * When few memories match, one BM25 lookup over all terms (exact). Otherwise
 * BM25 over the rarest terms that fit the budget (where the relevant hits are),
 * plus the newest memories with all words, with all but one, and with any word.
 * Backend-neutral: each store renders the sets in its own query language.
 */
export function planCandidateTermSets(terms: readonly TermFrequency[]): CandidateTermSet[] {
  const byRarity = [...terms].sort((a, b) => a.docs - b.docs);
  const selective: string[] = [];
  let spent = 0;
  for (const t of byRarity) {
    if (spent + t.docs > BM25_MATCH_BUDGET) break;
    selective.push(t.term);
    spent += t.docs;
  }
  const all = terms.map((t) => t.term);
  if (selective.length === all.length) return [{ mode: "any", terms: all, order: "bm25" }];
  const plan: CandidateTermSet[] = [];
  if (selective.length > 0) plan.push({ mode: "any", terms: selective, order: "bm25" });
  if (all.length > 1) plan.push({ mode: "all", terms: all, order: "newest" });
  if (all.length > 2 && all.length <= MAX_TERMS_FOR_NEAR_ALL) {
    plan.push({ mode: "allButOne", terms: all, order: "newest" });
  }
  plan.push({ mode: "any", terms: all, order: "newest" });
  return plan;
}

/** The plan as FTS5 MATCH expressions (the SQLite store). */
export function planCandidateQueries(terms: readonly TermFrequency[]): CandidateQuery[] {
  const render = { any: anyOf, all: allOf, allButOne: allButOneOf } as const;
  return planCandidateTermSets(terms).map((set) => ({
    match: render[set.mode](set.terms),
    order: set.order,
  }));
}
