import type { Logger } from "../../core/logger.js";
import {
  type Counters,
  counterDelta,
  type ProxyStats,
  statsLogFields,
  zeroCounters,
} from "../capture-stats.js";
import type { CaptureChain } from "../pipeline/capture-chain.js";
import type { ActiveStream } from "./forward.js";
import { type ProxyStatusFile, writeProxyStatus } from "./proxy-status.js";

/**
 * What the running proxy tells about itself: its stats (counters, outbox
 * depth, episodes in progress, streams in flight), `<dataDir>/proxy-status.json`
 * every `statusIntervalMs` (each write also adds the counters' increase to the
 * outbox's lifetime totals), and a log line once a minute when the numbers
 * changed. Numbers and addresses only. The database figures come from the
 * capture chain (with capture on its thread, a query by the journal mover
 * there, never on this one).
 */

export const STATS_LOG_INTERVAL_MS = 60_000;

export interface StatusReporterOptions {
  dataDir: string;
  counters: Readonly<Counters>;
  capture: Pick<CaptureChain, "figures" | "refresh" | "addCounters">;
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
  /** The stats with the database figures brought up to date first. */
  freshStats(): Promise<ProxyStats>;
  /** Writes proxy-status.json (`running: false` at shutdown) with fresh figures and flushes the lifetime totals. */
  write(running: boolean): Promise<void>;
  /** Stops the timers (the last write is the caller's, after capture stopped). */
  stop(): void;
  /** Resolves once the first proxy-status.json is written. */
  ready: Promise<void>;
}

/** Computes the stats on demand and starts the two timers (both unref'd: they never keep the process up). */
export function startStatusReporter(opts: StatusReporterOptions): StatusReporter {
  const { counters, capture, streams, startedAt, logger } = opts;

  const stats = (): ProxyStats => {
    let paused = 0;
    let bufferedBytes = 0;
    for (const s of streams) {
      if (s.paused()) paused++;
      bufferedBytes += s.buffered();
    }
    const { capturing, outboxDepth, episodesInProgress } = capture.figures();
    return {
      ...counters,
      startedAt,
      outboxDepth,
      episodesInProgress,
      capturing,
      streams: { active: streams.size, paused, bufferedBytes },
    };
  };
  const freshStats = async (): Promise<ProxyStats> => {
    await capture.refresh();
    return stats();
  };

  let flushed = zeroCounters();
  let writing: Promise<void> | null = null;
  const write = async (running: boolean): Promise<void> => {
    if (running) opts.beforeWrite?.();
    const s = await freshStats();
    try {
      capture.addCounters(counterDelta(counters, flushed));
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

  // One periodic write at a time (a slow figure query skips a beat instead of piling up).
  const periodic = () => {
    writing ??= write(true).finally(() => {
      writing = null;
    });
  };
  periodic();
  const ready = writing ?? Promise.resolve();
  const statusTimer = setInterval(periodic, opts.statusIntervalMs ?? 2000).unref();
  let lastLogged = "";
  const logTimer = setInterval(() => {
    const fields = statsLogFields(stats());
    const key = JSON.stringify(fields);
    if (key !== lastLogged) logger.info("proxy stats", fields);
    lastLogged = key;
  }, opts.logIntervalMs ?? STATS_LOG_INTERVAL_MS).unref();

  return {
    stats,
    freshStats,
    ready,
    write: async (running) => {
      await writing;
      await write(running);
    },
    stop: () => {
      clearInterval(statusTimer);
      clearInterval(logTimer);
    },
  };
}
