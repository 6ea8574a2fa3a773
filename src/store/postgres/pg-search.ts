import type { Pool } from "pg";
import { buildFtsQuery } from "../../core/search/fts-query.js";
import {
  inverseDocumentFrequency,
  lexicalScores,
  stemCounter,
  type WeightedTerm,
} from "../../core/search/lexical-score.js";
import { NEIGHBOURS_PER_SIDE, rankScores } from "../../core/search/memory-ranking.js";
import { type CandidateTermSet, planCandidateTermSets } from "../../core/search/search-plan.js";
import { queryTimeIntent } from "../../core/search/time-intent.js";
import type { ScoredMemory } from "../../core/types.js";
import { expandSessions, type SearchRow } from "../sqlite/session-neighbours.js";
import { type CheckedFilters, onlyScopeFilters } from "../validate-input.js";
import { filtersToPg, Params } from "./pg-filters.js";
import { PG_MEMORY_COLUMNS, type PgMemoryRow, pgToMemory } from "./pg-rows.js";

const SEARCH_COLUMNS = "m.pk, m.user_id, m.run_id, m.created_at, m.memory";

/** Candidates fetched per lookup, and hits whose session neighbours join them: as the SQLite store. */
const candidatePool = (limit: number) => Math.min(Math.max(limit * 4, 40), 1000);
const expandedHits = (limit: number) => Math.min(Math.max(limit * 2, 20), 200);

/** Document frequencies are counted up to this many matches (bounded work on a common word), then cached. */
const DOCS_COUNT_CAP = 20_000;
/** A cached frequency or corpus size is recomputed once the corpus grew or shrank by this share. */
const DRIFT = 0.1;
/** Below this many memories the corpus size is counted on every search (cheap); above, it is cached. */
const EXACT_CORPUS_BELOW = 50_000;
const CORPUS_TTL_MS = 30_000;

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

/**
 * PostgreSQL full-text search with the SQLite store's ranking: candidates
 * from a bounded plan of tsvector lookups (GIN), the best hits' session
 * neighbours, then the same scoring in (0, 1] (src/core/search: field
 * weighting, neighbours, time intent). Each step is one round trip.
 */
export class PgSearch {
  private corpusCache: { docs: number; avgTokens: number; at: number } | null = null;
  private readonly docsCache = new Map<string, { docs: number; atSize: number }>();

  constructor(private readonly pool: Pool) {}

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

  private async corpus(): Promise<{ docs: number; avgTokens: number }> {
    const cached = this.corpusCache;
    if (cached && cached.docs >= EXACT_CORPUS_BELOW && Date.now() - cached.at < CORPUS_TTL_MS) return cached;
    const { rows } = await this.pool.query<{ docs: string; avg: number | null }>(
      "SELECT count(*) AS docs, avg(tokens)::float8 AS avg FROM memories",
    );
    const docs = Number(rows[0]?.docs ?? 0);
    this.corpusCache = { docs, avgTokens: rows[0]?.avg ?? 0, at: Date.now() };
    return this.corpusCache;
  }

  /** Memories containing each term (all users, as BM25 weights need), cached until the corpus drifts. */
  private async docsWith(
    terms: readonly string[],
    stems: readonly string[],
    size: number,
  ): Promise<number[]> {
    const docs: (number | undefined)[] = stems.map((s) => {
      const hit = this.docsCache.get(s);
      return hit && Math.abs(size - hit.atSize) <= Math.max(100, hit.atSize * DRIFT) ? hit.docs : undefined;
    });
    const missing = terms.flatMap((t, i) => (docs[i] === undefined ? [{ t, i }] : []));
    if (missing.length > 0) {
      const { rows } = await this.pool.query<{ i: number; docs: string }>(
        `SELECT t.i::int AS i, (SELECT count(*) FROM (SELECT 1 FROM memories
           WHERE tsv @@ plainto_tsquery('english', t.term) LIMIT $2) AS s) AS docs
         FROM unnest($1::text[]) WITH ORDINALITY AS t(term, i)`,
        [missing.map((m) => m.t), DOCS_COUNT_CAP],
      );
      if (this.docsCache.size > 20_000) this.docsCache.clear();
      for (const row of rows) {
        const m = missing[row.i - 1];
        if (!m) continue;
        docs[m.i] = Number(row.docs);
        this.docsCache.set(stems[m.i] as string, { docs: Number(row.docs), atSize: size });
      }
    }
    return docs.map((d) => d ?? 0);
  }

  private async lexical(query: string, filters: CheckedFilters, limit: number): Promise<Map<number, number>> {
    const fts = buildFtsQuery(query);
    if (!fts) return new Map();
    const corpus = await this.corpus();
    const docs = await this.docsWith(fts.terms, fts.stems, corpus.docs);
    const terms: WeightedTerm[] = fts.stems.map((stem, i) => ({
      stem,
      idf: inverseDocumentFrequency(corpus.docs, docs[i] ?? 0),
    }));
    const plan = planCandidateTermSets(fts.terms.map((term, i) => ({ term, docs: docs[i] ?? 0 })));
    const hits = await this.lookups(plan, filters, candidatePool(limit));
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

  /** Every lookup of the plan in one statement; each is bounded by `pool` rows. */
  private async lookups(
    plan: CandidateTermSet[],
    filters: CheckedFilters,
    pool: number,
  ): Promise<Map<number, SearchRow>> {
    const p = new Params();
    const where = filtersToPg(filters, p);
    const limit = p.add(pool);
    const parts = plan.map((set) => {
      const q = tsqueryOf(set, p);
      const order = set.order === "bm25" ? `ts_rank(m.tsv, ${q}) DESC, m.pk DESC` : "m.pk DESC";
      return `(SELECT ${SEARCH_COLUMNS} FROM memories AS m WHERE m.tsv @@ ${q} AND ${where} ORDER BY ${order} LIMIT ${limit})`;
    });
    const { rows } = await this.pool.query<PgSearchRow>(parts.join(" UNION ALL "), p.values);
    const hits = new Map<number, SearchRow>();
    for (const r of rows) {
      const row = toSearchRow(r);
      if (!hits.has(row.pk)) hits.set(row.pk, row);
    }
    return hits;
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
