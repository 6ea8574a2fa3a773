import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CapturedExchange, ConversationTurn, TurnResult } from "../../src/core/capture/exchange.js";
import {
  extractTurn,
  MEMORY_TEXT_MAX_CHARS,
  TURN_TEXT_MAX_CHARS,
  turnToMemory,
} from "../../src/core/capture/turn-extractor.js";
import { type FixtureRecord, fixtureExchange, loadFixture } from "./fixtures.js";
import { encodeSse, sseEvents, stubReplyMessage } from "./sse-encoder.js";

const OPTS = { defaultUserId: "dev", defaultAgentId: "claude-code" };
const APP = "/home/dev/acme-api";

function record(file: string, seq: number): FixtureRecord {
  const rec = loadFixture(file).find((r) => r.seq === seq);
  if (!rec) throw new Error(`${file} has no seq ${seq}`);
  return rec;
}

function turnOf(result: TurnResult): ConversationTurn {
  if (result.kind !== "turn") throw new Error(`expected a turn, got skip: ${result.reason}`);
  return result.turn;
}

function withBody(rec: FixtureRecord, edit: (body: Record<string, unknown>) => void): FixtureRecord {
  const body = structuredClone(rec.body ?? {});
  edit(body);
  return { ...rec, body };
}

const sha = (run: string, user: string, assistant: string) =>
  createHash("sha256").update(`${run}\u0000${user}\u0000${assistant}`).digest("hex");

