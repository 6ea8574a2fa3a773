import { gunzipSync } from "node:zlib";
import { APIError } from "@anthropic-ai/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StubReply } from "../support/anthropic-stub.js";
import { apiHeaders, type Harness, rawRequest, startHarness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const SESSION = "5b0c1f9e-0000-4000-8000-00000000abcd";
const SYSTEM = "You are a helpful agent.\nPrimary working directory: /home/dev/acme-api\n";

function messagesBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    system: SYSTEM,
    messages: [{ role: "user", content: text }],
    ...extra,
  };
}

const TOOL_REPLY: StubReply = {
  content: [
    { type: "thinking", thinking: "The user wants the weather; call the tool.", signature: "sig-abc123" },
    { type: "text", text: "Let me look that up." },
    { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Lisbon", unit: "celsius" } },
  ],
};

describe("reverse proxy (ANTHROPIC_BASE_URL) with the official SDK", () => {
  it("forwards a non-streaming call and stores the turn once with its fields", async () => {
    const client = h.reverseClient();
    const msg = await client.messages.create(
      {
        model: "claude-sonnet-4-5",
        max_tokens: 1024,
        system: SYSTEM,
        messages: [{ role: "user", content: "Remember that my favourite editor is Helix" }],
      },
      { headers: { "X-Claude-Code-Session-Id": SESSION } },
    );
    expect(msg.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("Stub reply 0") });
    // The upstream saw the client's own auth header and version, and no proxy headers.
    const seen = h.stub.exchanges[0];
    const auth = seen?.headers["x-api-key"] ?? seen?.headers.authorization?.replace(/^Bearer /, "");
    expect(auth).toBe(h.stub.apiKey);
    expect(seen?.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(seen?.headers.host).toBe(new URL(h.stub.url).host);

    const [m, ...rest] = await h.waitForStored(1);
    expect(rest).toEqual([]);
    expect(m?.memory).toContain("User: Remember that my favourite editor is Helix");
    expect(m?.memory).toContain("Assistant: Stub reply 0");
    expect(m?.user_id).toBe("tester");
    expect(m?.agent_id).toBe("claude-code");
    expect(m?.run_id).toBe(SESSION);
    expect(m?.app_id).toBe("/home/dev/acme-api");
    expect(m?.metadata).toMatchObject({
      model: "claude-sonnet-4-5",
      stop_reason: "end_turn",
      complete: true,
    });
    expect(h.proxy.stats()).toMatchObject({
      exchanges: 1,
      turnsQueued: 1,
      turnsStored: 1,
      captureFailures: 0,
    });
  });

  it("streams thinking and tool use through unchanged and stores one episode with the call traced", async () => {
    h.stub.replier = () => TOOL_REPLY;
    const client = h.reverseClient();
    const stream = client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [
        {
          name: "get_weather",
          description: "Weather for a city",
          input_schema: { type: "object", properties: { city: { type: "string" } } },
        },
      ],
      messages: [{ role: "user", content: "What's the weather in Lisbon?" }],
    });
    const events: string[] = [];
    stream.on("streamEvent", (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toHaveLength(3);
    expect(final.content[0]).toMatchObject(TOOL_REPLY.content[0] as object);
    expect(final.content[1]).toMatchObject(TOOL_REPLY.content[1] as object);
    expect(final.content[2]).toMatchObject(TOOL_REPLY.content[2] as object);
    expect(final.stop_reason).toBe("tool_use");
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");

    // Follow-up with the tool result: the stub checks the tool_use/tool_result pairing.
    h.stub.replier = () => ({ content: [{ type: "text", text: "It is sunny in Lisbon." }] });
    const followUp = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [
        { role: "user", content: "What's the weather in Lisbon?" },
        { role: "assistant", content: final.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "21 degrees, sunny" }],
        },
      ],
    });
    expect(followUp.stop_reason).toBe("end_turn");

    const mems = await h.waitForStored(1);
    expect(mems.map((m) => m.memory)).toEqual([
      "User: What's the weather in Lisbon?\nAssistant: It is sunny in Lisbon.\nTrace:\n- get_weather: Lisbon",
    ]);
    expect(mems[0]?.metadata).toMatchObject({ requests: 2, tools: ["get_weather"], complete: true });
    // Thinking, filler between calls and the tool result's body are not stored.
    expect(JSON.stringify(mems)).not.toMatch(/The user wants the weather|Let me look that up|21 degrees/);
  });

  it("gives a raw client exactly the bytes the upstream sent (SSE and gzip JSON)", async () => {
    // The tool call below is never followed up: with a short idle time it is stored as incomplete.
    await h.close();
    h = await startHarness({ proxy: { episodeIdleMs: 1 } });
    h.stub.replier = () => ({ ...TOOL_REPLY, faults: { splitBytes: 7 } });
    const sse = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body: JSON.stringify(messagesBody("stream me", { stream: true })),
    });
    expect(sse.status).toBe(200);
    expect(sse.headers["content-type"]).toContain("text/event-stream");
    expect(sse.body.equals(h.stub.exchanges[0]?.responseBody ?? Buffer.alloc(1))).toBe(true);

    h.stub.replier = () => ({
      content: [{ type: "text", text: "compressed reply" }],
      faults: { gzip: true },
    });
    const gz = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey, { "accept-encoding": "gzip" }),
      body: JSON.stringify(messagesBody("zip me")),
    });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.body.equals(h.stub.exchanges[1]?.responseBody ?? Buffer.alloc(1))).toBe(true);
    expect(JSON.parse(gunzipSync(gz.body).toString("utf8")).content[0].text).toBe("compressed reply");

    // Capture decoded the gzip copy.
    const mems = await h.waitForStored(2);
    expect(mems.some((m) => m.memory.includes("Assistant: compressed reply"))).toBe(true);
    const abandoned = mems.find((m) => m.memory.startsWith("User: stream me"));
    expect(abandoned?.metadata).toMatchObject({ complete: false, tools: ["get_weather"] });
  });

  it("stores a turn once even when the client sends it twice", async () => {
    const body = JSON.stringify(messagesBody("same question", { stream: true }));
    h.stub.replier = () => ({ content: [{ type: "text", text: "same answer" }] });
    for (let i = 0; i < 2; i++) {
      const r = await rawRequest(h.proxy.url, {
        path: "/v1/messages",
        headers: apiHeaders(h.stub.apiKey, { "x-claude-code-session-id": SESSION }),
        body,
      });
      expect(r.status).toBe(200);
    }
    await h.waitForStored(1);
    expect(h.proxy.stats()).toMatchObject({ exchanges: 2, turnsQueued: 1, duplicates: 1 });
    expect(await h.captured()).toHaveLength(1);
  });

  it("records a stream cut mid-way and an error event after 200 as incomplete once abandoned", async () => {
    await h.close();
    h = await startHarness({ proxy: { episodeIdleMs: 1 } });
    const client = h.reverseClient();
    h.stub.replier = () => ({
      content: [{ type: "text", text: "this reply will be cut off" }],
      faults: { cutAfterEvents: 4 },
    });
    await expect(
      client.messages
        .stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "cut me" }] })
        .finalMessage(),
    ).rejects.toThrow();

    h.stub.replier = () => ({
      content: [{ type: "text", text: "overloaded soon" }],
      faults: { errorAfterEvents: 4 },
    });
    const err = await client.messages
      .stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "error me" }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).type).toBe("overloaded_error");

    const mems = await h.waitForStored(2);
    const cut = mems.find((m) => m.memory.includes("cut me"));
    const errored = mems.find((m) => m.memory.includes("error me"));
    expect(cut?.metadata.complete).toBe(false);
    expect(cut?.memory).toContain("[episode incomplete: abandoned: no request for");
    expect(String(cut?.metadata.incomplete_reason)).toMatch(/^abandoned: .*\((no_response|interrupted): /);
    expect(errored?.metadata.complete).toBe(false);
    expect(String(errored?.metadata.incomplete_reason)).toContain("overloaded_error");
  });

  it("tolerates an unknown SSE event and answers 502 with Anthropic error JSON when the upstream is down", async () => {
    const client = h.reverseClient();
    h.stub.replier = () => ({
      content: [{ type: "text", text: "future-proof" }],
      faults: { unknownEventAfter: 3 },
    });
    const ok = await client.messages
      .stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "unknown event please" }] })
      .finalMessage();
    expect(ok.content[0]).toMatchObject({ text: "future-proof" });
    const [m] = await h.waitForStored(1);
    expect(m?.metadata.complete).toBe(true);

    await h.stub.close();
    const down = await client.messages
      .create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "anyone there?" }] })
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(APIError);
    expect((down as APIError).status).toBe(502);
    expect((down as APIError).error).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(h.proxy.stats().upstreamErrors).toBe(1);
    const logged = h.logs.filter((l) => l.includes('"msg":"upstream error"'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/"code":"ECONNREFUSED"/);
    expect(logged[0]).not.toContain("anyone there");
    // close() in afterEach closes the stub again: make that harmless.
    h.stub.close = async () => {};
  });

  it("forwards the stub's 400s for bad requests and probes without storing them", async () => {
    const bad = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body: '{"model": "m", "max_tokens": 10, "messages": [',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString())).toMatchObject({ error: { type: "invalid_request_error" } });
    const noVersion = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: { "content-type": "application/json", "x-api-key": h.stub.apiKey },
      body: JSON.stringify(messagesBody("hi")),
    });
    expect(noVersion.status).toBe(400);
    const head = await rawRequest(h.proxy.url, { method: "HEAD", path: "/" });
    expect(head.status).toBe(200);
    const probe = await rawRequest(h.proxy.url, {
      path: "/v1/messages?beta=true",
      headers: apiHeaders(h.stub.apiKey),
      body: JSON.stringify(messagesBody("quota probe", { max_tokens: 1 })),
    });
    expect(probe.status).toBe(200);
    const good = await h.reverseClient().messages.create(messagesBody("a real one") as never);
    expect(good.type).toBe("message");
    // Malformed JSON, the HEAD probe and the max_tokens=1 probe are noise. A request the API
    // refused has no reply: its words wait in progress (a retry continues them; idle, they are
    // stored as incomplete), never stored as an answered question.
    const mems = await h.waitForStored(1);
    expect(mems).toHaveLength(1);
    expect(mems[0]?.memory).toContain("a real one");
    expect(mems[0]?.metadata.complete).toBe(true);
    expect(h.proxy.stats()).toMatchObject({
      exchanges: 5,
      skippedNoise: 3,
      turnsStored: 1,
      episodesInProgress: 1,
    });
  });
});

