import type { Pool } from "pg";
import { buildFtsQuery } from "../../core/search/fts-query.js";
import {
  inverseDocumentFrequency,
  lexicalScores,
  stemCounter,
  type WeightedTerm,
} from "../../core/search/lexical-score.js";
import { NEIGHBOURS_PER_SIDE, rankScores } from "../../core/search/memory-ranking.js";
import {
  BM25_MATCH_BUDGET,
  type CandidateTermSet,
  planCandidateTermSets,
} from "../../core/search/search-plan.js";
import { queryTimeIntent } from "../../core/search/time-intent.js";
import type { ScoredMemory } from "../../core/types.js";
import { expandSessions, type SearchRow } from "../sqlite/session-neighbours.js";
import { type CheckedFilters, onlyScopeFilters } from "../validate-input.js";
import { filtersToPg, Params } from "./pg-filters.js";
import { PG_MEMORY_COLUMNS, type PgMemoryRow, pgToMemory } from "./pg-rows.js";
import { PgTermStatistics } from "./pg-term-stats.js";

const SEARCH_COLUMNS = "m.pk, m.user_id, m.run_id, m.created_at, m.memory";

/** Candidates fetched per lookup, and hits whose session neighbours join them: as the SQLite store. */
const candidatePool = (limit: number) => Math.min(Math.max(limit * 4, 40), 1000);
const expandedHits = (limit: number) => Math.min(Math.max(limit * 2, 20), 200);

/**
 * A "newest" lookup whose matches (all users, from the term statistics) may
 * be more than this walks the newest memories of the scope instead of the
 * full-text index: at most `NEWEST_WINDOW` of them, stopping at the pool.
 */
const NEWEST_INDEX_BUDGET = BM25_MATCH_BUDGET;
/** Memories of the scope a "newest" lookup of common words examines at most, newest first. */
export const NEWEST_WINDOW = 5000;
/** The statement taking older memories with all of a set's words reads at most this many. */
const OLDER_MATCHES_CAP = 4 * NEWEST_INDEX_BUDGET;

interface PgSearchRow {
  pk: string;
  user_id: string;
  run_id: string | null;
  created_at: string;
  memory: string;
}

const toSearchRow = (r: PgSearchRow): SearchRow => ({ ...r, pk: Number(r.pk) });

/**
 * A term set as a tsquery expression. Every term is a bound parameter that
 * `plainto_tsquery` reads as plain words (English stems, stop words dropped),
 * so no text a person types can be tsquery syntax or an error.
 */
function tsqueryOf(set: CandidateTermSet, p: Params): string {
  const one = (t: string) => `plainto_tsquery('english', ${p.add(t)})`;
  const all = (ts: readonly string[]) => `(${ts.map(one).join(" && ")})`;
  if (set.mode === "any") return `(${set.terms.map(one).join(" || ")})`;
  if (set.mode === "all") return all(set.terms);
  return `(${set.terms.map((_, skip) => all(set.terms.filter((_t, i) => i !== skip))).join(" || ")})`;
}

/** At most how many memories (all users) a term set matches, from its terms' document frequencies. */
export function matchBound(set: CandidateTermSet, termDocs: ReadonlyMap<string, number>): number {
  const docs = set.terms.map((t) => termDocs.get(t) ?? Number.POSITIVE_INFINITY);
  if (set.mode === "any") return docs.reduce((a, b) => a + b, 0);
  if (set.mode === "all") return Math.min(...docs);
  return docs.reduce((sum, _d, skip) => sum + Math.min(...docs.filter((_x, i) => i !== skip)), 0);
}

/** Memories with all of a set's terms if the terms were independent: what the planner estimates. */
export function independentMatches(
  set: CandidateTermSet,
  termDocs: ReadonlyMap<string, number>,
  corpusDocs: number,
): number {
  if (corpusDocs <= 0) return 0;
  return set.terms.reduce(
    (n, t) => n * Math.min(1, (termDocs.get(t) ?? corpusDocs) / corpusDocs),
    corpusDocs,
  );
}

