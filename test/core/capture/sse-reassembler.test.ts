import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import type { ReassembledMessage } from "../../../src/core/capture/exchange.js";
import { createSseReassembler, parseJsonResponse } from "../../../src/core/capture/sse-reassembler.js";
import { type EncodableMessage, encodeSse, seededRandom, sseEvents } from "./sse-encoder.js";

const citation = {
  type: "web_search_result_location",
  cited_text: "Node 20 is an LTS release",
  url: "https://example.test/node",
  title: "Node releases",
  encrypted_index: "Eo8BCioIAhgB",
};

/** Every block type the API sends, with multi-byte text so byte splits land inside characters. */
const RICH: EncodableMessage = {
  id: "msg_01RICH",
  model: "claude-opus-4-8",
  stop_reason: "tool_use",
  usage: { input_tokens: 321, output_tokens: 654, cache_read_input_tokens: 0 },
  content: [
    {
      type: "thinking",
      thinking: "Über-plan: look it up 🚀, then answer — naïvely.",
      signature: "sig_EqQBCkgIAR",
    },
    { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw" },
    {
      type: "server_tool_use",
      id: "srvtoolu_01",
      name: "web_search",
      input: { query: "node 20 lts 日本語" },
    },
    {
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_01",
      content: [{ type: "web_search_result", url: "https://example.test/node", title: "Node releases" }],
    },
    { type: "text", text: "Node 20 is LTS — 長期サポート ✅.", citations: [citation] },
    {
      type: "tool_use",
      id: "toolu_01",
      name: "Bash",
      input: { command: "node --version && echo 'ok ✓'", timeout: 5000, nested: { a: [1, 2, { b: null }] } },
    },
    { type: "future_block_type", payload: { anything: true } },
  ],
};

function reassemble(chunks: (Buffer | string)[]): ReassembledMessage {
  const r = createSseReassembler();
  for (const c of chunks) r.push(c);
  return r.end();
}

function expectRich(m: ReassembledMessage) {
  expect(m.complete).toBe(true);
  expect(m.error).toBeUndefined();
  expect(m.id).toBe("msg_01RICH");
  expect(m.model).toBe("claude-opus-4-8");
  expect(m.role).toBe("assistant");
  expect(m.stop_reason).toBe("tool_use");
  expect(m.usage).toEqual({ input_tokens: 321, output_tokens: 654, cache_read_input_tokens: 0 });
  expect(m.content).toEqual(RICH.content);
}

describe("createSseReassembler", () => {
  it("rebuilds every block type from one whole chunk", () => {
    expectRich(reassemble([Buffer.from(encodeSse(RICH))]));
  });

  it("agrees with the official SDK's accumulation of the same stream", async () => {
    const body = encodeSse(RICH);
    const client = new Anthropic({
      apiKey: "test-key",
      baseURL: "http://stand-in.invalid",
      fetch: async () =>
        new Response(body, { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" } }),
    });
    const sdkMessage = await client.messages
      .stream({ model: "claude-opus-4-8", max_tokens: 100, messages: [{ role: "user", content: "hi" }] })
      .finalMessage();
    const ours = reassemble([body]);
    expect(ours.content).toEqual(JSON.parse(JSON.stringify(sdkMessage.content)));
    expect(ours.stop_reason).toBe(sdkMessage.stop_reason);
    expect(ours.usage?.output_tokens).toBe(sdkMessage.usage.output_tokens);
    expect(ours.usage?.input_tokens).toBe(sdkMessage.usage.input_tokens);
  });

  const small: EncodableMessage = {
    id: "msg_small",
    model: "claude-haiku-4-5",
    stop_reason: "end_turn",
    usage: { input_tokens: 3, output_tokens: 4 },
    content: [
      { type: "thinking", thinking: "é🙂", signature: "s" },
      { type: "text", text: "Hé 🙂 ok" },
      { type: "tool_use", id: "t", name: "X", input: { k: "ü" } },
    ],
  };

  for (const lineEnding of ["\n", "\r\n", "\r"] as const) {
    it(`gives the same result for a split at every byte offset (line ending ${JSON.stringify(lineEnding)})`, () => {
      const bytes = Buffer.from(encodeSse(small, { pieceSize: 2, lineEnding }));
      const whole = reassemble([bytes]);
      expect(whole.complete).toBe(true);
      expect(whole.content).toEqual(small.content);
      for (let i = 0; i <= bytes.length; i++) {
        expect(reassemble([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
      }
      // And one byte at a time: every boundary at once.
      expect(reassemble([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
    });
  }

  it("gives the same result for random splits of a big stream", () => {
    const big: EncodableMessage = {
      ...RICH,
      content: [
        ...RICH.content,
        { type: "text", text: "Lorem ipsum ✨ dolor sit amet. ".repeat(400) },
        { type: "tool_use", id: "toolu_big", name: "Write", input: { content: "x🚀y\n".repeat(500) } },
      ],
    };
    const rand = seededRandom(42);
    for (const lineEnding of ["\n", "\r\n", "\r"] as const) {
      const bytes = Buffer.from(encodeSse(big, { pieceSize: 13, lineEnding }));
      for (let round = 0; round < 40; round++) {
        const chunks: Buffer[] = [];
        let pos = 0;
        while (pos < bytes.length) {
          const n = 1 + Math.floor(rand() * 300);
          chunks.push(bytes.subarray(pos, pos + n));
          pos += n;
        }
        const m = reassemble(chunks);
        expect(m.complete).toBe(true);
        expect(m.content).toEqual(big.content);
      }
    }
  });

  it("accepts strings as well as buffers", () => {
    const text = encodeSse(RICH);
    expectRich(reassemble([text.slice(0, 100), text.slice(100, 1000), text.slice(1000)]));
  });

  it("records a stream cut between events as incomplete, keeping what arrived", () => {
    const events = sseEvents(RICH).length;
    const m = reassemble([encodeSse(RICH, { cutAfterEvents: events - 3 })]);
    expect(m.complete).toBe(false);
    expect(m.stop_reason).toBeNull();
    expect(m.content.find((b) => b.type === "text")).toMatchObject({
      text: "Node 20 is LTS — 長期サポート ✅.",
    });
  });

  it("records a stream cut mid-line and mid-character as incomplete", () => {
    const bytes = Buffer.from(encodeSse(RICH));
    const cut = bytes.indexOf(Buffer.from("長")) + 1;
    const m = reassemble([bytes.subarray(0, cut)]);
    expect(m.complete).toBe(false);
    expect(m.content[0]).toMatchObject({ type: "thinking" });
  });

  it("keeps a tool input cut mid-JSON as partial JSON", () => {
    const msg: EncodableMessage = {
      ...small,
      content: [{ type: "tool_use", id: "t", name: "Bash", input: { command: "ls -la /tmp" } }],
    };
    const events = sseEvents(msg, { pieceSize: 4 });
    const lastDelta = events.findLastIndex((e) => e.event === "content_block_delta");
    const m = reassemble([encodeSse(msg, { pieceSize: 4, cutAfterEvents: lastDelta })]);
    expect(m.complete).toBe(false);
    expect(m.content[0]).toMatchObject({ type: "tool_use", name: "Bash", input: {} });
    expect(m.content[0]?.input_partial_json).toBe('{"command":"ls -la /tmp"');
  });

  it("records an error event after a 200 as incomplete with the error", () => {
    const m = reassemble([
      encodeSse(RICH, { errorInsteadOfStop: { type: "overloaded_error", message: "Overloaded" } }),
    ]);
    expect(m.complete).toBe(false);
    expect(m.error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect(m.content.length).toBe(RICH.content.length);
  });

  it("does not let message_stop after an error count as complete", () => {
    const text = `${encodeSse(small).replace("event: message_stop", 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom"}}\n\nevent: message_stop')}`;
    const m = reassemble([text]);
    expect(m.complete).toBe(false);
    expect(m.error).toEqual({ type: "api_error", message: "boom" });
  });

  it("tolerates unknown event types, unknown deltas, comments and ping", () => {
    const extra = [
      { event: "future_event", data: JSON.stringify({ type: "future_event", value: 1 }) },
      { event: "heartbeat", data: "not json at all" },
    ];
    let text = encodeSse(RICH, { extraEvents: extra });
    text = `: a comment line\n\n${text}`;
    text = text.replace(
      "event: message_delta",
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":4,"delta":{"type":"future_delta","note":"x"}}\n\nevent: message_delta',
    );
    const m = reassemble([text]);
    expect(m.complete).toBe(true);
    expect(m.error).toBeUndefined();
    expect(m.content[4]).toMatchObject({
      type: "text",
      text: "Node 20 is LTS — 長期サポート ✅.",
      note: "x",
    });
  });

  it("marks a known event with unparseable data as incomplete", () => {
    const text = encodeSse(small).replace(
      '"type":"content_block_stop","index":1}',
      '"type":"content_block_stop",',
    );
    const m = reassemble([text]);
    expect(m.complete).toBe(false);
    expect(m.error?.type).toBe("invalid_sse_event");
  });

  it("tolerates a delta whose content_block_start never came", () => {
    const text = encodeSse(small).replace(/event: content_block_start\ndata: [^\n]*"index":1[^\n]*\n\n/, "");
    const m = reassemble([text]);
    expect(m.complete).toBe(true);
    expect(m.content[1]).toEqual({ type: "text", text: "Hé 🙂 ok" });
  });

  it("discards a final event that is not terminated by a blank line (SSE rule)", () => {
    const text = encodeSse(small).replace(/\n\n$/, "\n");
    expect(reassemble([text]).complete).toBe(false);
  });

  it("returns an empty incomplete message for an empty or non-SSE body", () => {
    for (const body of ["", "garbage\n\n", "<html>502</html>"]) {
      const m = reassemble([body]);
      expect(m.complete).toBe(false);
      expect(m.content).toEqual([]);
    }
  });

  it("ignores pushes after end and returns the same result twice", () => {
    const r = createSseReassembler();
    r.push(encodeSse(small));
    const first = r.end();
    r.push("event: error\ndata: {}\n\n");
    expect(r.end()).toBe(first);
    expect(first.complete).toBe(true);
  });
});

describe("parseJsonResponse", () => {
  it("reads a whole message as complete", () => {
    const body = {
      id: "msg_json",
      type: "message",
      role: "assistant",
      model: "claude-opus-4-8",
      content: RICH.content,
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 6, server_tool_use: { web_search_requests: 1 } },
    };
    const m = parseJsonResponse(Buffer.from(JSON.stringify(body)));
    expect(m).toEqual({
      id: "msg_json",
      model: "claude-opus-4-8",
      role: "assistant",
      content: RICH.content,
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: body.usage,
      complete: true,
    });
  });

  it("reads an error body as incomplete with the error", () => {
    const m = parseJsonResponse(
      Buffer.from(
        JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "slow down" } }),
      ),
    );
    expect(m.complete).toBe(false);
    expect(m.error).toEqual({ type: "rate_limit_error", message: "slow down" });
  });

  it("reads garbage and non-messages as incomplete without throwing", () => {
    for (const body of ["{", "[]", "null", '{"type":"message"}', "\u0000\u00ff"]) {
      const m = parseJsonResponse(Buffer.from(body));
      expect(m.complete).toBe(false);
      expect(m.error?.type).toBe("invalid_response");
    }
  });
});
