/**
 * `npm run bench:store [-- --json PATH] [--sizes 10000,100000] [--queries 1000] [--reuse]`
 * `npm run bench:store -- --backend postgres [--sizes 100000,1000000]` (DATABASE_URL or TEST_DATABASE_URL)
 *   `--reuse` keeps the loaded PostgreSQL schemas (bench_keep_<seed>_<size>) and SQLite files
 *   (<tmpdir>/bench-store-keep/) and searches them again in later runs; `--search-only` skips
 *   the 1- and 8-writer ingest runs. Without `--backend`, `--reuse` keeps the store and the raw
 *   baseline's files there too (ingest is then not measured: the row says "(kept)"). A kept
 *   store whose full-text index the current write path would have merged (seeded by an older
 *   release) is loaded again.
 *
 * With `--backend postgres`: ingest with 1 and 8 concurrent writers (the 8
 * also sending 10% of each other's memories: stored once, no error), then at
 * each size search p50/p99 on PostgreSQL next to the SQLite store measured
 * in the same run on the same memories and queries.
 *
 * Ingest rate (addMany, batches of 1000) and search latency (p50/p99 over the
 * queries) of the SQLite memory store at each size, next to a raw better-sqlite3
 * + FTS5 baseline and the store's search without pseudo-relevance feedback,
 * measured in the same run on the same data.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { buildFtsQuery } from "../src/core/search/fts-query.js";
import type { AddInput } from "../src/core/types.js";
import { mergeDue, segmentPages } from "../src/store/sqlite/fts-maintenance.js";
import { ADD_BATCH_SIZE, SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { elapsedMs, percentile, round3 } from "./lib/percentile.js";
import {
  analyzeMemories,
  ingestWithWriters,
  keptLoadedSchema,
  searchLatency,
  type WritersResult,
} from "./lib/pg-bench.js";
import { RawSqliteBaseline } from "./lib/raw-sqlite-baseline.js";
import { SeededRng } from "./lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "./lib/synthetic-memories.js";
import { fmt, formatTable } from "./lib/table.js";

const SEED = 20_240_601;
const INGEST_CHUNK = 10_000;
const USER = "bench_user";
const TARGETS = { search_p50_ms: 5, search_p99_ms: 25, ingest_per_s: 5000 };
const PG_TARGETS = { search_p50_ms: 15, search_p99_ms: 60, writers8_per_s: 5000 };

interface SizeResult {
  /** null with `--reuse` when kept files were searched (nothing ingested). */
  ingest_per_s: number | null;
  search_p50_ms: number;
  search_p99_ms: number;
  baseline_ingest_per_s: number | null;
  baseline_search_p50_ms: number;
  baseline_search_p99_ms: number;
  mean_results: number;
  /** The same searches without pseudo-relevance feedback (the ranking before it), interleaved. */
  no_feedback_search_p50_ms: number;
  no_feedback_search_p99_ms: number;
}

/**
 * Whether a kept store file is one the current write path could have left: not one whose
 * full-text index it would have merged (a file seeded by an older release is loaded again).
 */
function keptIndexCurrent(path: string): boolean {
  const db = new Database(path, { readonly: true });
  try {
    const structure = db.prepare("SELECT block FROM memories_fts_data WHERE id = 10").pluck().get();
    return !mergeDue(segmentPages(structure as Uint8Array | undefined));
  } finally {
    db.close();
  }
}

