/**
 * `npm run bench:startup [-- --runs 15] [--size 100000] [--cpu] [--compare CLI] [--json PATH]`
 *
 * Start-up time of each command as a whole process (spawn to exit, or for
 * `mcp` spawn to the answer to `initialize`), next to `node -e 0` measured in
 * the same run: the p50 of each, and the ratio to Node's own start. The
 * commands that read memories run on a store of `--size` memories. Runs are
 * interleaved (every case once per round, the order rotating) so that the
 * machine's load hits all cases alike.
 *
 * `--cpu` runs every process (the baseline too) under `perf stat -e task-clock`
 * and adds the p50 of its CPU time (all threads, to its exit: for `mcp` also the
 * shutdown after `initialize`) and that ratio. CPU time depends less than wall
 * time on what else the machine runs; perf's own start adds to every wall time.
 *
 * `--compare path/to/dist/cli/main.js` (another build, e.g. of an older commit
 * in a git worktree) adds each command of that build as a case of its own,
 * interleaved in the same rounds: a before/after under the same load.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  run: () => Promise<Sample>;
}

interface Sample {
  wallMs: number;
  /** CPU time of the process (perf stat's task-clock), with --cpu. */
  cpuMs: number | null;
}

/** With --cpu: the folder for perf's outputs; every process then runs under `perf stat`. */
let perfDir: string | null = null;
let perfRuns = 0;

/** Spawns `node args` (under perf with --cpu); `cpu()` reads its CPU time once it has exited. */
function spawnNode(args: string[], env: NodeJS.ProcessEnv, stdio: ("ignore" | "pipe")[]) {
  if (!perfDir) return { child: spawn(process.execPath, args, { env, stdio }), cpu: () => null };
  const out = join(perfDir, `${perfRuns++}.csv`);
  const child = spawn("perf", ["stat", "-x,", "-e", "task-clock", "-o", out, process.execPath, ...args], {
    env,
    stdio,
  });
  const cpu = () => {
    const line = readFileSync(out, "utf8")
      .split("\n")
      .find((l) => l.includes("task-clock"));
    const ms = Number(line?.split(",")[0]);
    if (!Number.isFinite(ms)) throw new Error(`perf stat gave no task-clock: ${line}`);
    return ms;
  };
  return { child, cpu };
}

function settle(
  resolve: (s: Sample) => void,
  reject: (e: unknown) => void,
  wallMs: number,
  cpu: () => number | null,
): void {
  try {
    resolve({ wallMs, cpuMs: cpu() });
  } catch (e) {
    reject(e);
  }
}

