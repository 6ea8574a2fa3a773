/**
 * The bench's clients (undici, in this process) and the wrk wrapper: time to
 * first byte warm and cold, per-event delay on SSE streams, and throughput.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, type Dispatcher, ProxyAgent, request } from "undici";

/** How a client reaches the upstream: directly, through a reverse proxy, or through a forward proxy. */
export interface Route {
  name: string;
  /** The URL requests go to (the upstream itself for direct and forward). */
  url: string;
  dispatcher(connections: number): Dispatcher;
}

export function directRoute(upstreamUrl: string, upstreamCa: string): Route {
  return {
    name: "direct",
    url: upstreamUrl,
    dispatcher: (connections) => new Agent({ connections, connect: { ca: upstreamCa } }),
  };
}

export function reverseRoute(name: string, proxyUrl: string): Route {
  return { name, url: proxyUrl, dispatcher: (connections) => new Agent({ connections }) };
}

export function forwardRoute(name: string, proxyUrl: string, upstreamUrl: string, proxyCa: string): Route {
  return {
    name,
    url: upstreamUrl,
    dispatcher: (connections) => new ProxyAgent({ uri: proxyUrl, connections, requestTls: { ca: proxyCa } }),
  };
}

const HEADERS = {
  "content-type": "application/json",
  "x-api-key": "bench-key",
  "anthropic-version": "2023-06-01",
};

export function messagesBody(text: string, stream: boolean): string {
  return JSON.stringify({
    model: "claude-bench",
    max_tokens: 256,
    stream,
    messages: [{ role: "user", content: text }],
  });
}

let counter = 0;

/** Time to the first response body byte, in ms. Cold: a new connection (and CONNECT/TLS) for every request. */
export async function ttfb(route: Route, samples: number, cold: boolean): Promise<number[]> {
  const out: number[] = [];
  const shared = cold ? null : route.dispatcher(1);
  for (let i = 0; i < samples; i++) {
    const dispatcher = shared ?? route.dispatcher(1);
    const t0 = process.hrtime.bigint();
    const res = await request(`${route.url}/v1/messages`, {
      method: "POST",
      headers: HEADERS,
      body: messagesBody(`ttfb ${counter++}`, false),
      dispatcher,
    });
    let first: bigint | null = null;
    for await (const _chunk of res.body) first ??= process.hrtime.bigint();
    out.push(Number((first ?? process.hrtime.bigint()) - t0) / 1e6);
    if (!shared) await dispatcher.close();
  }
  await shared?.close();
  return out;
}

/** Per-event delay (receive time − the upstream's send time) and the stream's time to first byte, in ms. */
export async function streamDelays(
  route: Route,
  streams: number,
  events: number,
  intervalMs: number,
): Promise<{ delays: number[]; ttfb: number[] }> {
  const delays: number[] = [];
  const firsts: number[] = [];
  const dispatcher = route.dispatcher(1);
  for (let s = 0; s < streams; s++) {
    const t0 = process.hrtime.bigint();
    const res = await request(`${route.url}/v1/messages?events=${events}&interval_ms=${intervalMs}`, {
      method: "POST",
      headers: HEADERS,
      body: messagesBody(`stream ${counter++}`, true),
      dispatcher,
    });
    let buf = "";
    let first = true;
    for await (const chunk of res.body) {
      const now = process.hrtime.bigint();
      if (first) firsts.push(Number(now - t0) / 1e6);
      first = false;
      buf += chunk.toString();
      let end = buf.indexOf("\n\n");
      while (end !== -1) {
        const ev = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const t = /"t":"(\d+)"/.exec(ev)?.[1];
        if (t && ev.includes("content_block_delta")) delays.push(Number(now - BigInt(t)) / 1e6);
        end = buf.indexOf("\n\n");
      }
    }
  }
  await dispatcher.close();
  return { delays, ttfb: firsts };
}

/**
 * Requests per second with `connections` concurrent keep-alive connections for `durationMs`.
 * Unique (the default): every request and every reply differ, as real traffic does; `same`:
 * one identical request body and reply, so capture ends at its duplicate check.
 */
