/**
 * `status`: whether the capture proxy runs (pid alive, port answering) and
 * what it has done: exchanges seen, episodes stored, skipped as noise, capture
 * failures, outbox depth — for the current run and in total — and how far
 * behind capture is (exchanges journaled and not yet read, the oldest's age).
 */
import { existsSync } from "node:fs";
import { COUNTER_NAMES, type Counters, zeroCounters } from "../../capture/capture-stats.js";
import type { OutboxCounts } from "../../capture/pipeline/outbox.js";
import { pidAlive } from "../../capture/proxy/proxy-status.js";
import type { TranscriptStatus } from "../../capture/transcripts/transcript-status.js";
import {
  describeSecurityEvents,
  readSecurityEvents,
  type SecurityEventSummary,
} from "../../http/security-events.js";
import { readWebStatus } from "../../web/web-status.js";
import type { RegisterCommand } from "../context.js";
import { jsonOption } from "../options.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

export interface StatusReport {
  running: boolean;
  pid: number | null;
  pidAlive: boolean;
  answering: boolean;
  url: string;
  upstream: string | null;
  startedAt: string | null;
  updatedAt: string | null;
  /** Counters of the running (or last) proxy process. */
  run: Counters | null;
  /** Since the outbox was created. */
  total: Counters;
  outbox: OutboxCounts & { inProgress?: number };
  /**
   * How far behind capture is: exchanges forwarded and journaled that the capture thread has
   * not read yet, when the oldest was journaled, and how many seconds ago that was.
   */
  capture: CaptureLag;
  /** The web page's address, when one is being served. */
  web: string | null;
  /** `import --from claude-code` and `watch`; null when transcripts were never read. */
  transcripts: TranscriptStatus | null;
  /** Refusals and failures logged as security events, per kind: how many, and the most recent. */
  securityEvents: SecurityEventSummary;

  /** Who holds the port when this data directory's proxy does not: another data dir's proxy, or another program. */
  portHeldBy:
    | { kind: "other-data-dir"; pid: number | null; dataDir: string | null }
    | { kind: "foreign" }
    | null;
}

export interface CaptureLag {
  waiting: number;
  oldestAt: string | null;
  behindSeconds: number | null;
}

/** Why the proxy is not running, and what to run that will work. */
function notRunning(r: StatusReport): string {
  const seen = r.updatedAt ? ` (last seen ${r.updatedAt})` : "";
  const held = r.portHeldBy;
  if (held?.kind === "other-data-dir") {
    return `not running${seen} — ${r.url} is the proxy of another data directory (pid ${held.pid ?? "?"}, data dir ${held.dataDir ?? "?"}); use that data directory, or start this one elsewhere: mcp-mitm-mem0 start --port 0`;
  }
  if (held?.kind === "foreign") {
    return `not running${seen} — another program holds ${r.url}; start it on another port: mcp-mitm-mem0 start --port 0 (or set MITM_PORT)`;
  }
  return `not running${seen} — start it with: mcp-mitm-mem0 start`;
}

async function readOutbox(
  dataDir: string,
): Promise<{ counts: OutboxCounts & { inProgress: number }; totals: Counters; lag: CaptureLag }> {
  const { Outbox, outboxPath } = await import("../../capture/pipeline/outbox.js");
  const totals = zeroCounters();
  const path = outboxPath(dataDir);
  if (!existsSync(path))
    return {
      counts: { pending: 0, done: 0, failed: 0, inProgress: 0 },
      totals,
      lag: { waiting: 0, oldestAt: null, behindSeconds: null },
    };
  const outbox = Outbox.open(path, { readonly: true });
  try {
    const stored = outbox.counters();
    for (const n of COUNTER_NAMES) totals[n] = stored[n] ?? 0;
    const { depth, oldestAt } = outbox.journalLag();
    const lag: CaptureLag = {
      waiting: depth,
      oldestAt: oldestAt === null ? null : new Date(oldestAt).toISOString(),
      behindSeconds: oldestAt === null ? null : Math.max(0, Math.round((Date.now() - oldestAt) / 100) / 10),
    };
    return { counts: { ...outbox.counts(), inProgress: outbox.pendingEpisodeCount() }, totals, lag };
  } finally {
    outbox.close();
  }
}

