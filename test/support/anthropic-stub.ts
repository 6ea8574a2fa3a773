/**
 * A strict local stand-in for api.anthropic.com, served over HTTPS with its
 * own test CA. It validates what the real Messages API validates (headers,
 * `model`, `max_tokens`, `messages` roles and content blocks, tool_use /
 * tool_result pairing, thinking config) and answers 400/401/404/413 with
 * Anthropic error JSON otherwise. Replies are JSON or SSE with the exact
 * event sequence the API sends (text, thinking + signature, tool_use with
 * input_json_delta), and it can misbehave on request: cut a stream, send an
 * `error` event after a 200, send an unknown event, be slow, gzip, or stream
 * a large body while honouring backpressure.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createTestServerIdentity, type TlsIdentity } from "../../bench/lib/tls-identity.js";
import { validateMessagesRequest } from "./anthropic-validation.js";

export type StubBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_use"; id?: string; name: string; input: Record<string, unknown> };

export interface StubFaults {
  /** Destroy the connection after this many SSE events. */
  cutAfterEvents?: number;
  /** After this many events, send an `error` event (overloaded_error) and end. */
  errorAfterEvents?: number;
  /** Insert an event of an unknown type after this many events. */
  unknownEventAfter?: number;
  /** Wait this long before each event. */
  eventDelayMs?: number;
  /** Wait this long before sending the status line and headers. */
  headersDelayMs?: number;
  /** Gzip the body when the client accepts it. */
  gzip?: boolean;
  /** Write each event in pieces of this many bytes. */
  splitBytes?: number;
}

export interface StubReply {
  content: StubBlock[];
  stop_reason?: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence";
  faults?: StubFaults;
  /** Stream about this many bytes of text deltas, honouring backpressure (memory tests). */
  bulkBytes?: number;
}

export interface StubExchange {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  status: number;
  responseHeaders: Record<string, string>;
  /** Exactly the bytes written as the response body (not kept for bulk replies). */
  responseBody: Buffer;
  /** The request ended in a complete response. */
  finished: boolean;
  /** The connection for this response closed (finished or not). */
  closed: boolean;
}

export interface BulkProgress {
  written: number;
  /** A write returned false and `drain` has not come yet. */
  blocked: boolean;
  finished: boolean;
  sha256: string | null;
}

export type Replier = (body: Record<string, unknown>, exchangeIndex: number) => StubReply;

export interface AnthropicStub {
  url: string;
  port: number;
  caPem: string;
  /** The CA in a file (for UPSTREAM_CA_FILE). */
  caFile: string;
  apiKey: string;
  exchanges: StubExchange[];
  replier: Replier;
  bulk: BulkProgress | null;
  waitFor(predicate: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export { createTestServerIdentity, type TlsIdentity };

const MAX_BODY = 32 * 1024 * 1024;

function errorJson(type: string, message: string): string {
  return JSON.stringify({ type: "error", error: { type, message } });
}

function lastUserText(body: Record<string, unknown>): string {
  const messages = body.messages as { role: string; content: unknown }[];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    const texts = (m.content as { type: string; text?: string; content?: unknown }[]).flatMap((b) =>
      b.type === "text" ? [b.text ?? ""] : b.type === "tool_result" ? [JSON.stringify(b.content ?? "")] : [],
    );
    return texts.join(" ");
  }
  return "";
}

export const defaultReplier: Replier = (body, i) => ({
  content: [{ type: "text", text: `Stub reply ${i} to: ${lastUserText(body).slice(-80)}` }],
});

/** Splits a string into `n` roughly equal pieces (at least one). */
function pieces(s: string, n: number): string[] {
  if (s.length === 0) return [""];
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The SSE events of a reply, in the order the API sends them. */
export function sseEvents(body: Record<string, unknown>, reply: StubReply, id: string): string[] {
  const model = body.model as string;
  const usageIn = Math.max(1, Math.round(JSON.stringify(body.messages).length / 4));
  const events: string[] = [
    sse("message_start", {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usageIn,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
        },
      },
    }),
    sse("ping", { type: "ping" }),
  ];
  let outTokens = 1;
  reply.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "text", text: "" },
        }),
      );
      for (const p of pieces(block.text, 3)) {
        events.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "text_delta", text: p },
          }),
        );
      }
    } else if (block.type === "thinking") {
      events.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        }),
      );
      for (const p of pieces(block.thinking, 2)) {
        events.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "thinking_delta", thinking: p },
          }),
        );
      }
      events.push(
        sse("content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "signature_delta", signature: block.signature },
        }),
      );
    } else if (block.type === "redacted_thinking") {
      events.push(sse("content_block_start", { type: "content_block_start", index, content_block: block }));
    } else {
      events.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: block.id ?? `toolu_${index}`, name: block.name, input: {} },
        }),
      );
      for (const p of ["", ...pieces(JSON.stringify(block.input), 3)]) {
        events.push(
          sse("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: p },
          }),
        );
      }
    }
    events.push(sse("content_block_stop", { type: "content_block_stop", index }));
    outTokens += 5;
  });
  events.push(
    sse("message_delta", {
      type: "message_delta",
      delta: { stop_reason: reply.stop_reason ?? defaultStop(reply), stop_sequence: null },
      usage: { output_tokens: outTokens },
    }),
    sse("message_stop", { type: "message_stop" }),
  );
  return events;
}

