/**
 * `npm run bench:capture [-- --n N] [--json PATH]`
 *
 * The capture thread's own throughput, apart from forwarding: N unique
 * exchanges shaped like bench:proxy's traffic (half JSON replies, half SSE
 * streams of 20 events, every request and reply different) are journaled in
 * a fresh data directory's outbox, then the capture thread (the same entry
 * `start` runs, `src/cli/capture-worker.ts`, on a worker thread with its own
 * SQLite store) is started and reads, builds, redacts, queues and stores
 * them all. Reported: episodes fully stored per second, sustained (between
 * the first and the last counter report) and overall, with reflection on
 * (REFLECTION_EVERY=5, the default) and off in the same run, the rate the
 * journal itself was written at (the baseline: one SQLite insert each), the
 * CPU time per stored episode (steadier than the rates on a shared machine),
 * and the process's peak RSS. bench:proxy's capture row is bounded by what the
 * proxy forwards on a shared machine; this one is the capture thread's
 * ceiling.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { Outbox, outboxPath } from "../src/capture/pipeline/outbox.js";
import { captureThreadOptions } from "../src/capture/proxy/thread-options.js";
import { validateConfig } from "../src/core/config.js";
import { fmt, formatTable } from "./lib/table.js";

const TARGET_PER_S = 1000;
const { values } = parseArgs({ options: { n: { type: "string" }, json: { type: "string" } } });
const N = Number(values.n ?? 10_000);
const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "..", "src", "cli", "capture-worker.js");

const sse = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;

function requestBody(run: string, i: number, stream: boolean): string {
  return JSON.stringify({
    model: "claude-bench",
    max_tokens: 256,
    stream,
    messages: [{ role: "user", content: `throughput ${run} ${i}` }],
  });
}

function jsonReply(i: number): string {
  return JSON.stringify({
    id: `msg_bench_${i}`,
    type: "message",
    role: "assistant",
    model: "claude-bench",
    content: [
      {
        type: "text",
        text: `Benchmarks measure what they measure; read the table. Reply ${i} at ${process.hrtime.bigint()}.`,
      },
    ],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 42, output_tokens: 12 },
  });
}

function sseReply(i: number, events: number): string {
  let out =
    sse(
      "message_start",
      `{"type":"message_start","message":{"id":"msg_bench_${i}","type":"message","role":"assistant","model":"claude-bench","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":42,"output_tokens":1}}}`,
    ) +
    sse(
      "content_block_start",
      `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
    );
  for (let e = 1; e <= events; e++)
    out += sse(
      "content_block_delta",
      `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word${e}-${i} "}}`,
    );
  return (
    out +
    sse("content_block_stop", `{"type":"content_block_stop","index":0}`) +
    sse(
      "message_delta",
      `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${events}}}`,
    ) +
    sse("message_stop", `{"type":"message_stop"}`)
  );
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface Run {
  reflection: string;
  journal_per_s: number;
  stored: number;
  failures: number;
  sustained_per_s: number;
  overall_per_s: number;
  seconds: number;
  /** The process's CPU time (user + system) per stored episode while the thread worked: on a shared machine it moves less than the rates do. */
  cpu_us_per_episode: number;
  peak_rss_mb: number;
}