/** Runs a process to its end; resolves with its times. Fails on a non-zero exit. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const { child, cpu } = spawnNode(args, env, ["ignore", "ignore", "pipe"]);
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = elapsedMs(start);
      if (code === 0) settle(resolvePromise, reject, ms, cpu);
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
function timeMcpInitialize(cliPath: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const { child, cpu } = spawnNode([cliPath, "mcp"], env, ["pipe", "pipe", "pipe"]);
    let out = "";
    let stderr = "";
    let ms: number | null = null;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (ms === null && out.includes('"id":1')) {
        ms = elapsedMs(start);
        child.stdin!.end();
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", () => {
      if (ms !== null) settle(resolvePromise, reject, ms, cpu);
      else reject(new Error(`mcp did not answer initialize: ${stderr.slice(0, 500)}`));
    });
    child.stdin!.write(INITIALIZE);
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
      cpu: { type: "boolean", default: false },
      compare: { type: "string" },
      runs: { type: "string", default: "15" },
      size: { type: "string", default: "100000" },
    },
  });
  const runs = Math.max(10, Number(values.runs));
  const size = Number(values.size);
  const dir = mkdtempSync(join(tmpdir(), "bench-startup-"));
  try {
    if (values.cpu) perfDir = mkdtempSync(join(tmpdir(), "bench-startup-perf-"));
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
    const commands = (cliPath: string, label: string, targets: boolean): Case[] => {
      const cli =
        (...args: string[]) =>
        () =>
          timeProcess([cliPath, ...args], env);
      const t = (n: number) => (targets ? n : undefined);
      return [
        { name: `--version${label}`, target: t(1.5), run: cli("--version") },
        { name: `--help${label}`, target: t(1.5), run: cli("--help") },
        { name: `search (${fmt(size)})${label}`, target: t(2.5), run: cli("search", query) },
        { name: `list (${fmt(size)})${label}`, target: t(2.5), run: cli("list") },
        { name: `show (${fmt(size)})${label}`, target: t(2.5), run: cli("show", id) },
        { name: `status${label}`, target: t(2.5), run: cli("status") },
        { name: `mcp → initialize${label}`, target: t(3), run: () => timeMcpInitialize(cliPath, env) },
      ].map(({ target, ...c }) => (target === undefined ? c : { ...c, target }));
    };
    const cases: Case[] = [
      { name: "node -e 0", run: () => timeProcess(["-e", "0"], env) },
      ...commands(CLI, "", true),
      ...(values.compare ? commands(resolve(values.compare), " (compare)", false) : []),
    ];
    for (const c of cases) await c.run(); // warm-up: disk cache, store pages
    const samples = cases.map(() => [] as Sample[]);
    for (let round = 0; round < runs; round++) {
      process.stderr.write(`\rround ${round + 1}/${runs}`);
      for (let k = 0; k < cases.length; k++) {
        const i = (k + round) % cases.length;
        samples[i]?.push(await (cases[i] as Case).run());
      }
    }
    process.stderr.write("\n");
    const p50 = samples.map((s) =>
      percentile(
        s.map((x) => x.wallMs),
        50,
      ),
    );
    const cpu50 = samples.map((s) =>
      values.cpu
        ? percentile(
            s.map((x) => x.cpuMs ?? Number.NaN),
            50,
          )
        : Number.NaN,
    );
    const node = p50[0] ?? Number.NaN;
    const nodeCpu = cpu50[0] ?? Number.NaN;
    const results = cases.map((c, i) => ({
      name: c.name,
      p50_ms: round3(p50[i] ?? Number.NaN),
      ratio: round3((p50[i] ?? Number.NaN) / node),
      cpu_p50_ms: values.cpu ? round3(cpu50[i] ?? Number.NaN) : null,
      cpu_ratio: values.cpu ? round3((cpu50[i] ?? Number.NaN) / nodeCpu) : null,
      target: c.target ?? null,
      ok: c.target === undefined || values.cpu ? null : (p50[i] ?? Number.NaN) / node <= c.target,
    }));
    const [load1 = 0, load5 = 0] = loadavg();
    console.log(
      `\nCommand start-up, whole process, p50 of ${runs} interleaved runs, node ${process.version}; ` +
        `load average ${fmt(load1, 2)} (1 min), ${fmt(load5, 2)} (5 min) on ${availableParallelism()} cores\n`,
    );
    const cpuColumns = (r: (typeof results)[number]) =>
      values.cpu ? [fmt(r.cpu_p50_ms ?? Number.NaN, 1), fmt(r.cpu_ratio ?? Number.NaN, 2)] : [];
    console.log(
      formatTable(
        [
          "command",
          "p50 ms",
          "× node -e 0",
          ...(values.cpu ? ["CPU p50 ms", "CPU × node -e 0"] : []),
          "target",
          "",
        ],
        results.map((r) => [
          r.name,
          fmt(r.p50_ms, 1),
          fmt(r.ratio, 2),
          ...cpuColumns(r),
          r.target === null ? "" : `≤ ${r.target}×`,
          r.ok === null ? "" : r.ok ? "ok" : "MISSED",
        ]),
      ),
    );
    if (values.cpu) {
      console.log(
        "\n(wall times under perf stat, whose own start adds to each: judge the targets by a run without --cpu)",
      );
    }
    if (values.json) writeFileSync(values.json, `${JSON.stringify({ runs, size, results }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (perfDir) rmSync(perfDir, { recursive: true, force: true });
  }
}

await main();
