import { describe, expect, it } from "vitest";
import type { CapturedExchange } from "../../../src/core/capture/exchange.js";
import { type ExchangeResult, interpretExchange } from "../../../src/core/capture/exchange-episode.js";
import {
  ANSWER_MAX_CHARS,
  type Episode,
  episodeKey,
  episodeToMemory,
  WORDS_MAX_CHARS,
} from "../../../src/core/episodes/index.js";
import { type FixtureRecord, fixtureExchange, loadFixture } from "./fixtures.js";
import { encodeSse, sseEvents, stubReplyMessage } from "./sse-encoder.js";

const OPTS = { defaultUserId: "dev", defaultAgentId: "claude-code" };
const APP = "/home/dev/acme-api";

function record(file: string, seq: number): FixtureRecord {
  const rec = loadFixture(file).find((r) => r.seq === seq);
  if (!rec) throw new Error(`${file} has no seq ${seq}`);
  return rec;
}

type Update = Extract<ExchangeResult, { kind: "episode" }>;
function updateOf(result: ExchangeResult): Update {
  if (result.kind !== "episode") throw new Error(`expected an episode, got skip: ${result.reason}`);
  return result;
}
const epOf = (result: ExchangeResult): Episode => updateOf(result).episode;

function withBody(rec: FixtureRecord, edit: (body: Record<string, unknown>) => void): FixtureRecord {
  const body = structuredClone(rec.body ?? {});
  edit(body);
  return { ...rec, body };
}

describe("interpretExchange on print-mode-text.jsonl", () => {
  const records = loadFixture("print-mode-text.jsonl");
  const results = records.map((r) => interpretExchange(fixtureExchange(r), OPTS));

  it("skips the HEAD probes", () => {
    records.forEach((r, i) => {
      if (r.method === "HEAD")
        expect(results[i]).toEqual({ kind: "skip", reason: "method HEAD is not captured" });
    });
  });

  it("turns a plain question into one complete episode with session, project and the reply", () => {
    const update = updateOf(interpretExchange(fixtureExchange(record("print-mode-text.jsonl", 2)), OPTS));
    const run = "456ef800-15af-4b37-b852-6d2e9c028cd1";
    expect(update.ends).toBe(true);
    expect(update.conversation).toBe(`session:${run}`);
    expect(update.episode).toEqual({
      key: episodeKey(run, "Please answer briefly. E2E-PROMPT-557581d7", "E2E-REPLY-557581d7"),
      incomplete_key: expect.stringMatching(/^[0-9a-f]{64}$/),
      user_id: "dev",
      agent_id: "claude-code",
      app_id: APP,
      run_id: run,
      words: "Please answer briefly. E2E-PROMPT-557581d7",
      answer: "E2E-REPLY-557581d7",
      steps: [],
      files_read: [],
      files_changed: [],
      commands: [],
      tools: [],
      subagents: [],
      requests: 1,
      model: "claude-opus-4-8",
      stop_reason: "end_turn",
      usage: {
        input_tokens: 1200,
        output_tokens: 30,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
      complete: true,
      incomplete_reason: null,
      started_at: "2026-11-25T10:00:00.000Z",
      ended_at: "2026-11-25T10:00:02.000Z",
      client: "claude-cli/2.1.197",
      source: "capture",
    });
  });

  it("takes only the latest question of a resent history as the episode", () => {
    const ep = epOf(interpretExchange(fixtureExchange(record("print-mode-text.jsonl", 4)), OPTS));
    expect(ep.words).toBe("And a follow-up. E2E-PROMPT2-557581d7");
    expect(ep.answer).toBe("E2E-REPLY2-557581d7");
    expect(ep.requests).toBe(1);
  });

  it("never keeps headers, the billing header line, reminders or the system prompt", () => {
    for (const r of records) {
      const ex = fixtureExchange(r, {
        requestHeaders: {
          ...Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])),
          "x-api-key": "sk-ant-api03-HEADERSECRETHEADERSECRETHEADERSECRET",
          authorization: "Bearer HEADERBEARER0123456789",
        },
      });
      const result = interpretExchange(ex, OPTS);
      const stored = JSON.stringify(
        result.kind === "episode" ? [result.episode, episodeToMemory(result.episode)] : result,
      );
      for (const forbidden of [
        "HEADERSECRET",
        "HEADERBEARER",
        "x-anthropic-billing-header",
        "cc_version",
        "system-reminder",
        "currentDate",
        "interactive agent that helps users",
        "Available agent types",
        "x-stainless",
      ]) {
        expect(stored).not.toContain(forbidden);
      }
    }
  });
});

