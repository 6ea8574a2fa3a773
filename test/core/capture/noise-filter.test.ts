import { describe, expect, it } from "vitest";
import type { CapturedExchange } from "../../../src/core/capture/exchange.js";
import {
  classifyRequest,
  DEFAULT_NOISE_RULES,
  defineNoiseRules,
} from "../../../src/core/capture/noise-filter.js";
import { fixtureExchange, loadFixture } from "./fixtures.js";

const FILES = ["print-mode-text.jsonl", "print-mode-mcp-tool-use.jsonl", "interactive-with-title.jsonl"];

function exchange(body: unknown, over: Partial<CapturedExchange> = {}): CapturedExchange {
  return {
    method: "POST",
    path: "/v1/messages?beta=true",
    host: "api.anthropic.com",
    requestHeaders: {},
    requestBody: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
    status: 200,
    responseHeaders: {},
    responseBody: Buffer.alloc(0),
    responseComplete: true,
    truncated: false,
    startedAt: "2026-11-25T10:00:00.000Z",
    endedAt: "2026-11-25T10:00:01.000Z",
    ...over,
  };
}

const main = (extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 64000,
  system: [{ type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." }],
  tools: [{ name: "Bash", input_schema: { type: "object" } }],
  messages: [{ role: "user", content: "Fix the failing test in parser.ts" }],
  ...extra,
});

describe("classifyRequest on the real Claude Code fixtures", () => {
  for (const file of FILES) {
    it(`${file}: captures the main requests, skips probes and side requests`, () => {
      const records = loadFixture(file);
      expect(records.length).toBeGreaterThan(1);
      for (const rec of records) {
        const c = classifyRequest(fixtureExchange(rec));
        if (rec.method === "HEAD")
          expect(c).toEqual({ capture: false, reason: "method HEAD is not captured" });
        else if (rec.stub_kind === "side")
          expect(c).toEqual({ capture: false, reason: "side request: session title" });
        else expect(c).toEqual({ capture: true });
      }
    });
  }

  it("skips the title request by its system text alone, and by its schema alone", () => {
    const rec = loadFixture("interactive-with-title.jsonl").find((r) => r.stub_kind === "side");
    if (!rec?.body) throw new Error("fixture without a title request");
    const noSchema = { ...rec.body, output_config: { effort: "high" } };
    expect(classifyRequest(exchange(noSchema))).toEqual({
      capture: false,
      reason: "side request: session title",
    });
    const noMarkers = defineNoiseRules({ markers: [] });
    expect(classifyRequest(exchange(rec.body), noMarkers)).toEqual({
      capture: false,
      reason: "side request: session title",
    });
    expect(classifyRequest(exchange(noSchema), noMarkers)).toEqual({ capture: true });
  });
});

describe("classifyRequest routes", () => {
  const skipped: [string, string, string][] = [
    ["HEAD", "/", "method HEAD is not captured"],
    ["HEAD", "/api/hello", "method HEAD is not captured"],
    ["GET", "/v1/models", "method GET is not captured"],
    ["GET", "/api/claude_code/policy_limits", "method GET is not captured"],
    [
      "POST",
      "/v1/messages/count_tokens?beta=true",
      "path /v1/messages/count_tokens is not a Messages API call",
    ],
    ["POST", "/api/event_logging/batch", "path /api/event_logging/batch is not a Messages API call"],
    ["POST", "/v1/complete", "path /v1/complete is not a Messages API call"],
  ];
  for (const [method, path, reason] of skipped) {
    it(`skips ${method} ${path}`, () => {
      expect(classifyRequest(exchange(main(), { method, path }))).toEqual({ capture: false, reason });
    });
  }

  it("captures POST /v1/messages with or without a query or a gateway prefix", () => {
    for (const path of [
      "/v1/messages",
      "/v1/messages?beta=true",
      "/v1/messages/",
      "/gateway/anthropic/v1/messages",
    ]) {
      expect(classifyRequest(exchange(main(), { path }))).toEqual({ capture: true });
    }
    expect(classifyRequest(exchange(main(), { method: "post" }))).toEqual({ capture: true });
  });

  it("says a body that is not a Messages request is malformed", () => {
    for (const body of ["{", "", "[]", '{"model":"x"}', '{"messages":{}}']) {
      expect(classifyRequest(exchange(body))).toEqual({ capture: false, reason: "malformed request" });
    }
  });
});

describe("classifyRequest side requests (content markers, not model names)", () => {
  it("skips max_tokens <= 1 probes", () => {
    expect(
      classifyRequest(exchange(main({ max_tokens: 1, messages: [{ role: "user", content: "quota" }] }))),
    ).toEqual({
      capture: false,
      reason: "probe (max_tokens 1)",
    });
    expect(classifyRequest(exchange(main({ max_tokens: 2 })))).toEqual({ capture: true });
  });

  it("skips the older haiku title prompt, by text, whatever the model", () => {
    for (const model of ["claude-haiku-4-5", "claude-opus-4-8"]) {
      const body = main({ model, system: "You are naming a coding session. Reply with a title." });
      expect(classifyRequest(exchange(body))).toEqual({
        capture: false,
        reason: "side request: session title",
      });
    }
  });

  it("does not skip a haiku main conversation", () => {
    expect(classifyRequest(exchange(main({ model: "claude-haiku-4-5-20251001" })))).toEqual({
      capture: true,
    });
  });

  it("skips topic detection", () => {
    const body = main({
      system:
        "Analyze if this message indicates a new conversation topic. Format your response as a JSON object with two fields: 'isNewTopic' (boolean) and 'title'.",
    });
    expect(classifyRequest(exchange(body))).toEqual({
      capture: false,
      reason: "side request: topic detection",
    });
  });

  it("skips command-prefix policy checks (system or user markers)", () => {
    const bySystem = main({
      system: "Your task is to process Bash commands that an AI coding agent wants to run.",
    });
    const byUser = main({
      messages: [
        {
          role: "user",
          content: "<policy_spec>\n# Claude Code Bash command prefix detection\n</policy_spec>",
        },
      ],
    });
    for (const body of [bySystem, byUser]) {
      expect(classifyRequest(exchange(body))).toEqual({
        capture: false,
        reason: "side request: command prefix check",
      });
    }
  });

  it("skips conversation summaries (compact)", () => {
    const bySystem = main({
      system: "You are a helpful AI assistant tasked with summarizing conversations.",
    });
    const byUser = main({
      messages: [
        { role: "user", content: "hello" },
        { role: "assistant", content: "hi" },
        {
          role: "user",
          content: [
            { type: "text", text: "Your task is to create a detailed summary of the conversation so far." },
          ],
        },
      ],
    });
    for (const body of [bySystem, byUser]) {
      expect(classifyRequest(exchange(body))).toEqual({
        capture: false,
        reason: "side request: conversation summary",
      });
    }
  });

  it("does not treat a user who asks for a summary in a main conversation as a side request", () => {
    const body = main({ messages: [{ role: "user", content: "Please summarize this conversation for me" }] });
    expect(classifyRequest(exchange(body))).toEqual({ capture: true });
  });

  it("takes custom markers and rules", () => {
    const rules = defineNoiseRules({
      markers: [
        ...DEFAULT_NOISE_RULES.markers,
        { reason: "side request: custom", in: "user", text: "PING-CHECK" },
      ],
      probeMaxTokens: 10,
    });
    const custom = main({ messages: [{ role: "user", content: "ping-check please" }] });
    expect(classifyRequest(exchange(custom), rules)).toEqual({
      capture: false,
      reason: "side request: custom",
    });
    expect(classifyRequest(exchange(custom))).toEqual({ capture: true });
    expect(classifyRequest(exchange(main({ max_tokens: 10 })), rules)).toEqual({
      capture: false,
      reason: "probe (max_tokens 10)",
    });
    expect(
      classifyRequest(
        exchange(main(), { path: "/v1/messages/count_tokens" }),
        defineNoiseRules({ pathSuffixes: ["/count_tokens"] }),
      ),
    ).toEqual({ capture: true });
  });
});
