/**
 * bench:proxy's injection phase (issue 12: proxy-side recall, MEMORY_INJECT=on):
 * the latency injection adds at 100,000 memories. One store is seeded with
 * synthetic developer memories and copied into two data dirs; one proxy runs
 * on each, MEMORY_INJECT off and on, otherwise alike. Every request is a new
 * person turn (a different search query each time, as a person types), sent
 * alternately to the two proxies over one keep-alive connection each, so load
 * hits both alike. Added latency = time to the reply's first byte with
 * injection on minus off (p50 and p99 of each side). The response header
 * `x-memory-injected` says how many memories each request got.
 *
 * A second row sends each new person turn after a ~150 KB conversation (a
 * system prompt and 30-odd earlier exchanges with tool calls and results,
 * the same for every request), as Claude Code's requests are: there the
 * proxy also parses the body, keys every earlier person turn and looks it up
 * in the ledger, and splices the notes into a large body.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { conversationCorpus } from "../lib/conversation-corpus.js";
import { percentile } from "../lib/percentile.js";
import { SeededRng } from "../lib/seeded-rng.js";
import { syntheticMemories, syntheticQueries } from "../lib/synthetic-memories.js";
import { messagesBody } from "./clients.js";
import type { NodeChild } from "./peers.js";

const USER = "bench_user";

export interface InjectionRow {
  /** Bytes of each request body. */
  body_bytes: number;
  requests: number;
  off_ttfb_p50_ms: number;
  off_ttfb_p99_ms: number;
  on_ttfb_p50_ms: number;
  on_ttfb_p99_ms: number;
  added_p50_ms: number;
  added_p99_ms: number;
  /** Requests that got at least one memory added (header x-memory-injected > 0). */
  with_notes: number;
}

export interface InjectionResult extends Omit<InjectionRow, "body_bytes"> {
  memories: number;
  /** Requests whose header was missing on the injecting proxy (the injector did not run). */
  without_header: number;
  /** The same with a ~150 KB conversation before each new turn (half as many requests). */
  with_history: InjectionRow;
}

const HISTORY_BYTES = 150_000;

/** The same conversation before every new turn: a system prompt and exchanges with a tool call each. */
function conversationHistory(bytes: number): { system: string; messages: unknown[] } {
  const rng = new SeededRng(4_711);
  const asks = syntheticQueries(rng, 200, syntheticMemories(new SeededRng(99), 500));
  const corpus = conversationCorpus(bytes, 11);
  const system = corpus.slice(0, 8_000);
  const messages: unknown[] = [];
  let at = 8_000;
  for (let i = 0; at < corpus.length; i++) {
    const id = `toolu_bench_${i}`;
    const result = corpus.slice(at, at + 4_000);
    at += 4_000;
    messages.push(
      { role: "user", content: asks[i % asks.length] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me look at the file first." },
          { type: "tool_use", id, name: "Read", input: { file_path: `/home/dev/app/src/module-${i}.ts` } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: result }] },
      { role: "assistant", content: [{ type: "text", text: `Read it: ${result.slice(0, 200)}` }] },
    );
  }
  return { system, messages };
}

/** Seeds `size` memories into `<dir>/inject-off` and `<dir>/inject-on` (the same file, copied). */
export async function seedInjectionStores(dir: string, size: number): Promise<{ off: string; on: string }> {
  const off = join(dir, "inject-off");
  const on = join(dir, "inject-on");
  mkdirSync(off, { recursive: true });
  mkdirSync(on, { recursive: true });
  const memories = syntheticMemories(new SeededRng(20_261_203), size).map((m) => ({ ...m, user_id: USER }));
  const store = SqliteMemoryStore.open(join(off, "memories.db"));
  try {
    for (let i = 0; i < memories.length; i += 10_000) await store.addMany(memories.slice(i, i + 10_000));
  } finally {
    await store.close();
  }
  copyFileSync(join(off, "memories.db"), join(on, "memories.db"));
  return { off, on };
}

/** The config both proxies get beside the bench's own (the user whose memories were seeded). */
export function injectionEnv(on: boolean): Record<string, string> {
  return { DEFAULT_USER_ID: USER, MEMORY_INJECT: on ? "on" : "off" };
}

