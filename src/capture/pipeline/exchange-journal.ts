import { CAPTURED_USER_HEADER } from "../../core/capture/exchange-episode.js";
import { BodyTee } from "../proxy/body-tee.js";
import type { RawExchange } from "../proxy/forward.js";
import type { JournaledExchange, JournalMeta } from "./outbox.js";

/**
 * The hand-off between forwarding and capture: a finished exchange written
 * to the outbox database before the client sees the end of the reply, read
 * back by capture, and deleted in the transaction that records what it
 * meant. Only the headers capture reads are kept (never `x-api-key`,
 * `authorization` or cookies); bodies stay as they came (the pipeline
 * decodes them).
 */

/** The headers capture reads; every other header is dropped before anything is written. */
export const JOURNAL_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "content-encoding",
  "user-agent",
  "x-app",
  "x-claude-code-session-id",
  "x-claude-code-agent-id",
  // team mode: whose memory the exchange becomes (set by the proxy, never by a client)
  CAPTURED_USER_HEADER,
]);

function keep(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (JOURNAL_HEADERS.has(k)) out[k] = v;
  return out;
}

/** The exchange with only the headers capture reads (the same view live and after a restart). */
export function reduceHeaders(raw: RawExchange): RawExchange {
  return { ...raw, requestHeaders: keep(raw.requestHeaders), responseHeaders: keep(raw.responseHeaders) };
}

export function journalMeta(raw: RawExchange): JournalMeta {
  return {
    method: raw.method,
    path: raw.path,
    host: raw.host,
    requestHeaders: raw.requestHeaders,
    status: raw.status,
    responseHeaders: raw.responseHeaders,
    responseComplete: raw.responseComplete,
    requestTruncated: raw.requestBody.truncated,
    responseTruncated: raw.responseBody.truncated,
    startedAt: raw.startedAt.toISOString(),
    endedAt: raw.endedAt.toISOString(),
    failure: raw.failure,
  };
}

function tee(bytes: Buffer, truncated: boolean): BodyTee {
  const t = new BodyTee(bytes.length);
  t.push(bytes);
  t.truncated = truncated;
  return t;
}

/** A journaled exchange as the pipeline reads it. */
export function fromJournal(row: JournaledExchange): RawExchange {
  const m = row.meta;
  return {
    method: m.method,
    path: m.path,
    host: m.host,
    requestHeaders: m.requestHeaders,
    requestBody: tee(row.request, m.requestTruncated),
    status: m.status,
    responseHeaders: m.responseHeaders,
    responseBody: tee(row.response, m.responseTruncated),
    responseComplete: m.responseComplete,
    startedAt: new Date(m.startedAt),
    endedAt: new Date(m.endedAt),
    failure: m.failure,
  };
}
