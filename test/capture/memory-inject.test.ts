import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Anthropic from "@anthropic-ai/sdk";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { NOTES_HEADING_LINE, NOTES_OPEN, personTurns } from "../../src/core/recall/proxy-injection.js";
import type { StubReply } from "../support/anthropic-stub.js";
import { apiHeaders, type Harness, rawRequest, startHarness } from "./support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SYSTEM = "You are a helpful agent.\nPrimary working directory: /home/dev/acme-api\n";
const DEPLOY_MEMORY =
  "User: how do we deploy acme-api to staging?\nAssistant: Run scripts/deploy.sh with AWS_PROFILE=staging; the deploy script for acme-api needs the VPN.";
const QUESTION = "How do I run the deploy script for acme-api on staging?";

async function seeded(env: Record<string, string> = { MEMORY_INJECT: "on" }): Promise<Harness> {
  const harness = await startHarness({ env });
  await harness.store.add({
    memory: DEPLOY_MEMORY,
    user_id: "tester",
    app_id: "/home/dev/acme-api",
    run_id: "an-earlier-session",
    metadata: { kind: "episode" },
  });
  await harness.store.add({
    memory: "The favourite colour of the team mascot is teal.",
    user_id: "tester",
    metadata: {},
  });
  return harness;
}

function forwardedBody(harness: Harness, i: number): string {
  const ex = harness.stub.exchanges.filter((e) => e.path.startsWith("/v1/messages"))[i];
  if (!ex) throw new Error(`no forwarded request ${i}`);
  return ex.body.toString("utf8");
}

/** Episodes captured from the conversations (the seeded memories have no `client`). */
async function capturedEpisodes(harness: Harness, n: number): Promise<string[]> {
  const all = await harness.waitForStored(n + 2);
  return all
    .filter((m) => m.metadata.kind === "episode" && m.run_id !== "an-earlier-session")
    .map((m) => m.memory);
}

const WEATHER_TOOL: Anthropic.Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } } },
};

