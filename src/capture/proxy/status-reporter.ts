import type { Logger } from "../../core/logger.js";
import {
  type Counters,
  counterDelta,
  type ProxyStats,
  statsLogFields,
  zeroCounters,
} from "../capture-stats.js";
import type { CaptureChain } from "../pipeline/capture-chain.js";
import type { Outbox } from "../pipeline/outbox.js";
import type { ActiveStream } from "./forward.js";
import { type ProxyStatusFile, writeProxyStatus } from "./proxy-status.js";

/**
 * What the running proxy tells about itself: its stats (counters, outbox
 * depth, episodes in progress, streams in flight), `<dataDir>/proxy-status.json`
 * every `statusIntervalMs` (each write also adds the counters' increase to the
 * outbox's lifetime totals), and a log line once a minute when the numbers
 * changed. Numbers and addresses only.
 */

export const STATS_LOG_INTERVAL_MS = 60_000;

export interface StatusReporterOptions {
  dataDir: string;
  counters: Readonly<Counters>;
  outbox: Outbox;
  capture: Pick<CaptureChain, "backlog">;
  streams: ReadonlySet<ActiveStream>;
  startedAt: string;
  /** Where the proxy listens and what it forwards to: the fixed part of proxy-status.json. */
  identity: Pick<ProxyStatusFile, "host" | "port" | "url" | "caPath" | "upstream" | "authRequired">;
  /** Runs before each write while the proxy runs (the disk reserve is put back then). */
  beforeWrite?: (() => void) | undefined;
  logger: Logger;
  statusIntervalMs?: number | undefined;
  logIntervalMs?: number | undefined;
}

export interface StatusReporter {
  stats(): ProxyStats;
  /** Writes proxy-status.json now (`running: false` at shutdown) and flushes the lifetime totals. */
  write(running: boolean): void;
  /** Stops the timers (the last write is the caller's, after capture stopped). */
  stop(): void;
}

/** Computes the stats on demand and starts the two timers (both unref'd: they never keep the process up). */
export function startStatusReporter(opts: StatusReporterOptions): StatusReporter {
  const { counters, outbox, capture, streams, startedAt, logger } = opts;

  const stats = (): ProxyStats => {
    let paused = 0;
    let bufferedBytes = 0;
    for (const s of streams) {
      if (s.paused()) paused++;
      bufferedBytes += s.buffered();
    }
    let outboxDepth = 0;
    let episodesInProgress = 0;
    try {
      outboxDepth += outbox.counts().pending;
      episodesInProgress = outbox.pendingEpisodeCount();
    } catch {
      // closed or unreadable: report what is held in memory
    }
    return {
      ...counters,
      startedAt,
      outboxDepth,
      episodesInProgress,
      capturing: capture.backlog(),
      streams: { active: streams.size, paused, bufferedBytes },
    };
  };

  let flushed = zeroCounters();
  const write = (running: boolean): void => {
    if (running) opts.beforeWrite?.();
    const s = stats();
    try {
      outbox.addCounters(counterDelta(counters, flushed));
      flushed = { ...counters };
    } catch {
      // lifetime totals are best effort
    }
    const file: ProxyStatusFile = {
      pid: process.pid,
      running,
      ...opts.identity,
      startedAt,
      updatedAt: new Date().toISOString(),
      stats: s,
    };
    try {
      writeProxyStatus(opts.dataDir, file);
    } catch (e) {
      logger.warn("could not write proxy-status.json", {
        code: (e as NodeJS.ErrnoException).code ?? "error",
      });
    }
  };

  write(true);
  const statusTimer = setInterval(() => write(true), opts.statusIntervalMs ?? 2000).unref();
  let lastLogged = "";
  const logTimer = setInterval(() => {
    const fields = statsLogFields(stats());
    const key = JSON.stringify(fields);
    if (key !== lastLogged) logger.info("proxy stats", fields);
    lastLogged = key;
  }, opts.logIntervalMs ?? STATS_LOG_INTERVAL_MS).unref();

  return {
    stats,
    write,
    stop: () => {
      clearInterval(statusTimer);
      clearInterval(logTimer);
    },
  };
}
