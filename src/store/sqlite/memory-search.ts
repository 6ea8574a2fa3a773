import type Database from "better-sqlite3";
import { buildFtsQuery } from "../../core/search/fts-query.js";
import { inverseDocumentFrequency, lexicalScores } from "../../core/search/lexical-score.js";
import {
  BM25_MATCH_BUDGET,
  type CandidateQuery,
  planCandidateQueries,
} from "../../core/search/search-plan.js";
import type { ScoredMemory } from "../../core/types.js";
import { filtersToSql, type SqlFragment } from "./filters-sql.js";
import { MEMORY_COLUMNS, type MemoryRow, toMemory } from "./row-mapping.js";
import type { StatementCache } from "./statement-cache.js";
import { TermStatistics } from "./term-statistics.js";
import type { CheckedFilters } from "./validate-input.js";

/** Candidates fetched per lookup: a few times `limit`, so scoring can reorder them. */
export function candidatePool(limit: number): number {
  return Math.min(Math.max(limit * 4, 40), 1000);
}

/** "Newest" lookups look at most this many matches (all users) before filtering: bounded work. */
const NEWEST_SCAN_LIMIT = 20_000;

/**
 * Full-text search: the query becomes safe FTS5 terms, a plan picks lookups
 * whose cost stays bounded at any store size (see planCandidateQueries), and
 * the merged candidates are scored in (0, 1] by IDF-weighted coverage and BM25.
 */
export class MemorySearch {
  private readonly terms: TermStatistics;

  constructor(
    db: Database.Database,
    private readonly statements: StatementCache,
  ) {
    this.terms = new TermStatistics(db);
  }

  search(query: string, filters: CheckedFilters, limit: number, threshold: number): ScoredMemory[] {
    const fts = buildFtsQuery(query);
    if (!fts) return [];
    const corpus = this.terms.corpus();
    const docs = this.terms.docsWith(
      fts.terms.map((term, i) => ({ term, stem: fts.stems[i] ?? term })),
      corpus.docs,
      BM25_MATCH_BUDGET,
    );
    const plan = planCandidateQueries(fts.terms.map((term, i) => ({ term, docs: docs[i] ?? 0 })));
    const where = filtersToSql(filters);
    const pool = candidatePool(limit);
    const candidates = new Map<number, MemoryRow>();
    for (const lookup of plan) {
      for (const row of this.lookup(lookup, where, pool))
        if (!candidates.has(row.pk)) candidates.set(row.pk, row);
    }
    const rows = [...candidates.values()];
    const weighted = fts.stems.map((stem, i) => ({
      stem,
      idf: inverseDocumentFrequency(corpus.docs, docs[i] ?? 0),
    }));
    const scores = lexicalScores(
      weighted,
      rows.map((r) => r.memory),
      corpus.avgTokens,
    );
    return rows
      .map((row, i) => ({ row, score: scores[i] ?? 0 }))
      .filter((hit) => hit.score >= threshold)
      .sort((a, b) => b.score - a.score || b.row.pk - a.row.pk)
      .slice(0, limit)
      .map(({ row, score }) => ({ ...toMemory(row), score }));
  }

  private lookup(lookup: CandidateQuery, where: SqlFragment, pool: number): MemoryRow[] {
    // CROSS JOIN keeps the full-text index as the outer loop: never scan a user's rows to probe it.
    const sql =
      lookup.order === "bm25"
        ? `SELECT ${MEMORY_COLUMNS} FROM memories_fts CROSS JOIN memories AS m ON m.pk = memories_fts.rowid
           WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY bm25(memories_fts) LIMIT ?`
        : `SELECT ${MEMORY_COLUMNS} FROM (SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?
             ORDER BY rowid DESC LIMIT ${NEWEST_SCAN_LIMIT}) AS f
           CROSS JOIN memories AS m ON m.pk = f.rowid WHERE ${where.sql} LIMIT ?`;
    return this.statements.get(sql).all(lookup.match, ...where.params, pool) as MemoryRow[];
  }
}
