import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardRequest, type RawExchange } from "../../../src/capture/proxy/forward.js";
import { until } from "../../support/until.js";

/**
 * The end of a reply waits for capture: `forwardRequest` hands the exchange over before the client
 * can see the end, and holds that end (the chunk that completes a body of known length, or the end
 * of a chunked one) until capture calls `durable`. The rest of the reply flows meanwhile.
 */

const JSON_REPLY = JSON.stringify({ type: "message", content: [{ type: "text", text: "x".repeat(3000) }] });
const SSE_EVENTS = ["event: a\ndata: 1\n\n", "event: b\ndata: 2\n\n", "event: c\ndata: 3\n\n"];

let upstream: http.Server;
let proxy: http.Server;
let proxyUrl: string;
const agent = new Agent();
/** Exchanges handed over, and what releases each one's end. */
const handed: { exchange: RawExchange; durable: () => void }[] = [];
/** When set, `durable` is called at once, inside the hand-off. */
let durableAtOnce = false;
/** The upstream sends the rest of /json when this is called (after the client saw the first part). */
let sendRest: () => void = () => undefined;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/json") {
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(JSON_REPLY),
        });
        // Two chunks: the first goes to the client at once, the one that completes the body waits.
        res.write(JSON_REPLY.slice(0, 1000));
        if (durableAtOnce) res.end(JSON_REPLY.slice(1000));
        else sendRest = () => res.end(JSON_REPLY.slice(1000));
      } else {
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const e of SSE_EVENTS) res.write(e);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = http.createServer((req, res) => {
    forwardRequest(req, res, {
      target: { origin, path: req.url ?? "/", hostHeader: new URL(origin).host, dispatcher: agent },
      streams: new Set(),
      capture: { host: "api.anthropic.com", path: req.url ?? "/", capBytes: 1 << 20 },
      onCaptured: (exchange, durable) => {
        handed.push({ exchange, durable });
        if (durableAtOnce) durable();
      },
      onDone: () => undefined,
    });
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => proxy.close(r));
  await new Promise((r) => upstream.close(r));
  await agent.close();
});

/** A request through the proxy: the bytes as they arrive, and whether the reply has ended. */
function request(path: string): { body: () => string; ended: Promise<string> } {
  let got = "";
  const ended = new Promise<string>((resolve, reject) => {
    const req = http.request(`${proxyUrl}${path}`, { method: "POST" }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        got += d;
      });
      res.on("end", () => resolve(got));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end("{}");
  });
  return { body: () => got, ended };
}

describe("forwardRequest holds the end of a reply until capture says it is durable", () => {
  it.each([
    ["/json", JSON_REPLY],
    ["/sse", SSE_EVENTS.join("")],
  ])("%s: the client sees the end only after durable(), then the whole reply", async (path, whole) => {
    durableAtOnce = false;
    handed.length = 0;
    let released = false;
    const r = request(path);
    const order: string[] = [];
    void r.ended.then(() => order.push(released ? "end after durable" : "end before durable"));
    if (path === "/json") {
      // What comes before the completing chunk goes on at once, before the hand-off.
      await until(() => r.body().length === 1000, "the first chunk forwarded");
      expect(handed).toHaveLength(0);
      sendRest();
    }
    await until(() => handed.length === 1, "the exchange handed over");
    const h = handed[0] as (typeof handed)[number];
    // Handed over complete: every byte of the reply is in the capture copy already.
    expect(h.exchange.responseBody.bytes().toString()).toBe(whole);
    // Some turns of the event loop, for an end that was not held to arrive.
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
    expect(order).toEqual([]);
    // A body of known length: its completing chunk is held; a chunked one: only its end.
    if (path === "/json") expect(r.body()).toBe(whole.slice(0, 1000));
    released = true;
    h.durable();
    expect(await r.ended).toBe(whole);
    expect(order).toEqual(["end after durable"]);
  });

  it("a durable() called inside the hand-off holds nothing back; a second call changes nothing", async () => {
    durableAtOnce = true;
    handed.length = 0;
    const r = request("/json");
    expect(await r.ended).toBe(JSON_REPLY);
    expect(handed).toHaveLength(1);
    handed[0]?.durable();
  });
});
