import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Outbox } from "../../src/capture/pipeline/outbox.js";
import type { Memory } from "../../src/core/types.js";
import { SqliteMemoryStore } from "../../src/store/sqlite/sqlite-store.js";
import { type AnthropicStub, startAnthropicStub } from "../support/anthropic-stub.js";
import { spawnStart } from "./support/cli-process.js";
import { apiHeaders, rawRequest, until } from "./support/harness.js";
import { type ReplayTarget, replaySession } from "./support/session-replay.js";

/**
 * kill -9 in the middle of an episode: the part seen so far waits durably in
 * the outbox; after a restart the episode is finished (stored once, whole)
 * or abandoned (stored once, marked incomplete). Nothing is lost.
 */

let stub: AnthropicStub;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  stub = await startAnthropicStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmm-episode-crash-"));
  env = {
    UPSTREAM_URL: stub.url,
    UPSTREAM_CA_FILE: stub.caFile,
    DEFAULT_USER_ID: "crash-user",
    LOG_LEVEL: "info",
  };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function inProgress(): number {
  try {
    const o = Outbox.open(join(dir, "outbox.db"), { readonly: true });
    try {
      return o.pendingEpisodeCount();
    } finally {
      o.close();
    }
  } catch {
    return 0;
  }
}

async function stored(): Promise<Memory[]> {
  const store = SqliteMemoryStore.open(join(dir, "memories.db"), { readonly: true });
  try {
    return (await store.list({ filters: { user_id: "crash-user" }, limit: 100 })).memories;
  } catch {
    return [];
  } finally {
    await store.close();
  }
}

async function startTarget(): Promise<{
  target: ReplayTarget;
  kill: (signal: NodeJS.Signals) => Promise<unknown>;
}> {
  const p = await spawnStart(dir, env);
  return {
    target: { stub, url: p.url, caPem: () => readFileSync(join(dir, "ca", "ca.pem"), "utf8") },
    kill: async (signal) => {
      p.child.kill(signal);
      return p.exited;
    },
  };
}

describe("capture on its own thread", () => {
  it("start stores episodes from a worker thread; its log lines carry no conversation text", async () => {
    env.LOG_LEVEL = "debug";
    const p = await spawnStart(dir, env);
    const target: ReplayTarget = {
      stub,
      url: p.url,
      caPem: () => readFileSync(join(dir, "ca", "ca.pem"), "utf8"),
    };
    await replaySession(target, "agentic-read-bash/requests.jsonl", "reverse");
    await until(async () => (await stored()).length === 1, "the episode stored");
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    const capturedLines = p
      .stderr()
      .split("\n")
      .filter((l) => l.includes('"component":"capture"'));
    expect(capturedLines.some((l) => l.includes('"msg":"episode queued"'))).toBe(true);
    const storedLine = capturedLines.find((l) => l.includes('"msg":"episode stored"'));
    expect(storedLine).toMatch(
      /"level":"info".*"project":"\/home\/dev\/acme-api","requests":3,"complete":true,"tools":2/,
    );
    expect(p.stderr()).not.toMatch(/why is the build flaky|cause\.txt|NOISEBLOCK/);
  });
});

describe("kill -9 the instant a reply ends", () => {
  it("loses no exchange: each is journaled before the client sees the end of its reply", async () => {
    stub.replier = (body) => ({
      content: [
        {
          type: "text",
          text: `answer to ${String((body.messages as { content: string }[]).at(-1)?.content)}`,
        },
      ],
    });
    const asked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await spawnStart(dir, env);
      const question = `question number ${i}`;
      asked.push(question);
      const res = await rawRequest(p.url, {
        path: "/v1/messages",
        headers: apiHeaders(stub.apiKey),
        body: JSON.stringify({
          model: "m",
          max_tokens: 50,
          stream: i % 2 === 0,
          messages: [{ role: "user", content: question }],
        }),
      });
      // The whole reply has arrived: kill at once, before the proxy can do anything after it.
      p.child.kill("SIGKILL");
      expect(res.status).toBe(200);
      expect(await p.exited).toBe("SIGKILL");
    }
    const last = await spawnStart(dir, env);
    await until(async () => (await stored()).length === 5, "all five exchanges stored after the restarts");
    expect((await stored()).map((m) => m.memory.split("\n")[0]).sort()).toEqual(
      asked.map((q) => `User: ${q}`),
    );
    last.child.kill("SIGTERM");
    expect(await last.exited).toBe(0);
  });
});

describe("kill -9 in the middle of an episode", () => {
  it("a restarted proxy finishes the episode: stored once, with every step before and after the crash", async () => {
    const first = await startTarget();
    await replaySession(first.target, "fix-with-error/requests.jsonl", "reverse", (r) => r.seq <= 9);
    await until(() => inProgress() === 1, "the episode in progress in the outbox");
    expect(await first.kill("SIGKILL")).toBe("SIGKILL");
    expect(await stored()).toEqual([]);

    const second = await startTarget();
    await replaySession(second.target, "fix-with-error/requests.jsonl", "reverse", (r) => r.seq >= 10);
    await until(async () => (await stored()).length === 1 && inProgress() === 0, "the finished episode");
    const [ep] = await stored();
    expect(ep?.memory).toMatch(
      /^User: add\(\) returns the wrong result, please fix math\.js\nAssistant: Fixed:/,
    );
    expect(ep?.memory).toContain("- Bash: node --test missing-dir → error: Exit code 1");
    expect(ep?.metadata).toMatchObject({ complete: true, requests: 5, tools: ["Bash", "Read", "Edit"] });
    // Usage from the requests before the crash counts too.
    expect(Number(((ep?.metadata.usage ?? {}) as Record<string, number>).output_tokens)).toBeGreaterThan(0);
    expect(await second.kill("SIGTERM")).toBe(0);
    expect(await stored()).toHaveLength(1);
  });

  it("a restarted proxy stores an abandoned episode once, marked incomplete, when the session moves on", async () => {
    const first = await startTarget();
    await replaySession(first.target, "agentic-read-bash/requests.jsonl", "reverse", (r) => r.seq === 2);
    await until(() => inProgress() === 1, "the episode in progress in the outbox");
    await first.kill("SIGKILL");

    const second = await startTarget();
    // The resumed session's next question: the read-the-notes episode never got its answer.
    await replaySession(second.target, "agentic-read-bash/requests-resume.jsonl", "reverse");
    await until(async () => (await stored()).length === 2, "the abandoned and the new episode");
    const mems = await stored();
    const abandoned = mems.find((m) => m.metadata.complete === false);
    expect(abandoned?.memory).toBe(
      "User: why is the build flaky? Look at the notes.\n[episode incomplete: interrupted: the session moved on to a new request]\nTrace:\n- Read notes.md",
    );
    const next = mems.find((m) => m.metadata.complete === true);
    expect(next?.memory).toMatch(/^User: should I clear the cache too\?/);
    await second.kill("SIGTERM");
    expect(inProgress()).toBe(0);
    expect(await stored()).toHaveLength(2);
  });
});