/**
 * The part of the filters that bounds a "newest" window through an index
 * (user, project, session, time range); the others (agent, categories,
 * metadata) are applied to the window's memories.
 */
function windowFilters(f: CheckedFilters): CheckedFilters {
  return { ...f, agent_id: null, categories: null, metadata: [] };
}

/**
 * PostgreSQL full-text search with the SQLite store's ranking: candidates
 * from a bounded plan of tsvector lookups (GIN), the best hits' session
 * neighbours, then the same scoring in (0, 1] (src/core/search: field
 * weighting, neighbours, time intent). Each step is one round trip.
 */
export class PgSearch {
  private readonly stats: PgTermStatistics;

  constructor(
    private readonly pool: Pool,
    statisticsFrom?: number,
  ) {
    this.stats = new PgTermStatistics(pool, statisticsFrom);
  }

  async search(
    query: string,
    filters: CheckedFilters,
    limit: number,
    threshold: number,
  ): Promise<ScoredMemory[]> {
    const scores = await this.lexical(query, filters, limit);
    const best = [...scores]
      .map(([pk, score]) => ({ pk, score }))
      .filter((hit) => hit.score >= threshold)
      .sort((a, b) => b.score - a.score || b.pk - a.pk)
      .slice(0, limit);
    if (best.length === 0) return [];
    const { rows } = await this.pool.query<PgMemoryRow>(
      `SELECT ${PG_MEMORY_COLUMNS} FROM memories AS m WHERE m.pk = ANY($1::bigint[])`,
      [best.map((b) => b.pk)],
    );
    const byPk = new Map(rows.map((r) => [Number(r.pk), r]));
    return best.flatMap(({ pk, score }) => {
      const row = byPk.get(pk);
      return row ? [{ ...pgToMemory(row), score }] : [];
    });
  }

  private async lexical(query: string, filters: CheckedFilters, limit: number): Promise<Map<number, number>> {
    const fts = buildFtsQuery(query);
    if (!fts) return new Map();
    const corpus = await this.stats.corpus();
    const docs = await this.stats.docsWith(fts.terms, fts.stems);
    const terms: WeightedTerm[] = fts.stems.map((stem, i) => ({
      stem,
      idf: inverseDocumentFrequency(corpus.docs, docs[i] ?? 0),
    }));
    const plan = planCandidateTermSets(fts.terms.map((term, i) => ({ term, docs: docs[i] ?? 0 })));
    const termDocs = new Map(fts.terms.map((term, i) => [term, docs[i] ?? 0]));
    const hits = await this.lookups(plan, termDocs, filters, candidatePool(limit), corpus.docs);
    const count = stemCounter(terms);
    const rows = [...hits.values()];
    const own = lexicalScores(
      terms,
      rows.map((r) => r.memory),
      corpus.avgTokens,
      count,
    );
    const ranked = rows
      .map((row, i) => ({ row, score: own[i] ?? 0 }))
      .sort((a, b) => b.score - a.score || b.row.pk - a.row.pk)
      .map(({ row }) => row);
    const windows = await this.windows(ranked.slice(0, expandedHits(limit)));
    const expanded = expandSessions(ranked.slice(0, expandedHits(limit)), (hit) => {
      const w = windows.get(hit.pk);
      return w ? [[...w.before, hit, ...w.after], w.before.length] : [[hit], 0];
    });
    for (const row of ranked) {
      if (!expanded.has(row.pk)) expanded.set(row.pk, { row, neighbours: { before: [], after: [] } });
    }
    let found = [...expanded.values()];
    const extra = found.filter((c) => !hits.has(c.row.pk)).map((c) => c.row.pk);
    if (extra.length > 0 && !onlyScopeFilters(filters)) {
      // Neighbours the filters exclude gave context to the hits; they are not results.
      const p = new Params();
      const pks = p.add(extra);
      const where = filtersToPg(filters, p);
      const { rows: allowedRows } = await this.pool.query<{ pk: string }>(
        `SELECT m.pk FROM memories AS m WHERE m.pk = ANY(${pks}::bigint[]) AND ${where}`,
        p.values,
      );
      const allowed = new Set(allowedRows.map((r) => Number(r.pk)));
      found = found.filter((c) => hits.has(c.row.pk) || allowed.has(c.row.pk));
    }
    const scores = rankScores(
      terms,
      queryTimeIntent(query),
      found.map((c) => ({ text: c.row.memory, createdAt: c.row.created_at, neighbours: c.neighbours })),
      corpus.avgTokens,
      count,
    );
    return new Map(found.map(({ row }, i) => [row.pk, scores[i] ?? 0]));
  }