const HEADERS = {
  "content-type": "application/json",
  "x-api-key": "bench-key",
  "anthropic-version": "2023-06-01",
};

async function timed(
  url: string,
  body: string,
  dispatcher: Agent,
): Promise<{ ms: number; injected: string | null }> {
  const t0 = process.hrtime.bigint();
  const res = await request(`${url}/v1/messages`, { method: "POST", headers: HEADERS, body, dispatcher });
  let first: bigint | null = null;
  for await (const _chunk of res.body) first ??= process.hrtime.bigint();
  const injected = res.headers["x-memory-injected"];
  return {
    ms: Number((first ?? process.hrtime.bigint()) - t0) / 1e6,
    injected: typeof injected === "string" ? injected : null,
  };
}

/** Alternates `samples` unique person turns between the two proxies (after a warm-up of 30 each). */
export async function measureInjection(
  off: NodeChild,
  on: NodeChild,
  size: number,
  samples: number,
): Promise<InjectionResult> {
  const short = await measureRow(off, on, samples, 0);
  const long = await measureRow(off, on, Math.ceil(samples / 2), HISTORY_BYTES);
  const { without_header: shortMissing, ...shortRow } = short;
  const { without_header: longMissing, ...longRow } = long;
  return { memories: size, ...shortRow, without_header: shortMissing + longMissing, with_history: longRow };
}

async function measureRow(
  off: NodeChild,
  on: NodeChild,
  samples: number,
  historyBytes: number,
): Promise<InjectionRow & { without_header: number }> {
  const rng = new SeededRng(historyBytes === 0 ? 7_262 : 7_263);
  const queries = syntheticQueries(rng, samples + 30, syntheticMemories(new SeededRng(20_261_203), 2_000));
  const history = historyBytes > 0 ? conversationHistory(historyBytes) : null;
  const historyJson = history ? JSON.stringify(history.messages).slice(1, -1) : "";
  const offUrl = `http://127.0.0.1:${off.port}`;
  const onUrl = `http://127.0.0.1:${on.port}`;
  const offAgent = new Agent({ connections: 1 });
  const onAgent = new Agent({ connections: 1 });
  const offMs: number[] = [];
  const onMs: number[] = [];
  let withNotes = 0;
  let withoutHeader = 0;
  let bytes = 0;
  try {
    for (let i = 0; i < queries.length; i++) {
      const warm = i < 30;
      // A turn as a person writes it: the query, and a number so that no two turns are alike.
      const body = (side: string) => {
        const text = `${queries[i]} (${side} turn ${i})`;
        if (!history) return messagesBody(text, false);
        // As an SDK sends it: the conversation so far, then the new turn.
        return `{"model":"claude-bench","max_tokens":256,"stream":false,"system":${JSON.stringify(history.system)},"messages":[${historyJson},${JSON.stringify({ role: "user", content: text })}]}`;
      };
      const order = i % 2 === 0 ? ["off", "on"] : ["on", "off"];
      for (const side of order) {
        const b = body(side);
        bytes = b.length;
        const r = side === "off" ? await timed(offUrl, b, offAgent) : await timed(onUrl, b, onAgent);
        if (warm) continue;
        if (side === "off") offMs.push(r.ms);
        else {
          onMs.push(r.ms);
          if (r.injected === null) withoutHeader++;
          else if (Number(r.injected) > 0) withNotes++;
        }
      }
    }
  } finally {
    await offAgent.close();
    await onAgent.close();
  }
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  const p = (xs: number[], q: number) => r3(percentile(xs, q));
  return {
    body_bytes: bytes,
    requests: onMs.length,
    off_ttfb_p50_ms: p(offMs, 50),
    off_ttfb_p99_ms: p(offMs, 99),
    on_ttfb_p50_ms: p(onMs, 50),
    on_ttfb_p99_ms: p(onMs, 99),
    added_p50_ms: r3(percentile(onMs, 50) - percentile(offMs, 50)),
    added_p99_ms: r3(percentile(onMs, 99) - percentile(offMs, 99)),
    with_notes: withNotes,
    without_header: withoutHeader,
  };
}
