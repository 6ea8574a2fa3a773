/**
 * `npm run bench:hooks [-- --runs 100] [--sizes 10000,100000] [--json PATH]`
 *
 * The hook command end to end, as Claude Code runs it: a new process, the
 * event's JSON on stdin, the answer read to the end. `hook UserPromptSubmit`
 * (a different prompt each run, searched on the whole store) and `hook
 * SessionStart` at each store size, two ways: standalone (no proxy runs on
 * that data directory: the hook answers in-process) and via the running
 * proxy (a real `start` on a copy of the same store answers over
 * `recall.sock`), next to `node -e 0` measured in the same run. Before every
 * hook run one memory is added to its store, as capture stores an episode
 * after each turn, so the proxy's handle is opened again every time, as in
 * real use. Runs are interleaved (every case once per round, the order
 * rotating) so that the machine's load hits all cases alike. Targets: p50 <
 * 100 ms and p99 < 250 ms at 100k memories, process start included.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SqliteMemoryStore } from "../src/store/sqlite/sqlite-store.js";
import { elapsedMs, percentile, round3 } from "./lib/percentile.js";
import { proxyNodeFlags } from "./lib/proxy-node-flags.js";
import { SeededRng } from "./lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "./lib/synthetic-memories.js";
import { fmt, formatTable } from "./lib/table.js";

const SEED = 20_241_203;
const USER = "bench_user";
const CLI = resolve(import.meta.dirname, "..", "..", "dist", "cli", "main.js");

/**
 * Runs a process with `input` on stdin to its end; resolves with the wall time
 * in ms, its stdout and stderr. A non-zero exit, or stderr unless `stderrOk`,
 * is an error.
 */
function timeProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  input: string,
  stderrOk = false,
): Promise<{ ms: number; out: string; err: string }> {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = elapsedMs(start);
      if (code === 0 && (stderrOk || stderr === "")) resolvePromise({ ms, out, err: stderr });
      else reject(new Error(`${args.slice(1).join(" ")} exited ${code}: ${stderr.slice(0, 500)}`));
    });
    child.stdin.end(input);
  });
}

interface Seeded {
  dir: string;
  queries: string[];
  projects: string[];
}

/** A store of `size` memories: synthetic notes, and every tenth an episode of its project. */
async function seedStore(size: number): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), `bench-hooks-${size}-`));
  const rng = new SeededRng(SEED + size);
  const memories = syntheticMemories(rng, size);
  const inputs = memories.map((m, i) =>
    i % 10 === 0
      ? {
          ...m,
          user_id: USER,
          memory: `User: ${m.memory}\nAssistant: Done: ${m.memory.slice(0, 120)}\nTrace:\n- Read src/index.ts`,
          metadata: { ...m.metadata, kind: "episode", complete: true },
          categories: ["conversation"],
        }
      : { ...m, user_id: USER },
  );
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  try {
    for (let i = 0; i < inputs.length; i += 10_000) await store.addMany(inputs.slice(i, i + 10_000));
  } finally {
    await store.close();
  }
  const queries = syntheticQueries(rng, 200, memories);
  return { dir, queries, projects: [...new Set(memories.map((m) => m.app_id))] };
}

/** A copy of a seeded data directory (the store alone), for the standalone runs. */
function copyStore(s: Seeded): Seeded {
  const dir = mkdtempSync(join(tmpdir(), "bench-hooks-copy-"));
  copyFileSync(join(s.dir, "memories.db"), join(dir, "memories.db"));
  return { ...s, dir };
}

/**
 * `start --port 0 --no-ui` on `dir`, with `start`'s node flags (proxyNodeFlags()); resolves
 * once it listens and its hook socket is there.
 */
function startProxy(dir: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...proxyNodeFlags(), CLI, "start", "--port", "0", "--no-ui"], {
      env: { ...env, UPSTREAM_URL: "http://127.0.0.1:9", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("export NO_PROXY=")) {
        if (existsSync(join(dir, "recall.sock"))) resolvePromise(child);
        else reject(new Error(`the proxy on ${dir} does not answer hooks:\n${err}`));
      }
    });
    child.on("exit", (code) => reject(new Error(`start exited (${code}) before listening:\n${err}`)));
  });
}

/** A process's resident set now and at its peak (Linux /proc), MB; NaN elsewhere. */
function rssOf(pid: number | undefined): { nowMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const mb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
    return { nowMb: mb("VmRSS"), peakMb: mb("VmHWM") };
  } catch {
    return { nowMb: Number.NaN, peakMb: Number.NaN };
  }
}

