/**
 * The PostgreSQL half of `bench:store -- --backend postgres`: each
 * measurement in a fresh schema of the server DATABASE_URL names (dropped
 * afterwards), through PgMemoryStore as the proxy and MCP server use it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { AddInput } from "../../src/core/types.js";
import type { MemoryStore } from "../../src/store/memory-store.js";
import { PgMemoryStore } from "../../src/store/postgres/pg-store.js";
import { elapsedMs, percentile, round3 } from "./percentile.js";

export interface PgSchema {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function schemaUrl(baseUrl: string, schema: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

export async function freshPgSchema(baseUrl: string, name?: string): Promise<PgSchema> {
  const schema = name ?? `bench_${randomBytes(5).toString("hex")}`;
  await admin(baseUrl, `CREATE SCHEMA ${schema}`);
  return {
    name: schema,
    url: schemaUrl(baseUrl, schema),
    drop: () => admin(baseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

/** Memories in `schema`.memories, or null when that schema holds no memory table. */
async function keptCount(baseUrl: string, schema: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [
      `${schema}.memories`,
    ]);
    if (!rows[0]?.t) return null;
    const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.memories`);
    return Number(counted.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * `--reuse`: the schema `name` as an earlier run loaded it (kept, not dropped),
 * when it holds exactly `inputs.length` memories; otherwise it is dropped and
 * loaded again with 8 writers. `per_s` is null when nothing was loaded.
 */
export async function keptLoadedSchema(
  baseUrl: string,
  name: string,
  inputs: AddInput[],
): Promise<{ store: PgMemoryStore; per_s: number | null }> {
  if ((await keptCount(baseUrl, name)) === inputs.length) {
    return { store: await PgMemoryStore.open(schemaUrl(baseUrl, name), { timeoutMs: 60_000 }), per_s: null };
  }
  await admin(baseUrl, `DROP SCHEMA IF EXISTS ${name} CASCADE`);
  const loaded = await ingestWithWriters(baseUrl, inputs, 8, 0, 1000, name);
  await analyzeMemories(baseUrl, name);
  return { store: loaded.store, per_s: loaded.per_s };
}

/**
 * ANALYZE after a bulk load, before searching: what autovacuum does within a
 * minute of the load on a default server (search reads pg_stats above 50k
 * memories), so the searches measure the steady state, not the first minute.
 */
export async function analyzeMemories(baseUrl: string, schema: string): Promise<void> {
  await admin(baseUrl, `ANALYZE ${schema}.memories`);
}

export interface WritersResult {
  writers: number;
  /** Inputs sent, duplicates among them included. */
  sent: number;
  unique: number;
  per_s: number;
  created: number;
  duplicates: number;
  errors: number;
  /** Memories in the store afterwards: must equal `unique`. */
  stored: number;
}

/**
 * `writers` concurrent writers, each its own store (own pool, one
 * connection), all in a fresh schema. With `overlap`, every writer also
 * sends the first `overlap` share of the next writer's slice: the same
 * memories from two writers at once, which must be stored once.
 */
export async function ingestWithWriters(
  baseUrl: string,
  inputs: AddInput[],
  writers: number,
  overlap: number,
  chunk = 1000,
  schemaName?: string,
): Promise<WritersResult & { schema: PgSchema; store: PgMemoryStore }> {
  const schema = await freshPgSchema(baseUrl, schemaName);
  const stores = await Promise.all(
    Array.from({ length: writers }, () => PgMemoryStore.open(schema.url, { poolSize: 1, timeoutMs: 60_000 })),
  );
  const slice = Math.ceil(inputs.length / writers);
  const work = stores.map((_, w) => {
    const own = inputs.slice(w * slice, (w + 1) * slice);
    const next = inputs.slice(((w + 1) % writers) * slice, ((w + 1) % writers) * slice + slice);
    return writers > 1 && overlap > 0 ? [...own, ...next.slice(0, Math.floor(next.length * overlap))] : own;
  });
  let created = 0;
  let duplicates = 0;
  let errors = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    stores.map(async (store, w) => {
      const mine = work[w] ?? [];
      for (let i = 0; i < mine.length; i += chunk) {
        try {
          for (const r of await store.addMany(mine.slice(i, i + chunk))) {
            if (r.status === "created") created++;
            else duplicates++;
          }
        } catch {
          errors++;
        }
      }
    }),
  );
  const ms = elapsedMs(start);
  const sent = work.reduce((n, w) => n + w.length, 0);
  for (const s of stores.slice(1)) await s.close();
  const store = stores[0] as PgMemoryStore;
  const stored = (await store.stats()).memories;
  return {
    writers,
    sent,
    unique: inputs.length,
    per_s: Math.round(sent / (ms / 1000)),
    created,
    duplicates,
    errors,
    stored,
    schema,
    store,
  };
}

export interface PgSearchResult {
  search_p50_ms: number;
  search_p99_ms: number;
  mean_results: number;
}

export async function searchLatency(
  store: MemoryStore,
  queries: string[],
  userId: string,
): Promise<PgSearchResult> {
  for (const q of queries.slice(0, 50)) await store.search(q, { filters: { user_id: userId } }); // warm-up
  const latencies: number[] = [];
  let results = 0;
  for (const q of queries) {
    const start = process.hrtime.bigint();
    results += (await store.search(q, { filters: { user_id: userId }, limit: 10 })).length;
    latencies.push(elapsedMs(start));
  }
  return {
    search_p50_ms: round3(percentile(latencies, 50)),
    search_p99_ms: round3(percentile(latencies, 99)),
    mean_results: round3(results / queries.length),
  };
}