async function run(reflectionEvery: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "mmm-bench-capture-"));
  try {
    const config = validateConfig(
      { MEMORY_DATA_DIR: dir, MITM_PORT: "0", LOG_LEVEL: "warn", REFLECTION_EVERY: reflectionEvery },
      dir,
    );
    const outbox = Outbox.open(outboxPath(dir));
    const runId = `${process.pid}-${Date.now()}`;
    const t0 = performance.now();
    for (let i = 1; i <= N; i++) {
      const stream = i % 2 === 0;
      const at = new Date().toISOString();
      outbox.journalExchange(
        {
          method: "POST",
          path: "/v1/messages",
          host: "127.0.0.1",
          requestHeaders: { "content-type": "application/json" },
          status: 200,
          responseHeaders: {
            "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json",
          },
          responseComplete: true,
          requestTruncated: false,
          responseTruncated: false,
          startedAt: at,
          endedAt: at,
          failure: null,
        },
        Buffer.from(requestBody(runId, i, stream)),
        Buffer.from(stream ? sseReply(i, 20) : jsonReply(i)),
      );
    }
    const journalMs = performance.now() - t0;
    outbox.close();

    // Started as `start` starts it (its V8 limits included).
    const thread = new Worker(entry, captureThreadOptions({ config }));
    const counts: Record<string, number> = {};
    const samples: { t: number; stored: number }[] = [];
    const started = performance.now();
    // This thread only waits meanwhile: the process's CPU time is the capture thread's.
    const cpu0 = process.cpuUsage();
    await new Promise<void>((resolve, reject) => {
      thread.on("error", reject);
      thread.on("message", (m: { type: string; deltas?: Record<string, number>; line?: string }) => {
        if (m.type === "log" && m.line) process.stderr.write(m.line);
        if (m.type === "failed") reject(new Error("the capture thread could not open the store"));
        if (m.type !== "counters" || !m.deltas) return;
        for (const [k, v] of Object.entries(m.deltas)) counts[k] = (counts[k] ?? 0) + v;
        samples.push({ t: performance.now(), stored: counts.turnsStored ?? 0 });
        const settled = (counts.turnsStored ?? 0) + (counts.duplicates ?? 0) + (counts.captureFailures ?? 0);
        if (settled >= N) resolve();
      });
    });
    const ended = performance.now();
    const cpu = process.cpuUsage(cpu0);
    await new Promise<void>((resolve) => {
      thread.on("message", (m: { type: string }) => m.type === "stopped" && resolve());
      thread.postMessage({ type: "stop" });
    });
    await thread.terminate();
    const first = samples[0] ?? { t: started, stored: 0 };
    const last = samples[samples.length - 1] ?? first;
    return {
      reflection: reflectionEvery,
      journal_per_s: Math.round((N * 1000) / journalMs),
      stored: counts.turnsStored ?? 0,
      failures: counts.captureFailures ?? 0,
      sustained_per_s: Math.round(((last.stored - first.stored) * 1000) / Math.max(1, last.t - first.t)),
      overall_per_s: Math.round(((counts.turnsStored ?? 0) * 1000) / (ended - started)),
      seconds: Math.round(ended - started) / 1000,
      cpu_us_per_episode:
        Math.round(((cpu.user + cpu.system) * 10) / Math.max(1, counts.turnsStored ?? 0)) / 10,
      peak_rss_mb: Math.round(peakRssMb() * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Reflection on first, so that the peak RSS is this run's (VmHWM only grows).
const on = await run("5");
const off = await run("1000000000");
const rows = [on, off].map((r) => [
  r.reflection === "5" ? "on (REFLECTION_EVERY=5)" : "off",
  fmt(r.journal_per_s),
  fmt(r.sustained_per_s),
  fmt(r.overall_per_s),
  `${fmt(r.stored)} / ${fmt(N)}`,
  fmt(r.failures),
  fmt(r.cpu_us_per_episode, 1),
]);
process.stdout.write(
  `\ncapture thread alone: ${fmt(N)} unique exchanges journaled, then read, built, redacted, queued and stored\n` +
    `${formatTable(["reflection", "journal writes/s (baseline)", "stored/s sustained", "stored/s overall", "stored", "failures", "CPU µs/episode"], rows)}\n` +
    `peak RSS of this process (the capture thread) after the run with reflection on: ${fmt(on.peak_rss_mb, 1)} MB\n` +
    `\n${formatTable(
      ["target", "measured", "goal", "met"],
      [
        [
          "episodes stored/s, sustained, reflection on",
          fmt(on.sustained_per_s),
          `>= ${TARGET_PER_S}`,
          on.sustained_per_s >= TARGET_PER_S ? "yes" : "NO",
        ],
      ],
    )}\n`,
);
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ n: N, runs: [on, off], target_per_s: TARGET_PER_S }, null, 2)}\n`,
  );
}
