/**
 * `npm run bench:mcp [-- --sizes 10000,100000] [--queries 1000] [--json PATH] [--cli dist/cli/main.js]`
 *
 * Round-trip latency of the `search_memories` MCP tool over real stdio (the
 * built binary spawned as `claude mcp add` would) at each size, next to two
 * baselines measured in the same run on the same database: `store.search`
 * called in-process (the floor), and the same MCP server in-process over the
 * SDK's in-memory transport (protocol cost without the pipe and process hop).
 * A fourth path, `store.search` through the audit wrapper (one audit line per
 * search, as every entry point writes), gives the audit's cost as a ratio to
 * the same search without it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { validateConfig } from "../src/core/config.js";
import { silentLogger } from "../src/core/logger.js";
import { createMcpServer } from "../src/mcp/server.js";
import { AuditLog } from "../src/store/audit-log.js";
import { AuditedMemoryStore } from "../src/store/audited-store.js";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { elapsedMs, percentile } from "./lib/percentile.js";
import { SeededRng } from "./lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "./lib/synthetic-memories.js";
import { fmt, formatTable } from "./lib/table.js";

const SEED = 20_240_601;
const USER = "bench_user";
const TARGET_STDIO_P50_MS = 10;
const WARM_UP = 50;

interface Latency {
  p50_ms: number;
  p99_ms: number;
}

interface SizeResult {
  direct: Latency;
  /** `store.search` with its audit line written (the AuditedMemoryStore every entry point uses). */
  audited: Latency;
  in_memory_mcp: Latency;
  stdio_mcp: Latency;
  mean_results: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const summary = (samples: number[]): Latency => ({
  p50_ms: round(percentile(samples, 50)),
  p99_ms: round(percentile(samples, 99)),
});

type Runner = (query: string) => Promise<number>;

/**
 * Times every runner on every query, interleaved (query by query, rotating
 * which goes first) so that drift in the machine's load or caches hits all
 * paths alike. Returns the samples per runner and their result counts.
 */
async function timedInterleaved(
  queries: string[],
  runners: Runner[],
): Promise<{ ms: number[]; results: number }[]> {
  for (const q of queries.slice(0, WARM_UP)) for (const run of runners) await run(q);
  const out = runners.map(() => ({ ms: [] as number[], results: 0 }));
  for (const [i, q] of queries.entries()) {
    for (let k = 0; k < runners.length; k++) {
      const j = (i + k) % runners.length;
      const start = process.hrtime.bigint();
      const n = await runners[j]!(q);
      out[j]!.ms.push(elapsedMs(start));
      out[j]!.results += n;
    }
  }
  return out;
}

function searchVia(client: Client) {
  return async (query: string) => {
    const result = (await client.callTool({
      name: "search_memories",
      arguments: { query, limit: 10 },
    })) as CallToolResult;
    if (result.isError) throw new Error(`search_memories failed: ${JSON.stringify(result.content)}`);
    return ((result.structuredContent as { results: unknown[] }).results ?? []).length;
  };
}

