/**
 * `npm run bench:startup [-- --runs 15] [--size 100000] [--json PATH]`
 *
 * Start-up time of each command as a whole process (spawn to exit, or for
 * `mcp` spawn to the answer to `initialize`), next to `node -e 0` measured in
 * the same run: the p50 of each, and the ratio to Node's own start. The
 * commands that read memories run on a store of `--size` memories. Runs are
 * interleaved (every case once per round, the order rotating) so that the
 * machine's load hits all cases alike.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { elapsedMs, percentile, round3 } from "./lib/percentile.js";
import { SeededRng } from "./lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "./lib/synthetic-memories.js";
import { fmt, formatTable } from "./lib/table.js";

const SEED = 20_240_601;
const USER = "bench_user";
const CLI = resolve(import.meta.dirname, "..", "..", "dist", "cli", "main.js");

interface Case {
  name: string;
  /** Target ratio to `node -e 0` (p50 / p50); none for the baseline. */
  target?: number;
  run: () => Promise<number>;
}

/** Runs a process to its end; resolves with the wall time in ms. Fails on a non-zero exit. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = elapsedMs(start);
      if (code === 0) resolvePromise(ms);
      else reject(new Error(`${args.slice(1).join(" ")} exited ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "bench-startup", version: "1.0.0" },
  },
})}\n`;

/** Spawns `mcp`, sends `initialize` at once, and resolves with the time to its answer. */
function timeMcpInitialize(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, "mcp"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let stderr = "";
    let ms: number | null = null;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (ms === null && out.includes('"id":1')) {
        ms = elapsedMs(start);
        child.stdin.end();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", () => {
      if (ms !== null) resolvePromise(ms);
      else reject(new Error(`mcp did not answer initialize: ${stderr.slice(0, 500)}`));
    });
    child.stdin.write(INITIALIZE);
  });
}

async function seedStore(dir: string, size: number): Promise<{ query: string; id: string }> {
  const rng = new SeededRng(SEED + size);
  const inputs = syntheticMemories(rng, size).map((m) => ({ ...m, user_id: USER, agent_id: "claude-code" }));
  const query = syntheticQueries(rng, 1, inputs)[0] ?? "pnpm";
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  let id = "";
  try {
    for (let i = 0; i < inputs.length; i += 10_000) {
      const results = await store.addMany(inputs.slice(i, i + 10_000));
      id ||= results[0]?.memory?.id ?? "";
    }
  } finally {
    await store.close();
  }
  return { query, id };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      runs: { type: "string", default: "15" },
      size: { type: "string", default: "100000" },
    },
  });
  const runs = Math.max(10, Number(values.runs));
  const size = Number(values.size);
  const dir = mkdtempSync(join(tmpdir(), "bench-startup-"));
  try {
    process.stderr.write(`seeding ${fmt(size)} memories...\n`);
    const { query, id } = await seedStore(dir, size);
    // A clean environment, as a hook or script would run the command; the proxy port is closed.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      MEMORY_DATA_DIR: dir,
      DEFAULT_USER_ID: USER,
      MITM_PORT: "9",
    };
    const cli =
      (...args: string[]) =>
      () =>
        timeProcess([CLI, ...args], env);
    const cases: Case[] = [
      { name: "node -e 0", run: () => timeProcess(["-e", "0"], env) },
      { name: "--version", target: 1.5, run: cli("--version") },
      { name: "--help", target: 1.5, run: cli("--help") },
      { name: `search (${fmt(size)})`, target: 2.5, run: cli("search", query) },
      { name: `list (${fmt(size)})`, target: 2.5, run: cli("list") },
      { name: `show (${fmt(size)})`, target: 2.5, run: cli("show", id) },
      { name: "status", target: 2.5, run: cli("status") },
      { name: "mcp → initialize", target: 3, run: () => timeMcpInitialize(env) },
    ];
    for (const c of cases) await c.run(); // warm-up: disk cache, store pages
    const samples = cases.map(() => [] as number[]);
    for (let round = 0; round < runs; round++) {
      process.stderr.write(`\rround ${round + 1}/${runs}`);
      for (let k = 0; k < cases.length; k++) {
        const i = (k + round) % cases.length;
        samples[i]?.push(await (cases[i] as Case).run());
      }
    }
    process.stderr.write("\n");
    const p50 = samples.map((s) => percentile(s, 50));
    const node = p50[0] ?? Number.NaN;
    const results = cases.map((c, i) => ({
      name: c.name,
      p50_ms: round3(p50[i] ?? Number.NaN),
      ratio: round3((p50[i] ?? Number.NaN) / node),
      target: c.target ?? null,
      ok: c.target === undefined ? null : (p50[i] ?? Number.NaN) / node <= c.target,
    }));
    const [load1 = 0, load5 = 0] = loadavg();
    console.log(
      `\nCommand start-up, whole process, p50 of ${runs} interleaved runs, node ${process.version}; ` +
        `load average ${fmt(load1, 2)} (1 min), ${fmt(load5, 2)} (5 min) on ${availableParallelism()} cores\n`,
    );
    console.log(
      formatTable(
        ["command", "p50 ms", "× node -e 0", "target", ""],
        results.map((r) => [
          r.name,
          fmt(r.p50_ms, 1),
          r.target === null ? "1.00" : fmt(r.ratio, 2),
          r.target === null ? "" : `≤ ${r.target}×`,
          r.ok === null ? "" : r.ok ? "ok" : "MISSED",
        ]),
      ),
    );
    if (values.json) writeFileSync(values.json, `${JSON.stringify({ runs, size, results }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
