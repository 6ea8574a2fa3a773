import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiHeaders, type Harness, rawRequest, startHarness, until } from "./support/harness.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const MB = 1024 * 1024;

describe("robustness", () => {
  it("answers 431 to a request whose headers are too large (100 kB), and keeps serving", async () => {
    h = await startHarness();
    const u = new URL(h.proxy.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request(
        {
          hostname: u.hostname,
          port: u.port,
          method: "POST",
          path: "/v1/messages",
          headers: { ...apiHeaders(h.stub.apiKey), "x-padding": "p".repeat(100 * 1024) },
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(431);
    const ok = await h.reverseClient().messages.create({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "after the big headers" }],
    });
    expect(ok.type).toBe("message");
  });

  it("sends a body that comes in pieces upstream whole, and nothing upstream for a client that gives up halfway", async () => {
    h = await startHarness();
    const u = new URL(h.proxy.url);
    const body = Buffer.from(
      JSON.stringify({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: "in three pieces" }],
      }),
    );
    const head = (length: number) =>
      `POST /v1/messages HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\nx-api-key: ${h.stub.apiKey}\r\nanthropic-version: 2023-06-01\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`;
    const before = h.stub.exchanges.length;
    // The body in three writes, each after the proxy has seen the one before.
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(Number(u.port), u.hostname, () => {
        sock.write(head(body.length) + body.subarray(0, 10).toString("latin1"));
        setImmediate(() => {
          sock.write(body.subarray(10, 20));
          setImmediate(() => sock.write(body.subarray(20)));
        });
      });
      let got = "";
      sock.setEncoding("latin1").on("data", (d: string) => {
        got += d;
      });
      sock.on("end", () => resolve(got));
      sock.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(h.stub.exchanges.length).toBe(before + 1);
    expect(h.stub.exchanges.at(-1)?.body.equals(body)).toBe(true);

    // Half a body, then the client goes: the upstream never sees a request.
    await new Promise<void>((resolve) => {
      const sock = net.connect(Number(u.port), u.hostname, () => {
        sock.write(head(body.length) + body.subarray(0, 10).toString("latin1"), () => {
          sock.destroy();
          resolve();
        });
      });
    });
    const ok = await h.reverseClient().messages.create({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "after the one that gave up" }],
    });
    expect(ok.type).toBe("message");
    expect(h.stub.exchanges.length).toBe(before + 2);
  });

  it("forwards a 50 MB body (the upstream refuses it) and keeps serving", async () => {
    h = await startHarness();
    const filler = "a".repeat(50 * MB);
    const big = Buffer.from(
      JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: filler }] }),
    );
    const r = await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body: big,
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: { type: "request_too_large" } });
    const ok = await h.reverseClient().messages.create({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "after the big one" }],
    });
    expect(ok.type).toBe("message");
    const mems = await h.waitForStored(1);
    // The oversized exchange was teed only up to the cap, so it could not be parsed: skipped, not stored.
    expect(mems.map((m) => m.memory.split("\n")[0])).toEqual(["User: after the big one"]);
    expect(h.proxy.stats()).toMatchObject({ exchanges: 2, skippedNoise: 1, captureFailures: 0 });
  });

  it("stops reading from the upstream while the client is not reading (bounded memory), and an abort reaches the upstream", async () => {
    h = await startHarness();
    const total = 128 * MB;
    h.stub.replier = () => ({ content: [], bulkBytes: total });
    const u = new URL(h.proxy.url);
    const body = JSON.stringify({
      model: "m",
      max_tokens: 10,
      stream: true,
      messages: [{ role: "user", content: "bulk" }],
    });
    /** Sends the request and resolves with the response, unread. */
    const openResponse = () =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(
          {
            hostname: u.hostname,
            port: u.port,
            method: "POST",
            path: "/v1/messages",
            headers: apiHeaders(h.stub.apiKey),
            agent: false,
          },
          resolve,
        );
        req.on("error", reject);
        req.end(body);
      });
    const res = await openResponse();
    res.pause(); // a client that reads nothing

    // Wait for the state a correct proxy reaches: the upstream is paused and the stub's writes block.
    // A proxy that buffered instead would never pause; the stub would finish first and fail this.
    await until(() => {
      if (h.stub.bulk?.finished)
        throw new Error("the upstream finished writing while the client read nothing");
      return h.stub.bulk?.blocked === true && h.proxy.stats().streams.paused === 1;
    }, "backpressure to reach the upstream");
    const written = h.stub.bulk?.written ?? 0;
    const held = h.proxy.stats().streams.bufferedBytes;
    expect(written).toBeLessThan(32 * MB);
    expect(held).toBeLessThan(1 * MB);

    // Now read it all: the client gets every byte the upstream wrote, in order.
    const hash = createHash("sha256");
    res.on("data", (c: Buffer) => hash.update(c));
    res.resume();
    await new Promise((r) => res.on("end", r));
    expect(h.stub.bulk?.finished).toBe(true);
    expect(hash.digest("hex")).toBe(h.stub.bulk?.sha256);

    // A client that goes away mid-stream: the upstream response is torn down too.
    h.stub.replier = () => ({ content: [], bulkBytes: total });
    const aborting = await openResponse();
    await new Promise((r) => aborting.once("data", r));
    aborting.destroy();
    const upstreamSide = h.stub.exchanges[1];
    await until(() => upstreamSide?.closed === true, "the upstream response to close");
    expect(upstreamSide?.finished).toBe(false);
    expect(h.stub.bulk?.finished).toBe(false);
    await until(() => h.proxy.stats().streams.active === 0, "no stream left in the proxy");
  });

  it("keeps secrets and conversation text out of the logs and raw bodies off the disk", async () => {
    h = await startHarness({ logLevel: "debug" });
    const marker = `CONVO-${randomBytes(4).toString("hex")}`;
    const secret = `sk-ant-api03-${randomBytes(30).toString("base64url")}`;
    const client = h.reverseClient();
    await client.messages.create(
      {
        model: "m",
        max_tokens: 10,
        system: "Primary working directory: /home/dev/secret-project",
        messages: [
          { role: "user", content: `${marker} my other key is ${secret} and password=hunter2hunter2` },
        ],
      },
      { headers: { authorization: `Bearer ${h.stub.apiKey}` } },
    );
    // Probes, a 502 and a bad request add more log lines.
    await rawRequest(h.proxy.url, { method: "HEAD", path: "/" });
    await rawRequest(h.proxy.url, {
      path: "/v1/messages",
      headers: apiHeaders(h.stub.apiKey),
      body: `{"${marker}`,
    });
    const [m] = await h.waitForStored(1);
    expect(m?.memory).toContain(marker);
    expect(m?.memory).not.toContain(secret);
    expect(m?.memory).not.toContain("hunter2hunter2");

    await h.proxy.close();
    const logs = h.logs.join("");
    expect(h.logs.length).toBeGreaterThan(3);
    for (const needle of [h.stub.apiKey, secret, "hunter2hunter2", marker, "Bearer", "x-api-key"]) {
      expect(logs).not.toContain(needle);
    }
    // The outbox holds redacted turns only, and the journal nothing once read: no raw bodies, no headers, no keys.
    const outbox = ["outbox.db", "outbox.db-wal", "journal.db", "journal.db-wal"].map((f) => {
      try {
        return readFileSync(join(h.dir, f)).toString("latin1");
      } catch {
        return "";
      }
    });
    for (const needle of [h.stub.apiKey, secret, "hunter2hunter2", "anthropic-version"]) {
      expect(outbox.join("")).not.toContain(needle);
    }
  });
});

describe("shutdown", () => {
  it("lets a stream in flight finish, refuses new connections, and flushes its turn to the store", async () => {
    h = await startHarness();
    h.stub.replier = () => ({
      content: [{ type: "text", text: "a reply that takes a while" }],
      faults: { eventDelayMs: 40 },
    });
    const stream = h.reverseClient().messages.stream({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "finish me during shutdown" }],
    });
    await new Promise((r) => stream.once("streamEvent", r));
    const closing = h.proxy.close();
    const refused = await rawRequest(h.proxy.url, { method: "HEAD", path: "/" }).then(
      () => false,
      (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED",
    );
    expect(refused).toBe(true);
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("end_turn");
    await closing;
    const mems = await h.captured();
    expect(mems.map((m) => m.memory)).toEqual([
      "User: finish me during shutdown\nAssistant: a reply that takes a while",
    ]);
  });
});
