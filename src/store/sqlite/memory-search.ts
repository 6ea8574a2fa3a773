import type Database from "better-sqlite3";
import { fuseDense } from "../../core/search/dense-fusion.js";
import { expansionTerms, FEEDBACK, relevanceModel } from "../../core/search/feedback.js";
import { buildFtsQuery } from "../../core/search/fts-query.js";
import {
  inverseDocumentFrequency,
  matchTerms,
  queryTermCount,
  type StemCounter,
  scoreMatches,
  stemCounter,
  type TermMatch,
  textCache,
  type WeightedTerm,
} from "../../core/search/lexical-score.js";
import { candidateMatches, scoreCandidates, withExpansion } from "../../core/search/memory-ranking.js";
import {
  BM25_MATCH_BUDGET,
  type CandidateQuery,
  planCandidateQueries,
} from "../../core/search/search-plan.js";
import { queryTimeIntent } from "../../core/search/time-intent.js";
import type { ScoredMemory } from "../../core/types.js";
import { type CheckedFilters, onlyScopeFilters } from "../validate-input.js";
import { filtersToSql, type SqlFragment } from "./filters-sql.js";
import type { MemoryVectors } from "./memory-vectors.js";
import { MEMORY_COLUMNS, type MemoryRow, toMemory } from "./row-mapping.js";
import { type Candidate, SEARCH_COLUMNS, type SearchRow, SessionNeighbours } from "./session-neighbours.js";
import type { StatementCache } from "./statement-cache.js";
import { TermStatistics } from "./term-statistics.js";

/** Candidates fetched per lookup: a few times `limit`, so scoring can reorder them. */
function candidatePool(limit: number): number {
  return Math.min(Math.max(limit * 4, 40), 1000);
}

/**
 * Hits whose session neighbours join the candidates: the best by their own
 * words (two indexed lookups each, so bounded). The other hits stay
 * candidates, scored on their own words.
 */
function expandedHits(limit: number): number {
  return Math.min(Math.max(limit * 2, 20), 200);
}

/** The dense side of one search: the query's vector, where memory vectors are, and the bonus weight. */
export interface DenseQuery {
  vector: Float32Array;
  vectors: MemoryVectors;
  weight: number;
}

/** Nearest memories by embedding joining the candidates of one search. */
function denseCandidates(limit: number): number {
  return Math.min(Math.max(limit * 4, 50), 1000);
}

/** "Newest" lookups look at most this many matches (all users) before filtering: bounded work. */
const NEWEST_SCAN_LIMIT = 20_000;

/**
 * Full-text search in three steps with bounded work at any store size:
 * 1. the query becomes safe FTS5 terms and a plan of lookups finds hits
 *    (see planCandidateQueries);
 * 2. the best hits by their own words bring their session neighbours along
 *    (session-neighbours.ts);
 * 3. every candidate is scored in (0, 1] on its own words, its neighbours'
 *    words with less weight, and the query's time signals (memory-ranking.ts).
 */
export class MemorySearch {
  private readonly terms: TermStatistics;
  private readonly sessions: SessionNeighbours;

  /**
   * @param feedback pseudo-relevance feedback on (the default); off gives the
   *   ranking as it was before it, which bench:locomo measures beside it.
   */
  constructor(
    db: Database.Database,
    private readonly statements: StatementCache,
    private readonly feedback = true,
  ) {
    this.terms = new TermStatistics(db);
    this.sessions = new SessionNeighbours(statements);
  }

  /** Forgets the cached term statistics: the next search ranks exactly as a new connection's would. */
  forgetTermStatistics(): void {
    this.terms.clear();
  }

  search(
    query: string,
    filters: CheckedFilters,
    limit: number,
    threshold: number,
    dense: DenseQuery | null = null,
  ): ScoredMemory[] {
    const where = filtersToSql(filters);
    let scored = this.lexical(query, filters, where, limit);
    if (dense) {
      const { hits, stats } = dense.vectors.nearest(
        dense.vector,
        filters.user_id,
        where,
        denseCandidates(limit),
      );
      scored = fuseDense(scored, hits, stats, dense.weight);
    }
    const best = [...scored]
      .map(([pk, score]) => ({ pk, score }))
      .filter((hit) => hit.score >= threshold)
      .sort((a, b) => b.score - a.score || b.pk - a.pk)
      .slice(0, limit);
    const rows = this.fullRows(best.map((b) => b.pk));
    return best.flatMap(({ pk, score }) => {
      const row = rows.get(pk);
      return row ? [{ ...toMemory(row), score }] : [];
    });
  }

