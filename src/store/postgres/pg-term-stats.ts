import type { Pool } from "pg";
import { BM25_MATCH_BUDGET } from "../../core/search/search-plan.js";

/** How many memories the table holds (all users) and their mean token count: what BM25 weights need. */
export interface PgCorpus {
  docs: number;
  avgTokens: number;
}

/** Below this many memories (or while PostgreSQL has no statistics on the table yet) everything is counted. */
export const EXACT_CORPUS_BELOW = 50_000;
/** Sizes and statistics are read again after this long (autovacuum's ANALYZE keeps them current). */
const STATS_TTL_MS = 30_000;
/** Counted document frequencies stop at this many matches (exact mode: bounded work on a common word). */
const DOCS_COUNT_CAP = 20_000;
/** A counted frequency is recomputed once the corpus grew or shrank by this share. */
const DRIFT = 0.1;
const CACHE_LIMIT = 20_000;

interface Snapshot {
  at: number;
  corpus: PgCorpus;
  /**
   * Lexeme → share of memories containing it, from `pg_stats` (ANALYZE's most
   * common elements of `tsv`); null in exact mode (small table, or no statistics yet).
   */
  common: Map<string, number> | null;
  /** The smallest share `pg_stats` lists: a lexeme it does not list is in fewer memories. */
  minShare: number;
}

interface StatsRow {
  estimated: number;
  elems: string[] | null;
  freqs: number[] | null;
  vals: number[] | null;
  val_freqs: number[] | null;
  bounds: number[] | null;
  null_frac: number | null;
}

/**
 * Mean of an integer column from its `pg_stats` row: the most common values
 * with their shares, the rest spread evenly over the histogram's buckets.
 */
export function statsMean(
  vals: readonly number[] | null,
  valFreqs: readonly number[] | null,
  bounds: readonly number[] | null,
  nullFrac: number,
): number | null {
  let sum = 0;
  let share = 0;
  (vals ?? []).forEach((v, i) => {
    const f = valFreqs?.[i] ?? 0;
    sum += v * f;
    share += f;
  });
  const rest = Math.max(0, 1 - nullFrac - share);
  if (bounds && bounds.length >= 2) {
    let mid = 0;
    for (let i = 1; i < bounds.length; i++) mid += ((bounds[i - 1] as number) + (bounds[i] as number)) / 2;
    sum += rest * (mid / (bounds.length - 1));
    share += rest;
  }
  return share > 0 ? sum / share : null;
}

/**
 * Corpus size and document frequencies for PostgreSQL full-text search with
 * bounded work at any size. On a small table (< 50,000 memories) or one
 * PostgreSQL has not analysed yet, both are counted (a frequency up to
 * 20,000 matches). On a larger one they come from PostgreSQL's own
 * statistics, which autovacuum's ANALYZE keeps current: `reltuples`, the
 * token count's distribution, and the share of memories holding each of the
 * most common lexemes (`pg_stats.most_common_elems` of `tsv`). A lexeme not
 * listed there is rarer than every listed one; its memories are counted up
 * to the BM25 budget (a few index pages and at most that many rows), and
 * past it its frequency is taken between the budget and the least listed
 * share. No statement reads more than the budget's rows of a common word.
 */
export class PgTermStatistics {
  private snapshot: Snapshot | null = null;
  /** When `pg_stats` was last read (a small table is counted on every search, its statistics read less often). */
  private statsReadAt = 0;
  private readonly counted = new Map<string, { docs: number; atSize: number }>();
  private readonly lexemes = new Map<string, string[]>();

  /** @param exactBelow the table size from which PostgreSQL's statistics are used (default 50,000). */
  constructor(
    private readonly pool: Pool,
    private readonly exactBelow: number = EXACT_CORPUS_BELOW,
  ) {}

  async corpus(): Promise<PgCorpus> {
    return (await this.current()).corpus;
  }