interface Case {
  name: string;
  hook: boolean;
  /** The runs answered by the proxy (via-proxy cases), counted from --debug's stderr. */
  viaProxy: boolean;
  run: (round: number) => Promise<{ ms: number; out: string; err: string }>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "string" },
      runs: { type: "string", default: "100" },
      sizes: { type: "string", default: "10000,100000" },
    },
  });
  const runs = Math.max(20, Number(values.runs));
  const sizes = (values.sizes ?? "").split(",").map(Number);
  const seeded: Seeded[] = [];
  const copies: Seeded[] = [];
  const proxies: ChildProcess[] = [];
  const writers: SqliteMemoryStore[] = [];
  try {
    for (const size of sizes) {
      process.stderr.write(`seeding ${fmt(size)} memories...\n`);
      const s = await seedStore(size);
      seeded.push(s);
      copies.push(copyStore(s));
    }
    const envFor = (dir: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH ?? "",
      HOME: dir,
      MEMORY_DATA_DIR: dir,
      DEFAULT_USER_ID: USER,
    });
    for (const s of seeded) proxies.push(await startProxy(s.dir, envFor(s.dir)));
    const cases: Case[] = [
      {
        name: "node -e 0",
        hook: false,
        viaProxy: false,
        run: () => timeProcess(["-e", "0"], envFor(tmpdir()), ""),
      },
    ];
    /** One memory more, as capture adds an episode after each turn (not timed). */
    const writerFor = (dir: string) => {
      const w = SqliteMemoryStore.open(join(dir, "memories.db"));
      writers.push(w);
      let n = 0;
      return () =>
        w.add({
          user_id: USER,
          app_id: "bench-writes",
          memory: `User: bench turn ${++n}\nAssistant: noted turn ${n}`,
          metadata: { kind: "episode", complete: true },
        });
    };
    const hookCases = (size: number, s: Seeded, via: boolean) => {
      const env = envFor(s.dir);
      const write = writerFor(s.dir);
      const suffix = via ? `${fmt(size)}, via the running proxy` : fmt(size);
      // --debug on the proxied runs: a run the proxy did not answer says so on stderr.
      const args = (event: string) => (via ? [CLI, "hook", event, "--debug"] : [CLI, "hook", event]);
      const timed = async (event: string, input: Record<string, unknown>) => {
        await write();
        return timeProcess(args(event), env, JSON.stringify(input), via);
      };
      cases.push({
        name: `UserPromptSubmit (${suffix})`,
        hook: true,
        viaProxy: via,
        run: (round) =>
          timed("UserPromptSubmit", {
            session_id: `bench-session-${round}`,
            transcript_path: `/tmp/bench/${round}.jsonl`,
            cwd: s.projects[round % s.projects.length],
            hook_event_name: "UserPromptSubmit",
            permission_mode: "default",
            prompt: s.queries[round % s.queries.length],
          }),
      });
      cases.push({
        name: `SessionStart (${suffix})`,
        hook: true,
        viaProxy: via,
        run: (round) =>
          timed("SessionStart", {
            session_id: `bench-start-${round}`,
            transcript_path: `/tmp/bench/${round}.jsonl`,
            cwd: s.projects[round % s.projects.length],
            hook_event_name: "SessionStart",
            source: "startup",
          }),
      });
    };
    sizes.forEach((size, k) => {
      hookCases(size, copies[k] as Seeded, false);
      hookCases(size, seeded[k] as Seeded, true);
    });
    for (const c of cases) await c.run(0); // warm-up: disk cache, store pages
    const samples = cases.map(() => [] as number[]);
    const answered = cases.map(() => 0);
    const served = cases.map(() => 0);
    for (let round = 0; round < runs; round++) {
      process.stderr.write(`\rround ${round + 1}/${runs}`);
      for (let k = 0; k < cases.length; k++) {
        const i = (k + round) % cases.length;
        const r = await (cases[i] as Case).run(round + 1);
        samples[i]?.push(r.ms);
        if (r.out.includes('"additionalContext"')) answered[i] = (answered[i] ?? 0) + 1;
        if (!r.err.includes("not answered by a running proxy")) served[i] = (served[i] ?? 0) + 1;
      }
    }
    process.stderr.write("\n");
    const node = percentile(samples[0] ?? [], 50);
    const results = cases.map((c, i) => {
      const p50 = percentile(samples[i] ?? [], 50);
      const p99 = percentile(samples[i] ?? [], 99);
      return {
        name: c.name,
        p50_ms: round3(p50),
        p99_ms: round3(p99),
        ratio_p50: round3(p50 / node),
        with_context: c.hook ? answered[i] : null,
        served_by_proxy: c.viaProxy ? served[i] : null,
        ok: c.hook ? p50 < 100 && p99 < 250 : null,
      };
    });
    const [load1 = 0, load5 = 0] = loadavg();
    console.log(
      `\nHook command, whole process (spawn, JSON on stdin, answer read, exit), ${runs} interleaved runs each, node ${process.version}; ` +
        `load average ${fmt(load1, 2)} (1 min), ${fmt(load5, 2)} (5 min) on ${availableParallelism()} cores\n`,
    );
    console.log(
      formatTable(
        [
          "case",
          "p50 ms",
          "p99 ms",
          "p50 × node -e 0",
          "answers with context",
          "answered by the proxy",
          "target p50 < 100, p99 < 250",
        ],
        results.map((r) => [
          r.name,
          fmt(r.p50_ms, 1),
          fmt(r.p99_ms, 1),
          fmt(r.ratio_p50, 2),
          r.with_context === null ? "" : `${r.with_context}/${runs}`,
          r.served_by_proxy === null ? "" : `${r.served_by_proxy}/${runs}`,
          r.ok === null ? "" : r.ok ? "ok" : "MISSED",
        ]),
      ),
    );
    // The running proxies' memory after every run (the hook thread is part of it; Linux /proc only).
    const proxyRss = sizes.map((size, k) => ({ size, ...rssOf(proxies[k]?.pid) }));
    console.log(
      `\nthe running proxies (a real \`start\`) after the runs: ${proxyRss
        .map((r) => `${fmt(r.size)} memories RSS now ${fmt(r.nowMb, 1)} MB, peak ${fmt(r.peakMb, 1)} MB`)
        .join("; ")}`,
    );
    if (values.json)
      writeFileSync(
        values.json,
        `${JSON.stringify({ runs, sizes, results, proxy_rss_mb: proxyRss }, null, 2)}\n`,
      );
  } finally {
    for (const w of writers) await w.close();
    await Promise.all(
      proxies.map(
        (p) =>
          new Promise<void>((done) => {
            if (p.exitCode !== null) return done();
            p.once("exit", () => done());
            p.kill("SIGTERM");
          }),
      ),
    );
    for (const s of [...seeded, ...copies]) rmSync(s.dir, { recursive: true, force: true });
  }
}

await main();
