import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/logger.js";
import { writeFileAtomic } from "../files/atomic-write.js";

/**
 * Security events: refusals and failures someone watching this machine
 * should see. Each is one `warn` line with structured fields and no content,
 * no token, no key (a presented token appears only as a short fingerprint).
 * Bursts are logged once per window per peer, kind and reason: the first refusal is
 * a line, the rest of the window is counted and reported as one `burst`
 * line when the next window starts or the process stops.
 *
 * Counts and the most recent of each kind are kept in
 * `security-events-<component>.json` in the data directory, which `status
 * --json`, `doctor` and the web page read (one file per process kind). Each
 * save adds what this process saw since its last save to what the file holds,
 * so counts add up over restarts and over short-lived processes (`cli`, `mem0`).
 */

export const SECURITY_EVENT_KINDS = [
  "mcp_http_refused",
  "web_refused",
  "proxy_auth_refused",
  "tls_client_aborted",
  "upstream_tls_failed",
  "mem0_key_rejected",
  "request_refused",
  "audit_write_failed",
] as const;
export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number];

export type SecurityEventFields = { reason: string; peer?: string | undefined } & Record<
  string,
  string | number | undefined
>;

export interface SecurityEventSummary {
  [kind: string]: { count: number; last: { ts: string } & SecurityEventFields };
}

export interface SecurityEventsOptions {
  logger: Logger;
  /** Which process records: `mcp-http`, `web`, `proxy`, `cli`. */
  component: string;
  /** Where the summary file goes; without it, events are only logged. */
  dataDir?: string | undefined;
  /** One line per peer and kind per window (default 60 s). */
  windowMs?: number;
  now?: () => number;
}

interface Window {
  start: number;
  suppressed: number;
  last: SecurityEventFields;
}

export class SecurityEvents {
  private readonly windows = new Map<string, Window>();
  private readonly counts: SecurityEventSummary = {};
  /** Seen since the last save: added to the file's counts by the next one. */
  private unsaved: SecurityEventSummary = {};
  private readonly windowMs: number;
  private readonly now: () => number;
  private lastSave = 0;

  constructor(private readonly options: SecurityEventsOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  record(kind: SecurityEventKind, fields: SecurityEventFields): void {
    const now = this.now();
    const clean = definedOnly(fields);
    const entry = this.counts[kind] ?? { count: 0, last: { ts: "", reason: "" } };
    entry.count += 1;
    entry.last = { ts: new Date(now).toISOString(), ...clean };
    this.counts[kind] = entry;
    const delta = this.unsaved[kind] ?? { count: 0, last: entry.last };
    delta.count += 1;
    delta.last = entry.last;
    this.unsaved[kind] = delta;

    const key = `${kind}\u0000${fields.peer ?? ""}\u0000${fields.reason}`;
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) {
      w.suppressed += 1;
      w.last = clean;
      // Counts stay current for `status` during a burst, written at most once a second.
      if (now - this.lastSave >= 1000) this.save();
      return;
    }
    if (w) this.reportBurst(kind, w);
    this.windows.set(key, { start: now, suppressed: 0, last: clean });
    this.options.logger.warn("security event", { event: kind, ...clean });
    this.save();
  }

  /** Counts and the most recent of each kind this process saw. */
  summary(): SecurityEventSummary {
    return structuredClone(this.counts);
  }

  /**
   * Counts and the most recent event of each kind in the whole data directory
   * (every process's summary, this one's saved first); this process's own
   * without a data directory. For the web page.
   */
  overview(): SecurityEventSummary {
    if (!this.options.dataDir) return this.summary();
    this.save();
    return readSecurityEvents(this.options.dataDir);
  }

  /** Reports what the open windows held back and writes the summary. */
  close(): void {
    for (const [key, w] of this.windows) {
      this.reportBurst(key.split("\u0000")[0] as SecurityEventKind, w);
    }
    this.windows.clear();
    this.save();
  }

  private reportBurst(kind: SecurityEventKind, w: Window): void {
    if (w.suppressed === 0) return;
    this.options.logger.warn("security event burst", {
      event: kind,
      burst: true,
      more: w.suppressed,
      window_s: Math.round(this.windowMs / 1000),
      ...w.last,
    });
    w.suppressed = 0;
  }

  private save(): void {
    if (!this.options.dataDir || Object.keys(this.unsaved).length === 0) return;
    this.lastSave = this.now();
    const file = join(this.options.dataDir, `security-events-${this.options.component}.json`);
    const events = readSummaryFile(file) ?? {};
    mergeInto(events, this.unsaved);
    try {
      writeFileAtomic(file, `${JSON.stringify({ pid: process.pid, events })}\n`);
      this.unsaved = {};
    } catch {
      // The summary is a convenience for `status`; the log line is the record.
    }
  }
}

/** Every process's summary in the data directory, merged: counts added, the most recent kept. */
export function readSecurityEvents(dataDir: string): SecurityEventSummary {
  const out: SecurityEventSummary = {};
  let names: string[];
  try {
    names = readdirSync(dataDir).filter((n) => /^security-events-[a-z0-9-]+\.json$/.test(n));
  } catch {
    return out;
  }
  for (const name of names) mergeInto(out, readSummaryFile(join(dataDir, name)) ?? {});
  return out;
}

function readSummaryFile(file: string): SecurityEventSummary | null {
  try {
    const events = (JSON.parse(readFileSync(file, "utf8")) as { events?: SecurityEventSummary }).events;
    return events && typeof events === "object" ? events : null;
  } catch {
    return null;
  }
}

/** Adds `more`'s counts to `into`'s and keeps the most recent `last` of each kind. */
function mergeInto(into: SecurityEventSummary, more: SecurityEventSummary): void {
  for (const [kind, e] of Object.entries(more)) {
    if (typeof e?.count !== "number" || typeof e.last?.ts !== "string") continue;
    const prev = into[kind];
    if (!prev) into[kind] = { count: e.count, last: e.last };
    else {
      prev.count += e.count;
      if (e.last.ts > prev.last.ts) prev.last = e.last;
    }
  }
}

function definedOnly(fields: SecurityEventFields): SecurityEventFields {
  const out: SecurityEventFields = { reason: fields.reason };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

/** One line for people: `3 mcp_http_refused (last 2026-12-03T08:01:00.000Z: wrong_token from 127.0.0.1)`, or `none`. */
export function describeSecurityEvents(summary: SecurityEventSummary): string {
  const parts = Object.entries(summary).map(
    ([kind, e]) =>
      `${e.count} ${kind} (last ${e.last.ts}: ${e.last.reason}${e.last.peer ? ` from ${e.last.peer}` : ""})${e.last.fix ? ` — fix: ${e.last.fix}` : ""}`,
  );
  return parts.length ? parts.join("; ") : "none recorded";
}

/**
 * Why a client's TLS handshake with the intercepting proxy failed, from the
 * error the server side saw: the client said it does not know the CA (an
 * alert), or it hung up mid-handshake (what Node clients do when they do not
 * trust it), or something else (`handshake_failed`).
 */
export function clientTlsAbortReason(
  code: string | undefined,
): "unknown_ca" | "closed_in_handshake" | "handshake_failed" {
  if (code && /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE)/.test(code))
    return "unknown_ca";
  if (code === "ECONNRESET" || code === "EPIPE") return "closed_in_handshake";
  return "handshake_failed";
}
