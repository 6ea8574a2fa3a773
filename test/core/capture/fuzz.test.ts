import { describe, expect, it } from "vitest";
import type { CapturedExchange } from "../../../src/core/capture/exchange.js";
import { type ExchangeResult, interpretExchange } from "../../../src/core/capture/exchange-episode.js";
import { classifyRequest } from "../../../src/core/capture/noise-filter.js";
import { createSseReassembler } from "../../../src/core/capture/sse-reassembler.js";
import { episodeToMemory } from "../../../src/core/episodes/index.js";
import { fixtureExchange, loadFixture } from "./fixtures.js";
import { seededRandom } from "./sse-encoder.js";

const OPTS = { defaultUserId: "fuzz", defaultAgentId: "claude-code" };
const FILES = ["print-mode-text.jsonl", "print-mode-mcp-tool-use.jsonl", "interactive-with-title.jsonl"];
const rand = seededRandom(20261125);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

function randomValue(depth = 0): unknown {
  switch (int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return rand() * 1e6 - 5e5;
    case 2:
      return pick([
        "",
        "user",
        "system",
        "assistant",
        "text",
        "tool_result",
        "tool_use",
        "<system-reminder>",
        "{",
      ]);
    case 3:
      return randomBytes(int(40)).toString("latin1");
    case 4:
      return rand() < 0.5;
    case 5:
      return -1;
    case 6:
      return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    case 7:
      return {
        type: pick(["text", "tool_result", "image", "x"]),
        text: randomValue(depth + 1),
        content: randomValue(depth + 1),
      };
    default:
      return Object.fromEntries(Array.from({ length: int(4) }, (_, i) => [`k${i}`, randomValue(depth + 1)]));
  }
}

/** Replaces a few randomly chosen nodes of a JSON value with random values of any type. */
function mutate(value: unknown, rate: number): unknown {
  if (rand() < rate) return randomValue();
  if (Array.isArray(value)) return value.map((v) => mutate(v, rate));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mutate(v, rate)]));
  }
  return value;
}

function expectWellFormed(result: ExchangeResult) {
  if (result.kind === "skip") {
    expect(typeof result.reason).toBe("string");
    expect(result.reason.length).toBeGreaterThan(0);
    // The last-resort catch in interpretExchange must not be what kept it from throwing.
    expect(result.reason).not.toMatch(/^extraction failed/);
    return;
  }
  const ep = result.episode;
  expect(ep.key).toMatch(/^[0-9a-f]{64}$/);
  expect(typeof ep.words).toBe("string");
  expect(ep.words).not.toBe("");
  expect(typeof ep.answer).toBe("string");
  expect(result.ends).toBe(ep.complete);
  for (const step of ep.steps) expect(["tool", "note", "user"]).toContain(step.kind);
  const memory = episodeToMemory(ep);
  expect(typeof memory.memory).toBe("string");
  expect(JSON.parse(JSON.stringify(memory))).toBeTruthy();
}

const fixtures = FILES.flatMap((f) => loadFixture(f)).filter((r) => r.body);

describe("capture core never throws on garbage", () => {
  it("random buffers as request and response bodies", () => {
    for (let i = 0; i < 300; i++) {
      const ex: CapturedExchange = {
        ...fixtureExchange(pick(fixtures)),
        method: pick(["POST", "GET", "HEAD", "post", "", "\u0000"]),
        path: pick([
          "/v1/messages",
          "/v1/messages?beta=true",
          "",
          "?",
          "/",
          randomBytes(10).toString("latin1"),
        ]),
        requestBody: randomBytes(int(2000)),
        status: pick([200, 400, 529, null, 0, -1]),
        responseHeaders: pick<Record<string, string>>([
          {},
          { "content-type": "text/event-stream" },
          { "content-type": "application/json" },
        ]),
        responseBody: randomBytes(int(2000)),
        responseComplete: rand() < 0.5,
        truncated: rand() < 0.2,
      };
      const result = interpretExchange(ex, OPTS);
      expectWellFormed(result);
      // interpretExchange applies the same noise filter: a request it refuses, it skips for the same reason.
      const c = classifyRequest(ex);
      if (!c.capture) expect(result).toEqual({ kind: "skip", reason: c.reason });
    }
  });

  it("fixtures with random structural mutations (wrong types anywhere)", () => {
    let turns = 0;
    for (let i = 0; i < 300; i++) {
      const rec = pick(fixtures);
      const body = mutate(rec.body, pick([0.002, 0.01, 0.05]));
      const ex = fixtureExchange({ ...rec, body: body as Record<string, unknown> });
      if (rand() < 0.3) ex.requestHeaders = mutate(ex.requestHeaders, 0.3) as Record<string, string>;
      const result = interpretExchange(ex, OPTS);
      expectWellFormed(result);
      const c = classifyRequest(ex);
      if (!c.capture) expect(result).toEqual({ kind: "skip", reason: c.reason });
      if (result.kind === "episode") turns++;
    }
    // Light mutation leaves most main requests intact: the fuzz reaches the extraction code, not just the parser.
    expect(turns).toBeGreaterThan(50);
  });

  it("fixtures with byte flips and truncations of request and response", () => {
    for (let i = 0; i < 300; i++) {
      const ex = fixtureExchange(pick(fixtures));
      const req = Buffer.from(ex.requestBody);
      const res = Buffer.from(ex.responseBody);
      for (let k = int(5); k > 0; k--) if (req.length) req[int(req.length)] = int(256);
      for (let k = int(5); k > 0; k--) if (res.length) res[int(res.length)] = int(256);
      const result = interpretExchange(
        {
          ...ex,
          requestBody: rand() < 0.3 ? req.subarray(0, int(req.length)) : req,
          responseBody: rand() < 0.3 ? res.subarray(0, int(res.length)) : res,
        },
        OPTS,
      );
      expectWellFormed(result);
    }
  });

  it("random SSE-looking bytes fed in random chunks", () => {
    const alphabet = [
      "event: ",
      "data: ",
      "\n",
      "\r",
      "\r\n",
      "{",
      "}",
      '"type":"content_block_delta"',
      ":",
      "ü",
      "🚀",
    ];
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: int(300) }, () => pick(alphabet)).join("");
      const bytes = Buffer.from(text);
      const r = createSseReassembler();
      let pos = 0;
      while (pos < bytes.length) {
        const n = 1 + int(20);
        r.push(bytes.subarray(pos, pos + n));
        pos += n;
      }
      const m = r.end();
      expect(Array.isArray(m.content)).toBe(true);
      expect(m.complete).toBe(false);
    }
  });
});