describe("extractTurn on print-mode-text.jsonl", () => {
  const records = loadFixture("print-mode-text.jsonl");
  const results = records.map((r) => extractTurn(fixtureExchange(r), OPTS));

  it("skips the HEAD probes", () => {
    records.forEach((r, i) => {
      if (r.method === "HEAD")
        expect(results[i]).toEqual({ kind: "skip", reason: "method HEAD is not captured" });
    });
  });

  it("turns the first main request into a turn with session, project, stripped reminders and the reply", () => {
    const turn = turnOf(extractTurn(fixtureExchange(record("print-mode-text.jsonl", 2)), OPTS));
    const run = "456ef800-15af-4b37-b852-6d2e9c028cd1";
    expect(turn).toEqual({
      key: sha(run, "Please answer briefly. E2E-PROMPT-557581d7", "E2E-REPLY-557581d7"),
      user_id: "dev",
      agent_id: "claude-code",
      app_id: APP,
      run_id: run,
      user_text: "Please answer briefly. E2E-PROMPT-557581d7",
      assistant_text: "E2E-REPLY-557581d7",
      model: "claude-opus-4-8",
      stop_reason: "end_turn",
      usage: {
        input_tokens: 1200,
        output_tokens: 30,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
      complete: true,
      error: null,
      started_at: "2026-11-25T10:00:00.000Z",
      ended_at: "2026-11-25T10:00:02.000Z",
      client: "claude-cli/2.1.197",
    });
  });

  it("stores only the latest user message of a resent history", () => {
    const turn = turnOf(extractTurn(fixtureExchange(record("print-mode-text.jsonl", 4)), OPTS));
    expect(turn.user_text).toBe("And a follow-up. E2E-PROMPT2-557581d7");
    expect(turn.assistant_text).toBe("E2E-REPLY2-557581d7");
    expect(turn.run_id).toBe("456ef800-15af-4b37-b852-6d2e9c028cd1");
  });

  it("never stores headers, the billing header line, reminders or the system prompt", () => {
    for (const r of records) {
      const ex = fixtureExchange(r, {
        requestHeaders: {
          ...Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])),
          "x-api-key": "sk-ant-api03-HEADERSECRETHEADERSECRETHEADERSECRET",
          authorization: "Bearer HEADERBEARER0123456789",
        },
      });
      const result = extractTurn(ex, OPTS);
      const stored = JSON.stringify(
        result.kind === "turn" ? [result.turn, turnToMemory(result.turn)] : result,
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

describe("extractTurn on print-mode-mcp-tool-use.jsonl", () => {
  it("summarises the tool call and leaves thinking out", () => {
    const turn = turnOf(extractTurn(fixtureExchange(record("print-mode-mcp-tool-use.jsonl", 2)), OPTS));
    expect(turn.user_text).toBe("What are my editor preferences?");
    expect(turn.assistant_text).toBe(
      'Let me check my memory.\n\n[tool_use mcp__memory__search_memories {"query":"editor preferences 557581d7"}]',
    );
    expect(turn.assistant_text).not.toContain("look them up");
    expect(turn.stop_reason).toBe("tool_use");
    expect(turn.run_id).toBe("c4060e28-b785-4bcd-8741-c5b6d1e0dca5");
    expect(turn.app_id).toBe(APP);
  });

  it("takes the tool_result text as the user turn of the follow-up", () => {
    const turn = turnOf(extractTurn(fixtureExchange(record("print-mode-mcp-tool-use.jsonl", 3)), OPTS));
    expect(turn.user_text).toBe(
      'FIXTURE-MEMORY-7f3a: the user prefers tabs over spaces (query="editor preferences 557581d7")',
    );
    expect(turn.assistant_text).toBe(
      'TOOL_RESULT[mcp__memory__search_memories]: FIXTURE-MEMORY-7f3a: the user prefers tabs over spaces (query="editor preferences 557581d7")',
    );
    expect(turn.complete).toBe(true);
  });

  it("bounds a huge tool result, strips reminders inside it and marks errors", () => {
    const rec = withBody(record("print-mode-mcp-tool-use.jsonl", 3), (body) => {
      const messages = body.messages as { role: string; content: unknown }[];
      messages[messages.length - 1] = {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "t1",
            content: `${"x".repeat(10_000)}<system-reminder>Whenever you read a file...</system-reminder>`,
          },
          {
            type: "tool_result",
            tool_use_id: "t2",
            is_error: true,
            content: [{ type: "text", text: "Exit code 1" }],
          },
        ],
      };
    });
    const turn = turnOf(extractTurn(fixtureExchange(rec), OPTS));
    const [first, second] = turn.user_text.split("\n\n");
    expect(first).toBe(`${"x".repeat(4000)}… [truncated 6000 chars]`);
    expect(second).toBe("[tool error] Exit code 1");
  });
});

describe("extractTurn on interactive-with-title.jsonl", () => {
  const records = loadFixture("interactive-with-title.jsonl");

  it("skips the title side request and captures both main turns", () => {
    const results = records.map((r) => extractTurn(fixtureExchange(r), OPTS));
    expect(results.map((r) => (r.kind === "turn" ? r.turn.user_text : r.reason))).toEqual([
      "method HEAD is not captured",
      "side request: session title",
      "Please refactor the parser module E2E-INT-5e3bff71",
      "Something else now E2E-INT2-5e3bff71",
    ]);
    for (const r of results) {
      if (r.kind !== "turn") continue;
      expect(r.turn.run_id).toBe("9ebfd270-9199-4ca2-84e8-51c4fcd41a86");
      expect(r.turn.app_id).toBe(APP);
      expect(r.turn.client).toBe("claude-cli/2.1.197");
    }
  });
});

describe("extractTurn session, project and dedup", () => {
  const rec = record("print-mode-text.jsonl", 2);
  const session = "456ef800-15af-4b37-b852-6d2e9c028cd1";
  const noHeader = (r: FixtureRecord) => {
    const ex = fixtureExchange(r);
    delete ex.requestHeaders["x-claude-code-session-id"];
    return ex;
  };

  it("falls back to session_id inside metadata.user_id (JSON string)", () => {
    expect(turnOf(extractTurn(noHeader(rec), OPTS)).run_id).toBe(session);
  });

  it("reads the older plain-string metadata.user_id", () => {
    const old = withBody(rec, (b) => {
      b.metadata = { user_id: `user_abc123_account__session_${session}` };
    });
    expect(turnOf(extractTurn(noHeader(old), OPTS)).run_id).toBe(session);
    const opaque = withBody(rec, (b) => {
      b.metadata = { user_id: "some-user" };
    });
    expect(turnOf(extractTurn(noHeader(opaque), OPTS)).run_id).toBeNull();
    const broken = withBody(rec, (b) => {
      b.metadata = { user_id: '{"session_id": ' };
    });
    expect(turnOf(extractTurn(noHeader(broken), OPTS)).run_id).toBeNull();
  });

  it("has no app_id when the system prompt names no working directory", () => {
    const bare = withBody(rec, (b) => {
      b.system = "You are a helpful assistant.";
    });
    expect(turnOf(extractTurn(fixtureExchange(bare), OPTS)).app_id).toBeNull();
    const older = withBody(rec, (b) => {
      b.system = "<env>\nWorking directory: /srv/legacy app\nIs directory a git repo: Yes\n</env>";
    });
    expect(turnOf(extractTurn(fixtureExchange(older), OPTS)).app_id).toBe("/srv/legacy app");
  });

  it("gives the same key to a retried exchange and different keys to different sessions", () => {
    const a = turnOf(extractTurn(fixtureExchange(rec), OPTS));
    const b = turnOf(extractTurn(fixtureExchange(rec, { startedAt: "2026-11-25T11:00:00.000Z" }), OPTS));
    expect(b.key).toBe(a.key);
    const other = fixtureExchange(rec);
    other.requestHeaders["x-claude-code-session-id"] = "another-session";
    expect(turnOf(extractTurn(other, OPTS)).key).not.toBe(a.key);
  });

  it("redacts secrets in user and assistant text", () => {
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
    const turn = turnOf(extractTurn(ex, OPTS));
    expect(turn.user_text).toBe(
      "my key is [REDACTED:anthropic_key] and DB_PASSWORD=[REDACTED:password] [REDACTED:private]",
    );
    expect(turn.assistant_text).toBe("Stored [REDACTED:anthropic_key].");
    expect(JSON.stringify(turnToMemory(turn))).not.toContain(secret);
  });
});

describe("extractTurn with incomplete, errored and odd responses", () => {
  const rec = record("print-mode-mcp-tool-use.jsonl", 2);
  const reply = stubReplyMessage({
    stop_reason: "end_turn",
    content: [{ type: "text", text: "A long answer that is cut somewhere in the middle." }],
  });

  it("records a cut stream as incomplete, not dropped", () => {
    const events = sseEvents(reply).length;
    const ex = fixtureExchange(rec, {
      responseBody: Buffer.from(encodeSse(reply, { cutAfterEvents: events - 4 })),
      responseComplete: false,
    });
    const turn = turnOf(extractTurn(ex, OPTS));
    expect(turn.complete).toBe(false);
    expect(turn.error).toBe("interrupted: the response ended before the message finished");
    expect(turn.assistant_text.length).toBeGreaterThan(0);
    expect(turn.stop_reason).toBeNull();
    expect(turnToMemory(turn).memory).toContain("[reply incomplete: interrupted");
  });

  it("records an error event after a 200 with the error", () => {
    const ex = fixtureExchange(rec, {
      responseBody: Buffer.from(
        encodeSse(reply, { errorInsteadOfStop: { type: "overloaded_error", message: "Overloaded" } }),
      ),
    });
    const turn = turnOf(extractTurn(ex, OPTS));
    expect(turn.complete).toBe(false);
    expect(turn.error).toBe("overloaded_error: Overloaded");
  });

  it("keeps a reply whose message_stop arrived even if the connection then failed", () => {
    const turn = turnOf(extractTurn(fixtureExchange(rec, { responseComplete: false }), OPTS));
    expect(turn.complete).toBe(true);
  });

  it("records a missing response and an HTTP error body", () => {
    const none = turnOf(
      extractTurn(fixtureExchange(rec, { status: null, responseBody: Buffer.alloc(0) }), OPTS),
    );
    expect(none).toMatchObject({
      complete: false,
      assistant_text: "",
      user_text: "What are my editor preferences?",
    });
    expect(none.error).toBe("no_response: no response arrived from the upstream");
    // A refused request (no reply at all) is not a turn: the client retries or shows the error.
    const overloaded = extractTurn(
      fixtureExchange(rec, {
        status: 529,
        responseHeaders: { "content-type": "application/json" },
        responseBody: Buffer.from(
          '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        ),
      }),
      OPTS,
    );
    expect(overloaded).toEqual({ kind: "skip", reason: "error reply (HTTP 529) with no content" });
    const html = extractTurn(
      fixtureExchange(rec, {
        status: 502,
        responseHeaders: { "content-type": "text/html" },
        responseBody: Buffer.from("<html/>"),
      }),
      OPTS,
    );
    expect(html).toEqual({ kind: "skip", reason: "error reply (HTTP 502) with no content" });
  });

  it("keeps a stream that failed after part of the reply arrived, marked incomplete", () => {
    const partial = turnOf(
      extractTurn(
        fixtureExchange(rec, {
          status: 200,
          responseHeaders: { "content-type": "text/event-stream" },
          responseBody: Buffer.from(
            [
              'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n',
              'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n',
              'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Half an ans"}}\n',
              'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n',
              "",
            ].join("\n"),
          ),
        }),
        OPTS,
      ),
    );
    expect(partial).toMatchObject({
      complete: false,
      assistant_text: "Half an ans",
      error: "overloaded_error: Overloaded",
    });
  });

  it("reads a non-streaming JSON reply", () => {
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
    const turn = turnOf(extractTurn(ex, OPTS));
    expect(turn).toMatchObject({
      assistant_text: "JSON reply",
      complete: true,
      error: null,
      stop_reason: "end_turn",
    });
    expect(turn.usage).toEqual({
      input_tokens: 10,
      output_tokens: 2,
      "cache_creation.ephemeral_5m_input_tokens": 7,
    });
  });

  it("sniffs SSE when the content-type header is missing", () => {
    const ex = fixtureExchange(rec, { responseHeaders: {} });
    expect(turnOf(extractTurn(ex, OPTS)).complete).toBe(true);
  });

  it("marks a truncated capture as incomplete", () => {
    const full = fixtureExchange(rec);
    const ex = { ...full, truncated: true, responseBody: full.responseBody.subarray(0, 600) };
    const turn = turnOf(extractTurn(ex, OPTS));
    expect(turn.complete).toBe(false);
    expect(turn.error).toBe("capture_truncated: the response exceeded the capture size cap");
  });

  it("skips malformed requests and turns with nothing to say", () => {
    const bad: CapturedExchange = { ...fixtureExchange(rec), requestBody: Buffer.from('{"messages": [') };
    expect(extractTurn(bad, OPTS)).toEqual({ kind: "skip", reason: "malformed request" });
    const onlyReminder = withBody(rec, (b) => {
      b.messages = [{ role: "user", content: "<system-reminder>context</system-reminder>\n\n" }];
    });
    const ex = fixtureExchange(onlyReminder, { status: null, responseBody: Buffer.alloc(0) });
    expect(extractTurn(ex, OPTS)).toEqual({
      kind: "skip",
      reason: "no user or assistant text after stripping",
    });
  });

  it("bounds very long texts", () => {
    const long = withBody(rec, (b) => {
      b.messages = [{ role: "user", content: "word ".repeat(20_000) }];
    });
    const turn = turnOf(extractTurn(fixtureExchange(long), OPTS));
    expect(turn.user_text.length).toBeLessThanOrEqual(TURN_TEXT_MAX_CHARS + 40);
    expect(turn.user_text).toMatch(/… \[truncated \d+ chars\]$/);
    expect(turnToMemory(turn).memory.length).toBeLessThanOrEqual(MEMORY_TEXT_MAX_CHARS + 200);
  });
});

describe("turnToMemory", () => {
  it("builds the memory text, scope, metadata and time of a turn", () => {
    const turn = turnOf(extractTurn(fixtureExchange(record("print-mode-text.jsonl", 2)), OPTS));
    expect(turnToMemory(turn)).toEqual({
      user_id: "dev",
      agent_id: "claude-code",
      app_id: APP,
      run_id: "456ef800-15af-4b37-b852-6d2e9c028cd1",
      memory: "User: Please answer briefly. E2E-PROMPT-557581d7\nAssistant: E2E-REPLY-557581d7",
      messages: [
        { role: "user", content: "Please answer briefly. E2E-PROMPT-557581d7" },
        { role: "assistant", content: "E2E-REPLY-557581d7" },
      ],
      metadata: {
        source: "capture",
        turn_key: turn.key,
        model: "claude-opus-4-8",
        stop_reason: "end_turn",
        usage: turn.usage,
        complete: true,
        error: null,
        client: "claude-cli/2.1.197",
        started_at: "2026-11-25T10:00:00.000Z",
      },
      categories: ["conversation"],
      created_at: "2026-11-25T10:00:00.000Z",
    });
  });
});
