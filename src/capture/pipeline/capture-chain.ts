import type { Worker } from "node:worker_threads";
import type { Config } from "../../core/config.js";
import type { Logger } from "../../core/logger.js";
import type { MemoryStore } from "../../store/memory-store.js";
import type { Count, CounterName } from "../capture-stats.js";
import type { RawExchange } from "../proxy/forward.js";
import { CapturePipeline } from "./capture-pipeline.js";
import type { FromCaptureThread, ToCaptureThread } from "./capture-worker-loop.js";
import { EpisodeTracker } from "./episode-tracker.js";
import { journalMeta, reduceHeaders } from "./exchange-journal.js";
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
  submit(raw: RawExchange): void;
  /** Exchanges handed over and not processed yet. */
  backlog(): number;
  /** Replays what a previous run left, then resolves (inline); the thread does it on its own. */
  start(): Promise<void>;
  /** Processes what is handed over and drains the outbox (bounded), then stops. */
  stop(): Promise<void>;
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
  });
  const pipeline = new CapturePipeline({
    outbox,
    tracker: new EpisodeTracker(outbox, idleMs),
    idleMs,
    worker,
    logger,
    count,
    extract: { defaultUserId: config.defaultUserId, defaultAgentId: config.defaultAgentId },
  });
  return { pipeline, worker };
}

/** Capture on the proxy's own thread: the pipeline and the outbox worker beside forwarding. */
export function inlineCaptureChain(opts: CapturePartsOptions): CaptureChain {
  const { logger } = opts;
  const { pipeline, worker } = captureParts(opts);
  return {
    submit: (raw) => pipeline.submit(raw),
    backlog: () => pipeline.inFlightCount() + pipeline.heldCount(),
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
    },
  };
}

/**
 * Capture on a worker thread. This side only journals (one synchronous
 * insert) and tells the thread; counters come back as deltas. When the
 * journal cannot be written (full disk), the exchange goes to the thread in
 * memory, counted and logged, so it is still captured while the process lives.
 */
export function threadCaptureChain(parts: {
  thread: Worker;
  outbox: Outbox;
  count: Count;
  logger: Logger;
}): CaptureChain {
  const { thread, outbox, count, logger } = parts;
  let stopped: (() => void) | null = null;
  const send = (msg: ToCaptureThread, transfer?: ArrayBuffer[]) => thread.postMessage(msg, transfer);
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
  return {
    submit: (input) => {
      const raw = reduceHeaders(input);
      try {
        outbox.journalExchange(journalMeta(raw), raw.requestBody.bytes(), raw.responseBody.bytes());
        send({ type: "journaled" });
      } catch (e) {
        count("captureFailures");
        logger.error("could not journal an exchange; capturing it from memory only", {
          code: (e as NodeJS.ErrnoException).code ?? (e as Error).name,
        });
        const request = new Uint8Array(raw.requestBody.bytes());
        const response = new Uint8Array(raw.responseBody.bytes());
        send({ type: "exchange", meta: journalMeta(raw), request, response }, [
          request.buffer,
          response.buffer,
        ]);
      } finally {
        raw.requestBody.release();
        raw.responseBody.release();
      }
    },
    backlog: () => {
      try {
        return outbox.journalDepth();
      } catch {
        return 0;
      }
    },
    start: async () => undefined,
    stop: async () => {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 10_000);
        stopped = () => {
          clearTimeout(t);
          resolve();
        };
        send({ type: "stop" });
      });
      await thread.terminate();
    },
  };
}