describe("interpretExchange on print-mode-mcp-tool-use.jsonl (recall through this project's MCP tool)", () => {
  it("a tool call continues the episode: the call is traced as recall, thinking left out", () => {
    const update = updateOf(
      interpretExchange(fixtureExchange(record("print-mode-mcp-tool-use.jsonl", 2)), OPTS),
    );
    expect(update.ends).toBe(false);
    expect(update.episode).toMatchObject({
      words: "What are my editor preferences?",
      answer: "",
      complete: false,
      stop_reason: "tool_use",
      run_id: "c4060e28-b785-4bcd-8741-c5b6d1e0dca5",
      app_id: APP,
      tools: ["mcp__memory__search_memories"],
    });
    expect(update.episode.steps).toEqual([
      { kind: "tool", tool: "mcp__memory__search_memories", line: "recalled: editor preferences 557581d7" },
    ]);
    expect(JSON.stringify(update.episode)).not.toContain("look them up");
  });

  it("the follow-up ends it; the memory search result is never kept", () => {
    const first = updateOf(
      interpretExchange(fixtureExchange(record("print-mode-mcp-tool-use.jsonl", 2)), OPTS),
    );
    const update = updateOf(
      interpretExchange(fixtureExchange(record("print-mode-mcp-tool-use.jsonl", 3)), OPTS),
    );
    expect(update.ends).toBe(true);
    expect(update.identity).toBe(first.identity);
    expect(update.conversation).toBe(first.conversation);
    expect(update.episode.words).toBe("What are my editor preferences?");
    expect(update.episode.requests).toBe(2);
    // The recorded stand-in echoed the result into its answer; the result block itself is not kept.
    const memory = episodeToMemory(update.episode).memory;
    expect(memory.split("\n").filter((l) => l.includes("FIXTURE-MEMORY-7f3a"))).toHaveLength(1);
    expect(memory).toMatch(/^Assistant: TOOL_RESULT/m);
    expect(memory).toContain("- recalled: editor preferences 557581d7");
  });

  it("never keeps a tool result's body, however large; a failed call keeps the first line of its error", () => {
    const rec = withBody(record("print-mode-mcp-tool-use.jsonl", 3), (body) => {
      const messages = body.messages as { role: string; content: unknown }[];
      const call = messages[messages.length - 2] as { content: Record<string, unknown>[] };
      call.content.push(
        { type: "tool_use", id: "t1", name: "Read", input: { file_path: `${APP}/big.txt` } },
        { type: "tool_use", id: "t2", name: "Bash", input: { command: "npm test" } },
      );
      messages[messages.length - 1] = {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t1", content: `${"BODY".repeat(10_000)}` },
          {
            type: "tool_result",
            tool_use_id: "t2",
            is_error: true,
            content: [
              { type: "text", text: "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at stack line" },
            ],
          },
        ],
      };
    });
    const ep = epOf(interpretExchange(fixtureExchange(rec), OPTS));
    expect(JSON.stringify(ep)).not.toContain("BODY");
    expect(ep.steps.slice(1)).toEqual([
      { kind: "tool", tool: "Read", line: "Read big.txt" },
      {
        kind: "tool",
        tool: "Bash",
        line: "Bash: npm test",
        error: "Error: connect ECONNREFUSED 127.0.0.1:5432",
      },
    ]);
    expect(ep.files_read).toEqual([`${APP}/big.txt`]);
    expect(ep.commands).toEqual(["npm test"]);
  });
});

describe("interpretExchange on interactive-with-title.jsonl", () => {
  it("skips the title side request and captures both questions", () => {
    const results = loadFixture("interactive-with-title.jsonl").map((r) =>
      interpretExchange(fixtureExchange(r), OPTS),
    );
    expect(results.map((r) => (r.kind === "episode" ? r.episode.words : r.reason))).toEqual([
      "method HEAD is not captured",
      "side request: session title",
      "Please refactor the parser module E2E-INT-5e3bff71",
      "Something else now E2E-INT2-5e3bff71",
    ]);
    for (const r of results) {
      if (r.kind !== "episode") continue;
      expect(r.episode.run_id).toBe("9ebfd270-9199-4ca2-84e8-51c4fcd41a86");
      expect(r.episode.app_id).toBe(APP);
      expect(r.episode.client).toBe("claude-cli/2.1.197");
    }
  });
});

