/**
 * Test helper: the real Claude Code requests in test/fixtures/claude-code
 * (copied from the recordings, see its README), turned into
 * CapturedExchanges with a stand-in reply encoded as SSE.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CapturedExchange } from "../../../src/core/capture/exchange.js";
import { encodeSse, stubReplyMessage } from "./sse-encoder.js";

export const FIXTURE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../fixtures/claude-code",
);

export interface FixtureRecord {
  seq: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  stub_kind?: "main" | "side";
  stub_reply: {
    stream?: boolean;
    stop_reason?: string;
    content?: Record<string, unknown>[];
    generic?: boolean;
  };
}

export function loadFixture(name: string): FixtureRecord[] {
  return readFileSync(path.join(FIXTURE_DIR, name), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as FixtureRecord);
}

export function fixtureExchange(
  rec: FixtureRecord,
  overrides: Partial<CapturedExchange> = {},
): CapturedExchange {
  const reply = rec.stub_reply;
  const sse =
    reply.content && reply.stop_reason
      ? encodeSse(stubReplyMessage({ stop_reason: reply.stop_reason, content: reply.content }))
      : "";
  return {
    method: rec.method,
    path: rec.url,
    host: "api.anthropic.com",
    requestHeaders: Object.fromEntries(Object.entries(rec.headers).map(([k, v]) => [k.toLowerCase(), v])),
    requestBody: rec.body ? Buffer.from(JSON.stringify(rec.body)) : Buffer.alloc(0),
    status: 200,
    responseHeaders: sse ? { "content-type": "text/event-stream; charset=utf-8" } : {},
    responseBody: Buffer.from(sse),
    responseComplete: true,
    truncated: false,
    startedAt: "2026-11-25T10:00:00.000Z",
    endedAt: "2026-11-25T10:00:02.000Z",
    ...overrides,
  };
}