function defaultStop(reply: StubReply): string {
  return reply.content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
}

export function jsonMessage(
  body: Record<string, unknown>,
  reply: StubReply,
  id: string,
): Record<string, unknown> {
  return {
    id,
    type: "message",
    role: "assistant",
    model: body.model,
    content: reply.content.map((b, i) => (b.type === "tool_use" ? { ...b, id: b.id ?? `toolu_${i}` } : b)),
    stop_reason: reply.stop_reason ?? defaultStop(reply),
    stop_sequence: null,
    usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 },
  };
}

export async function startAnthropicStub(options: { replier?: Replier } = {}): Promise<AnthropicStub> {
  const identity = await createTestServerIdentity(["127.0.0.1", "localhost"], "anthropic stub CA");
  const dir = mkdtempSync(join(tmpdir(), "mmm-stub-"));
  const caFile = join(dir, "stub-ca.pem");
  writeFileSync(caFile, identity.caPem);
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of waiters) w();
  };

  const stub: AnthropicStub = {
    url: "",
    port: 0,
    caPem: identity.caPem,
    caFile,
    apiKey: `sk-ant-api03-${randomBytes(24).toString("base64url")}`,
    exchanges: [],
    replier: options.replier ?? defaultReplier,
    bulk: null,
    waitFor(predicate, what) {
      return new Promise((resolve, reject) => {
        if (predicate()) return resolve();
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stub: timed out waiting for ${what}`));
        }, 30_000);
        const check = () => {
          if (!predicate()) return;
          clearTimeout(t);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    tooLarge: boolean,
    record: StubExchange,
  ) => {
    const requestId = `req_stub_${randomBytes(6).toString("hex")}`;
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    const keep = (c: string | Buffer) => chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    const send = (status: number, headers: Record<string, string>, payload: string | Buffer) => {
      record.status = status;
      record.responseHeaders = headers;
      res.writeHead(status, { ...headers, "request-id": requestId });
      keep(payload);
      record.responseBody = Buffer.concat(chunks);
      res.end(payload);
    };
    const fail = (status: number, type: string, message: string) =>
      send(status, { "content-type": "application/json" }, errorJson(type, message));

    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "HEAD" && path === "/") return send(200, { "content-type": "text/plain" }, "");
    if (path?.startsWith("/api/")) return send(200, { "content-type": "application/json" }, "{}");
    if (tooLarge)
      return fail(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.");
    const key = req.headers["x-api-key"];
    const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, "");
    if (key === undefined && bearer === undefined) {
      return fail(401, "authentication_error", "x-api-key header is required");
    }
    if ((key ?? bearer) !== stub.apiKey) return fail(401, "authentication_error", "invalid x-api-key");
    if (!req.headers["anthropic-version"]) {
      return fail(400, "invalid_request_error", "anthropic-version: header is required");
    }
    if (req.method === "GET" && path === "/v1/models") {
      return send(200, { "content-type": "application/json" }, JSON.stringify({ data: [], has_more: false }));
    }
    if (req.method !== "POST" || (path !== "/v1/messages" && path !== "/v1/messages/count_tokens")) {
      return fail(404, "not_found_error", `Not found: ${req.method} ${path}`);
    }
    if (!req.headers["content-type"]?.includes("application/json")) {
      return fail(400, "invalid_request_error", "content-type must be application/json");
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      return fail(400, "invalid_request_error", "There was an issue with your request body: invalid JSON");
    }
    const problem = validateMessagesRequest(parsed, {
      countTokens: path === "/v1/messages/count_tokens",
      betas: String(req.headers["anthropic-beta"] ?? ""),
    });
    if (problem) return fail(400, "invalid_request_error", problem);
    if (path === "/v1/messages/count_tokens") {
      return send(200, { "content-type": "application/json" }, JSON.stringify({ input_tokens: 42 }));
    }

    const index = stub.exchanges.indexOf(record);
    const reply = stub.replier(parsed, index);
    const faults = reply.faults ?? {};
    const id = `msg_stub_${randomBytes(8).toString("hex")}`;
    if (faults.headersDelayMs) await new Promise((r) => setTimeout(r, faults.headersDelayMs));
    if (res.destroyed) return;
    if (parsed.stream !== true) {
      const json = JSON.stringify(jsonMessage(parsed, reply, id));
      const gzip = faults.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      return send(
        200,
        gzip
          ? { "content-type": "application/json", "content-encoding": "gzip" }
          : { "content-type": "application/json" },
        gzip ? gzipSync(json) : json,
      );
    }

    record.status = 200;
    record.responseHeaders = {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    };
    res.writeHead(200, { ...record.responseHeaders, "request-id": requestId });
    if (reply.bulkBytes) return bulkStream(res, parsed, reply.bulkBytes, id);
    const events = sseEvents(parsed, reply, id);
    if (faults.unknownEventAfter !== undefined) {
      events.splice(
        faults.unknownEventAfter,
        0,
        sse("future_event", { type: "future_event", detail: { x: 1 } }),
      );
    }
    for (let i = 0; i < events.length; i++) {
      if (faults.cutAfterEvents === i) {
        record.responseBody = Buffer.concat(chunks);
        res.socket?.destroy();
        return;
      }
      if (faults.errorAfterEvents === i) {
        const e = sse("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
        keep(e);
        res.end(e);
        return;
      }
      if (faults.eventDelayMs) await new Promise((r) => setTimeout(r, faults.eventDelayMs));
      if (res.destroyed) return;
      const ev = events[i] as string;
      const parts = faults.splitBytes ? pieces(ev, Math.ceil(ev.length / faults.splitBytes)) : [ev];
      for (const p of parts) {
        keep(p);
        write(p);
      }
    }
    record.responseBody = Buffer.concat(chunks);
    res.end();
  };

  const bulkStream = async (
    res: ServerResponse,
    body: Record<string, unknown>,
    bytes: number,
    id: string,
  ) => {
    const progress: BulkProgress = { written: 0, blocked: false, finished: false, sha256: null };
    stub.bulk = progress;
    const hash = createHash("sha256");
    const events = sseEvents(body, { content: [{ type: "text", text: "" }] }, id);
    const head = events.slice(0, 3).join("");
    const tail = events.slice(-4).join("");
    const put = async (s: string) => {
      hash.update(s);
      progress.written += Buffer.byteLength(s);
      if (!res.write(s)) {
        progress.blocked = true;
        changed();
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
        progress.blocked = false;
      }
      changed();
    };
    await put(head);
    const text = "x".repeat(16 * 1024);
    const delta = sse("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    });
    while (progress.written < bytes && !res.destroyed) await put(delta);
    if (res.destroyed) return;
    await put(tail);
    progress.sha256 = hash.digest("hex");
    progress.finished = true;
    res.end();
    changed();
  };

  const server: Server = createServer(
    { cert: `${identity.certPem}\n${identity.caPem}`, key: identity.keyPem },
    (req, res) => {
      const record: StubExchange = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.alloc(0),
        status: 0,
        responseHeaders: {},
        responseBody: Buffer.alloc(0),
        finished: false,
        closed: false,
      };
      stub.exchanges.push(record);
      const parts: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) parts.push(c);
      });
      req.on("end", () => {
        const tooLarge = size > MAX_BODY;
        record.body = tooLarge ? Buffer.alloc(0) : Buffer.concat(parts);
        handle(req, res, record.body, tooLarge, record).catch(() => res.destroy());
      });
      res.on("finish", () => {
        record.finished = true;
        changed();
      });
      res.on("close", () => {
        record.closed = true;
        changed();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stub.port = (server.address() as { port: number }).port;
  stub.url = `https://127.0.0.1:${stub.port}`;
  return stub;
}