  /**
   * The plan's lookups, each bounded by `pool` rows and by its work. BM25
   * ranks the matches of rare terms (at most the budget's memories). A
   * "newest" lookup whose matches are few (by the term statistics) takes
   * them through the GIN index; one of common words examines at most
   * NEWEST_WINDOW memories of the scope from the newest back, and when that
   * window shows that all the words together are rare (few hits, so few
   * matches in all), a second statement takes the older memories with all
   * of them through the GIN index.
   * Each part is fenced (OFFSET 0, or its own LIMIT) so that the planner
   * cannot turn it into a walk of the whole table hoping to meet matches early.
   */
  private async lookups(
    plan: CandidateTermSet[],
    termDocs: ReadonlyMap<string, number>,
    filters: CheckedFilters,
    pool: number,
    corpusDocs: number,
  ): Promise<Map<number, SearchRow>> {
    const p = new Params();
    const where = filtersToPg(filters, p);
    const limit = p.add(pool);
    const scope = windowFilters(filters);
    let window: string | null = null;
    const windowed: { part: number; set: CandidateTermSet }[] = [];
    const parts = plan.map((set, part) => {
      const q = tsqueryOf(set, p);
      const cols = `${SEARCH_COLUMNS}, ${part} AS part`;
      if (set.order === "bm25") {
        return `(SELECT ${cols} FROM memories AS m WHERE m.tsv @@ ${q} AND ${where}
                 ORDER BY ts_rank(m.tsv, ${q}) DESC, m.pk DESC LIMIT ${limit})`;
      }
      if (matchBound(set, termDocs) <= NEWEST_INDEX_BUDGET) {
        return `(SELECT * FROM (SELECT ${cols} FROM memories AS m WHERE m.tsv @@ ${q} AND ${where}
                 OFFSET 0) AS m ORDER BY m.created_at DESC, m.pk DESC LIMIT ${limit})`;
      }
      windowed.push({ part, set });
      window ??= `(SELECT m.* FROM memories AS m WHERE ${filtersToPg(scope, p)}
                   ORDER BY m.created_at DESC, m.pk DESC LIMIT ${p.add(NEWEST_WINDOW)})`;
      return `(SELECT ${cols} FROM ${window} AS m WHERE m.tsv @@ ${q} AND ${where} LIMIT ${limit})`;
    });
    if (windowed.length > 0) {
      // The window's oldest memory (none when the scope has fewer): where the second statement starts.
      parts.push(`(SELECT m.pk, NULL::text, NULL::text, m.created_at, NULL::text, -1 AS part FROM memories AS m
                   WHERE ${filtersToPg(scope, p)} ORDER BY m.created_at DESC, m.pk DESC
                   OFFSET ${p.add(NEWEST_WINDOW - 1)} LIMIT 1)`);
    }
    const { rows } = await this.pool.query<PgSearchRow & { part: number }>(
      parts.join(" UNION ALL "),
      p.values,
    );
    const edge = rows.find((r) => r.part === -1);
    const found: PgSearchRow[] = rows.filter((r) => r.part !== -1);
    if (edge) {
      const perPart = new Map<number, number>();
      for (const r of rows) perPart.set(r.part, (perPart.get(r.part) ?? 0) + 1);
      // h hits in the window: about (h + 1) / window of all memories match; few enough for the GIN index?
      // Only for "all" sets: an AND skips through the posting lists, an OR of ANDs of common words reads them whole.
      const sparse = windowed.filter(({ part, set }) => {
        const h = perPart.get(part) ?? 0;
        return (
          set.mode === "all" &&
          h < pool &&
          ((h + 1) / NEWEST_WINDOW) * corpusDocs <= NEWEST_INDEX_BUDGET &&
          // The planner, too, must expect few (it multiplies the words' shares): expecting many under
          // the statement's LIMIT, it would walk the table in date order hoping to meet them early.
          independentMatches(set, termDocs, corpusDocs) <= OLDER_MATCHES_CAP
        );
      });
      if (sparse.length > 0) found.push(...(await this.olderMatches(sparse, filters, edge, pool, perPart)));
    }
    const hits = new Map<number, SearchRow>();
    for (const r of found) {
      const row = toSearchRow(r);
      if (!hits.has(row.pk)) hits.set(row.pk, row);
    }
    return hits;
  }