describe("interpretExchange session, project and keys", () => {
  const rec = record("print-mode-text.jsonl", 2);
  const session = "456ef800-15af-4b37-b852-6d2e9c028cd1";
  const noHeader = (r: FixtureRecord) => {
    const ex = fixtureExchange(r);
    delete ex.requestHeaders["x-claude-code-session-id"];
    return ex;
  };

  it("falls back to session_id inside metadata.user_id (JSON string)", () => {
    expect(epOf(interpretExchange(noHeader(rec), OPTS)).run_id).toBe(session);
  });

  it("reads the older plain-string metadata.user_id; without a session the conversation is a hash", () => {
    const old = withBody(rec, (b) => {
      b.metadata = { user_id: `user_abc123_account__session_${session}` };
    });
    expect(epOf(interpretExchange(noHeader(old), OPTS)).run_id).toBe(session);
    const opaque = withBody(rec, (b) => {
      b.metadata = { user_id: "some-user" };
    });
    const u = updateOf(interpretExchange(noHeader(opaque), OPTS));
    expect(u.episode.run_id).toBeNull();
    expect(u.conversation).toMatch(/^hash:[0-9a-f]{32}$/);
    const broken = withBody(rec, (b) => {
      b.metadata = { user_id: '{"session_id": ' };
    });
    expect(epOf(interpretExchange(noHeader(broken), OPTS)).run_id).toBeNull();
  });

  it("has no app_id when the system prompt names no working directory", () => {
    const bare = withBody(rec, (b) => {
      b.system = "You are a helpful assistant.";
    });
    expect(epOf(interpretExchange(fixtureExchange(bare), OPTS)).app_id).toBeNull();
    const older = withBody(rec, (b) => {
      b.system = "<env>\nWorking directory: /srv/legacy app\nIs directory a git repo: Yes\n</env>";
    });
    expect(epOf(interpretExchange(fixtureExchange(older), OPTS)).app_id).toBe("/srv/legacy app");
  });

  it("gives the same key to a retried exchange and different keys to different sessions", () => {
    const a = epOf(interpretExchange(fixtureExchange(rec), OPTS));
    const b = epOf(interpretExchange(fixtureExchange(rec, { startedAt: "2026-11-25T11:00:00.000Z" }), OPTS));
    expect(b.key).toBe(a.key);
    const other = fixtureExchange(rec);
    other.requestHeaders["x-claude-code-session-id"] = "another-session";
    expect(epOf(interpretExchange(other, OPTS)).key).not.toBe(a.key);
  });

  it("redacts secrets in the words and the answer", () => {
    const secret = ["sk-ant-", "api03-", "ZZZZyyyyXXXXwwwwVVVVuuuu0123"].join("");
    const leaky = withBody(rec, (b) => {
      (b.messages as { role: string; content: unknown }[])[0] = {
        role: "user",
        content: `my key is ${secret} and DB_PASSWORD=hunter2 <private>home address</private>`,
      };
    });
    const ex = fixtureExchange(leaky, {
      responseBody: Buffer.from(
        encodeSse(
          stubReplyMessage({
            stop_reason: "end_turn",
            content: [{ type: "text", text: `Stored ${secret}.` }],
          }),
        ),
      ),
    });
    const ep = epOf(interpretExchange(ex, OPTS));
    expect(ep.words).toBe(
      "my key is [REDACTED:anthropic_key] and DB_PASSWORD=[REDACTED:password] [REDACTED:private]",
    );
    expect(ep.answer).toBe("Stored [REDACTED:anthropic_key].");
    expect(JSON.stringify(episodeToMemory(ep))).not.toContain(secret);
  });

  it("skips a sub-agent's requests (Claude Code marks them with x-claude-code-agent-id)", () => {
    const ex = fixtureExchange(rec);
    ex.requestHeaders["x-claude-code-agent-id"] = "a49e0fc016135c3f8";
    expect(interpretExchange(ex, OPTS)).toEqual({
      kind: "skip",
      reason: "sub-agent request (its result is traced in the parent episode)",
    });
  });
});