describe("proxy-side recall (MEMORY_INJECT=on) with the official SDK", () => {
  it("adds the relevant memory, says so in a header, and adds the same bytes again on the next request", async () => {
    h = await seeded();
    const client = h.reverseClient();
    const first = await client.messages
      .create({
        model: "claude-sonnet-4-5",
        max_tokens: 512,
        system: SYSTEM,
        messages: [{ role: "user", content: QUESTION }],
      })
      .withResponse();
    expect(first.response.headers.get("x-memory-injected")).toBe("1");
    const body1 = forwardedBody(h, 0);
    const sent1 = JSON.parse(body1) as { messages: { content: string }[] };
    expect(sent1.messages[0]?.content).toContain(NOTES_OPEN);
    expect(sent1.messages[0]?.content).toContain("scripts/deploy.sh");
    expect(sent1.messages[0]?.content).not.toContain("mascot");
    expect(sent1.messages[0]?.content.endsWith(`\n\n${QUESTION}`)).toBe(true);

    const reply = first.data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    const second = await client.messages
      .create({
        model: "claude-sonnet-4-5",
        max_tokens: 512,
        system: SYSTEM,
        messages: [
          { role: "user", content: QUESTION },
          { role: "assistant", content: reply },
          { role: "user", content: "Thanks. And what colour is the team mascot?" },
        ],
      })
      .withResponse();
    const body2 = forwardedBody(h, 1);
    // The whole first request, up to the end of its messages, is a byte-identical prefix of the second.
    const prefix = body1.slice(0, body1.lastIndexOf("]}"));
    expect(body2.startsWith(prefix)).toBe(true);
    expect(second.response.headers.get("x-memory-injected-replayed")).toBe("1");
    // The new turn got the mascot memory, the deploy one is not added twice in one conversation.
    expect(second.response.headers.get("x-memory-injected")).toBe("1");
    const sent2 = JSON.parse(body2) as { messages: { content: string }[] };
    expect(sent2.messages[2]?.content).toContain("teal");
    expect(sent2.messages[2]?.content).not.toContain("deploy.sh");

    // What was stored is the person's words, never the notes.
    const episodes = await capturedEpisodes(h, 2);
    expect(episodes).toHaveLength(2);
    for (const text of episodes) {
      expect(text).not.toContain(NOTES_OPEN);
      expect(text).not.toContain(NOTES_HEADING_LINE);
      expect(text).not.toContain("deploy.sh with AWS_PROFILE");
    }
    expect(episodes.join("\n")).toContain(`User: ${QUESTION}`);
  });

  it("streams with tools and cache_control breakpoints; the tool round trip gets the same notes again", async () => {
    h = await seeded();
    const replies: StubReply[] = [
      {
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Lisbon" } },
        ],
        stop_reason: "tool_use",
      },
      { content: [{ type: "text", text: "It is sunny; now the deploy." }] },
    ];
    h.stub.replier = (_b, i) => replies[i] ?? { content: [{ type: "text", text: "done" }] };
    const client = h.reverseClient();
    const system: Anthropic.TextBlockParam[] = [
      { type: "text", text: SYSTEM, cache_control: { type: "ephemeral" } },
    ];
    const userTurn: Anthropic.MessageParam = {
      role: "user",
      content: [
        {
          type: "text",
          text: QUESTION,
          cache_control: { type: "ephemeral" },
        },
      ],
    };
    const s1 = client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      system,
      tools: [WEATHER_TOOL],
      messages: [userTurn],
    });
    const m1 = await s1.finalMessage();
    const r1 = await s1.withResponse();
    expect(r1.response.headers.get("x-memory-injected")).toBe("1");
    expect(m1.stop_reason).toBe("tool_use");

    // The client moves its breakpoint to the newest message, as Claude Code does.
    const plainTurn: Anthropic.MessageParam = {
      role: "user",
      content: [{ type: "text", text: QUESTION }],
    };
    const s2 = client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      system,
      tools: [WEATHER_TOOL],
      messages: [
        plainTurn,
        { role: "assistant", content: m1.content },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_01",
              content: "sunny, 24C",
              cache_control: { type: "ephemeral" },
            },
          ],
        },
      ],
    });
    const m2 = await s2.finalMessage();
    expect(m2.content[0]).toMatchObject({ type: "text", text: "It is sunny; now the deploy." });
    expect((await s2.withResponse()).response.headers.get("x-memory-injected")).toBe("1");

    const sent1 = JSON.parse(forwardedBody(h, 0)) as {
      messages: { content: { type: string; text?: string }[] }[];
    };
    const sent2 = JSON.parse(forwardedBody(h, 1)) as typeof sent1;
    const notes1 = sent1.messages[0]?.content[0];
    expect(notes1?.text).toContain("scripts/deploy.sh");
    // The same notes block, first in the same turn; the person's block (and its breakpoint) follows unchanged.
    expect(JSON.stringify(sent2.messages[0]?.content[0])).toBe(JSON.stringify(notes1));
    expect(sent1.messages[0]?.content[1]).toEqual({
      type: "text",
      text: QUESTION,
      cache_control: { type: "ephemeral" },
    });
    expect(sent2.messages[0]?.content[1]).toEqual({ type: "text", text: QUESTION });
    expect(sent2.messages[2]?.content[0]?.type).toBe("tool_result");

    const episodes = await capturedEpisodes(h, 1);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).not.toContain(NOTES_OPEN);
    expect(episodes[0]).toContain("get_weather");
  });

  it("adds the notes into the client's own bytes: every other byte is forwarded as it came", async () => {
    h = await seeded();
    // Odd formatting on purpose: a re-serialised body would lose it.
    const raw = `{ "model": "claude-sonnet-4-5",  "max_tokens": 64,\n "messages": [ {"role":"user", "content" : "${QUESTION}"} ] }`;
    const res = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey, { "content-length": String(Buffer.byteLength(raw)) }),
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(res.headers["x-memory-injected"]).toBe("1");
    const sent = forwardedBody(h, 0);
    const content = (JSON.parse(sent) as { messages: { content: string }[] }).messages[0]?.content ?? "";
    expect(content).toContain("scripts/deploy.sh");
    const notes = content.slice(0, content.indexOf(`\n\n${QUESTION}`) + 2);
    expect(sent).toBe(raw.replace(`"content" : "`, `"content" : "${JSON.stringify(notes).slice(1, -1)}`));
  });

  it("forwards the client's exact bytes when nothing is relevant, and when MEMORY_INJECT is off", async () => {
    const envs: Record<string, string>[] = [{ MEMORY_INJECT: "on" }, { MEMORY_INJECT: "off" }, {}];
    for (const env of envs) {
      h = await seeded(env);
      // Odd formatting on purpose: any re-serialisation would show.
      const raw = `{ "model": "claude-sonnet-4-5",  "max_tokens": 64,\n "messages": [ {"role":"user","content":"${
        env.MEMORY_INJECT === "on" ? "Tell me a joke about penguins" : QUESTION
      }"} ] }`;
      const res = await rawRequest(h.proxy.url, {
        path: "/v1/messages",
        headers: apiHeaders(h.stub.apiKey, { "content-length": String(Buffer.byteLength(raw)) }),
        body: raw,
      });
      expect(res.status).toBe(200);
      expect(h.stub.exchanges[0]?.body.toString("utf8")).toBe(raw);
      if (env.MEMORY_INJECT === "on") expect(res.headers["x-memory-injected"]).toBe("0");
      else expect(res.headers["x-memory-injected"]).toBeUndefined();
      await h.close();
      h = undefined;
    }
  });
});