  /** Lexical scores in (0, 1] of the candidates, by memory pk (empty when the query has no word). */
  private lexical(
    query: string,
    filters: CheckedFilters,
    where: SqlFragment,
    limit: number,
  ): Map<number, number> {
    const fts = buildFtsQuery(query);
    if (!fts) return new Map();
    const corpus = this.terms.corpus();
    const docs = this.terms.docsWith(
      fts.terms.map((term, i) => ({ term, stem: fts.stems[i] ?? term })),
      corpus.docs,
      BM25_MATCH_BUDGET,
    );
    const terms: WeightedTerm[] = fts.stems.map((stem, i) => ({
      stem,
      idf: inverseDocumentFrequency(corpus.docs, docs[i] ?? 0),
    }));
    const plan = planCandidateQueries(fts.terms.map((term, i) => ({ term, docs: docs[i] ?? 0 })));
    const hits = new Map<number, SearchRow>();
    for (const lookup of plan) {
      for (const row of this.lookup(lookup, where, candidatePool(limit))) {
        if (!hits.has(row.pk)) hits.set(row.pk, row);
      }
    }
    const cache = textCache();
    const count = stemCounter(terms, cache);
    const { candidates, own } = this.candidates(hits, terms, count, corpus.avgTokens, limit, filters, where);
    const intent = queryTimeIntent(query);
    const ranked = candidates.map((c) => ({
      text: c.row.memory,
      createdAt: c.row.created_at,
      neighbours: c.neighbours,
    }));
    const matches = candidateMatches(
      terms,
      ranked,
      corpus.avgTokens,
      count,
      candidates.map((c) => own.get(c.row.pk)),
    );
    let scores = scoreCandidates(matches, terms.length, intent, ranked);
    if (this.feedback) {
      const extra = this.expansion(terms, ranked, scores, corpus.docs);
      if (extra.length > 0) {
        const more = candidateMatches(extra, ranked, corpus.avgTokens, stemCounter(extra, cache));
        scores = scoreCandidates(withExpansion(matches, more), terms.length, intent, ranked);
      }
    }
    return new Map(candidates.map(({ row }, i) => [row.pk, scores[i] ?? 0]));
  }

  /** Pseudo-relevance feedback: words the best-ranked candidates share (see feedback.ts). */
  private expansion(
    terms: readonly WeightedTerm[],
    ranked: readonly { text: string }[],
    scores: readonly number[],
    corpusDocs: number,
  ): WeightedTerm[] {
    const best = ranked
      .map((c, i) => ({ text: c.text, score: scores[i] ?? 0 }))
      .sort((a, b) => b.score - a.score)
      .slice(0, FEEDBACK.docs);
    const top = best[0]?.score ?? 0;
    if (!(top > 0)) return [];
    const words = relevanceModel(
      best.map((b) => ({ text: b.text, weight: b.score / top })),
      new Set(terms.map((t) => t.stem)),
      FEEDBACK.words * 3,
    );
    const docs = this.terms.docsWith(words, corpusDocs, BM25_MATCH_BUDGET);
    return expansionTerms(
      words,
      docs.map((d) => inverseDocumentFrequency(corpusDocs, d)),
      docs,
    );
  }

  /**
   * Every hit; the best by their own words with their session neighbours that
   * the filters allow. `own`: each hit's match over its own text.
   */
  private candidates(
    hits: ReadonlyMap<number, SearchRow>,
    terms: readonly WeightedTerm[],
    count: StemCounter,
    avgTokens: number,
    limit: number,
    filters: CheckedFilters,
    where: SqlFragment,
  ): { candidates: Candidate[]; own: Map<number, TermMatch> } {
    const rows = [...hits.values()];
    const matches = rows.map((r) => matchTerms(terms, r.memory, avgTokens, count));
    const own = new Map(rows.map((r, i) => [r.pk, matches[i] as TermMatch]));
    const scores = scoreMatches(matches, queryTermCount(terms));
    const ranked = rows
      .map((row, i) => ({ row, score: scores[i] ?? 0 }))
      .sort((a, b) => b.score - a.score || b.row.pk - a.row.pk)
      .map(({ row }) => row);
    const expanded = this.sessions.expand(ranked.slice(0, expandedHits(limit)));
    for (const row of ranked) {
      if (!expanded.has(row.pk)) expanded.set(row.pk, { row, neighbours: { before: [], after: [] } });
    }
    const found = [...expanded.values()];
    const extra = found.filter((c) => !hits.has(c.row.pk)).map((c) => c.row.pk);
    if (extra.length === 0 || onlyScopeFilters(filters)) return { candidates: found, own };
    // Neighbours the filters exclude gave context to the hits; they are not results.
    const allowed = new Set(
      this.statements
        .get(`SELECT m.pk FROM memories AS m WHERE m.pk IN (SELECT value FROM json_each(?)) AND ${where.sql}`)
        .pluck()
        .all(JSON.stringify(extra), ...where.params) as number[],
    );
    return { candidates: found.filter((c) => hits.has(c.row.pk) || allowed.has(c.row.pk)), own };
  }

  private fullRows(pks: readonly number[]): Map<number, MemoryRow> {
    if (pks.length === 0) return new Map();
    const rows = this.statements
      .get(`SELECT ${MEMORY_COLUMNS} FROM memories AS m WHERE m.pk IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(pks)) as MemoryRow[];
    return new Map(rows.map((r) => [r.pk, r]));
  }

  private lookup(lookup: CandidateQuery, where: SqlFragment, pool: number): SearchRow[] {
    // CROSS JOIN keeps the full-text index as the outer loop: never scan a user's rows to probe it.
    const sql =
      lookup.order === "bm25"
        ? `SELECT ${SEARCH_COLUMNS} FROM memories_fts CROSS JOIN memories AS m ON m.pk = memories_fts.rowid
           WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY bm25(memories_fts) LIMIT ?`
        : `SELECT ${SEARCH_COLUMNS} FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?
             ORDER BY rowid DESC LIMIT ${NEWEST_SCAN_LIMIT}) AS f
           CROSS JOIN memories AS m ON m.pk = f.rowid WHERE ${where.sql} LIMIT ?`;
    return this.statements.get(sql).all(lookup.match, ...where.params, pool) as SearchRow[];
  }
}