async function measure(size: number, queryCount: number, dir: string, reuse: boolean): Promise<SizeResult> {
  const rng = new SeededRng(SEED + size);
  // 90% of memories belong to the searched user, the rest to nine others (so user filtering is real).
  const inputs = syntheticMemories(rng, size).map((m, i) => ({
    ...m,
    user_id: i % 10 === 9 ? `other_user_${i % 9}` : USER,
    agent_id: "claude-code",
  }));
  const queries = syntheticQueries(rng, queryCount, inputs);

  const storePath = join(dir, `store-${SEED}-${size}.db`);
  const rawPath = join(dir, `raw-${SEED}-${size}.db`);
  let store: SqliteMemoryStore | null = null;
  let raw: RawSqliteBaseline | null = null;
  if (reuse && existsSync(storePath) && existsSync(rawPath) && keptIndexCurrent(storePath)) {
    store = SqliteMemoryStore.open(storePath);
    raw = new RawSqliteBaseline(rawPath);
    if ((await store.stats()).memories !== size || raw.count() !== size) {
      await store.close();
      raw.close();
      store = null;
      raw = null;
    }
  }
  // Store and baseline take turns (chunks of 10,000 memories, then query by query), so a busy
  // machine slows both alike and the ratios stay meaningful.
  let storeMs = 0;
  let rawMs = 0;
  if (!store || !raw) {
    for (const path of [storePath, rawPath])
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
    store = SqliteMemoryStore.open(storePath);
    raw = new RawSqliteBaseline(rawPath);
    for (let i = 0; i < inputs.length; i += INGEST_CHUNK) {
      const chunk = inputs.slice(i, i + INGEST_CHUNK);
      const start = process.hrtime.bigint();
      await store.addMany(chunk);
      storeMs += elapsedMs(start);
      rawMs += raw.ingest(
        chunk.map((m) => ({ id: randomUUID(), user_id: m.user_id, memory: m.memory })),
        ADD_BATCH_SIZE,
      );
    }
  }
  const noFeedback = SqliteMemoryStore.open(storePath, { searchFeedback: false });
  const latencies: number[] = [];
  const noFeedbackLatencies: number[] = [];
  const rawLatencies: number[] = [];
  let results = 0;
  for (const q of queries.slice(0, 50)) {
    await store.search(q, { filters: { user_id: USER } }); // warm-up
    await noFeedback.search(q, { filters: { user_id: USER } });
  }
  for (const q of queries) {
    const start = process.hrtime.bigint();
    results += (await store.search(q, { filters: { user_id: USER }, limit: 10 })).length;
    latencies.push(elapsedMs(start));
    const before = process.hrtime.bigint();
    await noFeedback.search(q, { filters: { user_id: USER }, limit: 10 });
    noFeedbackLatencies.push(elapsedMs(before));
    const match = buildFtsQuery(q)?.match;
    if (match !== undefined) rawLatencies.push(raw.search(match, 10));
  }
  await store.close();
  await noFeedback.close();
  raw.close();
  // null: an earlier run's kept files were searched (`--reuse`), nothing ingested.
  const ingestPerS = storeMs > 0 ? Math.round(size / (storeMs / 1000)) : null;
  const baselineIngest = rawMs > 0 ? Math.round(size / (rawMs / 1000)) : null;

  return {
    ingest_per_s: ingestPerS,
    search_p50_ms: round3(percentile(latencies, 50)),
    search_p99_ms: round3(percentile(latencies, 99)),
    baseline_ingest_per_s: baselineIngest,
    baseline_search_p50_ms: round3(percentile(rawLatencies, 50)),
    baseline_search_p99_ms: round3(percentile(rawLatencies, 99)),
    mean_results: round3(results / queries.length),
    no_feedback_search_p50_ms: round3(percentile(noFeedbackLatencies, 50)),
    no_feedback_search_p99_ms: round3(percentile(noFeedbackLatencies, 99)),
  };
}

function report(results: Record<string, SizeResult>): string {
  const rows = Object.entries(results).map(([size, r]) => [
    fmt(Number(size)),
    r.ingest_per_s === null ? "(kept)" : fmt(r.ingest_per_s),
    r.baseline_ingest_per_s === null ? "(kept)" : fmt(r.baseline_ingest_per_s),
    r.ingest_per_s === null || r.baseline_ingest_per_s === null
      ? "-"
      : `${fmt(r.ingest_per_s / r.baseline_ingest_per_s, 2)}x`,
    fmt(r.search_p50_ms, 2),
    fmt(r.search_p99_ms, 2),
    `${fmt(r.no_feedback_search_p50_ms, 2)} / ${fmt(r.no_feedback_search_p99_ms, 2)}`,
    fmt(r.baseline_search_p50_ms, 2),
    fmt(r.baseline_search_p99_ms, 2),
    `${fmt(r.search_p50_ms / r.baseline_search_p50_ms, 2)}x`,
  ]);
  return formatTable(
    [
      "memories",
      "ingest/s",
      "raw ingest/s",
      "ingest ratio",
      "search p50 ms",
      "search p99 ms",
      "no feedback p50 / p99",
      "raw p50 ms",
      "raw p99 ms",
      "p50 ratio",
    ],
    rows,
  );
}

function corpus(size: number, queryCount: number) {
  const rng = new SeededRng(SEED + size);
  const inputs = syntheticMemories(rng, size).map((m, i) => ({
    ...m,
    user_id: i % 10 === 9 ? `other_user_${i % 9}` : USER,
    agent_id: "claude-code",
  }));
  return { inputs, queries: syntheticQueries(rng, queryCount, inputs) };
}

interface PgSizeResult {
  /** null: an earlier run's kept schema was searched (`--reuse`), nothing loaded. */
  pg_load_8_writers_per_s: number | null;
  pg_search_p50_ms: number;
  pg_search_p99_ms: number;
  pg_mean_results: number;
  sqlite_ingest_per_s: number | null;
  sqlite_search_p50_ms: number;
  sqlite_search_p99_ms: number;
  sqlite_mean_results: number;
}

interface PgRunOptions {
  json: string | undefined;
  reuse: boolean;
  searchOnly: boolean;
}