describe("proxy-side recall when the search does not answer, and across restarts", () => {
  async function ask(harness: Harness, messages: Anthropic.MessageParam[]) {
    return await harness
      .reverseClient()
      .messages.create({ model: "claude-sonnet-4-5", max_tokens: 256, system: SYSTEM, messages })
      .withResponse();
  }

  it("forwards without notes when the search times out or fails, and that turn never gains notes later", async () => {
    h = await seeded({ MEMORY_INJECT: "on", MEMORY_INJECT_TIMEOUT_MS: "50" });
    const store = h.store;
    const search = store.search.bind(store);
    store.search = () => new Promise(() => {});
    const slow = await ask(h, [{ role: "user", content: QUESTION }]);
    expect(slow.response.headers.get("x-memory-injected")).toBe("0");
    expect(slow.response.headers.get("x-memory-inject-skipped")).toBe("timeout");
    expect(forwardedBody(h, 0)).not.toContain(NOTES_OPEN);

    store.search = async () => {
      throw new Error("store is locked");
    };
    const failing = await ask(h, [{ role: "user", content: `${QUESTION} (again)` }]);
    expect(failing.response.headers.get("x-memory-inject-skipped")).toBe("search-failed");
    expect(forwardedBody(h, 1)).not.toContain(NOTES_OPEN);

    // The search works again: the first conversation's old turn stays as it was forwarded, its new turn gets notes.
    store.search = search;
    // Both exchanges are stored as episodes first (2 seeded + 2 captured).
    await h.waitForStored(4);
    const reply = slow.data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    const next = await ask(h, [
      { role: "user", content: QUESTION },
      { role: "assistant", content: reply },
      { role: "user", content: "So how do I run the deploy script for acme-api on staging?" },
    ]);
    expect(next.response.headers.get("x-memory-injected")).not.toBe("0");
    const sent = JSON.parse(forwardedBody(h, 2)) as { messages: { content: string }[] };
    expect(sent.messages[0]?.content).toBe(QUESTION);
    expect(sent.messages[2]?.content).toContain("scripts/deploy.sh");
    // This conversation's own earlier episode (captured from its first turn) is not recalled into it.
    expect(sent.messages[2]?.content).not.toContain(`User: ${QUESTION} →`);
  });

  it("has the turn's notes on disk in injections.db by the time the upstream gets the request", async () => {
    h = await seeded();
    const harness = h;
    // What another connection reads from the ledger file at each forwarded request.
    const seenByUpstream: string[][] = [];
    harness.stub.replier = () => {
      const db = new Database(join(harness.dir, "injections.db"), { readonly: true });
      try {
        seenByUpstream.push(db.prepare("SELECT notes FROM injections").pluck().all() as string[]);
      } finally {
        db.close();
      }
      return { content: [{ type: "text", text: "Use the deploy script." }] };
    };
    const first = await ask(harness, [{ role: "user", content: QUESTION }]);
    expect(first.response.headers.get("x-memory-injected")).toBe("1");
    const sent = JSON.parse(forwardedBody(harness, 0)) as { messages: { content: string }[] };
    const notes = sent.messages[0]?.content.slice(0, sent.messages[0]?.content.indexOf(`\n\n${QUESTION}`));
    expect(notes).toContain("scripts/deploy.sh");
    expect(seenByUpstream).toEqual([[notes]]);
  });

  it("adds the same notes again after a restart (the ledger is in the data directory)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mmm-inject-data-"));
    try {
      h = await seeded({ MEMORY_INJECT: "on", MEMORY_DATA_DIR: dataDir });
      const first = await ask(h, [{ role: "user", content: QUESTION }]);
      expect(first.response.headers.get("x-memory-injected")).toBe("1");
      const body1 = forwardedBody(h, 0);
      const reply = first.data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
      await h.close();
      // A new proxy on the same data directory, with an empty store: the notes can only come from the ledger.
      h = await startHarness({ env: { MEMORY_INJECT: "on", MEMORY_DATA_DIR: dataDir } });
      const second = await ask(h, [
        { role: "user", content: QUESTION },
        { role: "assistant", content: reply },
        { role: "user", content: "Thanks, that is all." },
      ]);
      expect(second.response.headers.get("x-memory-injected-replayed")).toBe("1");
      expect(second.response.headers.get("x-memory-injected")).toBe("0");
      expect(forwardedBody(h, 0).startsWith(body1.slice(0, body1.lastIndexOf("]}")))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("person turn keys", () => {
  it("name a turn by the conversation up to it, whatever the client does with cache_control", () => {
    const a = personTurns({
      system: "s",
      messages: [
        { role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] },
      ],
    });
    const b = personTurns({
      system: "s",
      messages: [
        { role: "user", content: [{ type: "text", text: "hi" }] },
        { role: "assistant", content: "hello" },
        { role: "user", content: "more" },
      ],
    });
    const other = personTurns({
      system: "t",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
    expect(b.map((t) => t.index)).toEqual([0, 2]);
    expect(b[0]?.key).toBe(a[0]?.key);
    expect(other[0]?.key).not.toBe(a[0]?.key);
    expect(b[1]?.key).not.toBe(b[0]?.key);
  });
});
