/**
 * `npm run bench:store [-- --json PATH] [--sizes 10000,100000] [--queries 1000]`
 *
 * Ingest rate (addMany, batches of 1000) and search latency (p50/p99 over the
 * queries) of the SQLite memory store at each size, next to a raw better-sqlite3
 * + FTS5 baseline measured in the same run on the same data.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildFtsQuery } from "../src/core/search/fts-query.js";
import { ADD_BATCH_SIZE, SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { elapsedMs, percentile, round3 } from "./lib/percentile.js";
import { RawSqliteBaseline } from "./lib/raw-sqlite-baseline.js";
import { SeededRng } from "./lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "./lib/synthetic-memories.js";
import { fmt, formatTable } from "./lib/table.js";

const SEED = 20_240_601;
const INGEST_CHUNK = 10_000;
const USER = "bench_user";
const TARGETS = { search_p50_ms: 5, search_p99_ms: 25, ingest_per_s: 5000 };

interface SizeResult {
  ingest_per_s: number;
  search_p50_ms: number;
  search_p99_ms: number;
  baseline_ingest_per_s: number;
  baseline_search_p50_ms: number;
  baseline_search_p99_ms: number;
  mean_results: number;
}

async function measure(size: number, queryCount: number, dir: string): Promise<SizeResult> {
  const rng = new SeededRng(SEED + size);
  // 90% of memories belong to the searched user, the rest to nine others (so user filtering is real).
  const inputs = syntheticMemories(rng, size).map((m, i) => ({
    ...m,
    user_id: i % 10 === 9 ? `other_user_${i % 9}` : USER,
    agent_id: "claude-code",
  }));
  const queries = syntheticQueries(rng, queryCount, inputs);

  const store = SqliteMemoryStore.open(join(dir, `store-${size}.db`));
  const raw = new RawSqliteBaseline(join(dir, `raw-${size}.db`));
  // Store and baseline take turns (chunks of 10,000 memories, then query by query), so a busy
  // machine slows both alike and the ratios stay meaningful.
  let storeMs = 0;
  let rawMs = 0;
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
  const latencies: number[] = [];
  const rawLatencies: number[] = [];
  let results = 0;
  for (const q of queries.slice(0, 50)) await store.search(q, { filters: { user_id: USER } }); // warm-up
  for (const q of queries) {
    const start = process.hrtime.bigint();
    results += (await store.search(q, { filters: { user_id: USER }, limit: 10 })).length;
    latencies.push(elapsedMs(start));
    const match = buildFtsQuery(q)?.match;
    if (match !== undefined) rawLatencies.push(raw.search(match, 10));
  }
  await store.close();
  raw.close();
  const ingestPerS = size / (storeMs / 1000);
  const baselineIngest = size / (rawMs / 1000);

  return {
    ingest_per_s: Math.round(ingestPerS),
    search_p50_ms: round3(percentile(latencies, 50)),
    search_p99_ms: round3(percentile(latencies, 99)),
    baseline_ingest_per_s: Math.round(baselineIngest),
    baseline_search_p50_ms: round3(percentile(rawLatencies, 50)),
    baseline_search_p99_ms: round3(percentile(rawLatencies, 99)),
    mean_results: round3(results / queries.length),
  };
}

function report(results: Record<string, SizeResult>): string {
  const rows = Object.entries(results).map(([size, r]) => [
    fmt(Number(size)),
    fmt(r.ingest_per_s),
    fmt(r.baseline_ingest_per_s),
    `${fmt(r.ingest_per_s / r.baseline_ingest_per_s, 2)}x`,
    fmt(r.search_p50_ms, 2),
    fmt(r.search_p99_ms, 2),
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
      "raw p50 ms",
      "raw p99 ms",
      "p50 ratio",
    ],
    rows,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      sizes: { type: "string", default: "10000,100000" },
      queries: { type: "string", default: "1000" },
    },
  });
  const sizes = values.sizes.split(",").map(Number);
  const queryCount = Number(values.queries);
  const dir = mkdtempSync(join(tmpdir(), "bench-store-"));
  const results: Record<string, SizeResult> = {};
  try {
    for (const size of sizes) {
      process.stderr.write(`measuring ${fmt(size)} memories...\n`);
      results[String(size)] = await measure(size, queryCount, dir);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
        `ingest >= ${fmt(TARGETS.ingest_per_s)}/s ${ok(largest.ingest_per_s >= TARGETS.ingest_per_s)}`,
    );
  }
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

await main();
