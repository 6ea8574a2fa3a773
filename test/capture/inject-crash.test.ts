import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOTES_OPEN } from "../../src/core/recall/proxy-injection.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { spawnStart } from "./support/cli-process.js";

let stub: AnthropicStub;
let dir: string;
let env: Record<string, string>;

const QUESTION = "How do I run the deploy script for acme-api on staging?";

beforeAll(async () => {
  stub = await startAnthropicStub();
  dir = mkdtempSync(join(tmpdir(), "mmm-inject-crash-"));
  env = {
    UPSTREAM_URL: stub.url,
    UPSTREAM_CA_FILE: stub.caFile,
    DEFAULT_USER_ID: "crash-user",
    MEMORY_INJECT: "on",
  };
  const store = SqliteMemoryStore.open(join(dir, "memories.db"));
  try {
    await store.add({
      memory:
        "User: how do we deploy acme-api to staging?\nAssistant: Run scripts/deploy.sh with AWS_PROFILE=staging; the deploy script for acme-api needs the VPN.",
      user_id: "crash-user",
      app_id: "/home/dev/acme-api",
      run_id: "an-earlier-session",
      metadata: { kind: "episode" },
    });
  } finally {
    await store.close();
  }
});
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

function ledgerRows(): number {
  const db = new Database(join(dir, "injections.db"), { readonly: true });
  try {
    return db.prepare("SELECT count(*) FROM injections").pluck().get() as number;
  } finally {
    db.close();
  }
}

const forwarded = (i: number) =>
  stub.exchanges.filter((e) => e.path.startsWith("/v1/messages"))[i]?.body.toString("utf8") ?? "";

describe("kill -9 between forwarding a request with notes and its reply (MEMORY_INJECT=on)", () => {
  it("the retry gets the same notes, and later requests replay what the retry was answered with", async () => {
    const first = await spawnStart(dir, env);
    // The proxy dies while the upstream holds the request: the client gets no reply at all.
    stub.replier = (_body, i) => {
      if (i === 0) first.child.kill("SIGKILL");
      return {
        content: [{ type: "text", text: "Run scripts/deploy.sh." }],
        faults: i === 0 ? { headersDelayMs: 500 } : {},
      };
    };
    const turn = { model: "m", max_tokens: 64, messages: [{ role: "user" as const, content: QUESTION }] };
    const c1 = new Anthropic({ apiKey: stub.apiKey, baseURL: first.url, maxRetries: 0 });
    await expect(c1.messages.create(turn)).rejects.toThrow();
    expect(await first.exited).toBe("SIGKILL");
    expect(forwarded(0)).toContain(NOTES_OPEN);

    const second = await spawnStart(dir, env);
    try {
      const c2 = new Anthropic({ apiKey: stub.apiKey, baseURL: second.url, maxRetries: 0 });
      const retry = await c2.messages.create(turn).withResponse();
      expect(retry.response.headers.get("x-memory-injected")).toBe("1");
      // Whether or not the killed process wrote its row, the retry's notes are the same bytes.
      expect(forwarded(1)).toBe(forwarded(0));
      const reply = retry.data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
      const next = await c2.messages
        .create({
          ...turn,
          messages: [
            { role: "user", content: QUESTION },
            { role: "assistant", content: reply },
            { role: "user", content: "Thanks, that is all." },
          ],
        })
        .withResponse();
      expect(next.response.headers.get("x-memory-injected-replayed")).toBe("1");
      const answered = forwarded(1);
      expect(forwarded(2).startsWith(answered.slice(0, answered.lastIndexOf("]}")))).toBe(true);
      // One row per person turn: the question and the thanks.
      expect(ledgerRows()).toBe(2);
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
  });
});
