import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Insight } from "../../src/core/insights/types.js";
import { createLogger } from "../../src/core/logger.js";
import { createInsights } from "../../src/insights/index.js";
import { listNewest } from "../../src/insights/turn-reader.js";
import { type AnthropicStub, type Replier, startAnthropicStub } from "../support/anthropic-stub.js";
import { FIXTURE_USER, loadFixtures } from "./fixtures/load-fixtures.js";
import { type TempStore, tempStore } from "./helpers.js";

const MODEL = "claude-reflection-test";

/** Ids of the turns in the prompt, in order. */
function turnIds(body: Record<string, unknown>): string[] {
  const messages = body.messages as { role: string; content: string }[];
  return [...(messages[0]?.content ?? "").matchAll(/<turn id="([^"]+)"/g)].map((m) => m[1]!);
}

/** Answers like a model would: one JSON object citing turns from the prompt. */
const citingReplier: Replier = (body) => {
  const ids = turnIds(body);
  const answer = {
    insights: [
      {
        kind: "topic",
        title: "porting the feature pipeline to Polars",
        description: "Most recent sessions move the pipeline from pandas to Polars lazy frames.",
        confidence: 0.8,
        counts: { turns: 2 },
        memory_ids: ids.slice(-2),
      },
      {
        kind: "unfinished_work",
        title: "retry logic for S3 uploads",
        description: "Deferred on 2026-01-26 and not picked up since.",
        confidence: 0.7,
        memory_ids: ids.slice(0, 1),
      },
    ],
  };
  return {
    content: [{ type: "text", text: `Here is the analysis:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` }],
  };
};

describe("opt-in model reflection against a strict local stand-in for the Messages API", () => {
  let stub: AnthropicStub;
  let fetchWithCa: typeof fetch;
  let t: TempStore;
  let logLines: string[];

  beforeAll(async () => {
    stub = await startAnthropicStub({ replier: citingReplier });
    const dispatcher = new Agent({ connect: { ca: stub.caPem } });
    fetchWithCa = ((url: string, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  });
  afterAll(async () => stub.close());

  beforeEach(() => {
    stub.exchanges.length = 0;
    stub.replier = citingReplier;
    logLines = [];
  });
  afterEach(async () => t.cleanup());

  async function setup(env: Record<string, string>) {
    t = tempStore(env);
    await loadFixtures(t.store);
    const logger = createLogger("debug", (line) => logLines.push(line));
    return createInsights({ store: t.store, config: t.config, logger, fetch: fetchWithCa });
  }

  const optIn = () => ({
    REFLECTION_MODEL: MODEL,
    ANTHROPIC_API_KEY: stub.apiKey,
    REFLECTION_BASE_URL: stub.url,
  });

  it("sends the selected turns once, validates the answer and stores it as the reflection", async () => {
    const { provider } = await setup(optIn());
    const { data, text } = await provider.analyze({ user_id: FIXTURE_USER, limit: 10 });
    expect(stub.exchanges).toHaveLength(1);
    const ex = stub.exchanges[0]!;
    expect(ex.path).toBe("/v1/messages");
    expect(ex.status).toBe(200);
    // The SDK sends the key as x-api-key or as a bearer token, depending on its version.
    expect(ex.headers["x-api-key"] ?? ex.headers.authorization?.replace(/^Bearer /, "")).toBe(stub.apiKey);
    expect(ex.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const body = JSON.parse(ex.body.toString("utf8")) as Record<string, unknown>;
    expect(body.model).toBe(MODEL);
    expect(typeof body.system).toBe("string");
    const newest = await listNewest(t.store, { user_id: FIXTURE_USER, categories: ["conversation"] }, 10);
    expect(turnIds(body).sort()).toEqual(newest.map((m) => m.id).sort());

    expect(data.source).toBe(`model:${MODEL}`);
    const insights = data.insights as Insight[];
    expect(insights.map((i) => i.title)).toEqual([
      "porting the feature pipeline to Polars",
      "retry logic for S3 uploads",
    ]);
    expect(text).toContain(`Source: model:${MODEL}`);
    const stored = await listNewest(t.store, { user_id: FIXTURE_USER, categories: ["reflection"] }, 10);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.metadata.analysis_source).toBe(`model:${MODEL}`);
    // The key and the conversation never reach the log.
    expect(logLines.join("\n")).not.toContain(stub.apiKey);
    expect(logLines.join("\n")).not.toMatch(/polars|pnpm/i);
  });

  it("falls back to the offline analysis when the answer cites an id that was not sent", async () => {
    const { provider } = await setup(optIn());
    stub.replier = () => ({
      content: [
        {
          type: "text",
          text: JSON.stringify({
            insights: [
              { kind: "topic", title: "x", description: "y", confidence: 0.5, memory_ids: ["not-a-real-id"] },
            ],
          }),
        },
      ],
    });
    const { data } = await provider.analyze({ user_id: FIXTURE_USER, limit: 10 });
    expect(stub.exchanges).toHaveLength(1);
    expect(data.source).toBe("offline");
    expect(data.model_fallback).toMatch(/memory id that was not in the input/);
    expect((data.insights as Insight[]).some((i) => i.kind === "preference")).toBe(true);
    expect(logLines.some((l) => l.includes("model reflection failed"))).toBe(true);
  });

  it("falls back when the answer is not JSON, or does not fit the schema", async () => {
    const { provider } = await setup(optIn());
    stub.replier = () => ({ content: [{ type: "text", text: "I think you work on Polars a lot." }] });
    const a = await provider.analyze({ user_id: FIXTURE_USER, limit: 10 });
    expect(a.data.source).toBe("offline");
    expect(a.data.model_fallback).toBe("the reply holds no JSON object");

    stub.replier = () => ({
      content: [{ type: "text", text: '{"insights":[{"kind":"mood","title":"t"}]}' }],
    });
    const b = await provider.analyze({ user_id: FIXTURE_USER, limit: 10 });
    expect(b.data.source).toBe("offline");
    expect(b.data.model_fallback).toMatch(/does not match the schema \(insights\.0\.kind/);
    expect(stub.exchanges).toHaveLength(2);
  });

  it("falls back when the API refuses the key (HTTP 401), without logging the key", async () => {
    const { provider } = await setup({
      ...optIn(),
      ANTHROPIC_API_KEY: "sk-ant-api03-wrong-key-for-the-stub",
    });
    const { data } = await provider.analyze({ user_id: FIXTURE_USER, limit: 10 });
    expect(stub.exchanges.length).toBeGreaterThanOrEqual(1);
    expect(stub.exchanges.every((e) => e.status === 401)).toBe(true);
    expect(data.source).toBe("offline");
    expect(data.model_fallback).toMatch(/HTTP 401/);
    expect(logLines.join("\n")).not.toContain("wrong-key");
  });

  it("sends nothing without both REFLECTION_MODEL and ANTHROPIC_API_KEY", async () => {
    const halfOptIns: Record<string, string>[] = [
      { REFLECTION_MODEL: MODEL, REFLECTION_BASE_URL: stub.url },
      { ANTHROPIC_API_KEY: stub.apiKey, REFLECTION_BASE_URL: stub.url },
    ];
    for (const env of halfOptIns) {
      const { provider } = await setup(env);
      const { data } = await provider.analyze({ user_id: FIXTURE_USER, limit: 10 });
      expect(data.source).toBe("offline");
      expect(data.model_fallback).toBeUndefined();
      expect((data.insights as Insight[]).length).toBeGreaterThan(0);
      await t.cleanup(); // idempotent: afterEach closes the last one again
    }
    expect(stub.exchanges).toHaveLength(0);
  });
});
