import type { TransferListItem, Worker } from "node:worker_threads";
import type { Config } from "../../core/config.js";
import type { Logger } from "../../core/logger.js";
import { diskIsTight } from "../../files/disk-reserve.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { Count, CounterName } from "../capture-stats.js";
import type { RawExchange } from "../proxy/forward.js";
import type { JournalMoverHandoff, JournalPlace } from "../proxy/journal-mover.js";
import { JournalWriter } from "../proxy/journal-writer.js";
import { CapturePipeline } from "./capture-pipeline.js";
import type { FromCaptureThread, ToCaptureThread } from "./capture-worker-loop.js";
import { EpisodeTracker } from "./episode-tracker.js";
import { journalMeta, reduceHeaders } from "./exchange-journal.js";
import { shareForwardingLoad } from "./forwarding-pace.js";
import type { Outbox } from "./outbox.js";
import { type BackoffPolicy, OutboxWorker } from "./outbox-worker.js";

/**
 * What the forwarding side sees of capture: hand an exchange over (durably,
 * synchronously, before the client sees the end of the reply), ask how far
 * behind capture is, and wait for it at shutdown. Two implementations:
 * inline (capture on the proxy's own thread; tests and embedding) and a
 * worker thread (`start`: forwarding never waits for capture).
 */
export interface CaptureChain {
  /**
   * Hands an exchange over, durably, before it returns (the forwarder calls it
   * before the client can see the end of the reply).
   */
  submit(raw: RawExchange): void;
  /** Exchanges handed over and not processed yet. */
  backlog(): number;
  /** What `status` shows of capture, without a query on the forwarding thread (see `refresh`). */
  figures(): CaptureFigures;
  /** Brings `figures()` up to date. */
  refresh(): Promise<void>;
  /** Adds to the lifetime counters in the outbox. */
  addCounters(deltas: Record<string, number>): void;
  /** Replays what a previous run left, then resolves (inline); the thread does it on its own. */
  start(): Promise<void>;
  /** Processes what is handed over and drains the outbox (bounded), then stops. */
  stop(): Promise<void>;
  /** After `stop` and the last status write: lets go of the journal (the capture thread ends). */
  close(): Promise<void>;
}

export interface CaptureFigures {
  /** Exchanges handed over and not processed yet. */
  capturing: number;
  outboxDepth: number;
  episodesInProgress: number;
}

/** The figures read from the outbox itself (inline capture; a closed outbox reads as zero). */
function outboxFigures(outbox: Outbox, capturing: number): CaptureFigures {
  const f: CaptureFigures = { capturing, outboxDepth: 0, episodesInProgress: 0 };
  try {
    f.outboxDepth = outbox.counts().pending;
    f.episodesInProgress = outbox.pendingEpisodeCount();
  } catch {
    // closed or unreadable: report what is held in memory
  }
  return f;
}

export interface CapturePartsOptions {
  config: Config;
  store: MemoryStore;
  logger: Logger;
  outbox: Outbox;
  count: Count;
  onMemoriesStored?: ((count: number) => void) | undefined;
  backoff?: BackoffPolicy | undefined;
  /** Overrides `config.proxy.episodeIdleMs` (tests). */
  episodeIdleMs?: number | undefined;
  /** Awaited before each batch (the capture thread: paceBehind, forwarding-pace.ts). */
  pace?: (() => Promise<void>) | undefined;
}

/** The pipeline and the outbox worker behind it, built alike on the proxy's thread and on the capture thread. */
export function captureParts(opts: CapturePartsOptions): { pipeline: CapturePipeline; worker: OutboxWorker } {
  const { config, store, logger, outbox, count } = opts;
  const idleMs = opts.episodeIdleMs ?? config.proxy.episodeIdleMs;
  const worker = new OutboxWorker({
    outbox,
    store,
    logger,
    count,
    reflectionEvery: config.reflection.every,
    onMemoriesStored: opts.onMemoriesStored,
    backoff: opts.backoff,
    pace: opts.pace,
    // The embedded store writes to the disk the journal needs: while that disk is full, the
    // room the reserve gave back is kept for captured turns, and episodes wait in the outbox.
    holdWhile:
      store.backend === "sqlite" && config.proxy.diskReserveBytes > 0
        ? () => diskIsTight(config.dataDir, config.proxy.diskReserveBytes)
        : undefined,
  });
  const pipeline = new CapturePipeline({
    outbox,
    tracker: new EpisodeTracker(outbox, idleMs),
    idleMs,
    worker,
    logger,
    count,
    extract: { defaultUserId: config.defaultUserId, defaultAgentId: config.defaultAgentId },
    pace: opts.pace,
  });
  return { pipeline, worker };
}