describe("interpretExchange with incomplete, errored and odd replies", () => {
  const rec = record("print-mode-text.jsonl", 2);
  const reply = stubReplyMessage({
    stop_reason: "end_turn",
    content: [{ type: "text", text: "A long answer that is cut somewhere in the middle." }],
  });

  it("a cut stream does not end the episode; it is kept in progress with the reason", () => {
    const events = sseEvents(reply).length;
    const ex = fixtureExchange(rec, {
      responseBody: Buffer.from(encodeSse(reply, { cutAfterEvents: events - 4 })),
      responseComplete: false,
    });
    const u = updateOf(interpretExchange(ex, OPTS));
    expect(u.ends).toBe(false);
    expect(u.episode.complete).toBe(false);
    expect(u.episode.incomplete_reason).toBe("interrupted: the response ended before the message finished");
    expect(u.episode.stop_reason).toBeNull();
    expect(episodeToMemory(u.episode).memory).toContain("[episode incomplete: interrupted");
  });

  it("an error event after a 200 leaves the episode in progress with the error", () => {
    const ex = fixtureExchange(rec, {
      responseBody: Buffer.from(
        encodeSse(reply, { errorInsteadOfStop: { type: "overloaded_error", message: "Overloaded" } }),
      ),
    });
    const u = updateOf(interpretExchange(ex, OPTS));
    expect(u.ends).toBe(false);
    expect(u.episode.incomplete_reason).toBe("overloaded_error: Overloaded");
  });

  it("keeps a reply whose message_stop arrived even if the connection then failed", () => {
    expect(updateOf(interpretExchange(fixtureExchange(rec, { responseComplete: false }), OPTS)).ends).toBe(
      true,
    );
  });

  it("a missing response or a refused request keeps the person's words in progress, never ends it", () => {
    const none = updateOf(
      interpretExchange(fixtureExchange(rec, { status: null, responseBody: Buffer.alloc(0) }), OPTS),
    );
    expect(none.ends).toBe(false);
    expect(none.episode).toMatchObject({
      complete: false,
      answer: "",
      words: "Please answer briefly. E2E-PROMPT-557581d7",
    });
    expect(none.episode.incomplete_reason).toBe("no_response: no response arrived from the upstream");
    const overloaded = updateOf(
      interpretExchange(
        fixtureExchange(rec, {
          status: 529,
          responseHeaders: { "content-type": "application/json" },
          responseBody: Buffer.from(
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
          ),
        }),
        OPTS,
      ),
    );
    expect(overloaded.ends).toBe(false);
    expect(overloaded.episode.incomplete_reason).toBe("error reply (HTTP 529)");
    expect(overloaded.identity).toBe(none.identity);
  });

  it("reads a non-streaming JSON reply with nested usage", () => {
    const body = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-opus-4-8",
      content: [{ type: "text", text: "JSON reply" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        output_tokens: 2,
        cache_creation: { ephemeral_5m_input_tokens: 7 },
        service_tier: "standard",
      },
    };
    const ex = fixtureExchange(rec, {
      responseHeaders: { "content-type": "application/json" },
      responseBody: Buffer.from(JSON.stringify(body)),
    });
    const ep = epOf(interpretExchange(ex, OPTS));
    expect(ep).toMatchObject({ answer: "JSON reply", complete: true, stop_reason: "end_turn" });
    expect(ep.usage).toEqual({
      input_tokens: 10,
      output_tokens: 2,
      "cache_creation.ephemeral_5m_input_tokens": 7,
    });
  });

  it("sniffs SSE when the content-type header is missing", () => {
    expect(updateOf(interpretExchange(fixtureExchange(rec, { responseHeaders: {} }), OPTS)).ends).toBe(true);
  });

  it("a truncated capture does not end the episode", () => {
    const full = fixtureExchange(rec);
    const ex = { ...full, truncated: true, responseBody: full.responseBody.subarray(0, 600) };
    const ep = epOf(interpretExchange(ex, OPTS));
    expect(ep.complete).toBe(false);
    expect(ep.incomplete_reason).toBe("capture_truncated: the response exceeded the capture size cap");
  });

  it("skips malformed requests and requests without the person's words", () => {
    const bad: CapturedExchange = { ...fixtureExchange(rec), requestBody: Buffer.from('{"messages": [') };
    expect(interpretExchange(bad, OPTS)).toEqual({ kind: "skip", reason: "malformed request" });
    const onlyReminder = withBody(rec, (b) => {
      b.messages = [{ role: "user", content: "<system-reminder>context</system-reminder>\n\n" }];
    });
    expect(interpretExchange(fixtureExchange(onlyReminder), OPTS)).toEqual({
      kind: "skip",
      reason: "no message with the person's words",
    });
  });

  it("bounds very long words and answers", () => {
    const long = withBody(rec, (b) => {
      b.messages = [{ role: "user", content: "word ".repeat(20_000) }];
    });
    const ex = fixtureExchange(long, {
      responseBody: Buffer.from(
        encodeSse(
          stubReplyMessage({
            stop_reason: "end_turn",
            content: [{ type: "text", text: "yes ".repeat(5000) }],
          }),
        ),
      ),
    });
    const ep = epOf(interpretExchange(ex, OPTS));
    expect(ep.words.length).toBeLessThanOrEqual(WORDS_MAX_CHARS + 40);
    expect(ep.words).toMatch(/… \[truncated \d+ chars\]$/);
    expect(ep.answer.length).toBeLessThanOrEqual(ANSWER_MAX_CHARS + 40);
    expect(episodeToMemory(ep).memory.length).toBeLessThanOrEqual(WORDS_MAX_CHARS + ANSWER_MAX_CHARS + 200);
  });
});