export async function loadgen(
  route: Route,
  connections: number,
  durationMs: number,
  same = false,
  pauseMs = 0,
): Promise<{ rps: number; errors: number; requests: number }> {
  const dispatcher = route.dispatcher(connections);
  const path = same ? "/v1/messages?same=1" : "/v1/messages";
  const tag = `${process.pid}-${Date.now()}`;
  let done = 0;
  let errors = 0;
  const end = Date.now() + durationMs;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        try {
          const res = await request(`${route.url}${path}`, {
            method: "POST",
            headers: HEADERS,
            body: messagesBody(same ? "throughput" : `throughput ${tag} ${counter++}`, false),
            dispatcher,
          });
          await res.body.dump();
          if (res.statusCode === 200) done++;
          else errors++;
        } catch {
          errors++;
        }
        // As wrk's delay(): the connection waits before its next request.
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await dispatcher.close();
  return { rps: done / secs, errors, requests: done + errors };
}

/** Exactly `total` requests over `connections` connections: JSON, or short SSE streams when `stream`. */
export async function requestCount(
  route: Route,
  connections: number,
  total: number,
  stream: boolean,
): Promise<number> {
  const dispatcher = route.dispatcher(connections);
  let next = 0;
  let ok = 0;
  const path = stream ? "/v1/messages?events=20&interval_ms=1" : "/v1/messages";
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < total) {
        next++;
        const res = await request(`${route.url}${path}`, {
          method: "POST",
          headers: HEADERS,
          body: messagesBody(`count ${counter++}`, stream),
          dispatcher,
        });
        await res.body.dump();
        if (res.statusCode === 200) ok++;
      }
    }),
  );
  await dispatcher.close();
  return ok;
}

let wrkRuns = 0;

/**
 * wrk against an http(s) URL (reverse or direct); null when wrk is not installed. Unique (the
 * default): a Lua `request()` makes every body different (thread, run and a counter in the
 * person's text) and the upstream's replies differ; `same`: one identical body and reply.
 * `pauseMs`: each connection waits that long after a reply before its next request (wrk's
 * `delay()`), so that `connections` connections send about connections / (pause + latency)
 * requests a second: a flood at a set rate instead of as fast as the server answers.
 */
export function wrk(
  dir: string,
  url: string,
  connections: number,
  seconds: number,
  same = false,
  pauseMs = 0,
): Promise<{ rps: number; errors: number; requests: number } | null> {
  const script = join(dir, `post-${++wrkRuns}.lua`);
  const run = `${process.pid}-${Date.now()}-${wrkRuns}`;
  const [before, after] = messagesBody("@@TEXT@@", false).split("@@TEXT@@") as [string, string];
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      ...Object.entries(HEADERS).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`),
      same
        ? `wrk.body = '${messagesBody("throughput", false)}'`
        : [
            "local threads = 0",
            'function setup(thread) threads = threads + 1; thread:set("tid", threads) end',
            "local n = 0",
            "function request()",
            "  n = n + 1",
            `  return wrk.format(nil, nil, nil, '${before}throughput ${run} ' .. tostring(tid) .. ' ' .. n .. '${after}')`,
            "end",
          ].join("\n"),
      pauseMs > 0 ? `function delay() return ${Math.round(pauseMs)} end` : "",
    ].join("\n"),
  );
  const threads = Math.min(2, connections);
  const path = same ? "/v1/messages?same=1" : "/v1/messages";
  return new Promise((resolve) => {
    execFile(
      "wrk",
      [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "-s", script, `${url}${path}`],
      { encoding: "utf8" },
      (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") return resolve(null);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
        const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
        const errors =
          Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0) +
          [...stdout.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce((a, m) => a + Number(m[2]), 0);
        resolve({ rps, errors, requests });
      },
    );
  });
}

export function hasWrk(): Promise<boolean> {
  return new Promise((resolve) =>
    execFile("wrk", ["--version"], (err) =>
      resolve(!(err && (err as NodeJS.ErrnoException).code === "ENOENT")),
    ),
  );
}
