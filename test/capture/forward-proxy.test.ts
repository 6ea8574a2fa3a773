import * as http from "node:http";
import { createServer as createHttpsServer, type Server } from "node:https";
import { connect as netConnect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestServerIdentity, type StubReply } from "../support/anthropic-stub.js";
import { openTunnel, requestOver, sha256Fingerprint, tlsOverTunnel } from "./support/connect-client.js";
import { apiHeaders, type Harness, rawRequest, startHarness } from "./support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const THINKING_TOOL: StubReply = {
  content: [
    { type: "thinking", thinking: "Check the calendar first.", signature: "sig-xyz" },
    { type: "text", text: "Checking your calendar." },
    { type: "tool_use", id: "toolu_cal", name: "calendar_lookup", input: { day: "2026-11-26" } },
  ],
};

describe("forward proxy (HTTPS_PROXY + NODE_EXTRA_CA_CERTS) with the official SDK", () => {
  it("intercepts api.anthropic.com with a leaf from the project CA and stores the episodes", async () => {
    // The tool call is never followed up: with a short idle time it is stored as incomplete.
    await h.close();
    h = await startHarness({ proxy: { episodeIdleMs: 1 } });
    const client = h.forwardClient();
    const msg = await client.messages.create({
      model: "claude-opus-4-1",
      max_tokens: 256,
      messages: [{ role: "user", content: "Through the forward proxy please" }],
    });
    expect(msg.content[0]).toMatchObject({
      type: "text",
      text: expect.stringContaining("Through the forward proxy"),
    });

    h.stub.replier = () => THINKING_TOOL;
    const final = await client.messages
      .stream({
        model: "claude-opus-4-1",
        max_tokens: 4096,
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [{ name: "calendar_lookup", input_schema: { type: "object" } }],
        messages: [{ role: "user", content: "Am I free tomorrow?" }],
      })
      .finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    expect(final.content[2]).toMatchObject({ name: "calendar_lookup", input: { day: "2026-11-26" } });

    const mems = await h.waitForStored(2);
    expect(mems.some((m) => m.memory.includes("Through the forward proxy please"))).toBe(true);
    const cal = mems.find((m) => m.memory.includes("Am I free tomorrow?"));
    expect(cal?.memory).toContain("- calendar_lookup: 2026-11-26");
    expect(cal?.metadata).toMatchObject({ complete: false, tools: ["calendar_lookup"] });
    // undici may open a second tunnel; every one of them was intercepted, none tunnelled.
    expect(h.proxy.stats()).toMatchObject({ tunnelled: 0, exchanges: 2 });
    expect(h.proxy.stats().intercepted).toBeGreaterThanOrEqual(1);
  });

  it("gives a raw TLS client the upstream's exact bytes, under a certificate the project CA issued", async () => {
    await h.close();
    h = await startHarness({ proxy: { episodeIdleMs: 1 } });
    h.stub.replier = () => ({ ...THINKING_TOOL, faults: { splitBytes: 11 } });
    const { status, socket } = await openTunnel(h.proxy.url, "api.anthropic.com:443");
    expect(status).toBe(200);
    const tls = await tlsOverTunnel(socket, "api.anthropic.com", h.caPem());
    const peer = tls.getPeerX509Certificate();
    expect(peer?.subject).toContain("CN=api.anthropic.com");
    expect(peer?.issuer).toContain("mcp-mitm-mem0 local CA");
    expect(tls.alpnProtocol).toBe("http/1.1");
    const r = await requestOver(tls, "api.anthropic.com", {
      path: "/v1/messages?beta=true",
      headers: apiHeaders(h.stub.apiKey),
      body: JSON.stringify({
        model: "m",
        max_tokens: 2048,
        stream: true,
        tools: [{ name: "calendar_lookup", input_schema: { type: "object" } }],
        messages: [{ role: "user", content: "raw bytes" }],
      }),
    });
    expect(r.status).toBe(200);
    expect(r.body.equals(h.stub.exchanges[0]?.responseBody ?? Buffer.alloc(1))).toBe(true);
    tls.destroy();
    await h.waitForStored(1);
  });

  it("tunnels other hosts byte for byte without decrypting them", async () => {
    const other = await createTestServerIdentity(["127.0.0.1"], "other site CA");
    const seen: string[] = [];
    const server: Server = createHttpsServer({ cert: other.certPem, key: other.keyPem }, (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end("hello from the other site");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const { status, socket } = await openTunnel(h.proxy.url, `127.0.0.1:${port}`);
      expect(status).toBe(200);
      // Only the other site's own CA is trusted: a proxy-made certificate would fail here.
      const tls = await tlsOverTunnel(socket, "127.0.0.1", other.caPem);
      expect(sha256Fingerprint(tls.getPeerX509Certificate()?.raw ?? Buffer.alloc(0))).toBe(
        sha256Fingerprint(other.certPem),
      );
      const r = await requestOver(tls, "127.0.0.1", { method: "GET", path: "/secret?x=1" });
      expect(r.body.toString()).toBe("hello from the other site");
      expect(seen).toEqual(["GET /secret?x=1"]);
      tls.destroy();
      expect(h.proxy.stats()).toMatchObject({ tunnelled: 1, intercepted: 0, exchanges: 0 });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("forwards plain-HTTP proxy requests to other origins without capturing them", async () => {
    const server = http.createServer((req, res) =>
      res.end(`plain ${req.method} ${req.url} host=${req.headers.host}`),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await rawRequest(h.proxy.url, { method: "GET", path: `http://127.0.0.1:${port}/x?y=1` });
      expect(r.body.toString()).toBe(`plain GET /x?y=1 host=127.0.0.1:${port}`);
      expect(h.proxy.stats()).toMatchObject({ passthrough: 1, exchanges: 0 });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("closes CONNECT sockets on shutdown, even one that never started its TLS handshake", async () => {
    const { status, socket } = await openTunnel(h.proxy.url, "api.anthropic.com:443");
    expect(status).toBe(200);
    const closed = new Promise((r) => socket.once("close", r));
    await h.proxy.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it("survives garbage after CONNECT and a garbage request line, then serves normally", async () => {
    const { socket } = await openTunnel(h.proxy.url, "api.anthropic.com:443");
    const closed = new Promise((r) => socket.once("close", r));
    socket.write("this is not a TLS client hello\r\n\r\n\x00\x01\x02");
    await closed;

    const raw = netConnect(Number(new URL(h.proxy.url).port), "127.0.0.1");
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      raw.on("data", (d) => {
        text += d.toString();
      });
      raw.on("close", () => resolve(text));
      raw.write("\x16\x03garbage garbage\r\n\r\n");
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);

    const bad = await openTunnel(h.proxy.url, "no-port-here");
    expect(bad.status).toBe(400);
    bad.socket.destroy();

    const ok = await h.forwardClient().messages.create({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "still alive?" }],
    });
    expect(ok.type).toBe("message");
    expect(h.proxy.stats().rejected).toBeGreaterThanOrEqual(3);
  });
});