  /**
   * The matches older than the window of lookups whose words together are
   * rare, newest first, through the GIN index; at most four budgets of
   * memories are read whatever the statistics said.
   */
  private async olderMatches(
    sparse: readonly { part: number; set: CandidateTermSet }[],
    filters: CheckedFilters,
    edge: { pk: string; created_at: string },
    pool: number,
    perPart: ReadonlyMap<number, number>,
  ): Promise<PgSearchRow[]> {
    const p = new Params();
    const where = filtersToPg(filters, p);
    const before = `(m.created_at, m.pk) < (${p.add(edge.created_at)}, ${p.add(edge.pk)}::bigint)`;
    const cap = p.add(OLDER_MATCHES_CAP);
    const parts = sparse.map(({ part, set }) => {
      const q = tsqueryOf(set, p);
      return `(SELECT * FROM (SELECT ${SEARCH_COLUMNS} FROM memories AS m WHERE m.tsv @@ ${q} AND ${where} AND ${before}
               LIMIT ${cap} OFFSET 0) AS m ORDER BY m.created_at DESC, m.pk DESC
               LIMIT ${p.add(pool - (perPart.get(part) ?? 0))})`;
    });
    const { rows } = await this.pool.query<PgSearchRow>(parts.join(" UNION ALL "), p.values);
    return rows;
  }

  /** The session windows (same user and run) around each hit, in one statement, nearest first per side. */
  private async windows(
    hits: readonly SearchRow[],
  ): Promise<Map<number, { before: SearchRow[]; after: SearchRow[] }>> {
    const inSessions = hits.filter((h) => h.run_id !== null);
    const out = new Map<number, { before: SearchRow[]; after: SearchRow[] }>();
    if (inSessions.length === 0) return out;
    const side = (cmp: "<" | ">", dir: "DESC" | "ASC", tag: string) =>
      `SELECT h.pk AS hit, '${tag}' AS side, n.* FROM memories AS h CROSS JOIN LATERAL (
         SELECT ${SEARCH_COLUMNS} FROM memories AS m
         WHERE m.user_id = h.user_id AND m.run_id = h.run_id AND (m.created_at, m.pk) ${cmp} (h.created_at, h.pk)
         ORDER BY m.created_at ${dir}, m.pk ${dir} LIMIT $2) AS n
       WHERE h.pk = ANY($1::bigint[])`;
    const { rows } = await this.pool.query<PgSearchRow & { hit: string; side: "b" | "a" }>(
      `${side("<", "DESC", "b")} UNION ALL ${side(">", "ASC", "a")}`,
      [inSessions.map((h) => h.pk), 2 * NEIGHBOURS_PER_SIDE],
    );
    for (const h of inSessions) out.set(h.pk, { before: [], after: [] });
    const ordered = (a: SearchRow, b: SearchRow) =>
      a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.pk - b.pk;
    for (const r of rows) {
      const w = out.get(Number(r.hit));
      if (!w) continue;
      const row = toSearchRow({
        pk: r.pk,
        user_id: r.user_id,
        run_id: r.run_id,
        created_at: r.created_at,
        memory: r.memory,
      });
      (r.side === "b" ? w.before : w.after).push(row);
    }
    for (const w of out.values()) {
      w.before.sort(ordered);
      w.after.sort(ordered);
    }
    return out;
  }
}