  private async current(): Promise<Snapshot> {
    const cached = this.snapshot;
    if (cached && cached.corpus.docs >= this.exactBelow && Date.now() - cached.at < STATS_TTL_MS) {
      return cached;
    }
    if (cached && cached.common === null && Date.now() - this.statsReadAt < STATS_TTL_MS) return this.count();
    this.statsReadAt = Date.now();
    const { rows } = await this.pool.query<StatsRow>(
      `SELECT c.reltuples::float8 AS estimated,
              t.most_common_elems::text::text[] AS elems, t.most_common_elem_freqs::float8[] AS freqs,
              k.most_common_vals::text::float8[] AS vals, k.most_common_freqs::float8[] AS val_freqs,
              k.histogram_bounds::text::float8[] AS bounds, k.null_frac::float8 AS null_frac
       FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
       LEFT JOIN pg_stats AS t ON t.schemaname = n.nspname AND t.tablename = c.relname AND t.attname = 'tsv'
       LEFT JOIN pg_stats AS k ON k.schemaname = n.nspname AND k.tablename = c.relname AND k.attname = 'tokens'
       WHERE c.oid = 'memories'::regclass`,
    );
    const s = rows[0];
    const avgTokens = s ? statsMean(s.vals, s.val_freqs, s.bounds, s.null_frac ?? 0) : null;
    const elems = s?.elems ?? null;
    const freqs = s?.freqs ?? null;
    if (s && s.estimated >= this.exactBelow && elems && freqs && avgTokens !== null) {
      // most_common_elem_freqs: one share per element, then the minimum, the maximum and the null share.
      const common = new Map(elems.map((e, i) => [e, freqs[i] ?? 0]));
      const minShare = freqs[elems.length] ?? Math.min(...common.values());
      this.snapshot = {
        at: Date.now(),
        corpus: { docs: Math.round(s.estimated), avgTokens },
        common,
        minShare,
      };
      return this.snapshot;
    }
    return this.count();
  }

  /** Exact mode: the corpus counted now. */
  private async count(): Promise<Snapshot> {
    const counted = await this.pool.query<{ docs: string; avg: number | null }>(
      "SELECT count(*) AS docs, avg(tokens)::float8 AS avg FROM memories",
    );
    this.snapshot = {
      at: Date.now(),
      corpus: { docs: Number(counted.rows[0]?.docs ?? 0), avgTokens: counted.rows[0]?.avg ?? 0 },
      common: null,
      minShare: 0,
    };
    return this.snapshot;
  }

  /** Memories (all users, as BM25 weights need) containing each term; `stems` key the caches. */
  async docsWith(terms: readonly string[], stems: readonly string[]): Promise<number[]> {
    const snap = await this.current();
    const size = snap.corpus.docs;
    const docs: (number | undefined)[] = stems.map((stem) => {
      const hit = this.counted.get(stem);
      return hit && Math.abs(size - hit.atSize) <= Math.max(100, hit.atSize * DRIFT) ? hit.docs : undefined;
    });
    let toCount = terms.flatMap((term, i) => (docs[i] === undefined ? [{ term, i }] : []));
    let cap = DOCS_COUNT_CAP;
    if (snap.common && toCount.length > 0) {
      const common = snap.common;
      const lexemes = await this.lexemesOf(toCount.map((t) => t.term));
      toCount = toCount.filter(({ term, i }) => {
        const lex = lexemes.get(term) ?? [];
        if (lex.length === 0) {
          docs[i] = 0; // only stop words to PostgreSQL: the term matches nothing
          return false;
        }
        const shares = lex.map((l) => common.get(l));
        if (shares.some((share) => share === undefined)) return true;
        // All lexemes of the term must be present: at most the rarest one's memories.
        docs[i] = Math.round(Math.min(...(shares as number[])) * size);
        return false;
      });
      cap = BM25_MATCH_BUDGET + 1;
    }
    if (toCount.length > 0) {
      const { rows } = await this.pool.query<{ i: number; docs: string }>(
        `SELECT t.i::int AS i, (SELECT count(*) FROM (SELECT 1 FROM memories
           WHERE tsv @@ plainto_tsquery('english', t.term) LIMIT $2) AS s) AS docs
         FROM unnest($1::text[]) WITH ORDINALITY AS t(term, i)`,
        [toCount.map((t) => t.term), cap],
      );
      if (this.counted.size >= CACHE_LIMIT) this.counted.clear();
      for (const row of rows) {
        const t = toCount[row.i - 1];
        if (!t) continue;
        let n = Number(row.docs);
        // Past the cap (statistics mode): more than the budget, fewer than the least listed share.
        if (snap.common && n >= cap) n = Math.round(Math.sqrt(cap * Math.max(cap, snap.minShare * size)));
        docs[t.i] = n;
        this.counted.set(stems[t.i] as string, { docs: n, atSize: size });
      }
    }
    return docs.map((d) => d ?? 0);
  }

  /** PostgreSQL's English lexemes of each term (as `tsv` and `plainto_tsquery` see it), cached. */
  private async lexemesOf(terms: readonly string[]): Promise<Map<string, string[]>> {
    const missing = terms.filter((t) => !this.lexemes.has(t));
    if (missing.length > 0) {
      const { rows } = await this.pool.query<{ term: string; lex: string[] }>(
        `SELECT t.term, tsvector_to_array(to_tsvector('english', t.term)) AS lex
         FROM unnest($1::text[]) AS t(term)`,
        [missing],
      );
      if (this.lexemes.size >= CACHE_LIMIT) this.lexemes.clear();
      for (const r of rows) this.lexemes.set(r.term, r.lex);
    }
    return new Map(terms.map((t) => [t, this.lexemes.get(t) ?? []]));
  }
}