/** The SQLite store loaded with `inputs` (ingest/s), or with `reuse` the file an earlier run kept (null). */
async function loadedSqlite(
  path: string,
  inputs: AddInput[],
  reuse: boolean,
): Promise<{ store: SqliteMemoryStore; per_s: number | null }> {
  if (reuse && existsSync(path) && keptIndexCurrent(path)) {
    const kept = SqliteMemoryStore.open(path);
    if ((await kept.stats()).memories === inputs.length) return { store: kept, per_s: null };
    await kept.close();
  }
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  const store = SqliteMemoryStore.open(path);
  const start = process.hrtime.bigint();
  for (let i = 0; i < inputs.length; i += INGEST_CHUNK)
    await store.addMany(inputs.slice(i, i + INGEST_CHUNK));
  return { store, per_s: Math.round(inputs.length / (elapsedMs(start) / 1000)) };
}

async function postgresMain(sizes: number[], queryCount: number, options: PgRunOptions): Promise<void> {
  const { json, reuse, searchOnly } = options;
  const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) {
    process.stderr.write(
      "bench:store --backend postgres needs DATABASE_URL (or TEST_DATABASE_URL: `source .ci/postgres.sh` starts a throwaway server)\n",
    );
    process.exitCode = 2;
    return;
  }
  const dir = reuse ? join(tmpdir(), "bench-store-keep") : mkdtempSync(join(tmpdir(), "bench-store-pg-"));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const writerRuns: WritersResult[] = [];
  const bySize: Record<string, PgSizeResult> = {};
  try {
    const ingestSize = Math.min(100_000, Math.min(...sizes));
    const { inputs } = corpus(ingestSize, 0);
    for (const writers of searchOnly ? [] : [1, 8]) {
      process.stderr.write(`PostgreSQL: ingest ${fmt(ingestSize)} memories with ${writers} writer(s)...\n`);
      const r = await ingestWithWriters(url, inputs, writers, writers > 1 ? 0.1 : 0);
      await r.store.close();
      await r.schema.drop();
      const { schema: _s, store: _st, ...result } = r;
      writerRuns.push(result);
    }
    for (const size of sizes) {
      const { inputs: all, queries } = corpus(size, queryCount);
      process.stderr.write(`PostgreSQL: ${fmt(size)} memories (8 writers), ${queryCount} searches...\n`);
      let pgLoad: number | null;
      let pgSearch: Awaited<ReturnType<typeof searchLatency>>;
      if (reuse) {
        const kept = await keptLoadedSchema(url, `bench_keep_${SEED}_${size}`, all);
        pgLoad = kept.per_s;
        pgSearch = await searchLatency(kept.store, queries, USER);
        await kept.store.close();
      } else {
        const loaded = await ingestWithWriters(url, all, 8, 0);
        pgLoad = loaded.per_s;
        await analyzeMemories(url, loaded.schema.name);
        pgSearch = await searchLatency(loaded.store, queries, USER);
        await loaded.store.close();
        await loaded.schema.drop();
      }
      process.stderr.write(`SQLite: ${fmt(size)} memories, ${queryCount} searches...\n`);
      const sqlitePath = join(dir, `store-${SEED}-${size}.db`);
      const sqlite = await loadedSqlite(sqlitePath, all, reuse);
      const sqliteSearch = await searchLatency(sqlite.store, queries, USER);
      await sqlite.store.close();
      if (!reuse) rmSync(sqlitePath, { force: true });
      bySize[String(size)] = {
        pg_load_8_writers_per_s: pgLoad,
        pg_search_p50_ms: pgSearch.search_p50_ms,
        pg_search_p99_ms: pgSearch.search_p99_ms,
        pg_mean_results: pgSearch.mean_results,
        sqlite_ingest_per_s: sqlite.per_s,
        sqlite_search_p50_ms: sqliteSearch.search_p50_ms,
        sqlite_search_p99_ms: sqliteSearch.search_p99_ms,
        sqlite_mean_results: sqliteSearch.mean_results,
      };
    }
  } finally {
    if (!reuse) rmSync(dir, { recursive: true, force: true });
  }
  const [load1 = 0, load5 = 0] = loadavg();
  console.log(
    `\nPostgreSQL vs SQLite memory store, ${queryCount} queries per size, limit 10, seed ${SEED}, node ${process.version}; ` +
      `load average ${fmt(load1, 2)} (1 min), ${fmt(load5, 2)} (5 min) on ${availableParallelism()} cores (PostgreSQL on the same machine)\n`,
  );
  console.log(
    formatTable(
      ["writers", "memories sent", "unique", "memories/s", "created", "duplicates", "errors", "stored"],
      writerRuns.map((r) => [
        String(r.writers),
        fmt(r.sent),
        fmt(r.unique),
        fmt(r.per_s),
        fmt(r.created),
        fmt(r.duplicates),
        fmt(r.errors),
        fmt(r.stored),
      ]),
    ),
  );
  console.log("");
  console.log(
    formatTable(
      [
        "memories",
        "pg load/s (8 writers)",
        "pg p50 ms",
        "pg p99 ms",
        "sqlite ingest/s",
        "sqlite p50 ms",
        "sqlite p99 ms",
        "p50 ratio pg/sqlite",
      ],
      Object.entries(bySize).map(([size, r]) => [
        fmt(Number(size)),
        r.pg_load_8_writers_per_s === null ? "(kept)" : fmt(r.pg_load_8_writers_per_s),
        fmt(r.pg_search_p50_ms, 2),
        fmt(r.pg_search_p99_ms, 2),
        r.sqlite_ingest_per_s === null ? "(kept)" : fmt(r.sqlite_ingest_per_s),
        fmt(r.sqlite_search_p50_ms, 2),
        fmt(r.sqlite_search_p99_ms, 2),
        `${fmt(r.pg_search_p50_ms / r.sqlite_search_p50_ms, 2)}x`,
      ]),
    ),
  );
  const largestSize = Math.max(...sizes);
  const largest = bySize[String(largestSize)];
  const eight = writerRuns.find((r) => r.writers === 8);
  const ok = (pass: boolean) => (pass ? "met" : "MISSED");
  if (largest)
    console.log(
      `\ntargets (PostgreSQL at ${fmt(largestSize)}): search p50 < ${PG_TARGETS.search_p50_ms} ms ${ok(largest.pg_search_p50_ms < PG_TARGETS.search_p50_ms)}, ` +
        `p99 < ${PG_TARGETS.search_p99_ms} ms ${ok(largest.pg_search_p99_ms < PG_TARGETS.search_p99_ms)}; ` +
        (eight
          ? `8 writers >= ${fmt(PG_TARGETS.writers8_per_s)}/s ${ok(eight.per_s >= PG_TARGETS.writers8_per_s)}, ` +
            `no duplicate ${ok(eight.stored === eight.unique)}, no error ${ok(eight.errors === 0)}`
          : "8 writers not measured (--search-only)"),
    );
  if (json) {
    writeFileSync(json, `${JSON.stringify({ writers: writerRuns, sizes: bySize }, null, 2)}\n`);
    console.log(`wrote ${json}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      sizes: { type: "string" },
      queries: { type: "string", default: "1000" },
      backend: { type: "string", default: "sqlite" },
      reuse: { type: "boolean", default: false },
      "search-only": { type: "boolean", default: false },
    },
  });
  if (values.backend !== "sqlite" && values.backend !== "postgres") {
    process.stderr.write(`--backend "${values.backend}" is not accepted: use sqlite or postgres\n`);
    process.exitCode = 2;
    return;
  }
  if (values.backend === "postgres") {
    const sizes = (values.sizes ?? "100000,1000000").split(",").map(Number);
    await postgresMain(sizes, Number(values.queries), {
      json: values.json,
      reuse: values.reuse,
      searchOnly: values["search-only"],
    });
    return;
  }
  const sizes = (values.sizes ?? "10000,100000").split(",").map(Number);
  const queryCount = Number(values.queries);
  const dir = values.reuse ? join(tmpdir(), "bench-store-keep") : mkdtempSync(join(tmpdir(), "bench-store-"));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const results: Record<string, SizeResult> = {};
  try {
    for (const size of sizes) {
      process.stderr.write(`measuring ${fmt(size)} memories...\n`);
      results[String(size)] = await measure(size, queryCount, dir, values.reuse);
    }
  } finally {
    if (!values.reuse) rmSync(dir, { recursive: true, force: true });
  }
  const [load1 = 0, load5 = 0] = loadavg();
  console.log(
    `\nSQLite memory store, ${queryCount} queries per size, limit 10, seed ${SEED}, node ${process.version}; ` +
      `load average ${fmt(load1, 2)} (1 min), ${fmt(load5, 2)} (5 min) on ${availableParallelism()} cores\n`,
  );
  console.log(report(results));
  const largest = results[String(Math.max(...sizes))];
  if (largest) {
    const ok = (pass: boolean) => (pass ? "met" : "MISSED");
    console.log(
      `\ntargets at ${fmt(Math.max(...sizes))}: search p50 < ${TARGETS.search_p50_ms} ms ${ok(largest.search_p50_ms < TARGETS.search_p50_ms)}, ` +
        `p99 < ${TARGETS.search_p99_ms} ms ${ok(largest.search_p99_ms < TARGETS.search_p99_ms)}, ` +
        (largest.ingest_per_s === null
          ? "ingest not measured (--reuse: kept files)"
          : `ingest >= ${fmt(TARGETS.ingest_per_s)}/s ${ok(largest.ingest_per_s >= TARGETS.ingest_per_s)}`),
    );
  }
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

await main();