describe("upstream failures never hang the client", () => {
  it("answers 502 naming TLS when the upstream's certificate is not trusted", async () => {
    const untrusting = await startHarness({ env: { UPSTREAM_CA_FILE: "" } });
    try {
      const r = await rawRequest(untrusting.proxy.url, {
        path: "/v1/messages",
        headers: apiHeaders(untrusting.stub.apiKey),
        body: JSON.stringify(messagesBody("tls?")),
      });
      expect(r.status).toBe(502);
      const body = JSON.parse(r.body.toString());
      expect(body).toMatchObject({ type: "error", error: { type: "api_error" } });
      expect(body.error.message).toContain("UPSTREAM_CA_FILE");
      expect(untrusting.stub.exchanges).toHaveLength(0);
    } finally {
      await untrusting.close();
    }
  });

  it("answers 504 when the upstream does not answer within the idle timeout", async () => {
    const slow = await startHarness({ proxy: { timeouts: { idleMs: 300 } } });
    try {
      slow.stub.replier = () => ({
        content: [{ type: "text", text: "too late" }],
        faults: { headersDelayMs: 10_000 },
      });
      const r = await rawRequest(slow.proxy.url, {
        path: "/v1/messages",
        headers: apiHeaders(slow.stub.apiKey),
        body: JSON.stringify(messagesBody("anyone?")),
      });
      expect(r.status).toBe(504);
      expect(JSON.parse(r.body.toString()).error.message).toContain("timed out");
      expect(slow.proxy.stats().upstreamErrors).toBe(1);
    } finally {
      await slow.close();
    }
  });
});