async function measure(size: number, queryCount: number, root: string, cli: string): Promise<SizeResult> {
  const dir = join(root, `size-${size}`);
  const rng = new SeededRng(SEED + size);
  const inputs = syntheticMemories(rng, size).map((m, i) => ({
    ...m,
    user_id: i % 10 === 9 ? `other_user_${i % 9}` : USER,
    agent_id: "claude-code",
  }));
  const queries = syntheticQueries(rng, queryCount, inputs);
  const config = validateConfig({ MEMORY_DATA_DIR: dir, DEFAULT_USER_ID: USER }, dir);

  const seeding = SqliteMemoryStore.open(join(dir, "memories.db"));
  await seeding.addMany(inputs);
  await seeding.close();
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));

  // Baseline 2: the same MCP server in-process over the in-memory transport.
  const server = createMcpServer({ store, config, logger: silentLogger });
  const memClient = new Client({ name: "bench", version: "0" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await memClient.connect(a);

  // The measured path: the built binary over stdio, a separate process on the same file.
  const stdioClient = new Client({ name: "bench", version: "0" });
  await stdioClient.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cli, "mcp", "--data-dir", dir],
      env: { DEFAULT_USER_ID: USER, LOG_LEVEL: "warn", HOME: dir },
      cwd: dir,
      stderr: "inherit",
    }),
  );

  // Baseline 1 (the floor): the store itself, in-process.
  const directSearch: Runner = async (q) =>
    (await store.search(q, { filters: { user_id: USER }, limit: 10 })).length;
  // The same search with its audit line (audit.jsonl in a directory of its own, not the stdio server's).
  const auditDir = join(dir, "audit-bench");
  mkdirSync(auditDir);
  const audited = new AuditedMemoryStore(store, new AuditLog(auditDir), { entry: "mcp" });
  const auditedSearch: Runner = async (q) =>
    (await audited.search(q, { filters: { user_id: USER }, limit: 10 })).length;
  const [direct, inMemory, stdio, withAudit] = await timedInterleaved(queries, [
    directSearch,
    searchVia(memClient),
    searchVia(stdioClient),
    auditedSearch,
  ]);
  await stdioClient.close();
  await memClient.close();
  await server.close();
  await store.close();

  if (!direct || !inMemory || !stdio || !withAudit) throw new Error("missing measurements");
  if (withAudit.results !== direct.results) throw new Error("the audited search returned other results");
  if (direct.results !== stdio.results || direct.results !== inMemory.results) {
    throw new Error(
      `result counts differ: direct ${direct.results}, in-memory ${inMemory.results}, stdio ${stdio.results}`,
    );
  }
  return {
    direct: summary(direct.ms),
    audited: summary(withAudit.ms),
    in_memory_mcp: summary(inMemory.ms),
    stdio_mcp: summary(stdio.ms),
    mean_results: round(direct.results / queries.length),
  };
}

const signed = (n: number) => `${n >= 0 ? "+" : "−"}${fmt(Math.abs(n), 2)}`;

function report(results: Record<string, SizeResult>): string {
  const rows = Object.entries(results).map(([size, r]) => [
    fmt(Number(size)),
    fmt(r.direct.p50_ms, 2),
    fmt(r.direct.p99_ms, 2),
    fmt(r.in_memory_mcp.p50_ms, 2),
    fmt(r.in_memory_mcp.p99_ms, 2),
    fmt(r.stdio_mcp.p50_ms, 2),
    fmt(r.stdio_mcp.p99_ms, 2),
    `${fmt(r.stdio_mcp.p50_ms / r.direct.p50_ms, 2)}x`,
    signed(r.stdio_mcp.p50_ms - r.direct.p50_ms),
    fmt(r.audited.p50_ms, 2),
    `${fmt(r.audited.p50_ms / r.direct.p50_ms, 2)}x`,
    `${fmt(r.audited.p99_ms / r.direct.p99_ms, 2)}x`,
  ]);
  return formatTable(
    [
      "memories",
      "store p50",
      "store p99",
      "in-mem MCP p50",
      "in-mem MCP p99",
      "stdio MCP p50",
      "stdio MCP p99",
      "stdio/store p50",
      "stdio − store p50",
      "audited p50",
      "audited/store p50",
      "audited/store p99",
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
      cli: { type: "string", default: join(process.cwd(), "dist", "cli", "main.js") },
    },
  });
  const sizes = values.sizes.split(",").map(Number);
  const queryCount = Number(values.queries);
  const root = mkdtempSync(join(tmpdir(), "bench-mcp-"));
  const results: Record<string, SizeResult> = {};
  try {
    for (const size of sizes) {
      process.stderr.write(`measuring ${fmt(size)} memories...\n`);
      results[String(size)] = await measure(size, queryCount, root, resolve(values.cli));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `\nsearch_memories round trip (ms), ${queryCount} queries per size, limit 10, seed ${SEED}, node ${process.version}\n`,
  );
  console.log(report(results));
  const largestSize = Math.max(...sizes);
  const largest = results[String(largestSize)];
  if (largest) {
    const met = largest.stdio_mcp.p50_ms < TARGET_STDIO_P50_MS;
    console.log(
      `\ntarget at ${fmt(largestSize)}: stdio p50 < ${TARGET_STDIO_P50_MS} ms ${met ? "met" : "MISSED"} (${fmt(largest.stdio_mcp.p50_ms, 2)} ms)`,
    );
  }
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

await main();