/** Capture on the proxy's own thread: the pipeline and the outbox worker beside forwarding. */
export function inlineCaptureChain(opts: CapturePartsOptions): CaptureChain {
  const { logger } = opts;
  const { pipeline, worker } = captureParts(opts);
  const backlog = () => pipeline.inFlightCount() + pipeline.heldCount();
  return {
    submit: (raw) => pipeline.submit(raw),
    backlog,
    figures: () => outboxFigures(opts.outbox, backlog()),
    refresh: async () => undefined,
    addCounters: (deltas) => opts.outbox.addCounters(deltas),
    start: async () => {
      // Exchanges a previous run journaled but did not process (kill -9): before new traffic, in order.
      const replayed = await pipeline.replayJournal();
      if (replayed > 0) logger.info("read back exchanges journaled by the previous run", { count: replayed });
      worker.notify();
    },
    stop: async () => {
      await pipeline.settle(2000);
      await worker.drain(5000);
      worker.stop();
      pipeline.stop();
      try {
        // No raw exchange left readable in the journal's WAL once it is empty.
        opts.outbox.scrub();
      } catch {
        // locked or closed: the next start does it
      }
    },
    close: async () => undefined,
  };
}

/**
 * Capture on a worker thread, which also runs the journal mover
 * (journal-mover.ts): this side does no SQLite work at all. It appends each
 * exchange to the spool (one write; durable before the client sees the end
 * of its reply); the mover, on the capture thread, moves what was spooled
 * into journal.db in one transaction and confirms, and capture reads it there.
 * Counters come back from the capture thread as deltas. When the journal
 * cannot be written (full disk), the exchange goes to the capture thread in
 * memory, counted and logged, so it is still captured while the process lives.
 */
export function threadCaptureChain(parts: {
  /**
   * Starts the capture thread, giving it the journal mover's hand-off to run (null: no spool, the
   * exchanges are journaled on this thread; the port in it goes in the Worker's transferList) and
   * this thread's shared load (forwarding-pace.ts), which capture waits behind.
   */
  spawn: (mover: JournalMoverHandoff | null, forwardingLoad: SharedArrayBuffer) => Worker;
  outbox: Outbox;
  count: Count;
  logger: Logger;
  journal: JournalPlace;
  /** The mover gave up the disk reserve. */
  onReserveReleased?: (() => void) | undefined;
  /** A spool write failed on a full disk: gives up the reserve (true when that freed space). */
  releaseReserve?: (() => boolean) | undefined;
}): CaptureChain {
  const { outbox, count, logger } = parts;
  let stopped: (() => void) | null = null;
  let closing = false;
  // One notice per batch this thread journaled at most, and none while one is already on its way.
  let noticeQueued = false;
  const notify = () => {
    if (noticeQueued) return;
    noticeQueued = true;
    queueMicrotask(() => {
      noticeQueued = false;
      send({ type: "journaled" });
    });
  };
  const writer = new JournalWriter({
    data: parts.journal,
    fallback: outbox,
    logger,
    onDurable: notify,
    onReserveReleased: parts.onReserveReleased,
    onDiskFull: parts.releaseReserve,
    onUnwritten: (meta, req, res, code) => {
      count("captureFailures");
      logger.error("could not journal an exchange; capturing it from memory only", { code });
      const request = new Uint8Array(req);
      const response = new Uint8Array(res);
      send({ type: "exchange", meta, request, response }, [request.buffer, response.buffer]);
    },
  });
  const load = shareForwardingLoad();
  const thread = parts.spawn(writer.mover(), load.buffer);
  const send = (msg: ToCaptureThread, transfer?: TransferListItem[]) => thread.postMessage(msg, transfer);
  thread.on("message", (msg: FromCaptureThread) => {
    if (msg.type === "counters") {
      for (const [name, by] of Object.entries(msg.deltas)) count(name as CounterName, by ?? 0);
    } else if (msg.type === "log") process.stderr.write(msg.line);
    else if (msg.type === "stopped") stopped?.();
  });
  thread.on("error", (e) => {
    count("captureFailures");
    logger.error("the capture thread failed; exchanges stay journaled for the next start", { error: e.name });
  });
  // Without the thread the mover is gone too: the spool is moved into the journal here from then on,
  // and a stop has nothing to wait for.
  let exited = false;
  thread.on("exit", () => {
    exited = true;
    if (!closing) writer.moverLost();
    stopped?.();
  });
  const figures = (): CaptureFigures => {
    const s = writer.snapshot();
    return {
      capturing: s.capturing + writer.inFlight(),
      outboxDepth: s.outboxDepth,
      episodesInProgress: s.episodesInProgress,
    };
  };
  return {
    submit: (input) => {
      const raw = reduceHeaders(input);
      try {
        // The chunks as they came, written to the spool as they are (one writev); let go of once it returns.
        writer.journal(journalMeta(raw), raw.requestBody.parts(), raw.responseBody.parts());
      } finally {
        raw.requestBody.release();
        raw.responseBody.release();
      }
    },
    backlog: () => figures().capturing,
    figures,
    refresh: async () => {
      await writer.refresh();
    },
    addCounters: (deltas) => writer.addCounters(deltas),
    start: async () => undefined,
    stop: async () => {
      // Forwarding has stopped: capture no longer waits behind it (reads as idle from now on).
      load.stop();
      if (exited) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 10_000);
        stopped = () => {
          clearTimeout(t);
          resolve();
        };
        send({ type: "stop" });
      });
    },
    close: async () => {
      // The mover (on the capture thread) moves in what is spooled, then the thread ends.
      load.stop();
      await writer.close();
      closing = true;
      await thread.terminate();
    },
  };
}