const LABELS: [keyof Counters, string][] = [
  ["exchanges", "exchanges seen"],
  ["turnsStored", "episodes stored"],
  ["episodesAbandoned", "stored incomplete"],
  ["duplicates", "duplicates skipped"],
  ["skippedNoise", "skipped as noise"],
  ["captureFailures", "capture failures"],
  ["turnsDropped", "turns dropped (disk full)"],
  ["upstreamErrors", "upstream errors"],
  ["intercepted", "CONNECT intercepted"],
  ["tunnelled", "CONNECT tunnelled"],
  ["rejected", "requests refused"],
];

function webAddress(dataDir: string): string | null {
  const web = readWebStatus(dataDir);
  return web && pidAlive(web.pid) ? web.url : null;
}

function describeLag(r: StatusReport): string {
  const lag = r.capture;
  if (!lag || lag.waiting === 0) return "up to date (no exchange waiting to be read)";
  const n = `${lag.waiting} exchange${lag.waiting === 1 ? "" : "s"} waiting`;
  const behind =
    lag.behindSeconds === null ? "" : `, ${lag.behindSeconds} s behind (oldest journaled ${lag.oldestAt})`;
  const why = r.running ? "" : " — read when the proxy starts";
  return `${n}${behind}${why}`;
}

/** The report as text; `transcriptLines` are the transcripts' own (transcript-status.ts renders them). */
export function renderStatus(r: StatusReport, transcriptLines: readonly string[] = []): string {
  const state = r.running
    ? `running (pid ${r.pid ?? "?"}) on ${r.url}${r.answering ? "" : " — the port does not answer as this proxy"}`
    : notRunning(r);
  const lines = [`proxy:        ${state}`];
  if (r.upstream) lines.push(`upstream:     ${r.upstream}`);
  if (r.startedAt) lines.push(`started:      ${r.startedAt}`);
  lines.push(`web page:     ${r.web ?? "not served — run: mcp-mitm-mem0 ui"}`);
  lines.push(`security:     ${describeSecurityEvents(r.securityEvents ?? {})}`);
  lines.push(
    `capture:      ${describeLag(r)}`,
    `outbox:       ${r.outbox.pending} pending, ${r.outbox.done} stored, ${r.outbox.failed} failed`,
    `episodes:     ${r.outbox.inProgress ?? 0} in progress (waiting for the reply that ends them)`,
    "",
    `${"".padEnd(22)}${"this run".padStart(10)}${"total".padStart(10)}`,
  );
  for (const [key, label] of LABELS) {
    lines.push(
      `${label.padEnd(22)}${String(r.run?.[key] ?? "-").padStart(10)}${String(r.total[key]).padStart(10)}`,
    );
  }
  if (transcriptLines.length > 0) lines.push("", ...transcriptLines);
  return lines.join("\n");
}

export const registerStatusCommand: RegisterCommand = (program, ctx) => {
  program
    .command("status")
    .description(describeCommand("status"))
    .addOption(jsonOption())
    .action(async (flags: { json?: boolean }) => {
      const config = ctx.config();
      const [{ probeProxy }, t] = await Promise.all([
        import("../doctor/proxy-probe.js"),
        import("../../capture/transcripts/transcript-status.js"),
      ]);
      const [probe, { counts, totals, lag }] = await Promise.all([
        probeProxy(config),
        readOutbox(config.dataDir),
      ]);
      const s = probe.status;
      const run: Counters | null = s ? zeroCounters() : null;
      if (s && run) for (const n of COUNTER_NAMES) run[n] = s.stats[n] ?? 0;
      const report: StatusReport = {
        running: probe.running,
        pid: probe.healthPid ?? s?.pid ?? null,
        pidAlive: probe.pidAlive,
        answering: probe.answering,
        url: probe.url,
        upstream: s?.upstream ?? null,
        startedAt: s?.startedAt ?? null,
        updatedAt: s?.updatedAt ?? null,
        run,
        total: totals,
        outbox: counts,
        capture: lag,
        web: webAddress(config.dataDir),
        transcripts: t.readTranscriptStatus(config.dataDir),
        securityEvents: readSecurityEvents(config.dataDir),
        portHeldBy: probe.running
          ? null
          : probe.otherDataDir
            ? { kind: "other-data-dir", pid: probe.healthPid, dataDir: probe.healthDataDir }
            : probe.foreign
              ? { kind: "foreign" }
              : null,
      };
      ctx.out(flags.json ? json(report) : renderStatus(report, t.renderTranscriptStatus(report.transcripts)));
    });
};
