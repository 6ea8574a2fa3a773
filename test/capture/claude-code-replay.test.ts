import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StubReply } from "../support/anthropic-stub.js";
import { type Harness, rawRequest, startHarness } from "./support/harness.js";

/**
 * Real requests Claude Code 2.1.197 sent (test/fixtures/claude-code, see its
 * README), replayed through the proxy in reverse mode against the strict
 * stub, which answers what the recording's stand-in answered.
 */

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures/claude-code");

interface Recorded {
  seq: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
  stub_kind: string | null;
  stub_reply: (StubReply & { stream?: boolean; generic?: boolean }) | null;
}

function load(file: string): Recorded[] {
  return readFileSync(join(FIXTURES, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Recorded);
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function replay(file: string): Promise<void> {
  for (const r of load(file)) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) {
      if (["content-length", "connection", "host"].includes(k)) continue;
      headers[k] = k === "x-api-key" ? h.stub.apiKey : v;
    }
    const reply = r.stub_reply;
    if (reply && !reply.generic)
      h.stub.replier = () => ({ content: reply.content, stop_reason: reply.stop_reason });
    const res = await rawRequest(h.proxy.url, {
      method: r.method,
      path: r.url,
      headers,
      body: r.body ? JSON.stringify(r.body) : undefined,
    });
    // The strict stub accepted every real request.
    expect(res.status, `${file} #${r.seq}: ${res.body.toString().slice(0, 300)}`).toBe(200);
  }
}

describe("replaying real Claude Code traffic", () => {
  it("has the recordings", () => {
    expect(
      readdirSync(FIXTURES)
        .filter((f) => f.endsWith(".jsonl"))
        .sort(),
    ).toEqual(["interactive-with-title.jsonl", "print-mode-mcp-tool-use.jsonl", "print-mode-text.jsonl"]);
  });

  it("stores the two print-mode questions as two episodes and skips the HEAD probes", async () => {
    await replay("print-mode-text.jsonl");
    const mems = (await h.waitForStored(2)).filter((m) => m.memory.includes("557581d7"));
    expect(mems).toHaveLength(2);
    for (const m of mems) {
      expect(m.app_id).toBe("/home/dev/acme-api");
      expect(m.run_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(m.memory).not.toContain("<system-reminder>");
      expect(m.memory).not.toContain("x-anthropic-billing-header");
      expect(m.metadata).toMatchObject({ complete: true, stop_reason: "end_turn", model: "claude-opus-4-8" });
      expect(String(m.metadata.client)).toContain("claude-cli/2.1.197");
    }
    expect(mems.map((m) => m.memory.split("\n").at(-1)).sort()).toEqual([
      "Assistant: E2E-REPLY-557581d7",
      "Assistant: E2E-REPLY2-557581d7",
    ]);
  });

  it("a recall session with this project's MCP search adds one episode and no copy of the result", async () => {
    const before = (await h.captured()).length;
    await replay("print-mode-mcp-tool-use.jsonl");
    const mems = (await h.waitForStored(before + 1)).filter(
      (m) => m.run_id === "c4060e28-b785-4bcd-8741-c5b6d1e0dca5",
    );
    expect(mems).toHaveLength(1);
    const ep = mems[0];
    expect(ep?.memory).toMatch(/^User: What are my editor preferences\?\nAssistant: /);
    expect(ep?.memory).toContain("Trace:\n- recalled: editor preferences 557581d7");
    expect(ep?.memory).not.toContain("look them up"); // thinking is not stored
    expect(ep?.metadata).toMatchObject({
      kind: "episode",
      requests: 2,
      tools: ["mcp__memory__search_memories"],
    });
    // The result block is never stored; only the recorded stand-in's answer, which echoes it, is.
    expect(ep?.memory.split("\n").filter((l) => l.includes("FIXTURE-MEMORY-7f3a"))).toEqual([
      expect.stringMatching(/^Assistant: TOOL_RESULT/),
    ]);
  });

  it("skips the session-title side request of the interactive UI", async () => {
    const before = (await h.captured()).length;
    const skippedBefore = h.proxy.stats().skippedNoise;
    await replay("interactive-with-title.jsonl");
    const mems = (await h.waitForStored(before + 2)).filter(
      (m) => m.run_id === "9ebfd270-9199-4ca2-84e8-51c4fcd41a86",
    );
    expect(mems.map((m) => m.memory).sort()).toEqual([
      "User: Please refactor the parser module E2E-INT-5e3bff71\nAssistant: E2E-INT-REPLY-5e3bff71",
      "User: Something else now E2E-INT2-5e3bff71\nAssistant: E2E-INT2-REPLY-5e3bff71",
    ]);
    expect(mems.some((m) => m.memory.includes("Stub session"))).toBe(false);
    // HEAD probe + title request.
    expect(h.proxy.stats().skippedNoise - skippedBefore).toBe(2);
    expect(await h.captured()).toHaveLength(5);
  });
});
