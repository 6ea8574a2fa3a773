import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AnthropicStub, StubBlock } from "../../support/anthropic-stub.js";
import type { RawResponse } from "./connect-client.js";
import { openTunnel, requestOver, tlsOverTunnel } from "./connect-client.js";
import { type Harness, rawRequest } from "./harness.js";

/** Where to send: a proxy in front of the stub (an in-process harness or a spawned `start`). */
export interface ReplayTarget {
  stub: AnthropicStub;
  url: string;
  /** The proxy's CA, for forward mode. */
  caPem(): string;
}

export function harnessTarget(h: Harness): ReplayTarget {
  return { stub: h.stub, url: h.proxy.url, caPem: () => h.caPem() };
}

/**
 * Whole Claude Code sessions recorded with the real CLI 2.1.197
 * (test/fixtures/claude-code/sessions, see its README): every request it
 * sent, and what the stand-in answered. Replayed in order through the
 * proxy, with the strict stub answering the recorded reply.
 */

export const SESSIONS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../fixtures/claude-code/sessions",
);

export interface RecordedRequest {
  seq: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
  reply: { stream?: boolean; stop_reason?: string; content?: StubBlock[]; generic?: boolean } | null;
}

export function loadSession(file: string): RecordedRequest[] {
  return readFileSync(join(SESSIONS, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RecordedRequest);
}

export type ReplayMode = "reverse" | "forward";

function headersFor(r: RecordedRequest, apiKey: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    if (["content-length", "connection", "host", "accept-encoding"].includes(k)) continue;
    headers[k] = k === "x-api-key" ? apiKey : v;
  }
  return headers;
}

/** Sends one recorded request through the proxy; the stub answers its recorded reply. */
export async function sendRecorded(
  target: Harness | ReplayTarget,
  r: RecordedRequest,
  mode: ReplayMode,
): Promise<RawResponse> {
  const h = "proxy" in target ? harnessTarget(target) : target;
  const reply = r.reply;
  if (reply && !reply.generic && reply.content) {
    const content = reply.content;
    const stop = (reply.stop_reason ?? "end_turn") as "end_turn" | "tool_use";
    h.stub.replier = () => ({ content, stop_reason: stop });
  }
  const headers = headersFor(r, h.stub.apiKey);
  const body = r.body ? JSON.stringify(r.body) : undefined;
  if (mode === "reverse") return rawRequest(h.url, { method: r.method, path: r.url, headers, body });
  const tunnel = await openTunnel(h.url, "api.anthropic.com:443");
  const tls = await tlsOverTunnel(tunnel.socket, "api.anthropic.com", h.caPem());
  try {
    return await requestOver(tls, "api.anthropic.com", {
      method: r.method,
      path: r.url,
      headers: { ...headers, host: "api.anthropic.com" },
      body,
    });
  } finally {
    tls.destroy();
  }
}

/** Replays every request of a recording, in order; each must be accepted by the strict stub. */
export async function replaySession(
  h: Harness | ReplayTarget,
  file: string,
  mode: ReplayMode,
  only?: (r: RecordedRequest) => boolean,
): Promise<void> {
  for (const r of loadSession(file)) {
    if (only && !only(r)) continue;
    const res = await sendRecorded(h, r, mode);
    if (res.status !== 200) {
      throw new Error(`${file} #${r.seq}: HTTP ${res.status} ${res.body.toString().slice(0, 300)}`);
    }
  }
}
